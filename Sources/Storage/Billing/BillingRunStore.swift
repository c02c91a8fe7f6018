import Commerce
import Foundation
import MariaDB

/// What one billing run did.
public struct BillingRunResult: Sendable, Equatable, Codable {
    public var id: Int64 = 0
    public var businessDate: String = ""
    public var subscriptions = 0
    public var renewalOrders = 0
    public var invoices = 0
    public var suspended = 0
    public var reactivated = 0
    public var rolledOver = 0
    public var trialsEnded = 0
    public var cancelled = 0
    public var errors = 0

    public init() {}

    public mutating func add(_ other: BillingRunResult) {
        renewalOrders += other.renewalOrders
        invoices += other.invoices
        suspended += other.suspended
        reactivated += other.reactivated
        rolledOver += other.rolledOver
        trialsEnded += other.trialsEnded
        cancelled += other.cancelled
        errors += other.errors
    }
    enum CodingKeys: String, CodingKey {
        case id, businessDate = "business_date", subscriptions, renewalOrders = "renewal_orders", invoices, suspended, reactivated, rolledOver = "rolled_over", trialsEnded = "trials_ended", cancelled, errors
    }
}

/// The record of billing runs (`billing_runs`), and the subscriptions a run visits.
public struct BillingRunStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// Records a run's start; answers its id.
    public func start(businessDate: BusinessDate, by userID: Int64?, node: String) async throws -> Int64 {
        Int64(try await database.query(
            "INSERT INTO billing_runs (business_date, started_at, started_by, node) VALUES (?, UTC_TIMESTAMP(6), ?, ?)",
            [businessDate.mariaDB, userID.map { .int($0) } ?? .null, .string(String(node.prefix(255)))]).lastInsertID)
    }

    /// Subscriptions whose period ends by `horizon` that may have billing to do: live ones, and
    /// cancelled ones whose last period is not invoiced yet. In batches of 5,000, by id.
    public func due(by horizon: BusinessDate) async throws -> [Int64] {
        var due: [Int64] = []
        var cursor: Int64 = 0
        while true {
            let batch = try await database.rows(
                """
                SELECT id FROM subscriptions
                WHERE id > ? AND period_end <= ? AND (status IN ('trial', 'active', 'suspended') OR (status = 'cancelled' AND paid_until < period_end))
                ORDER BY id LIMIT 5000
                """, [.int(cursor), horizon.mariaDB]).map { try $0.decode(column: "id", as: Int64.self) }
            due += batch
            guard let last = batch.last, batch.count == 5000 else { break }
            cursor = last
        }
        return due
    }

    /// Records what the run did when it is over.
    public func finish(_ total: BillingRunResult) async throws {
        try await database.query(
            """
            UPDATE billing_runs SET finished_at = UTC_TIMESTAMP(6), subscriptions_seen = ?, renewal_orders = ?, invoices = ?, suspended = ?, reactivated = ?,
              rolled_over = ?, trials_ended = ?, cancelled = ?, errors = ? WHERE id = ?
            """, [.int(Int64(total.subscriptions)), .int(Int64(total.renewalOrders)), .int(Int64(total.invoices)), .int(Int64(total.suspended)),
                  .int(Int64(total.reactivated)), .int(Int64(total.rolledOver)), .int(Int64(total.trialsEnded)), .int(Int64(total.cancelled)),
                  .int(Int64(total.errors)), .int(total.id)])
    }

    /// The runs, newest first (staff page and API).
    public func recent(limit: Int = 20) async throws -> [(result: BillingRunResult, startedAt: Date, finishedAt: Date?, node: String)] {
        try await database.rows("SELECT * FROM billing_runs ORDER BY id DESC LIMIT ?", [.int(Int64(limit))]).map { row in
            var result = BillingRunResult()
            result.id = try row.decode(column: "id", as: Int64.self)
            result.businessDate = try row.decode(column: "business_date", as: String.self)
            result.subscriptions = try row.decode(column: "subscriptions_seen", as: Int.self)
            result.renewalOrders = try row.decode(column: "renewal_orders", as: Int.self)
            result.invoices = try row.decode(column: "invoices", as: Int.self)
            result.suspended = try row.decode(column: "suspended", as: Int.self)
            result.reactivated = try row.decode(column: "reactivated", as: Int.self)
            result.rolledOver = try row.decode(column: "rolled_over", as: Int.self)
            result.trialsEnded = try row.decode(column: "trials_ended", as: Int.self)
            result.cancelled = try row.decode(column: "cancelled", as: Int.self)
            result.errors = try row.decode(column: "errors", as: Int.self)
            return (result, try row.decode(column: "started_at", as: Date.self), try row.decode(column: "finished_at", as: Date?.self),
                    try row.decode(column: "node", as: String.self))
        }
    }
}
