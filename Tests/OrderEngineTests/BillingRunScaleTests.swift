import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// How long a billing run takes for many subscriptions due on one day, and the SQL statements per
/// renewed subscription, printed for the record. `BILLING_SCALE=100000 swift test --filter
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
        func questions() async throws -> Int { try await Int(db.rows("SHOW GLOBAL STATUS LIKE 'Questions'")[0].decode(column: "Value", as: String.self))! }
        let before = try await questions()
        let started = ContinuousClock.now
        let result = try await BillingRun(database: db, clock: w.clock, logger: TestDatabase.logger("billing")).run()
        let elapsed = ContinuousClock.now - started
        let statements = try await questions() - before
        XCTAssertEqual(result.renewalOrders, count)
        XCTAssertEqual(result.invoices, count)
        XCTAssertEqual(result.errors, 0)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("BILLING RUN \(count) subscriptions due: \(String(format: "%.1f", seconds)) s, \(String(format: "%.0f", Double(count) / seconds))/s, "
              + "\(statements / count) statements per renewed subscription (BEGIN and COMMIT included)")
        let numbers = try await db.rows("SELECT MIN(number) AS lo, MAX(number) AS hi, COUNT(*) AS n FROM invoices")[0]
        XCTAssertEqual(try numbers.decode(column: "hi", as: Int.self), count, "gapless, one number each")
        let again = try await BillingRun(database: db, clock: w.clock, logger: TestDatabase.logger("billing")).run()
        XCTAssertEqual(again.renewalOrders + again.invoices, 0)
    }
}
