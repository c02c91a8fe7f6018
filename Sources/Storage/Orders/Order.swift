import Commerce
import Foundation
import MariaDB

public enum OrderKind: String, Codable, Sendable, CaseIterable {
    case change
    case planSwitch = "switch"
    case sales, renewal, cancellation
}

/// DOMAIN.md 7: awaiting payment → provisioning → completed or provisioning failed; an unpaid
/// order may be cancelled or expire.
public enum OrderStatus: String, Codable, Sendable, CaseIterable {
    case awaitingPayment = "awaiting_payment"
    case provisioning
    case completed
    case provisioningFailed = "provisioning_failed"
    case expired
    case cancelled

    public var isTerminal: Bool { self != .awaitingPayment && self != .provisioning }

    public var label: String {
        switch self {
        case .awaitingPayment: "Awaiting payment"
        case .provisioning: "Provisioning"
        case .completed: "Completed"
        case .provisioningFailed: "Provisioning failed"
        case .expired: "Expired"
        case .cancelled: "Cancelled"
        }
    }
}

/// An order as submitted: its quote frozen (lines, totals, rate, taxes), and where it stands.
public struct Order: Sendable, Equatable {
    public var id: Int64
    public var kind: OrderKind
    public var status: OrderStatus
    public var subscriptionID: Int64?
    public var customerID: Int64
    public var customerPath: String
    public var sellerID: Int64
    public var planID: Int64
    public var billingType: String
    public var connector: String
    /// The change to apply, as JSON (the order engine's `ChangeRequest`).
    public var changeRequest: String
    /// The subscription's state the order was priced against, as JSON.
    public var pricedAgainst: String
    public var summary: String
    public var effectiveDate: BusinessDate
    /// The business moment the order was priced at.
    public var quotedAt: Date?
    public var promoCode: String?
    public var planCurrency: Currency
    public var currency: Currency
    public var rate: RateValue?
    /// The id of the stored rate converted at (DOMAIN.md 2).
    public var rateID: Int64?
    public var taxRate: String
    public var pricesIncludeTaxes: Bool
    /// In the plan currency.
    public var planTotals: Totals
    /// In the invoice currency: what is charged.
    public var totals: Totals
    public var invoiceID: Int64?
    /// The invoice a postpaid order was billed on, once it is.
    public var billedInvoiceID: Int64?
    public var expiresAt: Date?
    public var failureReason: String?
    public var attempts: Int
    public var createdAt: Date
    public var createdBy: Int64?
    public var paidAt: Date?
    public var completedAt: Date?
    public var lines: [Line]

    public struct Totals: Sendable, Equatable {
        public var subtotal: Int64
        public var discount: Int64
        public var tax: Int64
        public var total: Int64

        public init(subtotal: Int64, discount: Int64, tax: Int64, total: Int64) {
            self.subtotal = subtotal
            self.discount = discount
            self.tax = tax
            self.total = total
        }
    }

    public struct Line: Sendable, Equatable {
        public var position: Int
        public var kind: String
        public var description: String
        public var resourceCode: String?
        public var quantityDelta: Int64?
        public var unitPriceScaled: Int64?
        public var daysRemaining: Int
        public var daysInPeriod: Int
        /// Plan currency.
        public var amount: Int64
        public var discount: Int64
        /// Invoice currency.
        public var chargedAmount: Int64
        public var chargedDiscount: Int64

        public init(position: Int, kind: String, description: String, resourceCode: String?, quantityDelta: Int64?, unitPriceScaled: Int64?,
                    daysRemaining: Int, daysInPeriod: Int, amount: Int64, discount: Int64, chargedAmount: Int64, chargedDiscount: Int64) {
            self.position = position
            self.kind = kind
            self.description = description
            self.resourceCode = resourceCode
            self.quantityDelta = quantityDelta
            self.unitPriceScaled = unitPriceScaled
            self.daysRemaining = daysRemaining
            self.daysInPeriod = daysInPeriod
            self.amount = amount
            self.discount = discount
            self.chargedAmount = chargedAmount
            self.chargedDiscount = chargedDiscount
        }
    }

    public func money(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: currency) }
    public func planMoney(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: planCurrency) }
    public var isConverted: Bool { planCurrency != currency }
}

/// Orders of the caller's subtree.
public struct OrderStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    public func order(_ id: Int64, in scope: TenantScope, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> Order {
        let db = db ?? database
        let rows = try await db.rows("SELECT * FROM orders WHERE id = ? AND customer_path LIKE ?\(forUpdate ? " FOR UPDATE" : "")",
                                     [.int(id), .string(scope.pathPattern)])
        guard let row = rows.first else { throw StoreError.notFound("order \(id)") }
        return try await hydrate([row], on: db)[0]
    }

    /// An order by id whatever the tenant: only for the engine's own workers, never for requests.
    public func orderForWorker(_ id: Int64, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> Order? {
        let db = db ?? database
        let rows = try await db.rows("SELECT * FROM orders WHERE id = ?\(forUpdate ? " FOR UPDATE" : "")", [.int(id)])
        return try await hydrate(rows, on: db).first
    }

    public struct Filter: Sendable {
        public var subscriptionID: Int64?
        public var customerID: Int64?
        public var kind: OrderKind?
        public var status: OrderStatus?
        public init(subscriptionID: Int64? = nil, customerID: Int64? = nil, kind: OrderKind? = nil, status: OrderStatus? = nil) {
            self.subscriptionID = subscriptionID
            self.customerID = customerID
            self.kind = kind
            self.status = status
        }
    }

    /// Newest first.
    public func list(in scope: TenantScope, filter: Filter = Filter(), page: PageRequest = PageRequest()) async throws -> Page<Order> {
        var conditions = ["customer_path LIKE ?"]
        var binds: [MariaDBData] = [.string(scope.pathPattern)]
        if let ancestor = scope.ancestorCondition() { conditions.append(ancestor.sql); binds.append(ancestor.bind) }
        if let value = filter.subscriptionID { conditions.append("subscription_id = ?"); binds.append(.int(value)) }
        if let value = filter.customerID { conditions.append("customer_id = ?"); binds.append(.int(value)) }
        if let value = filter.kind { conditions.append("kind = ?"); binds.append(.string(value.rawValue)) }
        if let value = filter.status { conditions.append("status = ?"); binds.append(.string(value.rawValue)) }
        if let cursor = page.cursor { conditions.append("id < ?"); binds.append(.int(cursor)) }
        binds.append(.int(Int64(page.limit + 1)))
        let rows = try await database.rows("SELECT * FROM orders WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?", binds)
        let items = try await hydrate(rows, on: database)
        return Page(fetched: items, limit: page.limit, id: \.id)
    }

    /// The order of a subscription that awaits payment or provisioning, if any.
    public func openOrder(of subscriptionID: Int64, on db: MariaDBDatabase? = nil) async throws -> Int64? {
        try await (db ?? database).rows("SELECT id FROM orders WHERE open_subscription_id = ?", [.int(subscriptionID)])
            .first?.decode(column: "id", as: Int64.self)
    }

    /// The open order of a subscription with whether it is its renewal, for the change rules.
    public func openOrderFact(of subscriptionID: Int64, on db: MariaDBDatabase? = nil) async throws -> OpenOrderFact? {
        try await (db ?? database).rows("SELECT id, kind FROM orders WHERE open_subscription_id = ?", [.int(subscriptionID)]).first.map {
            OpenOrderFact(id: try $0.decode(column: "id", as: Int64.self), isRenewal: try $0.decode(column: "kind", as: String.self) == OrderKind.renewal.rawValue)
        }
    }

    /// Rows with their lines, in one query for all the lines.
    private func hydrate(_ rows: [MariaDBRow], on db: MariaDBDatabase) async throws -> [Order] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.decode(column: "id", as: Int64.self) }
        var lines: [Int64: [Order.Line]] = [:]
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        for row in try await db.rows("SELECT * FROM order_lines WHERE order_id IN (\(marks)) ORDER BY order_id, position", ids.map { .int($0) }) {
            lines[try row.decode(column: "order_id", as: Int64.self), default: []].append(Order.Line(
                position: try row.decode(column: "position", as: Int.self), kind: try row.decode(column: "kind", as: String.self),
                description: try row.decode(column: "description", as: String.self),
                resourceCode: try row.decode(column: "resource_code", as: String?.self), quantityDelta: try row.decode(column: "quantity_delta", as: Int64?.self),
                unitPriceScaled: try row.decode(column: "unit_price_scaled", as: Int64?.self),
                daysRemaining: try row.decode(column: "days_remaining", as: Int.self), daysInPeriod: try row.decode(column: "days_in_period", as: Int.self),
                amount: try row.decode(column: "amount", as: Int64.self), discount: try row.decode(column: "discount", as: Int64.self),
                chargedAmount: try row.decode(column: "charged_amount", as: Int64.self), chargedDiscount: try row.decode(column: "charged_discount", as: Int64.self)))
        }
        return try zip(ids, rows).map { id, row in
            let effective = try row.decode(column: "effective_date", as: String.self)
            return Order(
                id: id, kind: OrderKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .change,
                status: OrderStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .cancelled,
                subscriptionID: try row.decode(column: "subscription_id", as: Int64?.self),
                customerID: try row.decode(column: "customer_id", as: Int64.self), customerPath: try row.decode(column: "customer_path", as: String.self),
                sellerID: try row.decode(column: "seller_id", as: Int64.self), planID: try row.decode(column: "plan_id", as: Int64.self),
                billingType: try row.decode(column: "billing_type", as: String.self), connector: try row.decode(column: "connector", as: String.self),
                changeRequest: try row.decode(column: "change_request", as: String.self), pricedAgainst: try row.decode(column: "priced_against", as: String.self),
                summary: try row.decode(column: "summary", as: String.self), effectiveDate: BusinessDate(effective) ?? BusinessDate(year: 1970, month: 1, day: 1),
                quotedAt: try row.decode(column: "quoted_at", as: Date?.self),
                promoCode: try row.decode(column: "promo_code", as: String?.self),
                planCurrency: Currency(code: try row.decode(column: "plan_currency", as: String.self), exponent: try row.decode(column: "plan_currency_exponent", as: Int.self)),
                currency: Currency(code: try row.decode(column: "currency", as: String.self), exponent: try row.decode(column: "currency_exponent", as: Int.self)),
                rate: try row.decode(column: "rate_scaled", as: Int64?.self).map(RateValue.init(scaled:)),
                rateID: try row.decode(column: "rate_id", as: Int64?.self),
                taxRate: try row.decode(column: "tax_rate", as: String.self), pricesIncludeTaxes: try row.decode(column: "prices_include_taxes", as: Bool.self),
                planTotals: .init(subtotal: try row.decode(column: "plan_subtotal", as: Int64.self), discount: try row.decode(column: "plan_discount", as: Int64.self),
                                  tax: try row.decode(column: "plan_tax", as: Int64.self), total: try row.decode(column: "plan_total", as: Int64.self)),
                totals: .init(subtotal: try row.decode(column: "subtotal", as: Int64.self), discount: try row.decode(column: "discount", as: Int64.self),
                              tax: try row.decode(column: "tax", as: Int64.self), total: try row.decode(column: "total", as: Int64.self)),
                invoiceID: try row.decode(column: "invoice_id", as: Int64?.self),
                billedInvoiceID: try row.decode(column: "billed_invoice_id", as: Int64?.self), expiresAt: try row.decode(column: "expires_at", as: Date?.self),
                failureReason: try row.decode(column: "failure_reason", as: String?.self), attempts: try row.decode(column: "attempts", as: Int.self),
                createdAt: try row.decode(column: "created_at", as: Date.self), createdBy: try row.decode(column: "created_by", as: Int64?.self),
                paidAt: try row.decode(column: "paid_at", as: Date?.self), completedAt: try row.decode(column: "completed_at", as: Date?.self),
                lines: lines[id] ?? [])
        }
    }
}
