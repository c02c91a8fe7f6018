import Commerce
import Foundation
import MariaDB

/// One entry of a customer's credit log: positive adds credit, negative spends it.
public struct CreditEntry: Sendable, Equatable {
    public var id: Int64
    public var customerID: Int64
    public var amount: Money
    public var reason: String
    public var orderID: Int64?
    public var invoiceID: Int64?
    public var paymentID: Int64?
    public var createdAt: Date
    public var createdBy: Int64?
    /// Who caused it, as the reader may see it (`ShownActor`): an email, the seller's name, or `system`.
    public var actor: String
}

/// The credit balance of customers (DOMAIN.md 9): there is no balance column, the balance is the
/// sum of the log. Whoever posts or spends locks the customer's account row first (by writing it:
/// `lockedBalance`), so two spenders can't both see the same balance, on one node or on two.
public struct CreditLedger: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// The balance in minor units of the customer's currency.
    public func balance(of customerID: Int64, in scope: TenantScope) async throws -> Int64 {
        _ = try await AccountStore(database: database).account(customerID, in: scope)
        return try await Self.sum(customerID, on: database)
    }

    /// The balance as money in the customer's currency, in one query.
    public func available(_ customerID: Int64, in scope: TenantScope) async throws -> Money {
        let rows = try await database.rows(
            """
            SELECT a.currency, c.exponent, (SELECT CAST(COALESCE(SUM(e.amount), 0) AS SIGNED) FROM credit_entries e WHERE e.customer_id = a.id) AS balance
            FROM accounts a JOIN currencies c ON c.code = a.currency WHERE a.id = ? AND a.path LIKE ?
            """, [.int(customerID), .string(scope.pathPattern)])
        guard let row = rows.first else { throw StoreError.notFound("account \(customerID)") }
        return Money(minorUnits: try row.decode(column: "balance", as: Int64.self),
                     currency: Currency(code: try row.decode(column: "currency", as: String.self), exponent: try row.decode(column: "exponent", as: Int.self)))
    }

    /// Locks the customer and reads its balance, inside the caller's transaction.
    ///
    /// The lock is a write of the customer's row (its `credit_revision`), not a locking read: in a
    /// Galera cluster a `SELECT … FOR UPDATE` on one node does not stop another node's transaction,
    /// and certification compares only the rows transactions write. Two spenders of one balance on
    /// two nodes both write this row, so one of them fails certification (1213) and runs again,
    /// seeing the other's entry.
    public static func lockedBalance(of customerID: Int64, on tx: MariaDBDatabase) async throws -> Int64 {
        try await tx.query("UPDATE accounts SET credit_revision = credit_revision + 1 WHERE id = ?", [.int(customerID)])
        // A locking read sees the latest committed entries, whatever snapshot the transaction started with.
        return try await tx.rows("SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) AS balance FROM credit_entries WHERE customer_id = ? LOCK IN SHARE MODE",
                                 [.int(customerID)])[0].decode(column: "balance", as: Int64.self)
    }

    static func sum(_ customerID: Int64, on db: MariaDBDatabase) async throws -> Int64 {
        try await db.rows("SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) AS balance FROM credit_entries WHERE customer_id = ?", [.int(customerID)])[0]
            .decode(column: "balance", as: Int64.self)
    }

    /// Posts one entry inside the caller's transaction (which holds the customer's lock).
    @discardableResult
    public static func post(_ amount: Money, to customer: Account, reason: String, orderID: Int64? = nil, invoiceID: Int64? = nil,
                            paymentID: Int64? = nil, actor: Actor?, on tx: MariaDBDatabase) async throws -> Int64 {
        Int64(try await tx.query(
            """
            INSERT INTO credit_entries (customer_id, customer_path, amount, currency, currency_exponent, reason, order_id, invoice_id, payment_id, created_at, created_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), ?)
            """, [.int(customer.id), .string(customer.path), .int(amount.minorUnits), .string(amount.currency.code), .int(Int64(amount.currency.exponent)),
                  .string(reason), orderID.map { .int($0) } ?? .null, invoiceID.map { .int($0) } ?? .null, paymentID.map { .int($0) } ?? .null,
                  actor.map { .int($0.userID) } ?? .null]).lastInsertID)
    }

    /// The log, newest first.
    public func entries(of customerID: Int64, in scope: TenantScope, page: PageRequest = PageRequest()) async throws -> Page<CreditEntry> {
        try await entries(of: try await AccountStore(database: database).account(customerID, in: scope), in: scope, page: page)
    }

    /// The log of a customer the caller has already reached through `scope` (a page reads the account once).
    public func entries(of customer: Account, in scope: TenantScope, page: PageRequest = PageRequest()) async throws -> Page<CreditEntry> {
        let customerID = customer.id
        var conditions = ["c.customer_id = ?"]
        var binds: [MariaDBData] = [.int(customerID)]
        if let cursor = page.cursor { conditions.append("c.id < ?"); binds.append(.int(cursor)) }
        binds.append(.int(Int64(page.limit + 1)))
        let viewpoint = try await Viewpoint.of(scope, on: database)
        let items = try await database.rows(
            """
            SELECT c.*, u.email, ua.path AS actor_path FROM credit_entries c LEFT JOIN users u ON u.id = c.created_by LEFT JOIN accounts ua ON ua.id = u.account_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY c.id DESC LIMIT ?
            """, binds).map { row in
                CreditEntry(
                    id: try row.decode(column: "id", as: Int64.self), customerID: customerID,
                    amount: Money(minorUnits: try row.decode(column: "amount", as: Int64.self),
                                  currency: Currency(code: try row.decode(column: "currency", as: String.self),
                                                     exponent: try row.decode(column: "currency_exponent", as: Int.self))),
                    reason: try row.decode(column: "reason", as: String.self), orderID: try row.decode(column: "order_id", as: Int64?.self),
                    invoiceID: try row.decode(column: "invoice_id", as: Int64?.self), paymentID: try row.decode(column: "payment_id", as: Int64?.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self), createdBy: try row.decode(column: "created_by", as: Int64?.self),
                    actor: ShownActor.of(email: try row.decode(column: "email", as: String?.self), address: "",
                                         accountPath: try row.decode(column: "actor_path", as: String?.self), seenFrom: viewpoint).name)
            }
        return Page(fetched: items, limit: page.limit, id: \.id)
    }
}
