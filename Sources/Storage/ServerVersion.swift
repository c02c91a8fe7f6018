import MariaDB

/// What the database server says it is (`console doctor`).
public enum ServerVersion {
    public static func read(on database: MariaDBDatabase) async throws -> String {
        try await database.rows("SELECT VERSION() AS v")[0].decode(column: "v", as: String.self)
    }
}

/// Whether the database answers at all (`/healthz`): one round trip, no table read.
public enum DatabaseProbe {
    public static func ping(on database: MariaDBDatabase) async throws {
        _ = try await database.query("SELECT 1")
    }
}
