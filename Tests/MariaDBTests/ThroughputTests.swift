import Foundation
import MariaDB
import TestSupport
import XCTest

/// Single-row primary-key SELECTs through the pool, at 1 and 16 concurrent tasks; every row read
/// is checked, and the rate is printed for the record (`swift test --filter ThroughputTests`).
final class ThroughputTests: XCTestCase {
    func testPrimaryKeySelectsThroughThePool() async throws {
        let db = try await TestDatabase.fresh("console_test_driver") { $0.poolSize = 8 }
        try await db.query("DROP TABLE IF EXISTS pk_probe")
        try await db.query("CREATE TABLE pk_probe (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, amount DECIMAL(19,4) NOT NULL) ENGINE=InnoDB")
        try await db.withTransaction { tx in
            for chunk in stride(from: 0, to: 1000, by: 100) {
                let placeholders = (0..<100).map { _ in "(?, ?, ?)" }.joined(separator: ", ")
                let binds = (chunk..<chunk + 100).flatMap { i -> [MariaDBData] in [.int(Int64(i)), .string("row \(i)"), .decimal("\(i).2500")] }
                try await tx.query("INSERT INTO pk_probe VALUES \(placeholders)", binds)
            }
        }
        for concurrency in [1, 16] {
            let perTask = 4000 / concurrency
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<concurrency {
                    group.addTask {
                        for i in 0..<perTask {
                            let id = (task * perTask + i) % 1000
                            let row = try await db.rows("SELECT id, name, amount FROM pk_probe WHERE id = ?", [.int(Int64(id))])[0]
                            guard try row.decode(column: "name", as: String.self) == "row \(id)",
                                  row["amount"] == .decimal("\(id).2500")
                            else { throw MariaDBError(kind: .conversion, message: "row \(id) came back wrong") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Int(Double(perTask * concurrency) / seconds)
            print("THROUGHPUT pk-select concurrency=\(concurrency) queries=\(perTask * concurrency) seconds=\(String(format: "%.2f", seconds)) per-second=\(rate)")
            XCTAssertGreaterThan(rate, 0)
        }
        await db.pool.shutdown()
    }
}
