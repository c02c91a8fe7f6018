import MariaDB

/// What the database server says it is (`console doctor`).
public enum ServerVersion {
    public static func read(on database: MariaDBDatabase) async throws -> String {
        try await database.rows("SELECT VERSION() AS v")[0].decode(column: "v", as: String.self)
    }
}
