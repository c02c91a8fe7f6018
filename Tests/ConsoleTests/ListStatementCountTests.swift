import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// A list costs the same statements whatever its row count (issue "Performance"): rows, then their
/// children in one query. Counted by the server (`Questions`), the least of three tries, so a worker's
/// poll landing in between doesn't count.
final class ListStatementCountTests: XCTestCase {
    func testTheSubscriptionListCostsTheSameStatementsAt5And50Rows() async throws {
        try await withQuoteWorld { w, _ in
            let pool = MariaDBConnectionPool(configuration: TestDatabase.configuration(database: TestDatabase.applicationDatabaseName),
                                             logger: TestDatabase.logger("count"))
            let counter = MariaDBDatabase(pool: pool, logger: TestDatabase.logger("count"))
            func questions() async throws -> Int {
                try await Int(counter.rows("SHOW GLOBAL STATUS LIKE 'Questions'")[0].decode(column: "Value", as: String.self))!
            }
            func cost(_ path: String, token: String) async throws -> Int {
                var least = Int.max
                for _ in 0..<3 {
                    let before = try await questions()
                    let answer = try await w.api.call(.get, path, token: token)
                    XCTAssertEqual(answer.status, .ok, answer.text)
                    least = min(least, try await questions() - before - 1)
                }
                return least
            }
            func importSubscriptions(_ count: Int) async throws {
                for _ in 0..<count {
                    let imported = try await w.api.call(.post, "/api/v1/subscriptions", token: w.reseller, json: #"""
                        {"customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Silver"]!),"period_months":1,"period_start":"2026-04-11","status":"active",
                         "resources":[{"resource_code":"ram_gb","additional":1}]}
                        """#)
                    XCTAssertEqual(imported.status, .created, imported.text)
                }
            }
            try await importSubscriptions(4)
            let atFive = try await cost("/api/v1/subscriptions?limit=50", token: w.customer)
            try await importSubscriptions(45)
            let atFifty = try await cost("/api/v1/subscriptions?limit=50", token: w.customer)
            print("STATEMENTS GET /api/v1/subscriptions?limit=50 as a customer: \(atFive) at 5 rows, \(atFifty) at 50 rows")
            XCTAssertEqual(atFive, atFifty, "5 rows: \(atFive) statements, 50 rows: \(atFifty)")
            let listed = try await w.api.call(.get, "/api/v1/subscriptions?limit=50", token: w.customer).json["items"] as? [[String: Any]]
            XCTAssertEqual(listed?.count, 50)
            XCTAssertEqual((listed?.first?["resources"] as? [[String: Any]])?.count, 3, "each row keeps its lines")
            await pool.shutdown()
        }
    }
}
