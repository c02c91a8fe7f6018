import Commerce
import Foundation
import MariaDB

public enum InvoiceStatus: String, Codable, Sendable, CaseIterable {
    case unpaid, paid, cancelled
}

/// An invoice (DOMAIN.md 9): numbered gaplessly per seller, in the seller's currency.
public struct Invoice: Sendable, Equatable {
    public var id: Int64
    public var sellerID: Int64
    public var number: Int64
    public var customerID: Int64
    public var customerPath: String
    public var orderID: Int64?
    public var subscriptionID: Int64?
    public var currency: Currency
    public var subtotal: Int64
    public var discount: Int64
    public var tax: Int64
    public var total: Int64
    public var taxRate: String
    public var pricesIncludeTaxes: Bool
    public var status: InvoiceStatus
    public var issuedOn: BusinessDate
    public var createdAt: Date
    public var paidAt: Date?
    public var cancelledAt: Date?
    public var lines: [Line]
    /// What succeeded payments have covered so far.
    public var paid: Int64

    public struct Line: Sendable, Equatable {
        public var position: Int
        public var description: String
        public var amount: Int64
        public var discount: Int64

        public init(position: Int, description: String, amount: Int64, discount: Int64) {
            self.position = position
            self.description = description
            self.amount = amount
            self.discount = discount
        }
    }

    /// The number as printed: the seller's id and a six-digit sequence.
    public var displayNumber: String { Self.displayNumber(seller: sellerID, number: number) }

    public static func displayNumber(seller: Int64, number: Int64) -> String {
        "INV-\(seller)-" + String(repeating: "0", count: max(0, 6 - String(number).count)) + String(number)
    }
    public var due: Int64 { status == .unpaid ? max(0, total - paid) : 0 }
    public func money(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: currency) }
}

/// What an issued invoice holds.
public struct InvoiceDraft: Sendable {
    public var sellerID: Int64
    public var customer: Account
    public var orderID: Int64?
    public var subscriptionID: Int64?
    /// Postpaid period invoices: one per subscription and period.
    public var periodKey: String?
    public var currency: Currency
    public var subtotal: Int64
    public var discount: Int64
    public var tax: Int64
    public var total: Int64
    public var taxRate: String
    public var pricesIncludeTaxes: Bool
    public var issuedOn: BusinessDate
    public var lines: [Invoice.Line]

    public init(sellerID: Int64, customer: Account, orderID: Int64?, subscriptionID: Int64? = nil, periodKey: String? = nil, currency: Currency,
                subtotal: Int64, discount: Int64, tax: Int64, total: Int64,
                taxRate: String, pricesIncludeTaxes: Bool, issuedOn: BusinessDate, lines: [Invoice.Line]) {
        self.sellerID = sellerID
        self.customer = customer
        self.orderID = orderID
        self.subscriptionID = subscriptionID
        self.periodKey = periodKey
        self.currency = currency
        self.subtotal = subtotal
        self.discount = discount
        self.tax = tax
        self.total = total
        self.taxRate = taxRate
        self.pricesIncludeTaxes = pricesIncludeTaxes
        self.issuedOn = issuedOn
        self.lines = lines
    }
}

public struct InvoiceStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// Issues an invoice inside the caller's transaction. The seller's counter row stays locked
    /// until that transaction ends, so numbers are gapless: a rollback takes its number back.
    public static func issue(_ draft: InvoiceDraft, actor: Actor?, on tx: MariaDBDatabase) async throws -> Int64 {
        let id = try await issueUnnumbered(draft, actor: actor, on: tx)
        try await number(id, seller: draft.sellerID, order: draft.orderID, on: tx)
        return id
    }

    /// Writes an invoice and its lines without its number (inside the caller's transaction), which
    /// must then take it with `number(_:seller:order:)` before it commits.
    public static func issueUnnumbered(_ draft: InvoiceDraft, actor: Actor?, on tx: MariaDBDatabase) async throws -> Int64 {
        let id = Int64(try await tx.query(
            """
            INSERT INTO invoices (seller_id, number, customer_id, customer_path, order_id, subscription_id, period_key, currency, currency_exponent,
              subtotal, discount, tax, total, tax_rate, prices_include_taxes, status, issued_on, created_at, created_by)
            VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), ?)
            """, [.int(draft.sellerID), .int(draft.customer.id), .string(draft.customer.path), draft.orderID.map { .int($0) } ?? .null,
                  draft.subscriptionID.map { .int($0) } ?? .null, draft.periodKey.map { .string($0) } ?? .null,
                  .string(draft.currency.code), .int(Int64(draft.currency.exponent)), .int(draft.subtotal), .int(draft.discount), .int(draft.tax),
                  .int(draft.total), .string(draft.taxRate), draft.pricesIncludeTaxes.mariaDBData,
                  .string(draft.total <= 0 ? InvoiceStatus.paid.rawValue : InvoiceStatus.unpaid.rawValue), draft.issuedOn.mariaDB,
                  actor.map { .int($0.userID) } ?? .null]).lastInsertID)
        try await addLines(draft.lines, to: id, on: tx)
        try await Outbox.record(on: tx, [try .invoiceIssued(id, draft)])
        return id
    }

    /// An invoice's lines, in one statement (inside the transaction that writes the invoice).
    public static func addLines(_ lines: [Invoice.Line], to invoiceID: Int64, on tx: MariaDBDatabase) async throws {
        guard !lines.isEmpty else { return }
        try await tx.query(
            "INSERT INTO invoice_lines (invoice_id, position, description, amount, discount) VALUES "
                + Array(repeating: "(?, ?, ?, ?, ?)", count: lines.count).joined(separator: ", "),
            lines.flatMap { line -> [MariaDBData] in
                [.int(invoiceID), .int(Int64(line.position)), .string(String(line.description.unicodeScalars.prefix(500).map(Character.init))),
                 .int(line.amount), .int(line.discount)]
            })
    }

    /// The seller's next gapless number for an invoice written unnumbered, and the order it is
    /// for (nil: leave it). The seller's counter row is locked from here to the end of the caller's
    /// transaction and serializes that seller's invoices: call it last, just before the commit.
    public static func number(_ invoiceID: Int64, seller sellerID: Int64, order orderID: Int64?, on tx: MariaDBDatabase) async throws {
        try await tx.query("INSERT INTO invoice_counters (seller_id, last_number) VALUES (?, 1) ON DUPLICATE KEY UPDATE last_number = last_number + 1",
                           [.int(sellerID)])
        try await tx.query(
            """
            UPDATE invoices i JOIN invoice_counters c ON c.seller_id = i.seller_id
            SET i.number = c.last_number, i.order_id = COALESCE(?, i.order_id) WHERE i.id = ?
            """, [orderID.map { .int($0) } ?? .null, .int(invoiceID)])
    }

    public func invoice(_ id: Int64, in scope: TenantScope, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> Invoice {
        let db = db ?? database
        let rows = try await db.rows("SELECT * FROM invoices WHERE id = ? AND customer_path LIKE ?\(forUpdate ? " FOR UPDATE" : "")",
                                     [.int(id), .string(scope.pathPattern)])
        guard let row = rows.first else { throw StoreError.notFound("invoice \(id)") }
        return try await hydrate([row], on: db)[0]
    }

    public struct Filter: Sendable {
        public var customerID: Int64?
        public var status: InvoiceStatus?
        public var subscriptionID: Int64?
        public init(customerID: Int64? = nil, status: InvoiceStatus? = nil, subscriptionID: Int64? = nil) {
            self.customerID = customerID
            self.status = status
            self.subscriptionID = subscriptionID
        }
    }

    public func list(in scope: TenantScope, filter: Filter = Filter(), page: PageRequest = PageRequest()) async throws -> Page<Invoice> {
        var conditions = ["customer_path LIKE ?"]
        var binds: [MariaDBData] = [.string(scope.pathPattern)]
        if let ancestor = scope.ancestorCondition() { conditions.append(ancestor.sql); binds.append(ancestor.bind) }
        if let value = filter.customerID { conditions.append("customer_id = ?"); binds.append(.int(value)) }
        if let value = filter.status { conditions.append("status = ?"); binds.append(.string(value.rawValue)) }
        if let value = filter.subscriptionID { conditions.append("subscription_id = ?"); binds.append(.int(value)) }
        if let cursor = page.cursor { conditions.append("id < ?"); binds.append(.int(cursor)) }
        binds.append(.int(Int64(page.limit + 1)))
        let items = try await hydrate(try await database.rows(
            "SELECT * FROM invoices WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?", binds), on: database)
        return Page(fetched: items, limit: page.limit, id: \.id)
    }

    private func hydrate(_ rows: [MariaDBRow], on db: MariaDBDatabase) async throws -> [Invoice] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.decode(column: "id", as: Int64.self) }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        var lines: [Int64: [Invoice.Line]] = [:]
        for row in try await db.rows("SELECT * FROM invoice_lines WHERE invoice_id IN (\(marks)) ORDER BY invoice_id, position", ids.map { .int($0) }) {
            lines[try row.decode(column: "invoice_id", as: Int64.self), default: []].append(Invoice.Line(
                position: try row.decode(column: "position", as: Int.self), description: try row.decode(column: "description", as: String.self),
                amount: try row.decode(column: "amount", as: Int64.self), discount: try row.decode(column: "discount", as: Int64.self)))
        }
        var paid: [Int64: Int64] = [:]
        for row in try await db.rows("SELECT invoice_id, CAST(SUM(amount) AS SIGNED) AS paid FROM payments WHERE invoice_id IN (\(marks)) AND status = 'succeeded' GROUP BY invoice_id",
                                     ids.map { .int($0) }) {
            paid[try row.decode(column: "invoice_id", as: Int64.self)] = try row.decode(column: "paid", as: Int64.self)
        }
        return try zip(ids, rows).map { id, row in
            Invoice(
                id: id, sellerID: try row.decode(column: "seller_id", as: Int64.self), number: try row.decode(column: "number", as: Int64.self),
                customerID: try row.decode(column: "customer_id", as: Int64.self), customerPath: try row.decode(column: "customer_path", as: String.self),
                orderID: try row.decode(column: "order_id", as: Int64?.self), subscriptionID: try row.decode(column: "subscription_id", as: Int64?.self),
                currency: Currency(code: try row.decode(column: "currency", as: String.self), exponent: try row.decode(column: "currency_exponent", as: Int.self)),
                subtotal: try row.decode(column: "subtotal", as: Int64.self), discount: try row.decode(column: "discount", as: Int64.self),
                tax: try row.decode(column: "tax", as: Int64.self), total: try row.decode(column: "total", as: Int64.self),
                taxRate: try row.decode(column: "tax_rate", as: String.self), pricesIncludeTaxes: try row.decode(column: "prices_include_taxes", as: Bool.self),
                status: InvoiceStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .cancelled,
                issuedOn: BusinessDate(try row.decode(column: "issued_on", as: String.self)) ?? BusinessDate(year: 1970, month: 1, day: 1),
                createdAt: try row.decode(column: "created_at", as: Date.self), paidAt: try row.decode(column: "paid_at", as: Date?.self),
                cancelledAt: try row.decode(column: "cancelled_at", as: Date?.self), lines: lines[id] ?? [], paid: paid[id] ?? 0)
        }
    }
}
