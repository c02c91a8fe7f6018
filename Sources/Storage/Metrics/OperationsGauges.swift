import Foundation
import MariaDB

/// What `/metrics` reads from the database at each scrape: orders that are not completed, the
/// provisioning and outbox backlogs, the last billing run. Every statement is a range on an index
/// whose range stays small (open and unsuccessful orders, pending deliveries, unfanned events) or
/// the newest rows by primary key, so a scrape costs the same with a million completed orders.
/// Completed orders are not counted here: counting them would scan every order.
public struct OperationsGauges: Sendable, Equatable {
    /// Orders by kind and status, every status but `completed`.
    public var orders: [OrderCount] = []
    /// Seconds since the oldest order awaiting payment was created / the oldest in provisioning was paid (0: none).
    public var oldestAwaitingPaymentSeconds: Int64 = 0
    public var oldestProvisioningSeconds: Int64 = 0
    /// Outbox deliveries still to make, by channel (webhook, email), and the age of the oldest.
    public var pendingDeliveries: [String: Int64] = [:]
    public var oldestPendingDeliverySeconds: Int64 = 0
    /// Events recorded but not yet turned into deliveries, and the age of the oldest.
    public var unfannedEvents: Int64 = 0
    public var oldestUnfannedEventSeconds: Int64 = 0
    /// The newest finished billing run, if any: how long it took, its errors, how long ago it finished.
    public var lastBillingRun: FinishedRun?
    /// Seconds the newest billing run has been running, when it has not finished (0: none running).
    public var billingRunRunningSeconds: Int64 = 0

    public struct OrderCount: Sendable, Equatable {
        public var kind: OrderKind
        public var status: OrderStatus
        public var count: Int64
    }

    public struct FinishedRun: Sendable, Equatable {
        public var microseconds: Int64
        public var errors: Int64
        public var finishedSecondsAgo: Int64
    }

    public init() {}

    /// The statuses counted at each scrape (an index range on `orders_status`).
    public static let countedStatuses: [OrderStatus] = OrderStatus.allCases.filter { $0 != .completed }

    public static func read(on database: MariaDBDatabase) async throws -> OperationsGauges {
        var gauges = OperationsGauges()
        let statuses = countedStatuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        for row in try await database.rows(
            """
            SELECT kind, status, COUNT(*) AS n,
                   TIMESTAMPDIFF(SECOND, MIN(COALESCE(paid_at, created_at)), UTC_TIMESTAMP(6)) AS oldest
            FROM orders WHERE status IN (\(statuses)) GROUP BY kind, status
            """) {
            guard let kind = OrderKind(rawValue: try row.decode(column: "kind", as: String.self)),
                  let status = OrderStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
            gauges.orders.append(OrderCount(kind: kind, status: status, count: try row.decode(column: "n", as: Int64.self)))
            let oldest = try row.decode(column: "oldest", as: Int64?.self) ?? 0
            switch status {
            case .awaitingPayment: gauges.oldestAwaitingPaymentSeconds = max(gauges.oldestAwaitingPaymentSeconds, oldest)
            case .provisioning: gauges.oldestProvisioningSeconds = max(gauges.oldestProvisioningSeconds, oldest)
            default: break
            }
        }
        for row in try await database.rows(
            """
            SELECT channel, COUNT(*) AS n, TIMESTAMPDIFF(SECOND, MIN(created_at), UTC_TIMESTAMP(6)) AS oldest
            FROM outbox_deliveries WHERE status = 'pending' GROUP BY channel
            """) {
            gauges.pendingDeliveries[try row.decode(column: "channel", as: String.self)] = try row.decode(column: "n", as: Int64.self)
            gauges.oldestPendingDeliverySeconds = max(gauges.oldestPendingDeliverySeconds, try row.decode(column: "oldest", as: Int64?.self) ?? 0)
        }
        if let row = try await database.rows(
            """
            SELECT COUNT(*) AS n, TIMESTAMPDIFF(SECOND, MIN(occurred_at), UTC_TIMESTAMP(6)) AS oldest
            FROM outbox_events WHERE fanned_out_at IS NULL
            """).first {
            gauges.unfannedEvents = try row.decode(column: "n", as: Int64.self)
            gauges.oldestUnfannedEventSeconds = try row.decode(column: "oldest", as: Int64?.self) ?? 0
        }
        // The newest run by id, and the newest finished one (runs are few: a day's worth is a handful).
        if let row = try await database.rows(
            """
            SELECT TIMESTAMPDIFF(SECOND, started_at, UTC_TIMESTAMP(6)) AS running FROM billing_runs
            WHERE id = (SELECT MAX(id) FROM billing_runs) AND finished_at IS NULL
            """).first {
            gauges.billingRunRunningSeconds = try row.decode(column: "running", as: Int64?.self) ?? 0
        }
        if let row = try await database.rows(
            """
            SELECT TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) AS micros, errors,
                   TIMESTAMPDIFF(SECOND, finished_at, UTC_TIMESTAMP(6)) AS ago
            FROM billing_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1
            """).first {
            gauges.lastBillingRun = FinishedRun(microseconds: try row.decode(column: "micros", as: Int64.self),
                                                errors: try row.decode(column: "errors", as: Int64.self),
                                                finishedSecondsAgo: try row.decode(column: "ago", as: Int64.self))
        }
        return gauges
    }
}
