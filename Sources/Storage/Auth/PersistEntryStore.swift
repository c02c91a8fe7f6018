import Foundation
import MariaDB

/// Key-value entries with an optional expiry (`persist_entries`): the sessions of every app node.
/// Expired entries read as absent and are swept as writes happen.
public struct PersistEntryStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// Adds an entry; an expired entry under the same key goes first. A live one is a duplicate key error.
    public func create(key: String, value: String, expiresAt: Date?) async throws {
        try await database.query("DELETE FROM persist_entries WHERE entry_key = ? AND expires_at <= UTC_TIMESTAMP(6)", [.string(key)])
        try await database.query("INSERT INTO persist_entries (entry_key, value, expires_at) VALUES (?, ?, ?)",
                                 [.string(key), .string(value), expiresAt.map { $0.mariaDBData } ?? .null])
    }

    /// Adds or replaces an entry.
    public func set(key: String, value: String, expiresAt: Date?) async throws {
        try await database.query(
            """
            INSERT INTO persist_entries (entry_key, value, expires_at) VALUES (?, ?, ?)
            ON DUPLICATE KEY UPDATE value = VALUES(value), expires_at = VALUES(expires_at)
            """, [.string(key), .string(value), expiresAt.map { $0.mariaDBData } ?? .null])
    }

    /// Replaces a live entry's value and expiry; an entry that is gone stays gone (`set` would
    /// write it again).
    public func update(key: String, value: String, expiresAt: Date?) async throws {
        try await database.query(
            "UPDATE persist_entries SET value = ?, expires_at = ? WHERE entry_key = ? AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(6))",
            [.string(value), expiresAt.map { $0.mariaDBData } ?? .null, .string(key)])
    }

    /// Deletes up to 500 expired entries.
    public func sweep() async throws {
        try await database.query("DELETE FROM persist_entries WHERE expires_at <= UTC_TIMESTAMP(6) LIMIT 500")
    }

    /// A live entry's value and how many microseconds it has left (nil: it never expires).
    public func entry(_ key: String) async throws -> (value: String, remainingMicroseconds: Int64?)? {
        let rows = try await database.rows(
            """
            SELECT value, TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) AS remaining
            FROM persist_entries WHERE entry_key = ? AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(6))
            """, [.string(key)])
        guard let row = rows.first else { return nil }
        return (try row.decode(column: "value", as: String.self), try row.decode(column: "remaining", as: Int64?.self))
    }

    public func remove(_ key: String) async throws {
        try await database.query("DELETE FROM persist_entries WHERE entry_key = ?", [.string(key)])
    }
}
