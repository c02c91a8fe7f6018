import MariaDB

/// What the database server says it is (`console doctor`).
public enum ServerVersion {
    public static func read(on database: MariaDBDatabase) async throws -> String {
        try await database.rows("SELECT VERSION() AS v")[0].decode(column: "v", as: String.self)
    }
}

/// Whether the database serves this app (`/healthz`): one round trip that reads a table. A
/// Galera node cut off from the rest of its cluster still answers `SELECT 1`, but refuses every
/// table (1047), so a balancer checking `/healthz` takes this app node out until it rejoins.
public enum DatabaseProbe {
    public static func ping(on database: MariaDBDatabase) async throws {
        _ = try await database.query("SELECT id FROM business_clock LIMIT 1")
    }
}
