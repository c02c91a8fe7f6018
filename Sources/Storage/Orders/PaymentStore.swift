import Commerce
import Foundation
import MariaDB

public enum PaymentMethod: String, Codable, Sendable, CaseIterable {
    case credit, card
    case bankTransfer = "bank_transfer"

    public var label: String {
        switch self {
        case .credit: "Account credit"
        case .card: "Card"
        case .bankTransfer: "Bank transfer"
        }
    }
}

/// `pending`: recorded and committed before the gateway is called (DOMAIN.md 9), settled after.
public enum PaymentStatus: String, Codable, Sendable, CaseIterable {
    case pending, succeeded, declined, failed
}

/// A payment attempt: succeeded ones pay the invoice; declined and failed ones are only the record;
/// a pending one awaits the gateway's answer.
public struct Payment: Sendable, Equatable {
    public var id: Int64
    public var invoiceID: Int64
    public var customerID: Int64
    public var method: PaymentMethod
    public var status: PaymentStatus
    public var amount: Money
    public var cardLast4: String?
    public var reference: String?
    public var createdAt: Date
    public var createdBy: Int64?
    public var settledAt: Date?
}

/// What a new payment row holds (inside the caller's transaction, which holds the invoice's lock).
public struct NewPayment: Sendable {
    public var invoice: Invoice
    public var customer: Account
    public var method: PaymentMethod
    public var status: PaymentStatus
    public var amount: Int64
    public var cardLast4: String?
    public var reference: String?
    public var actor: Actor?

    public init(invoice: Invoice, customer: Account, method: PaymentMethod, status: PaymentStatus, amount: Int64, cardLast4: String?,
                reference: String?, actor: Actor?) {
        self.invoice = invoice
        self.customer = customer
        self.method = method
        self.status = status
        self.amount = amount
        self.cardLast4 = cardLast4
        self.reference = reference
        self.actor = actor
    }
}

public struct PaymentStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    public struct Filter: Sendable {
        public var invoiceID: Int64?
        public var customerID: Int64?
        public var status: PaymentStatus?
        public init(invoiceID: Int64? = nil, customerID: Int64? = nil, status: PaymentStatus? = nil) {
            self.invoiceID = invoiceID
            self.customerID = customerID
            self.status = status
        }
    }

    public func payment(_ id: Int64, in scope: TenantScope, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> Payment {
        let rows = try await (db ?? database).rows("SELECT * FROM payments WHERE id = ? AND customer_path LIKE ?\(forUpdate ? " FOR UPDATE" : "")",
                                                   [.int(id), .string(scope.pathPattern)])
        guard let row = rows.first else { throw StoreError.notFound("payment \(id)") }
        return try Self.payment(row)
    }

    /// A payment by id alone, for the worker's reconciler (which acts for no tenant).
    public func paymentForWorker(_ id: Int64, on db: MariaDBDatabase? = nil) async throws -> Payment? {
        try await (db ?? database).rows("SELECT * FROM payments WHERE id = ?", [.int(id)]).first.map(Self.payment)
    }

    public func list(in scope: TenantScope, filter: Filter = Filter(), page: PageRequest = PageRequest()) async throws -> Page<Payment> {
        var conditions = ["customer_path LIKE ?"]
        var binds: [MariaDBData] = [.string(scope.pathPattern)]
        if let ancestor = scope.ancestorCondition() { conditions.append(ancestor.sql); binds.append(ancestor.bind) }
        if let value = filter.invoiceID { conditions.append("invoice_id = ?"); binds.append(.int(value)) }
        if let value = filter.customerID { conditions.append("customer_id = ?"); binds.append(.int(value)) }
        if let value = filter.status { conditions.append("status = ?"); binds.append(.string(value.rawValue)) }
        if let cursor = page.cursor { conditions.append("id < ?"); binds.append(.int(cursor)) }
        binds.append(.int(Int64(page.limit + 1)))
        let items = try await database.rows("SELECT * FROM payments WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?", binds).map(Self.payment)
        return Page(fetched: items, limit: page.limit, id: \.id)
    }

    /// Payments left `pending` for more than `seconds` (a request that died between the gateway and
    /// the outcome's commit), oldest first.
    public func pending(olderThan seconds: Int, limit: Int) async throws -> [Int64] {
        try await database.rows(
            "SELECT id FROM payments WHERE status = 'pending' AND created_at <= UTC_TIMESTAMP(6) - INTERVAL ? SECOND ORDER BY id LIMIT ?",
            [.int(Int64(seconds)), .int(Int64(limit))]).map { try $0.decode(column: "id", as: Int64.self) }
    }

    /// The pending payment of an invoice, if one awaits its gateway (inside the transaction holding the invoice's lock).
    public static func pendingPayment(of invoiceID: Int64, on tx: MariaDBDatabase) async throws -> Int64? {
        try await tx.rows("SELECT id FROM payments WHERE pending_invoice_id = ?", [.int(invoiceID)]).first?.decode(column: "id", as: Int64.self)
    }

    /// Writes a payment inside the caller's transaction. A pending one holds its invoice's one
    /// pending slot (a unique key) until it is settled.
    public static func insert(_ new: NewPayment, on tx: MariaDBDatabase) async throws -> Int64 {
        Int64(try await tx.query(
            """
            INSERT INTO payments (invoice_id, pending_invoice_id, customer_id, customer_path, method, status, amount, currency, currency_exponent,
              card_last4, reference, created_at, settled_at, created_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), IF(? = 'pending', NULL, UTC_TIMESTAMP(6)), ?)
            """, [.int(new.invoice.id), new.status == .pending ? .int(new.invoice.id) : .null, .int(new.customer.id), .string(new.customer.path),
                  .string(new.method.rawValue), .string(new.status.rawValue), .int(new.amount), .string(new.invoice.currency.code),
                  .int(Int64(new.invoice.currency.exponent)), new.cardLast4.map { .string($0) } ?? .null,
                  new.reference.map { .string(String(String.UnicodeScalarView($0.unicodeScalars.prefix(255)))) } ?? .null,
                  .string(new.status.rawValue), new.actor.map { .int($0.userID) } ?? .null]).lastInsertID)
    }

    /// Settles a pending payment with the gateway's answer, only while it is still pending: answers
    /// whether this call settled it (false: someone settled it first, and that outcome stands).
    public static func settle(_ id: Int64, as status: PaymentStatus, on tx: MariaDBDatabase) async throws -> Bool {
        precondition(status != .pending, "a payment is settled as succeeded, declined or failed")
        return try await tx.query(
            "UPDATE payments SET status = ?, pending_invoice_id = NULL, settled_at = UTC_TIMESTAMP(6) WHERE id = ? AND status = 'pending'",
            [.string(status.rawValue), .int(id)]).affectedRows == 1
    }

    /// The invoice is paid in full: it is marked paid, and its order (awaiting payment) moves to
    /// provisioning. Answers whether the order moved.
    public static func invoicePaid(_ invoiceID: Int64, order orderID: Int64?, on tx: MariaDBDatabase) async throws -> Bool {
        try await tx.query("UPDATE invoices SET status = 'paid', paid_at = UTC_TIMESTAMP(6) WHERE id = ? AND status = 'unpaid'", [.int(invoiceID)])
        guard let orderID else { return false }
        return try await OrderStore.move(orderID, from: .awaitingPayment, to: .provisioning, on: tx)
    }

    static func payment(_ row: MariaDBRow) throws -> Payment {
        Payment(
            id: try row.decode(column: "id", as: Int64.self), invoiceID: try row.decode(column: "invoice_id", as: Int64.self),
            customerID: try row.decode(column: "customer_id", as: Int64.self),
            method: PaymentMethod(rawValue: try row.decode(column: "method", as: String.self)) ?? .card,
            status: PaymentStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
            amount: Money(minorUnits: try row.decode(column: "amount", as: Int64.self),
                          currency: Currency(code: try row.decode(column: "currency", as: String.self), exponent: try row.decode(column: "currency_exponent", as: Int.self))),
            cardLast4: try row.decode(column: "card_last4", as: String?.self), reference: try row.decode(column: "reference", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self), createdBy: try row.decode(column: "created_by", as: Int64?.self),
            settledAt: try row.decode(column: "settled_at", as: Date?.self))
    }
}

/// The built-in test gateway's own books (the card processor's side, not the console's): one row
/// per idempotency key with the answer given, and how many times the key was asked.
public struct TestGatewayLedger: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// Records the answer for a key unless the key has one already; either way counts the request.
    public func record(key: String, cardLast4: String, amount: Money, outcome: String) async throws {
        try await database.query(
            """
            INSERT INTO test_gateway_charges (idempotency_key, card_last4, amount, currency, outcome, requests, charged_at)
            VALUES (?, ?, ?, ?, ?, 1, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE requests = requests + 1
            """, [.string(key), .string(cardLast4), .int(amount.minorUnits), .string(amount.currency.code), .string(outcome)])
    }

    /// The answer first given for a key; nil when the key was never charged.
    public func outcome(of key: String) async throws -> String? {
        try await database.rows("SELECT outcome FROM test_gateway_charges WHERE idempotency_key = ?", [.string(key)]).first?
            .decode(column: "outcome", as: String.self)
    }
}
