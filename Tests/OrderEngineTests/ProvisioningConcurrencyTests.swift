import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import Synchronization
import TestSupport
import XCTest

/// The provisioning worker is not a single-file queue (issue 13, DOMAIN.md 7): one worker provisions
/// several orders at once (bounded by `concurrency`), and workers sharing a database never both
/// complete one order, because each order is claimed by a committed conditional update first.
final class ProvisioningConcurrencyTests: XCTestCase {
    /// The built-in test connector behind a vendor that takes `delay` per call, counting its calls per order.
    struct SlowConnector: Connector {
        let inner: TestConnector
        let delay: Duration
        let calls: Calls
        var name: String { inner.name }

        func provision(_ request: ProvisioningRequest) async throws -> ProvisioningResult {
            calls.record(request.orderID)
            try await Task.sleep(for: delay)
            return try await inner.provision(request)
        }
    }

    final class Calls: Sendable {
        private let perOrder = Mutex([Int64: Int]())
        func record(_ order: Int64) { perOrder.withLock { $0[order, default: 0] += 1 } }
        var counts: [Int64: Int] { perOrder.withLock { $0 } }
    }

    /// `count` subscriptions of Customer One, each with a reduction of RAM (a refund: it provisions at once, no payment).
    func ordersInProvisioning(_ w: EngineWorld, count: Int) async throws -> [Int64] {
        var orders: [Int64] = []
        for _ in 0..<count {
            let subscription = try await SubscriptionStore(database: w.database).importSubscription(SubscriptionImport(
                customerID: w.fixture.c1.id, planID: w.plans["Silver"]!.id, periodMonths: 1, periodStart: "2026-04-11", status: "active",
                resources: [("ram_gb", 2, 0)]), in: w.reseller.scope, clock: w.clock)
            let order = try await w.ram(1, subscription: subscription.id)
            XCTAssertEqual(order.status, .provisioning)
            orders.append(order.id)
        }
        return orders
    }

    func provisioner(_ w: EngineWorld, delay: Duration, calls: Calls, concurrency: Int) -> Provisioner {
        var provisioner = Provisioner(database: w.database, connectors: ConnectorRegistry([SlowConnector(inner: TestConnector(database: w.database), delay: delay, calls: calls)]),
                                      clock: w.clock, logger: TestDatabase.logger("provisioner"))
        provisioner.concurrency = concurrency
        return provisioner
    }

    func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }

    /// 16 orders, a vendor that takes 0.5 s each: one after the other that is 8 s; 8 at a time, about 1 s.
    func testOneWorkerProvisionsSeveralOrdersAtOnce() async throws {
        let w = try await EngineWorld.make()
        let orders = try await ordersInProvisioning(w, count: 16)
        let calls = Calls()
        let started = ContinuousClock.now
        let finished = try await provisioner(w, delay: .milliseconds(500), calls: calls, concurrency: 8).runOnce(limit: 16)
        let elapsed = seconds(ContinuousClock.now - started)
        print("PROVISIONING 16 orders, 0.5 s vendor, concurrency 8: \(String(format: "%.2f", elapsed)) s (one at a time: ≥ 8 s)")
        XCTAssertEqual(finished, 16)
        XCTAssertLessThan(elapsed, 16 * 0.5 / 3, "orders are provisioned concurrently")
        for id in orders {
            let status = try await w.order(id).status
            XCTAssertEqual(status, .completed)
        }
        XCTAssertEqual(calls.counts, Dictionary(uniqueKeysWithValues: orders.map { ($0, 1) }), "the vendor is called once per order")
    }

    /// Two workers (two nodes) on one database, both going for the same 24 orders at once: every
    /// order completes exactly once (one vendor call, one completion in the audit trail, one refund).
    func testTwoWorkersNeverBothCompleteAnOrder() async throws {
        let w = try await EngineWorld.make()
        let orders = try await ordersInProvisioning(w, count: 24)
        let creditBefore = try await w.creditLog().count
        let calls = Calls()
        let a = provisioner(w, delay: .milliseconds(200), calls: calls, concurrency: 8)
        let b = provisioner(w, delay: .milliseconds(200), calls: calls, concurrency: 8)
        let started = ContinuousClock.now
        async let byA = a.runOnce(limit: 24)
        async let byB = b.runOnce(limit: 24)
        let (finishedA, finishedB) = try await (byA, byB)
        var more = 0  // what both passed over while the other held it
        while true {
            let n = try await a.runOnce(limit: 24)
            if n == 0 { break }
            more += n
        }
        let elapsed = seconds(ContinuousClock.now - started)
        print("PROVISIONING 24 orders, two workers of 8, 0.2 s vendor: \(finishedA) + \(finishedB) + \(more) in \(String(format: "%.2f", elapsed)) s (one at a time: ≥ 4.8 s)")
        XCTAssertEqual(finishedA + finishedB + more, 24)
        XCTAssertGreaterThan(finishedA, 0)
        XCTAssertGreaterThan(finishedB, 0)
        XCTAssertEqual(calls.counts, Dictionary(uniqueKeysWithValues: orders.map { ($0, 1) }), "no order reaches the vendor twice")
        for id in orders {
            let status = try await w.order(id).status
            XCTAssertEqual(status, .completed)
            let completions = try await w.count("SELECT COUNT(*) AS n FROM audit_log WHERE object_type = 'order' AND object_id = ? AND action = 'provisioning'",
                                                [.int(id)])
            XCTAssertEqual(completions, 1, "order \(id) completed once")
        }
        let refunds = try await w.creditLog().count - creditBefore
        XCTAssertEqual(refunds, 24, "one refund per order")
    }

    /// Issue 14: a claim is short (so a dead worker's orders pass to another node within seconds)
    /// and renewed while the vendor works (so a slow vendor never gets the order twice). Claims of
    /// 3 s, a vendor that takes 5 s: a second worker looking at 3.5 s and 4.5 s, past the first
    /// claim's own end, finds the order still held; the vendor is called once.
    func testAClaimIsRenewedWhileTheVendorWorksSoASecondWorkerNeverTakesIt() async throws {
        let w = try await EngineWorld.make()
        let orders = try await ordersInProvisioning(w, count: 1)
        let calls = Calls()
        var slow = provisioner(w, delay: .seconds(5), calls: calls, concurrency: 1)
        slow.claimSeconds = 3
        var other = provisioner(w, delay: .milliseconds(1), calls: calls, concurrency: 1)
        other.claimSeconds = 3
        async let bySlow = slow.runOnce()
        try await Task.sleep(for: .milliseconds(3500))
        let early = try await other.runOnce()
        try await Task.sleep(for: .seconds(1))
        let later = try await other.runOnce()
        let finished = try await bySlow
        XCTAssertEqual([early, later, finished], [0, 0, 1], "the slow worker kept its claim and finished the order")
        XCTAssertEqual(calls.counts, [orders[0]: 1], "the vendor was asked once")
        let status = try await w.order(orders[0]).status
        XCTAssertEqual(status, .completed)
    }

    /// A worker that died holding a claim (never renewed) leaves the order to another once the
    /// claim's 3 s are over: taken over in seconds, not minutes.
    func testADeadWorkersClaimPassesToAnotherWorkerWhenItRunsOut() async throws {
        let w = try await EngineWorld.make()
        let orders = try await ordersInProvisioning(w, count: 1)
        try await w.database.query("UPDATE orders SET claim_token = 'dead-worker', claimed_until = UTC_TIMESTAMP(6) + INTERVAL 3 SECOND, attempts = 1 WHERE id = ?",
                                   [.int(orders[0])])
        let calls = Calls()
        var other = provisioner(w, delay: .milliseconds(1), calls: calls, concurrency: 1)
        other.claimSeconds = 3
        let whileHeld = try await other.runOnce()
        XCTAssertEqual(whileHeld, 0, "a claim that has not run out is respected")
        let started = ContinuousClock.now
        var taken = 0
        while taken == 0 && ContinuousClock.now - started < .seconds(10) {
            try await Task.sleep(for: .milliseconds(250))
            taken = try await other.runOnce()
        }
        XCTAssertEqual(taken, 1)
        XCTAssertLessThan(seconds(ContinuousClock.now - started), 4.5, "taken over as the claim ran out")
        let status = try await w.order(orders[0]).status
        XCTAssertEqual(status, .completed)
    }
}
