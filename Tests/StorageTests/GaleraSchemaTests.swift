import Foundation
import MariaDB
import TestSupport
import XCTest

/// Issue 14: what a Galera cluster needs of the schema and of the SQL. Galera replicates InnoDB
/// only, and applies and certifies rows by their primary key (a table without one is replicated
/// slowly and certified by the whole row); table and named locks are node-local and not
/// replicated, so they guard nothing across nodes.
final class GaleraSchemaTests: XCTestCase {
    func testEveryTableIsInnoDBWithAPrimaryKey() async throws {
        let db = try await TestDatabase.application()
        let tables = try await db.rows(
            "SELECT table_name AS t, engine AS e FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_seed\\_%'"
        ).map { (try $0.decode(column: "t", as: String.self), try $0.decode(column: "e", as: String.self)) }
        XCTAssertGreaterThan(tables.count, 30, "the migrated schema")
        XCTAssertEqual(tables.filter { $0.1 != "InnoDB" }.map(\.0), [], "tables on another engine than InnoDB")
        let keyed = Set(try await db.rows(
            "SELECT table_name AS t FROM information_schema.table_constraints WHERE table_schema = DATABASE() AND constraint_type = 'PRIMARY KEY'"
        ).map { try $0.decode(column: "t", as: String.self) })
        XCTAssertEqual(tables.map(\.0).filter { !keyed.contains($0) }, [], "tables without a primary key")
    }

    /// No `GET_LOCK`, `LOCK TABLES` or `LOCK TABLE` in the code or the migrations.
    func testNoNodeLocalLocksInTheCode() throws {
        let root = TestDatabase.repositoryRoot
        var offenders: [String] = []
        for folder in ["Sources", "migrations"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                guard ["swift", "sql"].contains(url.pathExtension) else { continue }
                let text = try String(contentsOf: url, encoding: .utf8).uppercased()
                for lock in ["GET_LOCK(", "LOCK TABLES", "LOCK TABLE "] where text.contains(lock) {
                    offenders.append("\(url.lastPathComponent): \(lock)")
                }
            }
        }
        XCTAssertEqual(offenders, [])
    }
}
