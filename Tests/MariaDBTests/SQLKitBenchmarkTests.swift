import MariaDB
import SQLKit
import SQLKitBenchmark
import TestSupport
import XCTest

/// vapor/sql-kit's own conformance suite, the proof every SQLKit driver gives, against a real
/// MariaDB 10.11. It reports through XCTest, so any failing case fails this test.
final class SQLKitBenchmarkTests: XCTestCase {
    func testSQLKitBenchmarkSuite() async throws {
        let db = try await TestDatabase.fresh("console_test_sqlkit")
        let benchmarker = SQLBenchmarker(on: db)
        do {
            try await benchmarker.runAllTests()
        } catch {
            XCTFail("SQLKitBenchmark threw: \(error)")
        }
        await db.pool.shutdown()
    }

    func testDialectIsMariaDBSoTheFullSuiteRuns() {
        // The benchmark skips upserts, unions and JSON paths for a dialect named "generic".
        XCTAssertEqual(MariaDBDialect().name, "mariadb")
        XCTAssertEqual(MariaDBDialect().upsertSyntax, .mysqlLike)
    }
}
