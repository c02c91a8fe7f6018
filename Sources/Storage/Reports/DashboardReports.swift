import Commerce
import Foundation
import Localization
import MariaDB

/// The dashboards' figures (docs/rules.md, Dashboards): each query reads one tier's subtree through
/// its tenant scope, grouped by month and currency in the database; amounts are minor units of one
/// currency each, never added across currencies. The indexes they read are migrations/0022.
public struct DashboardReports: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// An amount of one currency in one month.
    public struct MonthlyAmount: Sendable, Equatable {
        public var month: ReportMonth
        public var currency: Currency
        public var minorUnits: Int64
    }

    /// How many of one kind (`completed`, `new`, …) in one month.
    public struct MonthlyCount: Sendable, Equatable {
        public var month: ReportMonth
        public var category: String
        public var count: Int64
    }

    /// What the customers below one direct reseller of the provider were invoiced (net of tax) and paid, in one currency.
    public struct ResellerRevenue: Sendable, Equatable {
        /// Nil for the provider's own direct customers.
        public var resellerID: Int64?
        public var resellerName: String?
        public var currency: Currency
        public var invoiced: Int64
        public var paid: Int64
    }

    /// A reseller's month in one currency: what it sold, what it owes its parent, and the difference.
    public struct MonthlyMargin: Sendable, Equatable {
        public var month: ReportMonth
        public var currency: Currency
        public var sold: Int64
        public var cost: Int64
        public var margin: Int64 { sold - cost }
    }

    /// Live subscriptions of one plan in one status.
    public struct PlanCount: Sendable, Equatable {
        public var planID: Int64
        public var planName: String
        public var status: SubscriptionStatus
        public var count: Int64
    }

    /// The scope's condition on a table with `customer_path` and the ancestor columns (migration
    /// 0013). At depths 2 to 4 `ancestorN = id` alone: the column is computed by the database from
    /// the same path (`/1/2/5/` holds 5 at depth 3 exactly when it starts with account 5's path), so
    /// it selects the same rows as the prefix, and the reports' indexes lead with it and cover the
    /// query (with the path beside it every row of a subtree of 94,000 subscriptions was read:
    /// 430 ms against 36 ms). Elsewhere the path prefix.
    private func scoped(_ scope: TenantScope, alias: String) -> (sql: String, binds: [MariaDBData]) {
        if let ancestor = scope.ancestorCondition(table: alias) { return (ancestor.sql, [ancestor.bind]) }
        return ("\(alias)customer_path LIKE ?", [.string(scope.pathPattern)])
    }

    private static func currency(_ row: MariaDBRow) throws -> Currency {
        Currency(code: try row.decode(column: "currency", as: String.self), exponent: try row.decode(column: "currency_exponent", as: Int.self))
    }

    private static func month(_ row: MariaDBRow, column: String = "month") throws -> ReportMonth {
        let key = try row.decode(column: column, as: String.self)
        guard let month = ReportMonth(key: key) else { throw StoreError.invalid(field: column, message: .init("error.internal.not_a_month", ["key": .text(key)])) }
        return month
    }

    // MARK: Provider

    /// Monthly recurring revenue at the last day of each month of the window, per invoice currency:
    /// the recurring lines (period fee and resource fees, after their discounts, before tax) of the
    /// completed sales and renewal orders whose period covers that day, each a 1/months share.
    public func monthlyRecurringRevenue(in scope: TenantScope, window: ReportWindow) async throws -> [MonthlyAmount] {
        let filter = scoped(scope, alias: "o.")
        let monthEnds = window.months.map { _ in "SELECT CAST(? AS DATE) AS month_end" }.joined(separator: " UNION ALL ")
        // A period lasts at most 12 months and is ordered up to RENEWAL_LEAD_DAYS before it starts:
        // orders from 13 months before the window can still cover its first month.
        let earliest = window.months[0].adding(months: -13).firstDay
        let rows = try await database.rows(
            """
            SELECT DATE_FORMAT(m.month_end, '%Y-%m') AS month, r.currency, r.currency_exponent,
                   CAST(SUM(r.recurring * (12 DIV r.months)) AS SIGNED) AS twelfths
            FROM (\(monthEnds)) m
            JOIN (
              SELECT p.currency, p.currency_exponent, p.period_start, p.period_end, p.recurring,
                     (YEAR(p.period_end) * 12 + MONTH(p.period_end)) - (YEAR(p.period_start) * 12 + MONTH(p.period_start)) AS months
              FROM (
                SELECT o.currency, o.currency_exponent,
                       IF(o.kind = 'renewal', CAST(JSON_VALUE(o.change_request, '$.renewal.period_start') AS DATE), o.effective_date) AS period_start,
                       IF(o.kind = 'renewal', CAST(JSON_VALUE(o.change_request, '$.renewal.period_end') AS DATE),
                          DATE_ADD(o.effective_date, INTERVAL CAST(JSON_VALUE(o.change_request, '$.sales.period_months') AS UNSIGNED) MONTH)) AS period_end,
                       (SELECT COALESCE(SUM(l.charged_amount - l.charged_discount), 0) FROM order_lines l
                        WHERE l.order_id = o.id AND l.kind IN ('period_fee', 'recurring_fee')) AS recurring
                FROM orders o
                WHERE o.status = 'completed' AND o.kind IN ('sales', 'renewal') AND o.effective_date >= ? AND o.effective_date < ? AND \(filter.sql)
              ) p
            ) r ON r.period_start <= m.month_end AND m.month_end < r.period_end AND r.months IN (1, 2, 3, 4, 6, 12)
            GROUP BY month, r.currency, r.currency_exponent
            ORDER BY month, r.currency
            """, window.months.map { $0.lastDay.mariaDB } + [earliest.mariaDB, window.end.mariaDB] + filter.binds)
        return try rows.map { row in
            MonthlyAmount(month: try Self.month(row), currency: try Self.currency(row),
                          minorUnits: RecurringRevenue.monthly(twelfths: try row.decode(column: "twelfths", as: Int64.self)))
        }
    }

    /// Invoices of the window (not cancelled), net of tax, per direct reseller of the scope's
    /// account (the provider's: depth 2) and currency; the provider's direct customers as one row.
    public func revenueByReseller(in scope: TenantScope, window: ReportWindow) async throws -> [ResellerRevenue] {
        let filter = scoped(scope, alias: "i.")
        let rows = try await database.rows(
            """
            SELECT IF(a.kind = 'reseller', a.id, NULL) AS reseller_id, IF(a.kind = 'reseller', a.name, NULL) AS reseller_name,
                   i.currency, i.currency_exponent,
                   CAST(SUM(i.total - i.tax) AS SIGNED) AS invoiced,
                   CAST(SUM(IF(i.status = 'paid', i.total - i.tax, 0)) AS SIGNED) AS paid
            FROM invoices i JOIN accounts a ON a.id = i.ancestor2
            WHERE i.status <> 'cancelled' AND i.issued_on >= ? AND i.issued_on < ? AND \(filter.sql)
            GROUP BY reseller_id, reseller_name, i.currency, i.currency_exponent
            ORDER BY reseller_name IS NULL, reseller_name, i.currency
            """, [window.start.mariaDB, window.end.mariaDB] + filter.binds)
        return try rows.map { row in
            ResellerRevenue(resellerID: try row.decode(column: "reseller_id", as: Int64?.self), resellerName: try row.decode(column: "reseller_name", as: String?.self),
                            currency: try Self.currency(row), invoiced: try row.decode(column: "invoiced", as: Int64.self),
                            paid: try row.decode(column: "paid", as: Int64.self))
        }
    }

    /// Orders by the month of their business date and their status now.
    public func ordersByOutcome(in scope: TenantScope, window: ReportWindow) async throws -> [MonthlyCount] {
        let filter = scoped(scope, alias: "")
        return try await database.rows(
            """
            SELECT DATE_FORMAT(effective_date, '%Y-%m') AS month, status AS category, COUNT(*) AS n
            FROM orders WHERE effective_date >= ? AND effective_date < ? AND \(filter.sql)
            GROUP BY month, status ORDER BY month, status
            """, [window.start.mariaDB, window.end.mariaDB] + filter.binds).map { row in
                MonthlyCount(month: try Self.month(row), category: try row.decode(column: "category", as: String.self), count: try row.decode(column: "n", as: Int64.self))
            }
    }

    /// Subscriptions recorded (`new`, imports included) and cancelled (`cancelled`) per UTC month of
    /// those moments, from the monthly counts kept beside them (`SubscriptionMonths`).
    public func subscriptionFlow(in scope: TenantScope, window: ReportWindow) async throws -> [MonthlyCount] {
        let rows = try await database.rows(
            """
            SELECT DATE_FORMAT(month, '%Y-%m') AS month, CAST(SUM(created) AS SIGNED) AS created, CAST(SUM(cancelled) AS SIGNED) AS cancelled
            FROM subscription_months WHERE month >= ? AND month < ? AND customer_path LIKE ?
            GROUP BY month ORDER BY month
            """, [window.start.mariaDB, window.end.mariaDB, .string(scope.pathPattern)])
        return try rows.flatMap { row in
            let month = try Self.month(row)
            return [MonthlyCount(month: month, category: "new", count: try row.decode(column: "created", as: Int64.self)),
                    MonthlyCount(month: month, category: "cancelled", count: try row.decode(column: "cancelled", as: Int64.self))]
        }
    }

    // MARK: Reseller

    /// The scope's own reseller charges by the month they took effect: sold, owed upstream, margin.
    public func resellerMargins(in scope: TenantScope, window: ReportWindow) async throws -> [MonthlyMargin] {
        try await database.rows(
            """
            SELECT DATE_FORMAT(effective_date, '%Y-%m') AS month, currency, currency_exponent,
                   CAST(SUM(sold) AS SIGNED) AS sold, CAST(SUM(amount) AS SIGNED) AS cost
            FROM reseller_charges
            WHERE reseller_id = ? AND reseller_path LIKE ? AND effective_date >= ? AND effective_date < ?
            GROUP BY month, currency, currency_exponent ORDER BY month, currency
            """, [.int(scope.actor.accountID), .string(scope.pathPattern), window.start.mariaDB, window.end.mariaDB]).map { row in
                MonthlyMargin(month: try Self.month(row), currency: try Self.currency(row),
                              sold: try row.decode(column: "sold", as: Int64.self), cost: try row.decode(column: "cost", as: Int64.self))
            }
    }

    /// The subtree's subscriptions that are not cancelled, per plan and status.
    public func subscriptionsByPlan(in scope: TenantScope) async throws -> [PlanCount] {
        let filter = scoped(scope, alias: "s.")
        let rows = try await database.rows(
            """
            SELECT c.plan_id, p.name, c.status, c.n FROM (
              SELECT s.plan_id, s.status, COUNT(*) AS n FROM subscriptions s
              WHERE s.status <> 'cancelled' AND \(filter.sql) GROUP BY s.plan_id, s.status
            ) c JOIN plans p ON p.id = c.plan_id
            ORDER BY p.name, c.plan_id, c.status
            """, filter.binds)
        return try rows.compactMap { row in
            guard let status = SubscriptionStatus(rawValue: try row.decode(column: "status", as: String.self)) else { return nil }
            return PlanCount(planID: try row.decode(column: "plan_id", as: Int64.self), planName: try row.decode(column: "name", as: String.self),
                             status: status, count: try row.decode(column: "n", as: Int64.self))
        }
    }

    // MARK: Customer

    /// Invoiced (not cancelled, tax included) and paid per month of issue and currency.
    public func spend(in scope: TenantScope, window: ReportWindow) async throws -> [(month: ReportMonth, currency: Currency, invoiced: Int64, paid: Int64)] {
        let filter = scoped(scope, alias: "")
        return try await database.rows(
            """
            SELECT DATE_FORMAT(issued_on, '%Y-%m') AS month, currency, currency_exponent,
                   CAST(SUM(total) AS SIGNED) AS invoiced, CAST(SUM(IF(status = 'paid', total, 0)) AS SIGNED) AS paid
            FROM invoices WHERE status <> 'cancelled' AND issued_on >= ? AND issued_on < ? AND \(filter.sql)
            GROUP BY month, currency, currency_exponent ORDER BY month, currency
            """, [window.start.mariaDB, window.end.mariaDB] + filter.binds).map { row in
                (try Self.month(row), try Self.currency(row), try row.decode(column: "invoiced", as: Int64.self), try row.decode(column: "paid", as: Int64.self))
            }
    }

    /// The most renewals a dashboard lists.
    public static let renewalLimit = 200

    /// Subscriptions of the scope whose period ends in `[from, until)` and that will renew then
    /// (not cancelled, not ending with their period, the next period not paid yet), soonest first;
    /// at most `renewalLimit`.
    public func dueRenewals(in scope: TenantScope, from: BusinessDate, until: BusinessDate) async throws -> [Subscription] {
        let filter = scoped(scope, alias: "")
        let ids = try await database.rows(
            """
            SELECT id FROM subscriptions
            WHERE status <> 'cancelled' AND cancel_at_period_end = FALSE AND period_end >= ? AND period_end < ?
              AND (paid_until IS NULL OR paid_until <= period_end) AND \(filter.sql)
            ORDER BY period_end, id LIMIT ?
            """, [from.mariaDB, until.mariaDB] + filter.binds + [.int(Int64(Self.renewalLimit))]).map { try $0.decode(column: "id", as: Int64.self) }
        let found = try await SubscriptionStore(database: database).subscriptionsForWorker(ids)
        let order = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        return found.sorted { (order[$0.id] ?? 0) < (order[$1.id] ?? 0) }
    }
}
