import Foundation
import MariaDB
import Storage
import TestSupport
import XCTest

/// Migrations apply in order, once, and an applied file that changed is refused.
final class MigratorTests: XCTestCase {
    var db: MariaDBDatabase!

    override func setUp() async throws {
        db = try await TestDatabase.fresh("console_test_migrator")
        for table in ["m_two", "m_one", "schema_migrations"] { try await db.query("DROP TABLE IF EXISTS \(table)") }
    }

    override func tearDown() async throws {
        await db.pool.shutdown()
    }

    private let one = Migrator.Migration(version: 1, name: "0001_one.sql", sql: "CREATE TABLE m_one (id INT PRIMARY KEY);\nINSERT INTO m_one VALUES (1), (2);")
    private let two = Migrator.Migration(version: 2, name: "0002_two.sql", sql: "CREATE TABLE m_two (id INT PRIMARY KEY, one_id INT, FOREIGN KEY (one_id) REFERENCES m_one (id));")

    func testAppliesPendingFilesInOrderAndRecordsThemOnce() async throws {
        let applied = try await Migrator(database: db, migrations: [one, two]).migrate()
        XCTAssertEqual(applied, ["0001_one.sql", "0002_two.sql"])
        let observed18 = try await db.rows("SELECT COUNT(*) AS n FROM m_one")[0].decode(column: "n", as: Int.self)
        XCTAssertEqual(observed18, 2)

        let again = try await Migrator(database: db, migrations: [one, two]).migrate()
        XCTAssertEqual(again, [], "nothing runs twice")
        let status = try await Migrator(database: db, migrations: [one, two]).status()
        XCTAssertEqual(status.applied, [1, 2])
        XCTAssertTrue(status.isCurrent)
        let sums = try await db.rows("SELECT checksum FROM schema_migrations ORDER BY version").map { try $0.decode(column: "checksum", as: String.self) }
        XCTAssertEqual(sums.map(\.count), [64, 64])
    }

    func testAChangedAppliedFileIsRefusedByName() async throws {
        try await Migrator(database: db, migrations: [one]).migrate()
        var edited = one
        edited.sql += "\nINSERT INTO m_one VALUES (3);"
        do {
            try await Migrator(database: db, migrations: [edited, two]).migrate()
            XCTFail("an edited applied migration must be refused")
        } catch let failure as Migrator.Failure {
            XCTAssertEqual(failure, .changedAfterApply(name: "0001_one.sql"))
            XCTAssertTrue(failure.description.contains("0001_one.sql was changed after it was applied"))
        }
        let tables = try await db.rows("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'm_two'")
        XCTAssertEqual(try tables[0].decode(column: "n", as: Int.self), 0, "nothing after the refusal ran")
    }

    func testAFailingFileNamesItselfAndIsNotRecorded() async throws {
        let broken = Migrator.Migration(version: 2, name: "0002_broken.sql", sql: "CREATE TABLE m_two (id INT PRIMARY KEY);\nCREATE TABLE oops (;")
        do {
            try await Migrator(database: db, migrations: [one, broken]).migrate()
            XCTFail("a syntax error must stop the run")
        } catch let failure as Migrator.Failure {
            guard case .failed(let name, _) = failure else { return XCTFail("\(failure)") }
            XCTAssertEqual(name, "0002_broken.sql")
        }
        let status = try await Migrator(database: db, migrations: [one]).status()
        XCTAssertEqual(status.applied, [1])
    }

    func testLoadsTheRepositoryMigrationsInNumberOrder() throws {
        let migrations = try Migrator.load(from: TestDatabase.repositoryRoot.appendingPathComponent("migrations"))
        XCTAssertFalse(migrations.isEmpty)
        XCTAssertEqual(migrations.map(\.version), migrations.map(\.version).sorted())
        XCTAssertEqual(migrations.first?.version, 1)
    }

    func testBadFileNamesAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "SELECT 1;".write(to: folder.appendingPathComponent("1_short.sql"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Migrator.load(from: folder)) { error in
            XCTAssertEqual(error as? Migrator.Failure, .badFileName("1_short.sql"))
        }
    }
}
