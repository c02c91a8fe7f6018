import Commerce
import Foundation
import Localization
import MariaDB
import Storage

/// What cancelling now would give back (DOMAIN.md 7): the unused part, prorated as a reduction to
/// zero; nothing for non-refundable plans or a trial.
public struct PricedCancellation: Sendable {
    public var subscription: Subscription
    public var plan: Plan
    public var quote: Quote
    public var refusals: [Refusal]
    public var today: BusinessDate
}

extension OrderService {
    public func quoteCancellation(subscription id: Int64, in scope: TenantScope, now given: Date? = nil, pricedBy priceSeller: Int64? = nil,
                                  on db: MariaDBDatabase? = nil) async throws -> PricedCancellation {
        let db = db ?? database
        let subscription = try await SubscriptionStore(database: db).subscription(id, in: scope, on: db)
        let plan = try await PlanStore(database: db).planForWorker(subscription.planID)
        let customer = try await AccountStore(database: db).account(subscription.customerID, in: scope, on: db)
        return try await quoteCancellation(of: subscription, plan: plan, customer: customer, now: given, pricedBy: priceSeller, on: db)
    }

    /// The same, for a subscription, plan and customer already read in scope (a page that shows them too).
    public func quoteCancellation(of subscription: Subscription, plan: Plan, customer: Account, now given: Date? = nil, pricedBy priceSeller: Int64? = nil,
                                  on db: MariaDBDatabase? = nil) async throws -> PricedCancellation {
        let db = db ?? database
        let now: Date
        if let given { now = given } else { now = try await clock.now() }
        let today = BusinessDate(instant: now)
        var refusals: [Refusal] = []
        if subscription.status == .cancelled {
            refusals.append(Refusal(.subscriptionNotActive, Localization.text("error.refusal.cancelled_already")))
        }
        let day = max(subscription.period.start, min(today, subscription.period.end.adding(days: -1)))
        var lines: [QuoteLine] = []
        // Only a paid period still running gives anything back: never a trial, never a period that is over.
        let paidPeriod = plan.billingType != .postpaid ? (subscription.paidUntil ?? subscription.period.end) >= subscription.period.end : true
        let running = today < subscription.period.end && !(subscription.status == .suspended && subscription.suspendedByBilling)
        if plan.billingType != .nonRefund && subscription.status != .trial && paidPeriod && running {
            let schedule = try await ChargedPrices.schedule(plan: plan, seller: priceSeller ?? customer.parentID!, subscription: subscription, now: now,
                                                            useIndividual: priceSeller == nil, on: db)
            let zero = UnitPrice(scaled: 0, currency: plan.currency)
            lines = PeriodPricing.cancellation(fee: schedule.periodFees[subscription.period.months] ?? zero,
                                               resources: ChargedPrices.held(subscription, plan: plan, schedule: schedule),
                                               period: subscription.period, on: day)
        }
        // A next period paid ahead is given back whole, at what was paid for it.
        if plan.billingType != .nonRefund, ChangeRules.paidAhead(subscription.facts) != nil, let paid = subscription.paidUntil, priceSeller == nil,
           let amount = try await OrderStore.lastRenewalSold(of: subscription.id, on: db) {
            lines.append(QuoteLine(kind: .planCredit, description: "The next period, paid ahead (\(subscription.period.end) → \(paid))",
                                   daysRemaining: 0, daysInPeriod: 0, exact: Rational(Int128(-amount))))
        }
        let invoiceTerms = try await InvoiceTerms.load(plan: plan, customer: customer, now: now, on: db)
        if let missing = invoiceTerms.rateMissing { refusals.append(missing) }
        let terms = invoiceTerms.with(promo: nil)
        return PricedCancellation(subscription: subscription, plan: plan, quote: Pricing.quote(lines, terms: terms), refusals: Refusal.ordered(refusals), today: today)
    }

    /// Cancels now: an order whose negative total is the refund (to credit, once provisioned);
    /// unpaid orders of the subscription are cancelled with it.
    public func cancelNow(subscription id: Int64, in scope: TenantScope) async throws -> Order {
        _ = try await SubscriptionStore(database: database).subscription(id, in: scope)
        guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden(.init("error.forbidden.viewers_cancel_subscriptions")) }
        return try await submitOrder(
            idempotencyKey: nil, fingerprint: "", in: scope,
            lock: { tx, _ in
                let subscription = try await SubscriptionStore(database: tx).subscription(id, in: scope, on: tx, forUpdate: true)
                let customer = try await AccountStore(database: tx).account(subscription.customerID, in: scope, on: tx)
                // What awaits payment goes; what is being provisioned must finish first.
                if let open = try await OrderStore(database: tx).openOrder(of: id, on: tx),
                   let pending = try await OrderStore(database: tx).orderForWorker(open, on: tx, forUpdate: true) {
                    guard pending.status == .awaitingPayment else {
                        throw OrderRefused(refusals: [Refusal(.orderOpen, Localization.text("error.refusal.order_provisioning", ["order": .text(String(open))]), details: ["order_id": String(open)])])
                    }
                    _ = try await Self.close(pending, as: .cancelled, customer: customer, actor: scope.actor, on: tx)
                }
                return (subscription, customer)
            },
            price: { held, tx, now in
                let (subscription, customer) = held
                // The rows locked and read above, and the plan, once: each upstream level is priced from them.
                let plan = try await PlanStore(database: tx).planForWorker(subscription.planID)
                let priced = try await quoteCancellation(of: subscription, plan: plan, customer: customer, now: now, on: tx)
                let change = ChangeRequest.cancellation
                let order = NewOrder(
                    change: change, status: .provisioning, subscriptionID: id, customer: customer, sellerID: customer.parentID!, plan: priced.plan,
                    pricedAgainst: PricedAgainst(subscription).json, summary: change.summary(of: subscription, planName: priced.plan.name, targetName: nil),
                    today: priced.today, now: now, expiresAt: nil, promo: nil, quote: priced.quote, renewalKey: nil, issueInvoice: false)
                return OrderDraft(refusals: priced.refusals, order: order, sold: priced.quote.plan.subtotal) { parent in
                    try await quoteCancellation(of: subscription, plan: plan, customer: customer, now: now, pricedBy: parent, on: tx).quote.plan.subtotal
                }
            }).order
    }

    /// Cancels at the period end (no refund), or takes that back; an unpaid renewal is cancelled.
    public func cancelAtPeriodEnd(subscription id: Int64, _ cancel: Bool, in scope: TenantScope) async throws -> Subscription {
        try await updateLive(subscription: id, in: scope, forbidden: .init("error.forbidden.viewers_cancel_subscriptions")) { before, customer, tx in
            if cancel, let paidAhead = ChangeRules.paidAhead(before.facts) {
                throw OrderRefused(refusals: [Refusal(.orderOpen, Localization.text("error.refusal.paid_ahead_cancel"),
                                                      details: paidAhead.details)])
            }
            if cancel, let open = try await OrderStore(database: tx).openOrder(of: id, on: tx),
               let pending = try await OrderStore(database: tx).orderForWorker(open, on: tx, forUpdate: true),
               pending.kind == .renewal, pending.status == .awaitingPayment {
                _ = try await Self.close(pending, as: .cancelled, customer: customer, actor: scope.actor, on: tx)
            }
            try await SubscriptionStore.setCancelAtPeriodEnd(id, cancel, by: scope.actor.userID, on: tx)
            return cancel ? "cancel at period end" : "keep"
        }
    }

    /// A setting of a live subscription (cancellation at the period end, a scheduled change): under
    /// the subscription's row lock, refused once it is cancelled, audited with the action `body` answers.
    func updateLive(subscription id: Int64, in scope: TenantScope, forbidden: LocalizedText,
                            _ body: (_ before: Subscription, _ customer: Account, _ tx: MariaDBDatabase) async throws -> String) async throws -> Subscription {
        _ = try await SubscriptionStore(database: database).subscription(id, in: scope)
        guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden(forbidden) }
        return try await database.withTransaction { tx in
            let store = SubscriptionStore(database: tx)
            let before = try await store.subscription(id, in: scope, on: tx, forUpdate: true)
            guard before.status != .cancelled else { throw StoreError.invalid(field: "status", message: .init("error.subscription.cancelled_read_only")) }
            let customer = try await AccountStore(database: tx).account(before.customerID, in: scope, on: tx)
            let action = try await body(before, customer, tx)
            let after = try await store.subscription(id, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: customer, objectType: "subscription", objectID: id, action: action,
                                      before: SubscriptionAudit(before), after: SubscriptionAudit(after))
            return after
        }
    }
}
