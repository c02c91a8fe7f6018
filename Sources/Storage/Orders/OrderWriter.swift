import Commerce
import Foundation
import MariaDB

/// What every kind of order is made of when it is written.
public struct NewOrder: Sendable {
    public var change: ChangeRequest
    public var status: OrderStatus
    public var subscriptionID: Int64?
    public var customer: Account
    public var sellerID: Int64
    public var plan: Plan
    public var pricedAgainst: String
    public var summary: String
    public var today: BusinessDate
    public var now: Date
    public var expiresAt: Date?
    public var promo: String?
    public var quote: Quote
    /// The rate the quote converted at, if it converted (DOMAIN.md 2).
    public var rateID: Int64?
    public var renewalKey: String?
    public var issueInvoice: Bool
    /// A postpaid order billed at once on an invoice of its own (a switch that ends its period).
    public var billNow: Bool

    public init(change: ChangeRequest, status: OrderStatus, subscriptionID: Int64?, customer: Account, sellerID: Int64, plan: Plan, pricedAgainst: String,
                summary: String, today: BusinessDate, now: Date, expiresAt: Date?, promo: String?, quote: Quote, rateID: Int64? = nil, renewalKey: String?,
                issueInvoice: Bool, billNow: Bool = false) {
        self.change = change
        self.status = status
        self.subscriptionID = subscriptionID
        self.customer = customer
        self.sellerID = sellerID
        self.plan = plan
        self.pricedAgainst = pricedAgainst
        self.summary = summary
        self.today = today
        self.now = now
        self.expiresAt = expiresAt
        self.promo = promo
        self.quote = quote
        self.rateID = rateID
        self.renewalKey = renewalKey
        self.issueInvoice = issueInvoice
        self.billNow = billNow
    }
}

/// An order just written whose invoice still waits for its number (see `InvoiceStore.number`).
public struct WrittenOrder: Sendable {
    public var id: Int64
    /// The invoice written with the order, unnumbered; nil when the order has none.
    public var invoiceID: Int64?
    var sellerID: Int64
    /// Whether the invoice is the order's own (else it bills a closed period: `billed_invoice_id`).
    var invoiceIsTheOrders: Bool

    /// Takes the invoice's gapless number: the seller's counter row stays locked from here to the
    /// commit, so this is the transaction's last statement (DOMAIN.md 9, issue 13).
    public func numberInvoice(on tx: MariaDBDatabase) async throws {
        guard let invoiceID else { return }
        try await InvoiceStore.number(invoiceID, seller: sellerID, order: invoiceIsTheOrders ? id : nil, on: tx)
    }
}

/// Writes orders: the order with its frozen lines, and its invoice when it must be paid first.
public enum OrderWriter {
    /// Writes an order with its frozen lines, and its invoice numbered, when it must be paid first (inside the caller's transaction).
    public static func insert(_ new: NewOrder, actor: Actor?, on tx: MariaDBDatabase) async throws -> Int64 {
        let written = try await write(new, actor: actor, on: tx)
        try await written.numberInvoice(on: tx)
        return written.id
    }

    /// Writes an order with its frozen lines, and its invoice when it must be paid first, all but
    /// the invoice's number: the caller takes it with `numberInvoice` just before it commits.
    public static func write(_ new: NewOrder, actor: Actor?, on tx: MariaDBDatabase) async throws -> WrittenOrder {
        let quote = new.quote, charged = quote.charged, plan = new.plan, customer = new.customer
        // The invoice first (its order is set when it is numbered), so the order is written with it.
        var invoiceID: Int64?
        if new.issueInvoice || new.billNow {
            invoiceID = try await InvoiceStore.issueUnnumbered(InvoiceDraft(
                sellerID: new.sellerID, customer: customer, orderID: nil, subscriptionID: new.subscriptionID, currency: charged.currency,
                subtotal: charged.subtotal, discount: charged.discount, tax: charged.tax, total: charged.total, taxRate: customer.taxRate,
                pricesIncludeTaxes: plan.pricesIncludeTaxes, issuedOn: new.today, lines: []), actor: actor, on: tx)
        }
        let id = Int64(try await tx.query(
            """
            INSERT INTO orders (\(orderColumns), invoice_id, billed_invoice_id, created_at, created_by, updated_at)
            VALUES (\(orderMarks), ?, ?, UTC_TIMESTAMP(6), ?, UTC_TIMESTAMP(6))
            """,
            orderValues(new) + [new.issueInvoice ? (invoiceID.map { .int($0) } ?? .null) : .null, !new.issueInvoice ? (invoiceID.map { .int($0) } ?? .null) : .null,
                                actor.map { .int($0.userID) } ?? .null]).lastInsertID)
        if !quote.lines.isEmpty {
            // One statement for all the lines.
            try await tx.query("INSERT INTO order_lines (\(lineColumns)) VALUES \(Array(repeating: lineRow, count: quote.lines.count).joined(separator: ", "))",
                               lineValues(quote, order: id).flatMap { $0 })
            if let invoiceID {
                try await InvoiceStore.addLines(quote.lines.enumerated().map { index, line in
                    Invoice.Line(position: index + 1, description: "Order #\(id): \(line.description)", amount: charged.lines[index], discount: charged.discounts[index])
                }, to: invoiceID, on: tx)
            }
        }
        return WrittenOrder(id: id, invoiceID: invoiceID, sellerID: new.sellerID, invoiceIsTheOrders: new.issueInvoice)
    }

    /// An order's own columns, in the order of `orderValues`; writers add who and when.
    static let orderColumns = "kind, renewal_key, status, subscription_id, open_subscription_id, customer_id, customer_path, seller_id, plan_id, billing_type, "
        + "connector, change_request, priced_against, summary, effective_date, quoted_at, expires_at, promo_code, plan_currency, plan_currency_exponent, "
        + "currency, currency_exponent, rate_scaled, rate_id, tax_rate, prices_include_taxes, plan_subtotal, plan_discount, plan_tax, plan_total, subtotal, "
        + "discount, tax, total"
    static let orderMarks = Array(repeating: "?", count: 34).joined(separator: ", ")
    static let lineColumns = "order_id, position, kind, description, resource_code, quantity_delta, unit_price_scaled, days_remaining, days_in_period, "
        + "amount, discount, charged_amount, charged_discount"
    static let lineRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    /// An order's own columns (`orderColumns`), as every writer of orders writes them.
    static func orderValues(_ new: NewOrder) -> [MariaDBData] {
        let quote = new.quote, charged = quote.charged, plan = new.plan, customer = new.customer
        let isOpen = !new.status.isTerminal
        return [.string(new.change.orderKind.rawValue), new.renewalKey.map { .string($0) } ?? .null, .string(new.status.rawValue),
                new.subscriptionID.map { .int($0) } ?? .null, isOpen ? (new.subscriptionID.map { .int($0) } ?? .null) : .null, .int(customer.id),
                .string(customer.path), .int(new.sellerID), .int(plan.id), .string(plan.billingType.rawValue), .string(plan.connector),
                .string(new.change.json), .string(new.pricedAgainst), .string(new.summary.scalarPrefix(500)), new.today.mariaDB,
                new.now.mariaDBData, new.expiresAt.map { $0.mariaDBData } ?? .null, new.promo.map { .string($0) } ?? .null,
                .string(quote.plan.currency.code), .int(Int64(quote.plan.currency.exponent)),
                .string(charged.currency.code), .int(Int64(charged.currency.exponent)), quote.rate.map { .int($0.scaled) } ?? .null,
                new.rateID.map { .int($0) } ?? .null, .string(customer.taxRate), plan.pricesIncludeTaxes.mariaDBData,
                .int(quote.plan.subtotal), .int(quote.plan.discount), .int(quote.plan.tax), .int(quote.plan.total),
                .int(charged.subtotal), .int(charged.discount), .int(charged.tax), .int(charged.total)]
    }

    /// An order's frozen lines, one row each.
    static func lineValues(_ quote: Quote, order id: Int64) -> [[MariaDBData]] {
        let charged = quote.charged
        return quote.lines.enumerated().map { index, line -> [MariaDBData] in
            [.int(id), .int(Int64(index + 1)), .string(line.kind.rawValue), .string(line.description.scalarPrefix(500)),
             line.resourceCode.map { .string($0) } ?? .null, line.quantityDelta.map { .int($0) } ?? .null, line.unitPrice.map { .int($0.scaled) } ?? .null,
             .int(Int64(line.daysRemaining)), .int(Int64(line.daysInPeriod)), .int(line.amount), .int(quote.plan.discounts[index]),
             .int(charged.lines[index]), .int(charged.discounts[index])]
        }
    }
}

extension ChangeRequest {
    /// The order kind this change makes.
    public var orderKind: OrderKind {
        switch self {
        case .quantities, .resourceSwitch: .change
        case .plan: .planSwitch
        case .sales: .sales
        case .renewal: .renewal
        case .cancellation: .cancellation
        }
    }
}

extension String {
    /// At most `count` Unicode scalars: what a VARCHAR(count) holds.
    func scalarPrefix(_ count: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: unicodeScalars.prefix(count))
        return String(view)
    }
}
