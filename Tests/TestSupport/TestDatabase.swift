import Foundation
import Logging
import MariaDB
import Storage

/// The test server: the private MariaDB that `scripts/db.sh start` runs, found through the same
/// environment variables the app reads (the defaults match the script).
public enum TestDatabase {
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Where the test server is, connected to `database` (none: the server only).
    public static func configuration(database: String?) -> MariaDBConfiguration {
        let env = environment
        let endpoint: MariaDBConfiguration.Endpoint
        if let socket = env["DATABASE_SOCKET"], !socket.isEmpty {
            endpoint = .socket(path: socket)
        } else {
            endpoint = .tcp(host: env["DATABASE_HOST"] ?? "127.0.0.1", port: Int(env["DATABASE_PORT"] ?? "") ?? 3407)
        }
        var configuration = MariaDBConfiguration(
            endpoint: endpoint, user: env["DATABASE_USER"] ?? "console",
            password: env["DATABASE_PASSWORD"] ?? "console", database: database
        )
        configuration.poolSize = 8
        configuration.healthCheckAfterIdle = .seconds(1)
        return configuration
    }

    /// The name of the application's test database.
    public static var applicationDatabaseName: String { environment["TEST_DATABASE_NAME"] ?? "console_test" }

    public static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }

    /// Drops and creates a database, so a test target starts from nothing.
    public static func recreate(_ name: String) async throws {
        let pool = MariaDBConnectionPool(configuration: configuration(database: nil), logger: logger("setup"))
        let server = MariaDBDatabase(pool: pool, logger: logger("setup"))
        try await server.query("DROP DATABASE IF EXISTS `\(name)`")
        try await server.query("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        await pool.shutdown()
    }

    /// A pool on a fresh database of its own (made once per process and name).
    public static func fresh(_ name: String, adjust: (inout MariaDBConfiguration) -> Void = { _ in }) async throws -> MariaDBDatabase {
        try await Registry.shared.once(name) { try await recreate(name) }
        var configuration = configuration(database: name)
        adjust(&configuration)
        let pool = MariaDBConnectionPool(configuration: configuration, logger: logger(name))
        return MariaDBDatabase(pool: pool, logger: logger(name))
    }

    /// The application's schema, migrated once per process; every row deleted at each call,
    /// so each test case starts from empty tables.
    public static func application() async throws -> MariaDBDatabase {
        let name = applicationDatabaseName
        let database = try await Registry.shared.database(name) {
            try await recreate(name)
            let pool = MariaDBConnectionPool(configuration: configuration(database: name), logger: logger(name))
            let database = MariaDBDatabase(pool: pool, logger: logger(name))
            let migrations = try Migrator.load(from: repositoryRoot.appendingPathComponent("migrations"))
            try await Migrator(database: database, migrations: migrations).migrate()
            // Reference rows that migrations insert (currencies) are copied aside and restored at each reset.
            for table in try await tables(database) {
                let count = try await database.rows("SELECT COUNT(*) AS n FROM `\(table)`")[0].decode(column: "n", as: Int.self)
                if count > 0 && table != "schema_migrations" {
                    try await database.query("CREATE TABLE `_seed_\(table)` AS SELECT * FROM `\(table)`")
                }
            }
            return database
        }
        try await empty(database)
        return database
    }

    /// Deletes every row of every table but `schema_migrations`; faster than TRUNCATE for small tables.
    public static func empty(_ database: MariaDBDatabase) async throws {
        try await database.withConnection { session in
            let all = try await tables(session)
            try await session.query("SET FOREIGN_KEY_CHECKS = 0")
            for table in all where table != "schema_migrations" && !table.hasPrefix("_seed_") {
                try await session.query("DELETE FROM `\(table)`")
                if all.contains("_seed_" + table) {
                    try await session.query("INSERT INTO `\(table)` SELECT * FROM `_seed_\(table)`")
                }
            }
            try await session.query("SET FOREIGN_KEY_CHECKS = 1")
        }
    }

    private static func tables(_ database: MariaDBDatabase) async throws -> [String] {
        try await database.rows(
            "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
        ).map { try $0.decode(column: "t", as: String.self) }
    }
}

/// Process-wide memory of what setup has run, so each test target prepares its database once.
actor Registry {
    static let shared = Registry()
    private var done: Set<String> = []
    private var databases: [String: MariaDBDatabase] = [:]

    func once(_ key: String, _ work: () async throws -> Void) async throws {
        guard !done.contains(key) else { return }
        try await work()
        done.insert(key)
    }

    func database(_ key: String, _ make: () async throws -> MariaDBDatabase) async throws -> MariaDBDatabase {
        if let database = databases[key] { return database }
        let database = try await make()
        databases[key] = database
        return database
    }
}
