import Commerce
import Foundation
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

/// The state of a subscription an order was priced against, kept with the order.
struct PricedAgainst: Codable, Equatable {
    var planId: Int64
    var status: String
    var periodMonths: Int
    var periodStart: String
    var periodEnd: String
    var additional: [String: Int64]

    init(_ subscription: Subscription) {
        planId = subscription.planID
        status = subscription.status.rawValue
        periodMonths = subscription.period.months
        periodStart = subscription.period.start.description
        periodEnd = subscription.period.end.description
        additional = Dictionary(uniqueKeysWithValues: subscription.resources.map { ($0.code, $0.additional) })
    }

    /// The same subscription as far as pricing goes (status may have moved, usage always does).
    func matches(_ subscription: Subscription) -> Bool {
        var now = PricedAgainst(subscription)
        now.status = status
        return now == self
    }

    var json: String { String(decoding: (try? ChangeRequest.encoder.encode(self)) ?? Data(), as: UTF8.self) }
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
        _ = try await SubscriptionStore(database: database).subscription(id, in: scope)
        guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden("viewers don't change subscriptions") }
        let promo = promoCode?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        try Self.validate(idempotencyKey)
        let fingerprint = "subscription \(id) | \(change.json) | promo \(promo ?? "")"
        let now = try await clock.now()
        do {
            let result = try await database.withTransaction { tx -> SubmitResult in
                let subscription = try await SubscriptionStore(database: tx).subscription(id, in: scope, on: tx, forUpdate: true)
                // An open order past its expiry no longer blocks this one: it expires here.
                if let open = try await OrderStore(database: tx).openOrder(of: id, on: tx),
                   let order = try await OrderStore(database: tx).orderForWorker(open, on: tx, forUpdate: true),
                   order.status == .awaitingPayment, let expiresAt = order.expiresAt, expiresAt <= now {
                    let customer = try await AccountStore(database: tx).accountForWorker(order.customerID, on: tx)
                    _ = try await Self.close(order, as: .expired, customer: customer, actor: nil, on: tx)
                }
                if let key = idempotencyKey, let earlier = try await Self.keyed(key, fingerprint: fingerprint, actor: scope.actor, on: tx) {
                    return SubmitResult(order: try await OrderStore(database: tx).order(earlier, in: scope, on: tx), replayed: true)
                }
                if case .quantities(let wanted) = change, wanted.allSatisfy({ subscription.line($0.key)?.additional == $0.value }) {
                    throw StoreError.invalid(field: "resources", message: "These are the quantities the subscription has now: there is nothing to order.")
                }
                let priced = try await QuoteService(database: tx, clock: clock).quote(subscription: id, change: change, promoCode: promo, in: scope, now: now)
                guard priced.refusals.isEmpty else { throw OrderRefused(refusals: priced.refusals) }
                let order = try await create(priced, change: change, subscription: subscription, promo: promo, now: now, in: scope, on: tx)
                if let key = idempotencyKey { try await Self.remember(key, fingerprint: fingerprint, order: order.id, actor: scope.actor, on: tx) }
                return SubmitResult(order: order, replayed: false)
            }
            if result.order.status == .provisioning && !result.replayed { bell?.ring() }
            return result
        } catch let error as MariaDBError where error.isDuplicateKey {
            // Another submit took the same key for another subscription at the same moment.
            if let key = idempotencyKey, let earlier = try await Self.keyed(key, fingerprint: fingerprint, actor: scope.actor, on: database) {
                return SubmitResult(order: try await OrderStore(database: database).order(earlier, in: scope), replayed: true)
            }
            throw OrderRefused(refusals: [Refusal(.orderOpen, "Another order of this subscription was submitted at the same moment.")])
        }
    }

    /// A key is 1 to 255 printable ASCII characters.
    static func validate(_ key: String?) throws {
        guard let key else { return }
        guard !key.isEmpty, key.unicodeScalars.count <= 255, key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw StoreError.invalid(field: "Idempotency-Key", message: "An idempotency key has 1 to 255 printable ASCII characters.")
        }
    }

    /// Keeps a key with the order it made (inside the submit's transaction); an expired key of the same name goes first.
    static func remember(_ key: String, fingerprint: String, order: Int64, actor: Actor, on tx: MariaDBDatabase) async throws {
        try await tx.query("DELETE FROM idempotency_keys WHERE user_id = ? AND idempotency_key = ? AND created_at <= UTC_TIMESTAMP(6) - INTERVAL 24 HOUR",
                           [.int(actor.userID), .string(key)])
        try await tx.query(
            "INSERT INTO idempotency_keys (user_id, idempotency_key, request_hash, order_id, created_at) VALUES (?, ?, SHA2(?, 256), ?, UTC_TIMESTAMP(6))",
            [.int(actor.userID), .string(key), .string(fingerprint), .int(order)])
    }

    /// The order an unexpired key names; a conflict when the key came with another body.
    static func keyed(_ key: String, fingerprint: String, actor: Actor, on db: MariaDBDatabase) async throws -> Int64? {
        let rows = try await db.rows(
            """
            SELECT order_id, request_hash = SHA2(?, 256) AS same FROM idempotency_keys
            WHERE user_id = ? AND idempotency_key = ? AND created_at > UTC_TIMESTAMP(6) - INTERVAL 24 HOUR
            """, [.string(fingerprint), .int(actor.userID), .string(key)])
        guard let row = rows.first else { return nil }
        guard try row.decode(column: "same", as: Bool.self) else {
            throw StoreError.conflict(code: "idempotency_key_reused", message: "This Idempotency-Key was used in the last 24 hours with another request.")
        }
        return try row.decode(column: "order_id", as: Int64.self)
    }

    /// Writes the order with its frozen lines, and its invoice when it must be paid first.
    private func create(_ priced: PricedChange, change: ChangeRequest, subscription: Subscription, promo: String?, now: Date, in scope: TenantScope,
                        on tx: MariaDBDatabase) async throws -> Order {
        let customer = priced.loaded.customer
        guard let sellerID = customer.parentID else { throw StoreError.invalid(field: "customer_id", message: "A customer has a seller.") }
        let quote = priced.quote
        let charged = quote.charged
        let plan = priced.plan
        let summary = change.summary(of: subscription, planName: plan.name, targetName: priced.loaded.target?.name)
        let needsPayment = plan.billingType != .postpaid && charged.total > 0
        // A postpaid switch to a new period ends the old one: its used part is invoiced now (DOMAIN.md 6).
        var closesPostpaidPeriod = false
        if plan.billingType == .postpaid, case .plan(_, let months) = change, months != subscription.period.months, charged.total > 0 { closesPostpaidPeriod = true }
        let status: OrderStatus = needsPayment ? .awaitingPayment : .provisioning
        // DOMAIN.md 7: commitment and CSP change orders expire at the nearest of the period end or 7 days.
        var expiresAt: Date?
        if plan.billingType == .monthlyCommitment || plan.billingType == .cspMonthly {
            expiresAt = min(subscription.period.end.instant, now.addingTimeInterval(7 * 86_400))
        }
        let id = try await Self.insert(NewOrder(
            change: change, status: status, subscriptionID: subscription.id, customer: customer, sellerID: sellerID, plan: plan,
            pricedAgainst: PricedAgainst(subscription).json, summary: summary, today: priced.today, now: now, expiresAt: expiresAt, promo: promo,
            quote: quote, rateID: priced.rateID, renewalKey: nil, issueInvoice: needsPayment, billNow: closesPostpaidPeriod), actor: scope.actor, on: tx)
        let quotes = QuoteService(database: tx, clock: clock)
        try await UpstreamCharges.price(orderID: id, plan: plan, customer: customer, sold: quote.plan.subtotal - quote.plan.discount, on: tx) { parent in
            try await quotes.subtotal(of: change, priced.loaded, atPricesOf: parent)
        }
        let order = try await OrderStore(database: tx).order(id, in: scope, on: tx)
        try await AuditLog.record(on: tx, actor: scope.actor, account: customer, objectType: "order", objectID: id, action: "submit",
                                  before: nil as OrderAudit?, after: OrderAudit(order))
        return order
    }

    /// What every kind of order is made of when it is written.
    struct NewOrder {
        var change: ChangeRequest
        var status: OrderStatus
        var subscriptionID: Int64?
        var customer: Account
        var sellerID: Int64
        var plan: Plan
        var pricedAgainst: String
        var summary: String
        var today: BusinessDate
        var now: Date
        var expiresAt: Date?
        var promo: String?
        var quote: Quote
        /// The rate the quote converted at, if it converted (DOMAIN.md 2).
        var rateID: Int64? = nil
        var renewalKey: String?
        var issueInvoice: Bool
        /// A postpaid order billed at once on an invoice of its own (a switch that ends its period).
        var billNow = false
    }

    /// Writes an order with its frozen lines, and its invoice when it must be paid first (inside the caller's transaction).
    static func insert(_ new: NewOrder, actor: Actor?, on tx: MariaDBDatabase) async throws -> Int64 {
        let quote = new.quote, charged = quote.charged, plan = new.plan, customer = new.customer
        let isOpen = !new.status.isTerminal
        let id = Int64(try await tx.query(
            """
            INSERT INTO orders (kind, renewal_key, status, subscription_id, open_subscription_id, customer_id, customer_path, seller_id, plan_id, billing_type,
              connector, change_request, priced_against, summary, effective_date, quoted_at, expires_at, promo_code, plan_currency, plan_currency_exponent,
              currency, currency_exponent, rate_scaled, rate_id, tax_rate, prices_include_taxes, plan_subtotal, plan_discount, plan_tax, plan_total, subtotal,
              discount, tax, total, created_at, created_by, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), ?, UTC_TIMESTAMP(6))
            """,
            [.string(new.change.orderKind.rawValue), new.renewalKey.map { .string($0) } ?? .null, .string(new.status.rawValue),
             new.subscriptionID.map { .int($0) } ?? .null, isOpen ? (new.subscriptionID.map { .int($0) } ?? .null) : .null, .int(customer.id),
             .string(customer.path), .int(new.sellerID), .int(plan.id), .string(plan.billingType.rawValue), .string(plan.connector),
             .string(new.change.json), .string(new.pricedAgainst), .string(new.summary.scalarPrefix(500)), new.today.mariaDB,
             new.now.mariaDBData, new.expiresAt.map { $0.mariaDBData } ?? .null, new.promo.map { .string($0) } ?? .null,
             .string(quote.plan.currency.code), .int(Int64(quote.plan.currency.exponent)),
             .string(charged.currency.code), .int(Int64(charged.currency.exponent)), quote.rate.map { .int($0.scaled) } ?? .null,
             new.rateID.map { .int($0) } ?? .null, .string(customer.taxRate), plan.pricesIncludeTaxes.mariaDBData,
             .int(quote.plan.subtotal), .int(quote.plan.discount), .int(quote.plan.tax), .int(quote.plan.total),
             .int(charged.subtotal), .int(charged.discount), .int(charged.tax), .int(charged.total), actor.map { .int($0.userID) } ?? .null]).lastInsertID)
        if !quote.lines.isEmpty {
            // One statement for all the lines.
            let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            let binds: [MariaDBData] = quote.lines.enumerated().flatMap { index, line -> [MariaDBData] in
                [.int(id), .int(Int64(index + 1)), .string(line.kind.rawValue), .string(line.description.scalarPrefix(500)),
                 line.resourceCode.map { .string($0) } ?? .null, line.quantityDelta.map { .int($0) } ?? .null, line.unitPrice.map { .int($0.scaled) } ?? .null,
                 .int(Int64(line.daysRemaining)), .int(Int64(line.daysInPeriod)), .int(line.amount), .int(quote.plan.discounts[index]),
                 .int(charged.lines[index]), .int(charged.discounts[index])]
            }
            try await tx.query(
                """
                INSERT INTO order_lines (order_id, position, kind, description, resource_code, quantity_delta, unit_price_scaled, days_remaining,
                  days_in_period, amount, discount, charged_amount, charged_discount) VALUES \(Array(repeating: row, count: quote.lines.count).joined(separator: ", "))
                """, binds)
        }
        if new.issueInvoice || new.billNow {
            let invoice = try await InvoiceStore.issue(InvoiceDraft(
                sellerID: new.sellerID, customer: customer, orderID: new.issueInvoice ? id : nil, subscriptionID: new.subscriptionID, currency: charged.currency,
                subtotal: charged.subtotal, discount: charged.discount, tax: charged.tax, total: charged.total, taxRate: customer.taxRate,
                pricesIncludeTaxes: plan.pricesIncludeTaxes, issuedOn: new.today,
                lines: quote.lines.enumerated().map { index, line in
                    Invoice.Line(position: index + 1, description: "Order #\(id): \(line.description)", amount: charged.lines[index], discount: charged.discounts[index])
                }), actor: actor, on: tx)
            try await tx.query(new.issueInvoice ? "UPDATE orders SET invoice_id = ? WHERE id = ?" : "UPDATE orders SET billed_invoice_id = ? WHERE id = ?",
                               [.int(invoice), .int(id)])
        }
        return id
    }

    // MARK: Cancel and expiry

    /// Cancels an order that awaits payment: its invoice is cancelled and any part already paid
    /// goes back to the customer's credit, in one transaction.
    public func cancel(order id: Int64, in scope: TenantScope) async throws -> Order {
        _ = try await OrderStore(database: database).order(id, in: scope)
        guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden("viewers don't cancel orders") }
        return try await database.withTransaction { tx in
            let order = try await OrderStore(database: tx).order(id, in: scope, on: tx, forUpdate: true)
            guard order.status == .awaitingPayment else {
                throw StoreError.invalid(field: "status", message: "Order #\(id) is \(order.status.label.lowercased()); only an order awaiting payment can be cancelled.")
            }
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
        let due = try await database.rows(
            "SELECT id FROM orders WHERE status = 'awaiting_payment' AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY id LIMIT 500",
            [now.mariaDBData]).map { try $0.decode(column: "id", as: Int64.self) }
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
            let paid = try await tx.rows(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) AS paid FROM payments WHERE invoice_id = ? AND status = 'succeeded'", [.int(invoiceID)])[0]
                .decode(column: "paid", as: Int64.self)
            let number = try await tx.rows("SELECT seller_id, number FROM invoices WHERE id = ? FOR UPDATE", [.int(invoiceID)]).first
                .map { Invoice.displayNumber(seller: try $0.decode(column: "seller_id", as: Int64.self), number: try $0.decode(column: "number", as: Int64.self)) } ?? "#\(invoiceID)"
            if paid > 0 {
                _ = try await CreditLedger.lockedBalance(of: customer.id, on: tx)
                try await CreditLedger.post(order.money(paid), to: customer, reason: "Order #\(order.id) \(status.rawValue): part paid on \(number) returned",
                                            orderID: order.id, invoiceID: invoiceID, actor: actor, on: tx)
            }
            try await tx.query("UPDATE invoices SET status = 'cancelled', cancelled_at = UTC_TIMESTAMP(6) WHERE id = ?", [.int(invoiceID)])
        }
        // A renewal that ends unpaid frees its period's key: the billing run may issue the period again.
        try await tx.query("UPDATE orders SET status = ?, open_subscription_id = NULL, renewal_key = NULL, updated_at = UTC_TIMESTAMP(6) WHERE id = ?",
                           [.string(status.rawValue), .int(order.id)])
        guard let after = try await OrderStore(database: tx).orderForWorker(order.id, on: tx) else { throw StoreError.notFound("order \(order.id)") }
        try await AuditLog.record(on: tx, actor: actor, account: customer, objectType: "order", objectID: order.id, action: status == .expired ? "expire" : "cancel",
                                  before: OrderAudit(order), after: OrderAudit(after))
        return after
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

    /// At most `count` Unicode scalars: what a VARCHAR(count) holds.
    func scalarPrefix(_ count: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: unicodeScalars.prefix(count))
        return String(view)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
