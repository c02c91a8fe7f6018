import Commerce
import Foundation
import Localization
import MariaDB

/// One reseller level's share of a completed order: what it owes its parent (`amount`, its net
/// cost for the change) and what it sold the change at, in the plan currency. Negative for reductions.
public struct ResellerCharge: Sendable, Equatable {
    public var id: Int64
    public var orderID: Int64
    public var resellerID: Int64
    public var parentID: Int64
    public var amount: Money
    public var sold: Money
    public var effectiveDate: BusinessDate
    public var createdAt: Date
}

/// Per period (month of the change) and currency: what a reseller sold and owes upstream.
public struct ResellerChargeSummary: Sendable, Equatable {
    public var resellerID: Int64
    public var resellerName: String
    public var period: String
    public var sold: Money
    public var owed: Money
    public var orders: Int
}

public struct ResellerChargeStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// The charges of one reseller of the caller's subtree, newest first.
    public func charges(of resellerID: Int64, in scope: TenantScope, page: PageRequest = PageRequest()) async throws -> Page<ResellerCharge> {
        let reseller = try await AccountStore(database: database).account(resellerID, in: scope)
        guard reseller.kind == .reseller else { throw StoreError.invalid(field: "id", message: .init("error.charges.not_reseller", ["account": .text(reseller.name)])) }
        guard Policy.allows(scope.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.reseller_charges")) }
        return try await list(in: scope, filter: Filter(resellerID: resellerID), page: page)
    }

    public struct Filter: Sendable {
        /// One reseller's charges; nil: every reseller of the subtree (the caller's own account included).
        public var resellerID: Int64?
        public init(resellerID: Int64? = nil) { self.resellerID = resellerID }
    }

    /// The charges of the caller's subtree, newest first (the Reseller charges page's export).
    public func list(in scope: TenantScope, filter: Filter = Filter(), page: PageRequest = PageRequest()) async throws -> Page<ResellerCharge> {
        guard Policy.allows(scope.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.reseller_charges")) }
        var conditions = ["reseller_path LIKE ?"]
        var binds: [MariaDBData] = [.string(scope.pathPattern)]
        if let resellerID = filter.resellerID { conditions.append("reseller_id = ?"); binds.append(.int(resellerID)) }
        if let cursor = page.cursor { conditions.append("id < ?"); binds.append(.int(cursor)) }
        binds.append(.int(Int64(page.limit + 1)))
        let items = try await database.rows("SELECT * FROM reseller_charges WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?", binds)
            .map(Self.charge)
        return Page(fetched: items, limit: page.limit, id: \.id)
    }

    /// Totals per reseller of the caller's subtree (its own account included), per month and currency, newest month first.
    public func summary(in scope: TenantScope) async throws -> [ResellerChargeSummary] {
        guard Policy.allows(scope.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.reseller_charges")) }
        return try await database.rows(
            """
            SELECT c.reseller_id, a.name, DATE_FORMAT(c.effective_date, '%Y-%m') AS period, c.currency, c.currency_exponent,
                   CAST(SUM(c.sold) AS SIGNED) AS sold, CAST(SUM(c.amount) AS SIGNED) AS owed, COUNT(*) AS orders
            FROM reseller_charges c JOIN accounts a ON a.id = c.reseller_id
            WHERE c.reseller_path LIKE ?
            GROUP BY c.reseller_id, a.name, period, c.currency, c.currency_exponent
            ORDER BY period DESC, a.name LIMIT 500
            """, [.string(scope.pathPattern)]).map { row in
                let currency = Currency(code: try row.decode(column: "currency", as: String.self), exponent: try row.decode(column: "currency_exponent", as: Int.self))
                return ResellerChargeSummary(
                    resellerID: try row.decode(column: "reseller_id", as: Int64.self), resellerName: try row.decode(column: "name", as: String.self),
                    period: try row.decode(column: "period", as: String.self),
                    sold: Money(minorUnits: try row.decode(column: "sold", as: Int64.self), currency: currency),
                    owed: Money(minorUnits: try row.decode(column: "owed", as: Int64.self), currency: currency),
                    orders: try row.decode(column: "orders", as: Int.self))
            }
    }

    static func charge(_ row: MariaDBRow) throws -> ResellerCharge {
        let currency = Currency(code: try row.decode(column: "currency", as: String.self), exponent: try row.decode(column: "currency_exponent", as: Int.self))
        return ResellerCharge(
            id: try row.decode(column: "id", as: Int64.self), orderID: try row.decode(column: "order_id", as: Int64.self),
            resellerID: try row.decode(column: "reseller_id", as: Int64.self), parentID: try row.decode(column: "parent_id", as: Int64.self),
            amount: Money(minorUnits: try row.decode(column: "amount", as: Int64.self), currency: currency),
            sold: Money(minorUnits: try row.decode(column: "sold", as: Int64.self), currency: currency),
            effectiveDate: BusinessDate(try row.decode(column: "effective_date", as: String.self)) ?? BusinessDate(year: 1970, month: 1, day: 1),
            createdAt: try row.decode(column: "created_at", as: Date.self))
    }
}

/// The levels of an order (`order_upstream`): priced at submit, copied into `reseller_charges`
/// when the order completes.
extension ResellerChargeStore {
    /// One reseller level of a new order: what it owes its parent and what it sold the change at.
    public struct Level: Sendable, Equatable {
        public var resellerID: Int64
        public var resellerPath: String
        public var parentID: Int64
        public var amount: Int64
        public var sold: Int64

        public init(resellerID: Int64, resellerPath: String, parentID: Int64, amount: Int64, sold: Int64) {
            self.resellerID = resellerID
            self.resellerPath = resellerPath
            self.parentID = parentID
            self.amount = amount
            self.sold = sold
        }
    }

    /// The reseller levels of a new order, in one statement (inside the submit's transaction).
    public static func addLevels(order orderID: Int64, _ levels: [Level], currency: Currency, on tx: MariaDBDatabase) async throws {
        guard !levels.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO order_upstream (order_id, reseller_id, reseller_path, parent_id, currency, currency_exponent, amount, sold)
            VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: levels.count).joined(separator: ", "))
            """, levels.flatMap { level -> [MariaDBData] in
                [.int(orderID), .int(level.resellerID), .string(level.resellerPath), .int(level.parentID), .string(currency.code),
                 .int(Int64(currency.exponent)), .int(level.amount), .int(level.sold)]
            })
    }

    /// The order's levels become charges, effective on the order's date (inside the completing transaction).
    public static func recordLevels(of orderID: Int64, effective: BusinessDate, on tx: MariaDBDatabase) async throws {
        try await tx.query(
            """
            INSERT INTO reseller_charges (order_id, reseller_id, reseller_path, parent_id, currency, currency_exponent, amount, sold, effective_date, created_at)
            SELECT order_id, reseller_id, reseller_path, parent_id, currency, currency_exponent, amount, sold, ?, UTC_TIMESTAMP(6)
            FROM order_upstream WHERE order_id = ?
            """, [effective.mariaDB, .int(orderID)])
    }
}
