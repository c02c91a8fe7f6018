import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// DOMAIN.md 7: idempotent submits, serialized changes of one subscription, and nothing half-done,
/// under real concurrency against MariaDB.
final class ConcurrencyTests: XCTestCase {
    /// 50 identical submits with one Idempotency-Key at once: one order, one invoice, one number.
    func testFiftyConcurrentIdenticalSubmitsWithOneKeyMakeOneOrder() async throws {
        let w = try await EngineWorld.make()
        let results = try await withThrowingTaskGroup(of: SubmitResult.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await w.orders.submit(subscription: w.subscription.id, change: .quantities(["ram_gb": 6]), promoCode: nil,
                                              idempotencyKey: "upgrade-ram-1", in: w.customer.scope)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.count, 50)
        XCTAssertEqual(Set(results.map(\.order.id)).count, 1, "every submit answers the same order")
        XCTAssertEqual(results.filter { !$0.replayed }.count, 1, "exactly one created it")
        let observed1 = try await w.count("SELECT COUNT(*) AS n FROM orders")
        XCTAssertEqual(observed1, 1)
        let observed2 = try await w.count("SELECT COUNT(*) AS n FROM invoices")
        XCTAssertEqual(observed2, 1)
        let observed3 = try await w.count("SELECT last_number AS n FROM invoice_counters")
        XCTAssertEqual(observed3, 1)
        // The same key with another body is a conflict; another key is a new request (refused: order_open).
        do {
            _ = try await w.ram(7, key: "upgrade-ram-1")
            XCTFail("same key, other body")
        } catch let error as StoreError {
            guard case .conflict(let code, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, "idempotency_key_reused")
        }
        do {
            _ = try await w.ram(6, key: "upgrade-ram-2")
            XCTFail("another key is another order")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.first.code, .orderOpen)
        }
        // Keys are per user: the reseller's same key is its own.
        do {
            _ = try await w.ram(6, key: "upgrade-ram-1", as: w.reseller)
            XCTFail("the reseller's key is not the customer's")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.first.code, .orderOpen)
        }
        // After 24 hours the key is forgotten.
        _ = try await w.orders.cancel(order: results[0].order.id, in: w.customer.scope)
        try await w.database.query("UPDATE idempotency_keys SET created_at = UTC_TIMESTAMP(6) - INTERVAL 25 HOUR")
        let fresh = try await w.orders.submit(subscription: w.subscription.id, change: .quantities(["ram_gb": 7]), promoCode: nil,
                                              idempotencyKey: "upgrade-ram-1", in: w.customer.scope)
        XCTAssertFalse(fresh.replayed)
        XCTAssertNotEqual(fresh.order.id, results[0].order.id)
    }

    /// 20 different changes of one subscription at once, each retried while another order is open,
    /// paid when it must be, provisioned by workers running beside them: the subscription ends equal
    /// to the last completed order and each order was priced against the one before it.
    func testTwentyConcurrentChangesSerializeAndNoneIsLost() async throws {
        let w = try await EngineWorld.make()
        _ = try await SubscriptionStore(database: w.database).setUsage(w.subscription.id, ["ram_gb": 0], in: w.reseller.scope)
        let targets = Array(Int64(3)...Int64(22)).shuffled()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for target in targets {
                group.addTask {
                    var order: Order?
                    while order == nil {
                        do {
                            order = try await w.ram(target)
                        } catch let refused as OrderRefused where refused.first.code == .orderOpen {
                            try await w.provisioner.runOnce()
                            try await Task.sleep(for: .milliseconds(Int.random(in: 1...8)))
                        }
                    }
                    if order!.status == .awaitingPayment { _ = try await w.pay(order!) }
                    while try await !w.order(order!.id).status.isTerminal {
                        try await w.provisioner.runOnce()
                        try await Task.sleep(for: .milliseconds(2))
                    }
                }
            }
            try await group.waitForAll()
        }
        let orders = try await OrderStore(database: w.database).list(in: w.provider.scope, page: PageRequest(limit: 200)).items.reversed()
        XCTAssertEqual(orders.count, 20)
        XCTAssertEqual(Set(orders.map(\.status)), [.completed])
        var previous: Int64 = 2
        for order in orders {
            let against = try Self.additional(order.pricedAgainst)
            XCTAssertEqual(against, previous, "order #\(order.id) was priced against its predecessor's result")
            let target = try Self.target(order.changeRequest)
            // Δ × 2.50 × 15/30 per unit (and 1.00 setup per added unit): the lines follow the predecessor.
            let delta = target - previous
            XCTAssertEqual(order.lines.first?.amount, delta * 125, "order #\(order.id): Δ \(delta)")
            previous = target
        }
        let final = try await w.current()
        XCTAssertEqual(final.line("ram_gb")?.additional, previous, "equal to the last completed order")
    }

    /// Two invoices paid from the same credit at once: the credit is spent once, never below zero.
    func testTwoConcurrentCreditPaymentsNeverSpendTheSameCreditTwice() async throws {
        let w = try await EngineWorld.make()
        let second = try await SubscriptionStore(database: w.database).importSubscription(SubscriptionImport(
            customerID: w.fixture.c1.id, planID: w.plans["Silver"]!.id, periodMonths: 1, periodStart: "2026-04-11", status: "active",
            resources: [("ram_gb", 2, 0)]), in: w.reseller.scope, clock: w.clock)
        let customer = try await AccountStore(database: w.database).account(w.fixture.c1.id, in: w.provider.scope)
        let usd = Currency(code: "USD", exponent: 2)
        for round in 0..<10 {
            let a = try await w.ram(Int64(3 + round))
            let b = try await w.ram(Int64(3 + round), subscription: second.id)
            // Credit 1.00 short of both invoices: whichever pays second can only pay part.
            let wanted = a.totals.total + b.totals.total - 100
            let topUp = wanted - (try await w.credit())
            try await w.database.withTransaction { tx in
                _ = try await CreditLedger.lockedBalance(of: customer.id, on: tx)
                try await CreditLedger.post(Money(minorUnits: topUp, currency: usd), to: customer, reason: "Goodwill", actor: w.provider, on: tx)
            }
            async let first = try? w.pay(a, .credit)
            async let other = try? w.pay(b, .credit)
            let outcomes = await [first, other].compactMap { $0 }
            let spent = outcomes.map(\.payment.amount.minorUnits).reduce(0, +)
            XCTAssertEqual(spent, wanted, "round \(round): the credit is spent once, however the two payments interleave")
            let observed1 = try await w.credit()
            XCTAssertEqual(observed1, 0)
            // The part still due goes by card; both complete.
            for order in [a, b] where try await w.invoice(order.invoiceID!).status == .unpaid {
                _ = try await w.pay(order)
            }
            try await w.provisionAll()
            let observed2 = try await w.order(a.id).status
            XCTAssertEqual(observed2, .completed)
            let observed3 = try await w.order(b.id).status
            XCTAssertEqual(observed3, .completed)
        }
    }

    static func additional(_ pricedAgainst: String) throws -> Int64 {
        let object = try JSONSerialization.jsonObject(with: Data(pricedAgainst.utf8)) as? [String: Any]
        return try XCTUnwrap((object?["additional"] as? [String: Any])?["ram_gb"] as? Int).int64
    }

    static func target(_ change: String) throws -> Int64 {
        let object = try JSONSerialization.jsonObject(with: Data(change.utf8)) as? [String: Any]
        return try XCTUnwrap((object?["resources"] as? [String: Any])?["ram_gb"] as? Int).int64
    }
}

extension Int {
    var int64: Int64 { Int64(self) }
}
