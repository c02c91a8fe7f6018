import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// The SQL one change order costs from submit to completed, counted by the server (`Questions`),
/// printed for the record (`swift test --filter StatementCountTests`).
final class StatementCountTests: XCTestCase {
    func testStatementsPerChangeOrder() async throws {
        let w = try await EngineWorld.make()
        func questions() async throws -> Int {
            try await Int(w.database.rows("SHOW GLOBAL STATUS LIKE 'Questions'")[0].decode(column: "Value", as: String.self))!
        }
        var submit = 0, pay = 0, provision = 0
        let rounds = 50
        for i in 0..<rounds {
            var before = try await questions()
            let order = try await w.ram(i % 2 == 0 ? 3 : 4)  // +1 GB each time: an invoice to pay
            var after = try await questions()
            submit += after - before - 1
            before = try await questions()
            _ = try await w.pay(order)
            after = try await questions()
            pay += after - before - 1
            before = try await questions()
            let finished = try await w.provisioner.runOnce()
            after = try await questions()
            provision += after - before - 1
            XCTAssertEqual(finished, 1)
            let done = try await w.order(order.id)
            XCTAssertEqual(done.status, .completed)
            // Back down for the next round: a refund order, completed at once.
            _ = try await w.ram(2)
            try await w.provisionAll()
        }
        print("STATEMENTS per prepaid change order: submit \(submit / rounds), card payment \(pay / rounds), provisioning \(provision / rounds), total \((submit + pay + provision) / rounds) (BEGIN and COMMIT included)")
        XCTAssertLessThan((submit + pay + provision) / rounds, 120)
    }
}
