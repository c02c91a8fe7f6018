import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// The billing run renews due subscriptions in batches (one transaction per batch): a subscription
/// that can't be renewed neither blocks nor spoils the others of its batch, and two runs at once
/// (two nodes) issue each renewal once, with invoice numbers gapless per seller.
final class RenewalBatchTests: XCTestCase {
    /// 40 copies of Customer One's subscription, all ending on 2026-05-11; the business date is 2026-05-04 (within the 7-day lead).
    func dueWorld(copies: Int) async throws -> EngineWorld {
        let w = try await EngineWorld.make()
        try await w.database.query(
            """
            INSERT INTO subscriptions (customer_id, customer_path, plan_id, period_months, status, period_start, period_end, paid_until, anchor_day,
              priced_at, individual_prices, created_at, updated_at)
            SELECT customer_id, customer_path, plan_id, 1, 'active', period_start, period_end, period_end, 11, priced_at, FALSE, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
            FROM subscriptions CROSS JOIN seq_1_to_\(copies - 1) WHERE id = \(w.subscription.id)
            """)
        try await w.database.query(
            """
            INSERT INTO subscription_resources (subscription_id, resource_id, included, additional, usage_units)
            SELECT s.id, r.resource_id, r.included, r.additional, r.usage_units FROM subscriptions s
            JOIN subscription_resources r ON r.subscription_id = \(w.subscription.id) WHERE s.id <> \(w.subscription.id)
            """)
        try await w.clock.set(Timestamps.date("2026-05-04T06:00:00Z"), by: w.provider)
        return w
    }

    func testASubscriptionThatCantBeRenewedLeavesTheRestOfItsBatchRenewed() async throws {
        let w = try await dueWorld(copies: 40)
        // One subscription holds a 3-month period Silver doesn't offer: its renewal can't be priced.
        let broken = try await w.database.rows("SELECT id FROM subscriptions ORDER BY id LIMIT 1 OFFSET 17")[0].decode(column: "id", as: Int64.self)
        try await w.database.query("UPDATE subscriptions SET period_months = 3 WHERE id = ?", [.int(broken)])
        var run = BillingRun(database: w.database, clock: w.clock, logger: TestDatabase.logger("billing"))
        run.batchSize = 25
        let result = try await run.run()
        XCTAssertEqual(result.renewalOrders, 39)
        XCTAssertEqual(result.invoices, 39)
        XCTAssertEqual(result.errors, 1, "the one that can't be priced is reported")
        let brokenOrders = try await w.count("SELECT COUNT(*) AS n FROM orders WHERE subscription_id = ?", [.int(broken)])
        XCTAssertEqual(brokenOrders, 0)
        let numbers = try await w.database.rows("SELECT COUNT(*) AS n, MIN(number) AS lo, MAX(number) AS hi FROM invoices")[0]
        XCTAssertEqual(try numbers.decode(column: "n", as: Int.self), 39)
        XCTAssertEqual(try numbers.decode(column: "lo", as: Int.self), 1)
        XCTAssertEqual(try numbers.decode(column: "hi", as: Int.self), 39, "gapless")
        // Each renewal as one by one writes it: its invoice with the order's lines, its upstream level, its audit entry.
        let linked = try await w.count("SELECT COUNT(*) AS n FROM orders o JOIN invoices i ON i.id = o.invoice_id AND i.order_id = o.id WHERE o.kind = 'renewal'")
        XCTAssertEqual(linked, 39)
        let lines = try await w.count("SELECT COUNT(*) AS n FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE l.description LIKE CONCAT('Order #', i.order_id, ': %')")
        let orderLines = try await w.count("SELECT COUNT(*) AS n FROM order_lines")
        XCTAssertEqual(lines, orderLines)
        let levels = try await w.count("SELECT COUNT(*) AS n FROM order_upstream")
        XCTAssertEqual(levels, 39, "Reseller One owes the provider for each")
        let audited = try await w.count("SELECT COUNT(*) AS n FROM audit_log WHERE object_type = 'order' AND action = 'renewal issued'")
        XCTAssertEqual(audited, 39)
    }

    func testTwoRunsAtOnceIssueEachRenewalOnce() async throws {
        let w = try await dueWorld(copies: 300)
        var a = BillingRun(database: w.database, clock: w.clock, logger: TestDatabase.logger("billing"))
        var b = a
        a.batchSize = 40
        b.batchSize = 70
        async let first = a.run(node: "a")
        async let second = b.run(node: "b")
        let (byA, byB) = try await (first, second)
        XCTAssertEqual(byA.renewalOrders + byB.renewalOrders, 300)
        XCTAssertEqual(byA.errors + byB.errors, 0)
        let renewals = try await w.count("SELECT COUNT(DISTINCT renewal_key) AS n FROM orders WHERE kind = 'renewal'")
        XCTAssertEqual(renewals, 300)
        let numbers = try await w.database.rows("SELECT COUNT(*) AS n, COUNT(DISTINCT number) AS d, MAX(number) AS hi FROM invoices")[0]
        XCTAssertEqual(try numbers.decode(column: "n", as: Int.self), 300)
        XCTAssertEqual(try numbers.decode(column: "d", as: Int.self), 300)
        XCTAssertEqual(try numbers.decode(column: "hi", as: Int.self), 300, "gapless")
    }
}
