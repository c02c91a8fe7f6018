import Commerce
import Foundation
import MariaDB

/// Someone an event's email goes to: the account's contact, or one of its active users.
public struct MailAddressee: Sendable, Equatable {
    public var name: String
    public var email: String
    /// The user's language; nil for the account's contact address (no user behind it).
    public var locale: String?
    public var accountID: Int64
    public var accountPath: String

    public init(name: String, email: String, locale: String?, accountID: Int64, accountPath: String) {
        self.name = name
        self.email = email
        self.locale = locale
        self.accountID = accountID
        self.accountPath = accountPath
    }
}

/// What an event's email names, read when it is sent: invoice numbers and amounts, the plan of a
/// subscription, an order's summary. Workers read across tenants (the event names its account).
public struct MailFactsStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// The account's contact address and its active users, each address once (DOMAIN.md 11): the
    /// people told about an event of that account.
    public static func addressees(ofAccount accountID: Int64, on db: MariaDBDatabase) async throws -> [MailAddressee] {
        let rows = try await db.rows(
            """
            SELECT a.id AS account_id, a.path, a.contact_name AS name, a.contact_email AS email, NULL AS locale, 0 AS position
              FROM accounts a WHERE a.id = ? AND a.contact_email <> ''
            UNION ALL
            SELECT u.account_id, a.path, u.name, u.email, u.locale, 1 FROM users u JOIN accounts a ON a.id = u.account_id
             WHERE u.account_id = ? AND u.status = 'active'
            ORDER BY position, email
            """, [.int(accountID), .int(accountID)])
        var seen: Set<String> = []
        var addressees: [MailAddressee] = []
        for row in rows {
            let addressee = try Self.addressee(row)
            // A user whose address is also the contact's is told once, as the user (in their language).
            if let index = addressees.firstIndex(where: { $0.email.lowercased() == addressee.email.lowercased() }) {
                if addressee.locale != nil { addressees[index] = addressee }
                continue
            }
            if seen.insert(addressee.email.lowercased()).inserted { addressees.append(addressee) }
        }
        return addressees
    }

    /// The active user `userID`, for an email meant for that person alone (a password reset).
    public static func user(_ userID: Int64, on db: MariaDBDatabase) async throws -> MailAddressee? {
        try await db.rows(
            """
            SELECT u.account_id, a.path, u.name, u.email, u.locale FROM users u JOIN accounts a ON a.id = u.account_id
             WHERE u.id = ? AND u.status = 'active'
            """, [.int(userID)]).first.map(Self.addressee)
    }

    /// Who is behind an address of the account when the email is sent: its user (name, language)
    /// or its contact; nil when it is neither any more (the user was disabled, the contact changed).
    public func addressee(email: String, accountID: Int64) async throws -> MailAddressee? {
        let rows = try await database.rows(
            """
            SELECT u.account_id, a.path, u.name, u.email, u.locale, 0 AS position FROM users u JOIN accounts a ON a.id = u.account_id
             WHERE u.email = ? AND u.account_id = ? AND u.status = 'active'
            UNION ALL
            SELECT a.id, a.path, a.contact_name, a.contact_email, NULL, 1 FROM accounts a WHERE a.id = ? AND a.contact_email = ?
            ORDER BY position LIMIT 1
            """, [.string(email), .int(accountID), .int(accountID), .string(email)])
        return try rows.first.map(Self.addressee)
    }

    private static func addressee(_ row: MariaDBRow) throws -> MailAddressee {
        MailAddressee(name: try row.decode(column: "name", as: String.self), email: try row.decode(column: "email", as: String.self),
                      locale: try row.decode(column: "locale", as: String?.self), accountID: try row.decode(column: "account_id", as: Int64.self),
                      accountPath: try row.decode(column: "path", as: String.self))
    }

    // MARK: What the emails name

    public struct InvoiceFacts: Sendable, Equatable {
        public var number: String
        public var total: Money
        /// `2026-12-03`.
        public var issuedOn: String
    }

    public func invoice(_ id: Int64) async throws -> InvoiceFacts? {
        try await database.rows(
            "SELECT seller_id, number, total, currency, currency_exponent, DATE_FORMAT(issued_on, '%Y-%m-%d') AS issued FROM invoices WHERE id = ?",
            [.int(id)]).first.map { row in
                InvoiceFacts(number: Invoice.displayNumber(seller: try row.decode(column: "seller_id", as: Int64.self), number: try row.decode(column: "number", as: Int64.self)),
                             total: try Self.money(row, "total"), issuedOn: try row.decode(column: "issued", as: String.self))
            }
    }

    public struct PaymentFacts: Sendable, Equatable {
        public var invoiceNumber: String
        public var amount: Money
    }

    public func payment(_ id: Int64) async throws -> PaymentFacts? {
        try await database.rows(
            """
            SELECT i.seller_id, i.number, p.amount, p.currency, p.currency_exponent FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE p.id = ?
            """, [.int(id)]).first.map { row in
                PaymentFacts(invoiceNumber: Invoice.displayNumber(seller: try row.decode(column: "seller_id", as: Int64.self), number: try row.decode(column: "number", as: Int64.self)),
                             amount: try Self.money(row, "amount"))
            }
    }

    public struct OrderFacts: Sendable, Equatable {
        public var orderID: Int64
        /// `Cloud VPS #12`: the plan and the subscription's number, as its page titles it.
        public var subscription: String
        public var summary: String
    }

    public func order(_ id: Int64) async throws -> OrderFacts? {
        try await database.rows(
            "SELECT o.id, o.subscription_id, o.summary, p.name AS plan FROM orders o JOIN plans p ON p.id = o.plan_id WHERE o.id = ?",
            [.int(id)]).first.map { row in
                let plan = try row.decode(column: "plan", as: String.self)
                let subscription = try row.decode(column: "subscription_id", as: Int64?.self)
                return OrderFacts(orderID: try row.decode(column: "id", as: Int64.self), subscription: subscription.map { "\(plan) #\($0)" } ?? plan,
                                  summary: try row.decode(column: "summary", as: String.self))
            }
    }

    /// `Cloud VPS #12`: the plan and the subscription's number, as its page titles it.
    public func subscriptionTitle(_ id: Int64) async throws -> String? {
        try await database.rows("SELECT s.id, p.name AS plan FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.id = ?", [.int(id)])
            .first.map { "\(try $0.decode(column: "plan", as: String.self)) #\(try $0.decode(column: "id", as: Int64.self))" }
    }

    /// The invoice of an order (a renewal's), if it has one.
    public func invoice(ofOrder orderID: Int64) async throws -> InvoiceFacts? {
        guard let id = try await database.rows("SELECT id FROM invoices WHERE order_id = ? ORDER BY id LIMIT 1", [.int(orderID)]).first else { return nil }
        return try await invoice(try id.decode(column: "id", as: Int64.self))
    }

    private static func money(_ row: MariaDBRow, _ column: String) throws -> Money {
        Money(minorUnits: try row.decode(column: column, as: Int64.self),
              currency: Currency(code: try row.decode(column: "currency", as: String.self), exponent: Int(try row.decode(column: "currency_exponent", as: Int64.self))))
    }
}
