import Commerce
import Foundation
import Localization
import MariaDB
import Storage

/// A submit that a rule refuses (DOMAIN.md 5): the first reason leads, all are listed.
public struct OrderRefused: Error, Sendable {
    public var refusals: [Refusal]
    public var first: Refusal { refusals[0] }
}

public struct SubmitResult: Sendable {
    public var order: Order
    /// True when the idempotency key named an order submitted before: nothing new was created.
    public var replayed: Bool
}

/// The second half of the order engine (DOMAIN.md 7 and 9): a quote becomes an order, is paid and
/// handed to provisioning. Each state change is one transaction, retried whole on deadlock.
public struct OrderService: Sendable {
    let database: MariaDBDatabase
    let clock: BusinessClock
    /// Rung after a commit that leaves an order in `provisioning`, so a worker takes it at once.
    let bell: ProvisioningBell?

    public init(database: MariaDBDatabase, clock: BusinessClock, bell: ProvisioningBell? = nil) {
        self.database = database
        self.clock = clock
        self.bell = bell
    }

    // MARK: Submit

    /// Submits a change. With an idempotency key (per user, 24 hours) the same key and body give the
    /// same order, another body is a conflict. The subscription's row lock serializes submits, so an
    /// order is always priced against the result of the one before it.
    public func submit(subscription id: Int64, change: ChangeRequest, promoCode: String?, idempotencyKey: String?,
                       in scope: TenantScope) async throws -> SubmitResult {
        let promo = promoCode?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        return try await submitOrder(
            idempotencyKey: idempotencyKey, fingerprint: "subscription \(id) | \(change.json) | promo \(promo ?? "")",
            raced: Refusal(.orderOpen, Localization.text("error.refusal.raced")), in: scope,
            lock: { tx, now in
                // Outside the caller's subtree: 404 (the scoped read) before its role is asked: 403.
                let subscription = try await SubscriptionStore(database: tx).subscription(id, in: scope, on: tx, forUpdate: true)
                guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden(.init("error.forbidden.viewers_change_subscriptions")) }
                var open = try await OrderStore(database: tx).openOrderFact(of: id, on: tx)
                // An open order past its expiry no longer blocks this one: it expires here.
                if let found = open, let order = try await OrderStore(database: tx).orderForWorker(found.id, on: tx, forUpdate: true),
                   order.status == .awaitingPayment, let expiresAt = order.expiresAt, expiresAt <= now {
                    let customer = try await AccountStore(database: tx).accountForWorker(order.customerID, on: tx)
                    _ = try await Self.close(order, as: .expired, customer: customer, actor: nil, on: tx)
                    open = nil
                }
                return LockedSubscription(subscription: subscription, openOrder: open)
            },
            price: { locked, tx, now in
                let subscription = locked.subscription
                if case .quantities(let wanted) = change, wanted.allSatisfy({ subscription.line($0.key)?.additional == $0.value }) {
                    throw StoreError.invalid(field: "resources", message: .init("error.order.nothing_to_order"))
                }
                let quotes = QuoteService(database: tx, clock: clock)
                let priced = try await quotes.quote(subscription: id, change: change, promoCode: promo, in: scope, now: now, locked: locked)
                return OrderDraft(refusals: priced.refusals, order: try Self.changeOrder(priced, change: change, subscription: subscription, promo: promo, now: now),
                                  sold: priced.quote.plan.subtotal - priced.quote.plan.discount) { parent in
                    try quotes.subtotal(of: change, priced.loaded, atPricesOf: parent)
                }
            })
    }

    /// The order a priced change makes: paid first unless postpaid or free; commitment and CSP
    /// orders expire (DOMAIN.md 7); a postpaid switch to a new period is billed at once (DOMAIN.md 6).
    private static func changeOrder(_ priced: PricedChange, change: ChangeRequest, subscription: Subscription, promo: String?, now: Date) throws -> NewOrder {
        let customer = priced.loaded.customer
        guard let sellerID = customer.parentID else { throw StoreError.invalid(field: "customer_id", message: .init("error.order.customer_has_seller")) }
        let quote = priced.quote
        let charged = quote.charged
        let plan = priced.plan
        let summary = change.summary(of: subscription, planName: plan.name, targetName: priced.loaded.target?.name)
        let needsPayment = plan.billingType != .postpaid && charged.total > 0
        // A postpaid switch to a new period ends the old one: its used part is invoiced now (DOMAIN.md 6).
        var closesPostpaidPeriod = false
        if plan.billingType == .postpaid, case .plan(_, let months) = change, months != subscription.period.months, charged.total > 0,
           !priced.loaded.snapshot.unbilledPeriodChanges { closesPostpaidPeriod = true }
        let status: OrderStatus = needsPayment ? .awaitingPayment : .provisioning
        // DOMAIN.md 7: commitment and CSP change orders expire at the nearest of the period end or 7 days.
        var expiresAt: Date?
        if plan.billingType == .monthlyCommitment || plan.billingType == .cspMonthly {
            expiresAt = min(subscription.period.end.instant, now.addingTimeInterval(7 * 86_400))
        }
        return NewOrder(
            change: change, status: status, subscriptionID: subscription.id, customer: customer, sellerID: sellerID, plan: plan,
            pricedAgainst: PricedAgainst(subscription).json, summary: summary, today: priced.today, now: now, expiresAt: expiresAt, promo: promo,
            quote: quote, rateID: priced.rateID, renewalKey: nil, issueInvoice: needsPayment, billNow: closesPostpaidPeriod)
    }

    // MARK: Cancel and expiry

    /// Cancels an order that awaits payment: its invoice is cancelled and any part already paid
    /// goes back to the customer's credit, in one transaction.
    public func cancel(order id: Int64, in scope: TenantScope) async throws -> Order {
        _ = try await OrderStore(database: database).order(id, in: scope)
        guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden(.init("error.forbidden.viewers_cancel_orders")) }
        return try await database.withTransaction { tx in
            let order = try await OrderStore(database: tx).order(id, in: scope, on: tx, forUpdate: true)
            guard order.status == .awaitingPayment else {
                throw StoreError.invalid(field: "status", message: .init("error.order.not_cancellable", ["order": .text(String(id)), "status": .text(order.status.localizedLabel)]))
            }
            try await PaymentService.requireNoPendingPayment(of: order.invoiceID, on: tx)
            let customer = try await AccountStore(database: tx).account(order.customerID, in: scope, on: tx)
            return try await Self.close(order, as: .cancelled, customer: customer, actor: scope.actor, on: tx)
        }
    }

    /// Marks unpaid orders whose `expires_at` has passed (business time) `expired` (DOMAIN.md 7):
    /// never provisioned, the invoice cancelled, any part paid back to credit. Safe to run anywhere
    /// and often: each order is rechecked under its lock. Answers how many expired.
    @discardableResult
    public func expireDue() async throws -> Int {
        let now = try await clock.now()
        let due = try await OrderStore(database: database).dueToExpire(at: now)
        var expired = 0
        for id in due {
            let done = try await database.withTransaction { tx -> Bool in
                guard let order = try await OrderStore(database: tx).orderForWorker(id, on: tx, forUpdate: true), order.status == .awaitingPayment,
                      let expiresAt = order.expiresAt, expiresAt <= now else { return false }
                let customer = try await AccountStore(database: tx).accountForWorker(order.customerID, on: tx)
                _ = try await Self.close(order, as: .expired, customer: customer, actor: nil, on: tx)
                return true
            }
            if done { expired += 1 }
        }
        return expired
    }

    /// An unpaid order ends (cancelled or expired): its invoice is cancelled, what was paid returns as credit.
    static func close(_ order: Order, as status: OrderStatus, customer: Account, actor: Actor?, on tx: MariaDBDatabase) async throws -> Order {
        if let invoiceID = order.invoiceID {
            let number = try await InvoiceStore.lockedNumber(invoiceID, on: tx)
            try await returnPaid(order, invoice: invoiceID, customer: customer, reason: "Order #\(order.id) \(status.rawValue): part paid on \(number) returned",
                                 actor: actor, on: tx)
            try await InvoiceStore.cancel(invoiceID, on: tx)
        }
        guard try await OrderStore.move(order.id, from: order.status, to: status, on: tx) else {
            throw StoreError.invalid(field: "status", message: .init("error.order.cannot_move", ["order": .text(String(order.id)), "status": .text(order.status.localizedLabel), "target": .text(status.rawValue)]))
        }
        guard let after = try await OrderStore(database: tx).orderForWorker(order.id, on: tx) else { throw StoreError.notFound("order \(order.id)") }
        try await AuditLog.record(on: tx, actor: actor, account: customer, objectType: "order", objectID: order.id, action: status == .expired ? "expire" : "cancel",
                                  before: OrderAudit(order), after: OrderAudit(after))
        return after
    }

    /// What succeeded payments paid of an order's invoice goes back to the customer's credit.
    static func returnPaid(_ order: Order, invoice invoiceID: Int64, customer: Account, reason: String, actor: Actor?, on tx: MariaDBDatabase) async throws {
        let paid = try await InvoiceStore.paid(invoiceID, on: tx)
        guard paid > 0 else { return }
        _ = try await CreditLedger.lockedBalance(of: customer.id, on: tx)
        try await CreditLedger.post(order.money(paid), to: customer, reason: reason, orderID: order.id, invoiceID: invoiceID, actor: actor, on: tx)
    }
}

struct OrderAudit: Encodable {
    var status: String
    var summary: String
    var total: String
    var invoiceID: Int64?
    var failureReason: String?

    init(_ order: Order) {
        status = order.status.rawValue
        summary = order.summary
        total = order.money(order.totals.total).description
        invoiceID = order.invoiceID
        failureReason = order.failureReason
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
