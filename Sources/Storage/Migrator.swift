import Foundation
import Logging
import MariaDB

/// Applies the numbered SQL files of `migrations/` in order, once each, and records them with a
/// checksum in `schema_migrations`; an applied file that was edited afterwards is refused.
///
/// MariaDB commits DDL implicitly, so a file is not atomic: each file should be small and its
/// statements safe to reason about one by one. Run `console migrate` from one place (a deploy
/// step), not from every app node at start.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    public struct Status: Sendable, Equatable {
        public var applied: [Int]
        public var pending: [String]
        public var isCurrent: Bool { pending.isEmpty }
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case badFileName(String)
        case duplicateVersion(Int)
        case changedAfterApply(name: String)
        case missingFile(version: Int, name: String)
        case failed(name: String, message: String)

        public var description: String {
            switch self {
            case .badFileName(let name):
                return "migration file '\(name)' must be named NNNN_description.sql"
            case .duplicateVersion(let version):
                return "two migration files carry the number \(version)"
            case .changedAfterApply(let name):
                return "migration \(name) was changed after it was applied; restore it and add a new migration instead"
            case .missingFile(let version, let name):
                return "migration \(version) (\(name)) is recorded as applied but its file is gone"
            case .failed(let name, let message):
                return "migration \(name) failed: \(message)"
            }
        }
    }

    public let database: MariaDBDatabase
    public let migrations: [Migration]
    private let logger: Logger

    public init(database: MariaDBDatabase, migrations: [Migration], logger: Logger = Logger(label: "migrate")) {
        self.database = database
        self.migrations = migrations
        self.logger = logger
    }

    /// Reads `NNNN_name.sql` files from a folder, sorted by number.
    public static func load(from directory: URL) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var migrations: [Migration] = []
        for name in names {
            let digits = name.prefix(while: \.isNumber)
            guard digits.count == 4, name.dropFirst(4).first == "_", let version = Int(digits) else {
                throw Failure.badFileName(name)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (a, b) in zip(migrations, migrations.dropFirst()) where a.version == b.version {
            throw Failure.duplicateVersion(a.version)
        }
        return migrations
    }

    private func ensureTable() async throws {
        try await database.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
              version INT NOT NULL PRIMARY KEY,
              name VARCHAR(255) NOT NULL,
              checksum CHAR(64) NOT NULL,
              applied_at DATETIME(6) NOT NULL
            ) ENGINE=InnoDB
            """)
    }

    /// The server computes the checksum, so the runner needs no hashing code of its own.
    private func checksum(_ sql: String) async throws -> String {
        try await database.rows("SELECT SHA2(?, 256) AS sum", [.string(sql)])[0].decode(column: "sum", as: String.self)
    }

    private func recorded() async throws -> [Int: (name: String, checksum: String)] {
        var applied: [Int: (String, String)] = [:]
        for row in try await database.rows("SELECT version, name, checksum FROM schema_migrations") {
            applied[try row.decode(column: "version", as: Int.self)] =
                (try row.decode(column: "name", as: String.self), try row.decode(column: "checksum", as: String.self))
        }
        return applied
    }

    /// What is applied and what is pending, after checking every applied file is unchanged.
    public func status() async throws -> Status {
        try await ensureTable()
        let applied = try await recorded()
        var pending: [String] = []
        for migration in migrations {
            if let record = applied[migration.version] {
                guard try await checksum(migration.sql) == record.checksum else {
                    throw Failure.changedAfterApply(name: migration.name)
                }
            } else {
                pending.append(migration.name)
            }
        }
        let known = Set(migrations.map(\.version))
        if let gone = applied.keys.sorted().first(where: { !known.contains($0) }) {
            throw Failure.missingFile(version: gone, name: applied[gone]!.name)
        }
        return Status(applied: applied.keys.sorted(), pending: pending)
    }

    /// Applies what is pending; returns the names applied.
    @discardableResult
    public func migrate() async throws -> [String] {
        let status = try await status()
        var done: [String] = []
        for migration in migrations where status.pending.contains(migration.name) {
            logger.info("applying \(migration.name)")
            let sum = try await checksum(migration.sql)
            do {
                try await database.executeScript(migration.sql)
            } catch let error as MariaDBError {
                throw Failure.failed(name: migration.name, message: error.message)
            }
            try await database.query(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, UTC_TIMESTAMP(6))",
                [.int(Int64(migration.version)), .string(migration.name), .string(sum)]
            )
            done.append(migration.name)
        }
        return done
    }
}
