import Commerce
import Foundation
import MariaDB
import Storage
import Synchronization

/// The prices a subscription is charged at (DOMAIN.md 4): its seller's current prices, unless the
/// plan is fixed price (the order-time prices) or it has individual prices (those).
enum ChargedPrices {
    static func schedule(plan: Plan, seller: Int64, subscription: Subscription?, now: Date, useIndividual: Bool = true, cache: LookupCache? = nil,
                         on db: MariaDBDatabase) async throws -> PriceSchedule {
        let moment = plan.fixedPrice ? (subscription?.pricedAt ?? now) : now
        let key = "\(plan.id)|\(seller)|\(moment.timeIntervalSince1970)"
        var schedule: PriceSchedule
        if let cached = cache?.schedule(key) {
            schedule = cached
        } else {
            schedule = try await PlanStore(database: db).prices(of: plan, seller: seller, at: moment, on: db)
            if plan.fixedPrice {
                // A resource added to a fixed-price plan after the order is charged at the prices of the moment it was added (DOMAIN.md 3).
                for (resource, added) in plan.resourcesAddedAt where added > moment {
                    schedule.resourceFees[resource] = try await PlanStore(database: db).prices(of: plan, seller: seller, at: added, on: db).resourceFees[resource]
                }
            }
            cache?.store(schedule, key)
        }
        if let subscription, subscription.individualPrices, useIndividual {
            for (resource, fees) in try await SubscriptionStore(database: db).individualPrices(of: subscription, currency: plan.currency) {
                schedule.resourceFees[resource] = fees
            }
        }
        return schedule
    }

    /// A whole period of the subscription at the prices it is charged, with any scheduled quantities.
    static func periodLines(_ subscription: Subscription, plan: Plan, seller: Int64, period: BillingPeriod, now: Date, label: String,
                            useIndividual: Bool = true, useScheduled: Bool = true, cache: LookupCache? = nil, on db: MariaDBDatabase) async throws -> [QuoteLine] {
        let schedule = try await ChargedPrices.schedule(plan: plan, seller: seller, subscription: subscription, now: now, useIndividual: useIndividual,
                                                        cache: cache, on: db)
        guard let fee = schedule.periodFees[period.months] else {
            throw StoreError.invalid(field: "period_months", message: "\(plan.name) no longer offers a \(period.months)-month period: staff must move subscription \(subscription.id) to one it offers.")
        }
        return PeriodPricing.period(fee: fee,
                                    resources: ChargedPrices.held(subscription, plan: plan, schedule: schedule,
                                                                  additional: useScheduled ? subscription.scheduledAdditional : [:]),
                                    period: period, label: label)
    }

    /// The subscription's resources as a period charges them; `additional` overrides the quantities (a scheduled change).
    static func held(_ subscription: Subscription, plan: Plan, schedule: PriceSchedule, additional: [String: Int64] = [:]) -> [PeriodPricing.Held] {
        let zero = UnitPrice(scaled: 0, currency: plan.currency)
        return subscription.resources.compactMap { line in
            guard plan.resources.contains(where: { $0.resourceID == line.resourceID }) else { return nil }
            let fees = schedule.resourceFees[line.resourceID]
            return PeriodPricing.Held(code: line.code, additional: additional[line.code] ?? line.additional, monthly: fees?.recurringFee ?? zero,
                                      setup: fees?.setupFee ?? zero)
        }
    }
}

/// Billing settings: how many days ahead a renewal is invoiced and how long it may stay unpaid.
public struct BillingSettings: Sendable {
    public var renewalLeadDays: Int
    public var graceDays: Int

    public init(renewalLeadDays: Int = 7, graceDays: Int = 7) {
        self.renewalLeadDays = renewalLeadDays
        self.graceDays = graceDays
    }
}

// MARK: - Sales orders

/// A new subscription, priced (DOMAIN.md 6 and 7): setup fees of the additional units and the first
/// period (fee and resources) at the seller's prices, nothing during a trial; postpaid pays the
/// period at its end.
public struct PricedSale: Sendable {
    public var customer: Account
    public var plan: Plan
    public var period: BillingPeriod
    public var trial: Bool
    public var quote: Quote
    public var refusals: [Refusal]
    public var today: BusinessDate
}

public struct SaleRequest: Sendable, Equatable {
    public var customerID: Int64
    public var planID: Int64
    public var periodMonths: Int
    public var additional: [String: Int64]
    public var promoCode: String?

    public init(customerID: Int64, planID: Int64, periodMonths: Int, additional: [String: Int64], promoCode: String? = nil) {
        self.customerID = customerID
        self.planID = planID
        self.periodMonths = periodMonths
        self.additional = additional
        self.promoCode = promoCode
    }
}

extension OrderService {
    /// Plans a customer can buy: the ones its seller sells.
    public func catalogue(for customerID: Int64, in scope: TenantScope) async throws -> [Plan] {
        let customer = try await AccountStore(database: database).account(customerID, in: scope)
        guard customer.kind == .customer, let seller = customer.parentID else { throw StoreError.invalid(field: "customer_id", message: "Choose a customer.") }
        let plans = PlanStore(database: database)
        return try await plans.sold(by: seller)
    }

    /// Prices a sales order and lists what refuses it; field problems throw (422 naming the field).
    public func quoteSale(_ sale: SaleRequest, in scope: TenantScope, now given: Date? = nil, pricedBy priceSeller: Int64? = nil,
                          on db: MariaDBDatabase? = nil) async throws -> PricedSale {
        let db = db ?? database
        let customer = try await AccountStore(database: db).account(sale.customerID, in: scope, on: db)
        guard customer.kind == .customer, let sellerID = customer.parentID else {
            throw StoreError.invalid(field: "customer_id", message: "Subscriptions are ordered for customers.")
        }
        let plans = PlanStore(database: db)
        guard let plan = try await plans.sold(by: sellerID, on: db).first(where: { $0.id == sale.planID }) else {
            throw StoreError.invalid(field: "plan_id", message: "\(customer.name)'s seller does not sell that plan.")
        }
        guard plan.periods.contains(sale.periodMonths) else {
            throw StoreError.invalid(field: "period_months", message: "\(plan.name) offers \(plan.periods.map(String.init).joined(separator: ", ")) months.")
        }
        let now: Date
        if let given { now = given } else { now = try await clock.now() }
        let today = BusinessDate(instant: now)
        var refusals: [Refusal] = []
        if priceSeller == nil, let refusal = try await ChangeSnapshotLoader.restriction(of: customer, plans: [plan.id], viewer: scope.actor, on: db) { refusals.append(refusal) }
        let codes = try await ResourceStore(database: db).codes()
        var errors = ValidationErrors()
        for (code, additional) in sale.additional.sorted(by: { $0.key < $1.key }) {
            guard let rate = plan.resources.first(where: { codes[$0.resourceID] == code }) else {
                errors.add("resources.\(code).resource_code", "\(plan.name) has no resource \(code).")
                continue
            }
            guard additional.magnitude <= ChangeRules.maxUnits else { errors.add("resources.\(code).additional", "\(additional) units is beyond what any plan sells."); continue }
            let held = Holding(resourceID: rate.resourceID, code: code, included: rate.included, additional: additional, usage: 0)
            if let refusal = ChangeRules.limits(code, total: held.total, rate: rate) { refusals.append(refusal) }
        }
        try errors.throwIfAny()
        let trial = plan.trialDays > 0
        let period = trial
            ? BillingPeriod(start: today, end: today.adding(days: plan.trialDays), months: sale.periodMonths)
            : BillingPeriod(starting: today, months: sale.periodMonths, anchorDay: today.day)
        let schedule = try await ChargedPrices.schedule(plan: plan, seller: priceSeller ?? sellerID, subscription: nil, now: now, on: db)
        let zero = UnitPrice(scaled: 0, currency: plan.currency)
        let held = plan.resources.compactMap { rate -> PeriodPricing.Held? in
            guard let code = codes[rate.resourceID] else { return nil }
            let fees = schedule.resourceFees[rate.resourceID]
            return PeriodPricing.Held(code: code, additional: sale.additional[code] ?? 0, monthly: fees?.recurringFee ?? zero, setup: fees?.setupFee ?? zero)
        }
        var lines: [QuoteLine] = []
        if !trial {
            lines += PeriodPricing.setup(held, period: period)
            if plan.billingType != .postpaid {
                lines += PeriodPricing.period(fee: schedule.periodFees[sale.periodMonths] ?? zero, resources: held, period: period, label: "\(plan.name), first period")
            }
        }
        var promo: Rational?
        if priceSeller == nil, let code = sale.promoCode?.trimmingCharacters(in: .whitespaces), !code.isEmpty {
            if let found = try await PromoCodeStore(database: db).valid(code: code, seller: sellerID, on: today) {
                promo = found
            } else {
                refusals.append(Refusal(.promoInvalid, "The promo code \(code) is unknown or has expired.", details: ["promo_code": code]))
            }
        }
        let invoiceTerms = try await InvoiceTerms.load(plan: plan, customer: customer, now: now, on: db)
        if let missing = invoiceTerms.rateMissing { refusals.append(missing) }
        let terms = invoiceTerms.with(promo: promo)
        guard lines.allSatisfy(\.exact.isWithinMoneyRange) else {
            throw StoreError.invalid(field: "resources", message: "This order would cost more than any invoice can carry: check the quantities.")
        }
        let ordered = Refusal.ordered(refusals)
        return PricedSale(customer: customer, plan: plan, period: period, trial: trial, quote: Pricing.quote(lines, terms: terms), refusals: ordered, today: today)
    }

    /// Submits a sales order: paid like any order; provisioning creates the subscription. The
    /// idempotency key works as for changes.
    public func submitSale(_ sale: SaleRequest, idempotencyKey: String?, in scope: TenantScope) async throws -> SubmitResult {
        let customer = try await AccountStore(database: database).account(sale.customerID, in: scope)
        guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden("viewers don't order") }
        let change = ChangeRequest.sales(planID: sale.planID, periodMonths: sale.periodMonths, additional: sale.additional)
        return try await submitOrder(
            idempotencyKey: idempotencyKey, fingerprint: "customer \(customer.id) | \(change.json) | promo \(sale.promoCode ?? "")", in: scope,
            lock: { tx, _ in
                // The customer's row serializes a customer's sales orders (and its credit).
                _ = try await AccountStore(database: tx).account(customer.id, in: scope, on: tx, forUpdate: true)
            },
            price: { _, tx, now in
                let priced = try await quoteSale(sale, in: scope, now: now, on: tx)
                let needsPayment = priced.plan.billingType != .postpaid && priced.quote.charged.total > 0
                let order = NewOrder(
                    change: change, status: needsPayment ? .awaitingPayment : .provisioning, subscriptionID: nil, customer: priced.customer,
                    sellerID: priced.customer.parentID!, plan: priced.plan, pricedAgainst: "{}",
                    summary: "New \(priced.plan.name), \(sale.periodMonths)-month period" + (priced.trial ? ", \(priced.plan.trialDays)-day trial first" : ""),
                    today: priced.today, now: now, expiresAt: nil, promo: sale.promoCode?.nilIfEmpty, quote: priced.quote, renewalKey: nil,
                    issueInvoice: needsPayment)
                return OrderDraft(refusals: priced.refusals, order: order, sold: priced.quote.plan.subtotal - priced.quote.plan.discount) { parent in
                    try await quoteSale(SaleRequest(customerID: sale.customerID, planID: sale.planID, periodMonths: sale.periodMonths, additional: sale.additional),
                                        in: scope, now: now, pricedBy: parent, on: tx).quote.plan.subtotal
                }
            })
    }
}

// MARK: - Cancellation

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
            refusals.append(Refusal(.subscriptionNotActive, "The subscription is cancelled already."))
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
        guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden("viewers don't cancel subscriptions") }
        return try await submitOrder(
            idempotencyKey: nil, fingerprint: "", in: scope,
            lock: { tx, _ in
                let subscription = try await SubscriptionStore(database: tx).subscription(id, in: scope, on: tx, forUpdate: true)
                let customer = try await AccountStore(database: tx).account(subscription.customerID, in: scope, on: tx)
                // What awaits payment goes; what is being provisioned must finish first.
                if let open = try await OrderStore(database: tx).openOrder(of: id, on: tx),
                   let pending = try await OrderStore(database: tx).orderForWorker(open, on: tx, forUpdate: true) {
                    guard pending.status == .awaitingPayment else {
                        throw OrderRefused(refusals: [Refusal(.orderOpen, "Order #\(open) is being provisioned; cancel once it has finished.", details: ["order_id": String(open)])])
                    }
                    _ = try await Self.close(pending, as: .cancelled, customer: customer, actor: scope.actor, on: tx)
                }
                return (subscription, customer)
            },
            price: { held, tx, now in
                let (subscription, customer) = held
                let priced = try await quoteCancellation(subscription: id, in: scope, now: now, on: tx)
                let change = ChangeRequest.cancellation
                let order = NewOrder(
                    change: change, status: .provisioning, subscriptionID: id, customer: customer, sellerID: customer.parentID!, plan: priced.plan,
                    pricedAgainst: PricedAgainst(subscription).json, summary: change.summary(of: subscription, planName: priced.plan.name, targetName: nil),
                    today: priced.today, now: now, expiresAt: nil, promo: nil, quote: priced.quote, renewalKey: nil, issueInvoice: false)
                return OrderDraft(refusals: priced.refusals, order: order, sold: priced.quote.plan.subtotal) { parent in
                    try await quoteCancellation(subscription: id, in: scope, now: now, pricedBy: parent, on: tx).quote.plan.subtotal
                }
            }).order
    }

    /// The next renewal: its period and what it will charge at today's prices (nil when it won't renew,
    /// or for postpaid, whose period is invoiced at its end).
    public func renewalPreview(of subscription: Subscription, plan: Plan, customer: Account) async throws -> (period: BillingPeriod, total: Money)? {
        guard subscription.status != .cancelled, !subscription.cancelAtPeriodEnd, plan.billingType != .postpaid else { return nil }
        let now = try await clock.now()
        let next = BillingPeriod(starting: subscription.period.end, months: subscription.period.months, anchorDay: subscription.anchorDay)
        let lines = try await ChargedPrices.periodLines(subscription, plan: plan, seller: customer.parentID!, period: next, now: now, label: "", on: database)
        let charged = try await BillingRun.invoiced(lines, plan: plan, customer: customer, now: now, requireRate: false, on: database).quote.charged
        return (next, Money(minorUnits: charged.total, currency: charged.currency))
    }

    /// While the next period is paid ahead, or its renewal awaits payment or provisioning, the
    /// quantities and plan it was priced for are settled: changes wait for the period to start.
    static func renewalUnderway(_ subscription: Subscription, on db: MariaDBDatabase) async throws -> Refusal? {
        let open = try await OrderStore(database: db).openOrderFact(of: subscription.id, on: db)
        return ChangeRules.openOrder(open?.isRenewal == true ? open : nil, subscription: subscription.facts)
    }

    /// Cancels at the period end (no refund), or takes that back; an unpaid renewal is cancelled.
    public func cancelAtPeriodEnd(subscription id: Int64, _ cancel: Bool, in scope: TenantScope) async throws -> Subscription {
        try await updateLive(subscription: id, in: scope, forbidden: "viewers don't cancel subscriptions") { before, customer, tx in
            if cancel, let paidAhead = ChangeRules.paidAhead(before.facts) {
                throw OrderRefused(refusals: [Refusal(.orderOpen, "The next period is paid already: cancel now instead, and its payment is refunded to credit.",
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

    /// Schedules a change of quantities for the next period (commitment reductions), or clears it.
    public func schedule(_ wanted: [String: Int64]?, subscription id: Int64, in scope: TenantScope) async throws -> Subscription {
        try await updateLive(subscription: id, in: scope, forbidden: "viewers don't change subscriptions") { before, _, tx in
            // The renewal prices the scheduled quantities: once it is issued or paid, they are settled.
            if let refusal = try await Self.renewalUnderway(before, on: tx) { throw OrderRefused(refusals: [refusal]) }
            let plan = try await PlanStore(database: tx).planForWorker(before.planID)
            var errors = ValidationErrors()
            for (code, additional) in (wanted ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let line = before.line(code), let rate = plan.resources.first(where: { $0.resourceID == line.resourceID }) else {
                    errors.add("resources.\(code).resource_code", "The subscription has no resource \(code)."); continue
                }
                guard line.included != -1 else { continue }
                guard additional.magnitude <= ChangeRules.maxUnits else {
                    errors.add("resources.\(code).additional", "\(additional) units is beyond what any plan sells."); continue
                }
                let total = Holding(resourceID: line.resourceID, code: code, included: line.included, additional: additional, usage: line.usage).total
                for refusal in [ChangeRules.limits(code, total: total, rate: rate), ChangeRules.usage(code, newTotal: total, usage: line.usage)].compactMap({ $0 }) {
                    errors.add("resources.\(code).additional", refusal.message)
                }
            }
            try errors.throwIfAny()
            try await SubscriptionStore.setScheduledChange(id, wanted.map { ChangeRequest.quantities($0).json }, by: scope.actor.userID, on: tx)
            return wanted == nil ? "unschedule" : "schedule for renewal"
        }
    }

    /// A setting of a live subscription (cancellation at the period end, a scheduled change): under
    /// the subscription's row lock, refused once it is cancelled, audited with the action `body` answers.
    private func updateLive(subscription id: Int64, in scope: TenantScope, forbidden: String,
                            _ body: (_ before: Subscription, _ customer: Account, _ tx: MariaDBDatabase) async throws -> String) async throws -> Subscription {
        _ = try await SubscriptionStore(database: database).subscription(id, in: scope)
        guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden(forbidden) }
        return try await database.withTransaction { tx in
            let store = SubscriptionStore(database: tx)
            let before = try await store.subscription(id, in: scope, on: tx, forUpdate: true)
            guard before.status != .cancelled else { throw StoreError.invalid(field: "status", message: "A cancelled subscription is read-only.") }
            let customer = try await AccountStore(database: tx).account(before.customerID, in: scope, on: tx)
            let action = try await body(before, customer, tx)
            let after = try await store.subscription(id, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: customer, objectType: "subscription", objectID: id, action: action,
                                      before: SubscriptionAudit(before), after: SubscriptionAudit(after))
            return after
        }
    }
}

extension Subscription {
    /// The quantities scheduled for the next period, if any.
    var scheduledAdditional: [String: Int64] {
        guard let json = scheduledChange, case .quantities(let wanted)? = try? ChangeRequest.parse(json: json) else { return [:] }
        return wanted
    }
}

/// What a billing run reads again and again for subscriptions alike (plans, accounts, price
/// schedules at the run's moment), kept for the length of one run.
final class LookupCache: Sendable {
    private struct State {
        var plans: [Int64: Plan] = [:]
        var accounts: [Int64: Account] = [:]
        var schedules: [String: PriceSchedule] = [:]
        var unrestricted: Set<String> = []
    }
    private let state = Mutex(State())

    func plan(_ id: Int64, on db: MariaDBDatabase) async throws -> Plan {
        if let plan = state.withLock({ $0.plans[id] }) { return plan }
        let plan = try await PlanStore(database: db).planForWorker(id)
        state.withLock { $0.plans[id] = plan }
        return plan
    }

    func account(_ id: Int64, on db: MariaDBDatabase) async throws -> Account {
        if let account = state.withLock({ $0.accounts[id] }) { return account }
        let account = try await AccountStore(database: db).accountForWorker(id, on: db)
        state.withLock { $0.accounts[id] = account }
        return account
    }

    func schedule(_ key: String) -> PriceSchedule? { state.withLock { $0.schedules[key] } }
    func store(_ schedule: PriceSchedule, _ key: String) { state.withLock { $0.schedules[key] = schedule } }

    /// Whether no restriction covers the account path for the plan (only "no restriction" is kept: a refusal is always read afresh).
    func isUnrestricted(_ key: String) -> Bool { state.withLock { $0.unrestricted.contains(key) } }
    func markUnrestricted(_ key: String) { _ = state.withLock { $0.unrestricted.insert(key) } }
}
