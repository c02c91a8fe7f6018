import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// Issue 13: a quote loads its snapshot in a handful of statements, and upstream levels are priced
/// from that snapshot: a customer three reseller levels below the plan's owner costs the same
/// statements as one a single level below, for the quote and for the submit.
final class QuoteStatementCountTests: XCTestCase {
    /// Customer One (one level: Reseller One) and a customer three levels down (Reseller One →
    /// One A → One A A, each with its own prices), each holding Silver, each asking for +1 GB.
    func testAQuoteAndASubmitCostTheSameStatementsAtOneAndAtThreeResellerLevels() async throws {
        let w = try await EngineWorld.make()
        let deep = try await DeepChain.make(w)
        let (db, counter) = StatementCounter.counting(w.database)
        let clock = BusinessClock(database: db, testMode: true)
        let quotes = QuoteService(database: db, clock: clock)
        let orders = OrderService(database: db, clock: clock)

        _ = counter.take()
        let shallowQuote = try await quotes.quote(subscription: w.subscription.id, change: .quantities(["ram_gb": 3]), promoCode: nil, in: w.customer.scope)
        let shallowQuoteSQL = counter.take()
        let deepQuote = try await quotes.quote(subscription: deep.subscription.id, change: .quantities(["ram_gb": 3]), promoCode: nil, in: deep.customer.scope)
        let deepQuoteSQL = counter.take()
        // +1 GB for 15 of 30 days and its 1.00 setup: Reseller One sells at 3.00 (1.50); One A A at One A's 4.00 (2.00).
        XCTAssertEqual(shallowQuote.quote.plan.subtotal, 150 + 100)
        XCTAssertEqual(deepQuote.quote.plan.subtotal, 200 + 100)

        let shallowOrder = try await orders.submit(subscription: w.subscription.id, change: .quantities(["ram_gb": 3]), promoCode: nil,
                                                   idempotencyKey: "shallow", in: w.customer.scope).order
        let shallowSubmitSQL = counter.take()
        let deepOrder = try await orders.submit(subscription: deep.subscription.id, change: .quantities(["ram_gb": 3]), promoCode: nil,
                                                idempotencyKey: "deep", in: deep.customer.scope).order
        let deepSubmitSQL = counter.take()

        print("STATEMENTS per quote: \(shallowQuoteSQL.count) at 1 reseller level, \(deepQuoteSQL.count) at 3; per submit: \(shallowSubmitSQL.count) at 1, \(deepSubmitSQL.count) at 3")
        if ProcessInfo.processInfo.environment["PRINT_STATEMENTS"] != nil {
            for (step, sql) in [("quote 1", shallowQuoteSQL), ("quote 3", deepQuoteSQL), ("submit 1", shallowSubmitSQL), ("submit 3", deepSubmitSQL)] {
                print("-- \(step): \(sql.count)\n" + sql.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n"))
            }
        }
        XCTAssertEqual(deepQuoteSQL.count, shallowQuoteSQL.count, "prices up a longer chain are read in the same statements:\n\(deepQuoteSQL.joined(separator: "\n"))")
        XCTAssertEqual(deepSubmitSQL.count, shallowSubmitSQL.count, "upstream levels are priced from the quote's snapshot, not re-quoted:\n\(deepSubmitSQL.joined(separator: "\n"))")
        XCTAssertLessThanOrEqual(shallowQuoteSQL.count, 10, shallowQuoteSQL.joined(separator: "\n"))

        let levels = try await w.database.rows("SELECT reseller_id, sold, amount FROM order_upstream WHERE order_id = ? ORDER BY LENGTH(reseller_path) DESC",
                                               [.int(deepOrder.id)]).map {
            [try $0.decode(column: "reseller_id", as: Int64.self), try $0.decode(column: "sold", as: Int64.self), try $0.decode(column: "amount", as: Int64.self)]
        }
        // Each level owes its parent's price, once: One A A sells at One A's 4.00 and owes One A's 4.00 (2.00 + 1.00 setup);
        // One A owes One's 3.00 (1.50 + 1.00); One owes the owner's 2.50 (1.25 + 1.00).
        XCTAssertEqual(levels, [[deep.r1aa.id, 300, 300], [w.fixture.r1a.id, 300, 250], [w.fixture.r1.id, 250, 225]])
        let shallowLevels = try await w.database.rows("SELECT sold, amount FROM order_upstream WHERE order_id = ?", [.int(shallowOrder.id)]).map {
            [try $0.decode(column: "sold", as: Int64.self), try $0.decode(column: "amount", as: Int64.self)]
        }
        XCTAssertEqual(shallowLevels, [[250, 225]])
    }
}

/// Provider → Reseller One → One A → One A A → a customer holding Silver (ram additional 2). Reseller One
/// sells ram at 3.00 a month and One A at 4.00; One A A has no list of its own, so it sells at One A's.
struct DeepChain {
    var r1aa: Account
    var customer: Actor
    var subscription: Subscription

    static func make(_ w: EngineWorld) async throws -> DeepChain {
        let db = w.database
        let plans = PlanStore(database: db)
        let silver = w.plans["Silver"]!
        let ram = try await ResourceStore(database: db).codes().first { $0.value == "ram_gb" }!.key
        func admin(_ account: Account, _ email: String) async throws -> Actor {
            let id = try await Bootstrap.user(on: db, account: account, email: email, name: "", role: .admin, passwordHash: "never signs in")
            return try await UserStore(database: db).actor(userID: id, address: "127.0.0.1")!
        }
        let r1aAdmin = try await admin(w.fixture.r1a, "admin@r1a.test")
        let r1aa = try await AccountStore(database: db).create(AccountDraft(kind: .reseller, parentID: w.fixture.r1a.id, name: "Reseller One A A",
                                                                            currency: "USD", taxRate: "0.20"), in: w.provider.scope)
        try await plans.delegate(silver.id, to: w.fixture.r1a.id, in: w.reseller.scope)
        try await plans.delegate(silver.id, to: r1aa.id, in: r1aAdmin.scope)
        let effective = Timestamps.date("2026-01-01T00:00:00Z")
        _ = try await plans.setPriceList(seller: w.fixture.r1.id, plan: silver.id, PriceListDraft(periods: [(1, "20"), (12, "200")], resources: [(ram, "1", "3")]),
                                         in: w.reseller.scope, effective: effective)
        _ = try await plans.setPriceList(seller: w.fixture.r1a.id, plan: silver.id, PriceListDraft(periods: [(1, "20"), (12, "200")], resources: [(ram, "1", "4")]),
                                         in: r1aAdmin.scope, effective: effective)
        let customer = try await AccountStore(database: db).create(AccountDraft(kind: .customer, parentID: r1aa.id, name: "Customer Deep",
                                                                                currency: "USD", taxRate: "0.20"), in: w.provider.scope)
        let subscription = try await SubscriptionStore(database: db).importSubscription(SubscriptionImport(
            customerID: customer.id, planID: silver.id, periodMonths: 1, periodStart: "2026-04-11", status: "active", resources: [("ram_gb", 2, 0)]),
            in: w.provider.scope, clock: w.clock)
        return DeepChain(r1aa: r1aa, customer: try await admin(customer, "admin@deep.test"), subscription: subscription)
    }
}
