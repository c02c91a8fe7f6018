import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// A seeded run of 1,000 operations (quotes, submits, payments by every method including declined
/// and failing cards, cancellations, provisioning with failures switched on and off) in four lanes
/// at once, on three subscriptions that share one customer's credit. Afterwards the books must
/// balance exactly (DOMAIN.md 7 and 9).
final class RandomizedRunTests: XCTestCase {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testAThousandRandomOperationsLeaveTheBooksExact() async throws {
        let w = try await EngineWorld.make()
        let subscriptions = SubscriptionStore(database: w.database)
        var ids = [w.subscription.id]
        for _ in 0..<2 {
            ids.append(try await subscriptions.importSubscription(SubscriptionImport(
                customerID: w.fixture.c1.id, planID: w.plans["Silver"]!.id, periodMonths: 1, periodStart: "2026-04-11", status: "active",
                resources: [("ram_gb", 2, 0), ("support_basic", 1, 0)]), in: w.reseller.scope, clock: w.clock).id)
        }
        _ = try await subscriptions.setUsage(w.subscription.id, ["ram_gb": 0], in: w.reseller.scope)
        let all = ids
        let seed = UInt64(ProcessInfo.processInfo.environment["RANDOM_RUN_SEED"] ?? "") ?? 20261122
        let operations = try await withThrowingTaskGroup(of: [String: Int].self) { group in
            for lane in 0..<4 {
                group.addTask { try await Self.lane(w, all, operations: 250, rng: SplitMix64(state: seed &+ UInt64(lane))) }
            }
            return try await group.reduce(into: [String: Int]()) { total, counts in total.merge(counts, uniquingKeysWith: +) }
        }
        XCTAssertEqual(operations.values.reduce(0, +), 1000)
        try await w.failProvisioning("ram_gb", false)
        try await w.provisionAll()
        print("randomized run (seed \(seed)): \(operations.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        let outcomes = try await w.database.rows("SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status")
            .map { "\(try $0.decode(column: "status", as: String.self)) \(try $0.decode(column: "n", as: Int.self))" }
        let payments = try await w.database.rows("SELECT method, status, COUNT(*) AS n FROM payments GROUP BY method, status ORDER BY method, status")
            .map { "\(try $0.decode(column: "method", as: String.self))/\(try $0.decode(column: "status", as: String.self)) \(try $0.decode(column: "n", as: Int.self))" }
        print("orders: \(outcomes.joined(separator: ", ")); payments: \(payments.joined(separator: ", ")); credit \(try await w.credit())")
        let completed = try await w.count("SELECT COUNT(*) AS n FROM orders WHERE status = 'completed'")
        XCTAssertGreaterThan(completed, 20, "the run did real work")
        try await Self.assertBooksBalance(w, subscriptions: ids)
    }

    /// One lane of random operations; answers how many of each it did.
    static func lane(_ w: EngineWorld, _ ids: [Int64], operations: Int, rng seeded: SplitMix64) async throws -> [String: Int] {
        var rng = seeded
        var counts: [String: Int] = [:]
        let cards = [TestGateway.approved, TestGateway.approved, TestGateway.declined, TestGateway.failing]
        for _ in 0..<operations {
            let subscription = ids.randomElement(using: &rng)!
            let roll = Int.random(in: 0..<100, using: &rng)
            let target = Int64.random(in: 0...12, using: &rng)
            do {
                switch roll {
                case 0..<15:
                    counts["quote", default: 0] += 1
                    _ = try await QuoteService(database: w.database, clock: w.clock).quote(subscription: subscription, change: .quantities(["ram_gb": target]),
                                                                                          promoCode: nil, in: w.customer.scope)
                case 15..<45:
                    counts["submit", default: 0] += 1
                    _ = try await w.ram(target, key: Bool.random(using: &rng) ? "k\(subscription)-\(target)" : nil, subscription: subscription)
                case 45..<75:
                    counts["pay", default: 0] += 1
                    let unpaid = try await InvoiceStore(database: w.database).list(in: w.customer.scope, filter: .init(status: .unpaid)).items
                    guard let invoice = unpaid.randomElement(using: &rng) else { break }
                    let method: OrderService.PaymentRequest = switch Int.random(in: 0..<4, using: &rng) {
                    case 0: .credit
                    case 1: .bankTransfer(reference: "R\(invoice.id)")
                    default: .card(number: cards.randomElement(using: &rng)!)
                    }
                    let actor = if case .bankTransfer = method { w.reseller } else { w.customer }
                    _ = try await w.orders.pay(invoice: invoice.id, method, in: actor.scope)
                case 75..<83:
                    counts["cancel", default: 0] += 1
                    let open = try await OrderStore(database: w.database).list(in: w.customer.scope, filter: .init(status: .awaitingPayment)).items
                    guard let order = open.randomElement(using: &rng) else { break }
                    _ = try await w.orders.cancel(order: order.id, in: w.customer.scope)
                case 83..<97:
                    counts["provision", default: 0] += 1
                    try await w.provisioner.runOnce()
                default:
                    counts["toggle failure", default: 0] += 1
                    try await w.failProvisioning("ram_gb", Bool.random(using: &rng))
                }
            } catch is OrderRefused {
            } catch is OrderService.PaymentFailed {
            } catch let error as StoreError {
                // Expected refusals: a race lost to another lane (paid, cancelled), no credit, nothing to order, a reused key.
                switch error {
                case .invalid, .conflict: break
                default: throw error
                }
            }
        }
        return counts
    }

    static func assertBooksBalance(_ w: EngineWorld, subscriptions: [Int64], file: StaticString = #filePath, line: UInt = #line) async throws {
        let db = w.database
        // Every credit balance is the sum of its log, and equals what the orders and payments say it must be.
        let ledger = try await w.credit()
        let logSum = try await w.creditLog().map(\.amount.minorUnits).reduce(0, +)
        XCTAssertEqual(ledger, logSum, file: file, line: line)
        let expected = try await db.rows(
            """
            SELECT
              (SELECT CAST(COALESCE(SUM(-total), 0) AS SIGNED) FROM orders WHERE customer_id = ? AND status = 'completed' AND total < 0) +
              (SELECT CAST(COALESCE(SUM(p.amount), 0) AS SIGNED) FROM payments p JOIN orders o ON o.invoice_id = p.invoice_id
                 WHERE o.customer_id = ? AND p.status = 'succeeded' AND o.status IN ('provisioning_failed', 'cancelled')) -
              (SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM payments WHERE customer_id = ? AND status = 'succeeded' AND method = 'credit') AS n
            """, [.int(w.fixture.c1.id), .int(w.fixture.c1.id), .int(w.fixture.c1.id)])[0].decode(column: "n", as: Int64.self)
        XCTAssertEqual(ledger, expected, "refunds + returned payments − credit spent", file: file, line: line)
        XCTAssertGreaterThanOrEqual(ledger, 0, "credit is never overspent", file: file, line: line)

        // Every invoice total is the sum of its lines, less discounts, plus tax; paid ⇔ payments cover it.
        let invoices = try await InvoiceStore(database: db).list(in: w.provider.scope, page: PageRequest(limit: 200))
        XCTAssertNil(invoices.nextCursor, "fewer than 200 invoices", file: file, line: line)
        for invoice in invoices.items {
            let lines = invoice.lines.map { $0.amount - $0.discount }.reduce(0, +)
            XCTAssertEqual(invoice.total, lines + (invoice.pricesIncludeTaxes ? 0 : invoice.tax), invoice.displayNumber, file: file, line: line)
            switch invoice.status {
            case .paid: XCTAssertEqual(invoice.paid, invoice.total, invoice.displayNumber, file: file, line: line)
            case .unpaid, .cancelled: XCTAssertLessThan(invoice.paid, invoice.total, invoice.displayNumber, file: file, line: line)
            }
        }
        // Numbers are gapless per seller.
        let numbers = invoices.items.map(\.number).sorted()
        XCTAssertEqual(numbers, (0..<numbers.count).map { Int64($0 + 1) }, file: file, line: line)

        // Each subscription equals its last completed order, and each completed order was priced
        // against the one before it.
        let orders = try await OrderStore(database: db).list(in: w.provider.scope, filter: .init(status: .completed), page: PageRequest(limit: 200)).items
        for id in subscriptions {
            var additional: Int64 = 2  // every subscription was imported with 2 additional
            for order in orders.reversed() where order.subscriptionID == id {
                XCTAssertEqual(try ConcurrencyTests.additional(order.pricedAgainst), additional, "order #\(order.id)", file: file, line: line)
                additional = try ConcurrencyTests.target(order.changeRequest)
            }
            let current = try await w.current(id)
            XCTAssertEqual(current.line("ram_gb")?.additional, additional, "subscription \(id)", file: file, line: line)
        }
        // Nothing is left open or claimed.
        let open = try await w.count("SELECT COUNT(*) AS n FROM orders WHERE status = 'provisioning' OR claim_token IS NOT NULL")
        XCTAssertEqual(open, 0, file: file, line: line)
    }
}
