import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// How long a billing run takes for many subscriptions due on one day, and the SQL statements per
/// renewed subscription (counted by the driver), printed for the record. `BILLING_SCALE=100000 swift test --filter
/// BillingRunScaleTests` for the figure in the notes; the suite runs 1,000.
final class BillingRunScaleTests: XCTestCase {
    func testABillingRunRenewsEverySubscriptionDueOnOneDay() async throws {
        let count = Int(ProcessInfo.processInfo.environment["BILLING_SCALE"] ?? "") ?? 1000
        let w = try await EngineWorld.make()
        let db = w.database
        // Subscriptions like Customer One's, all ending on 2026-05-11, written in bulk (MariaDB's sequence engine).
        try await db.query(
            """
            INSERT INTO subscriptions (customer_id, customer_path, plan_id, period_months, status, period_start, period_end, paid_until, anchor_day,
              priced_at, individual_prices, created_at, updated_at)
            SELECT customer_id, customer_path, plan_id, 1, 'active', period_start, period_end, period_end, 11, priced_at, FALSE, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
            FROM subscriptions CROSS JOIN seq_1_to_\(count - 1) WHERE id = \(w.subscription.id)
            """)
        try await db.query(
            """
            INSERT INTO subscription_resources (subscription_id, resource_id, included, additional, usage_units)
            SELECT s.id, r.resource_id, r.included, r.additional, r.usage_units FROM subscriptions s
            JOIN subscription_resources r ON r.subscription_id = \(w.subscription.id) WHERE s.id <> \(w.subscription.id)
            """)
        try await w.clock.set(Timestamps.date("2026-05-04T06:00:00Z"), by: w.provider)
        // The run's own statements, counted by the driver (the server's counters see every other test database too).
        let (counted, counter) = StatementCounter.counting(db)
        let started = ContinuousClock.now
        var run = BillingRun(database: counted, clock: w.clock, logger: TestDatabase.logger("billing"))
        // BILLING_BATCH=1: one subscription per transaction, as before batches (for the before/after figure).
        run.batchSize = Int(ProcessInfo.processInfo.environment["BILLING_BATCH"] ?? "") ?? run.batchSize
        let result = try await run.run()
        let elapsed = ContinuousClock.now - started
        let sent = counter.take()
        let statements = sent.count
        let kinds = Dictionary(grouping: sent) { String($0.prefix(60)).replacingOccurrences(of: "\n", with: " ") }.mapValues(\.count)
        for (kind, n) in kinds.sorted(by: { $0.value > $1.value }).prefix(25) { print("  \(n)\t\(kind)") }
        XCTAssertEqual(result.renewalOrders, count)
        XCTAssertEqual(result.invoices, count)
        XCTAssertEqual(result.errors, 0)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("BILLING RUN \(count) subscriptions due, batches of \(run.batchSize): \(String(format: "%.1f", seconds)) s, \(String(format: "%.0f", Double(count) / seconds))/s, "
              + "\(String(format: "%.2f", Double(statements) / Double(count))) statements per renewed subscription (BEGIN and COMMIT included)")
        let numbers = try await db.rows("SELECT MIN(number) AS lo, MAX(number) AS hi, COUNT(*) AS n FROM invoices")[0]
        XCTAssertEqual(try numbers.decode(column: "hi", as: Int.self), count, "gapless, one number each")
        let again = try await BillingRun(database: db, clock: w.clock, logger: TestDatabase.logger("billing")).run()
        XCTAssertEqual(again.renewalOrders + again.invoices, 0)
    }
}
