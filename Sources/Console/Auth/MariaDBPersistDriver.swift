import Foundation
import Hummingbird
import MariaDB

/// Hummingbird's key-value persistence on MariaDB, so sessions survive restarts and are shared
/// by every app node. Values are JSON; expired entries read as absent and are swept as writes happen.
public struct MariaDBPersistDriver: PersistDriver {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    private func expiry(_ expires: Duration?) -> MariaDBData {
        guard let expires else { return .null }
        return Date().addingTimeInterval(Double(expires.components.seconds) + Double(expires.components.attoseconds) / 1e18).mariaDBData
    }

    private func encode<Object: Encodable>(_ value: Object) throws -> MariaDBData {
        .string(String(decoding: try Self.encoder.encode(value), as: UTF8.self))
    }

    public func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        do {
            // An expired entry under the same key is gone as far as readers know: replace it.
            try await database.query("DELETE FROM persist_entries WHERE entry_key = ? AND expires_at <= UTC_TIMESTAMP(6)", [.string(key)])
            try await database.query("INSERT INTO persist_entries (entry_key, value, expires_at) VALUES (?, ?, ?)",
                                     [.string(key), try encode(value), expiry(expires)])
        } catch let error as MariaDBError where error.isDuplicateKey {
            throw PersistError.duplicate
        }
    }

    public func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        try await database.query(
            """
            INSERT INTO persist_entries (entry_key, value, expires_at) VALUES (?, ?, ?)
            ON DUPLICATE KEY UPDATE value = VALUES(value), expires_at = VALUES(expires_at)
            """, [.string(key), try encode(value), expiry(expires)])
        if Int.random(in: 0..<50) == 0 {
            try await database.query("DELETE FROM persist_entries WHERE expires_at <= UTC_TIMESTAMP(6) LIMIT 500")
        }
    }

    public func get<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: type)?.object
    }

    public func getWithTTL<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        let rows = try await database.rows(
            """
            SELECT value, TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) AS remaining
            FROM persist_entries WHERE entry_key = ? AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(6))
            """, [.string(key)])
        guard let row = rows.first else { return nil }
        let text = try row.decode(column: "value", as: String.self)
        let object: Object
        do {
            object = try Self.decoder.decode(Object.self, from: Data(text.utf8))
        } catch {
            throw PersistError.invalidConversion
        }
        let ttl = try row.decode(column: "remaining", as: Int64?.self).map { Duration.microseconds($0) }
        return (object, ttl)
    }

    public func remove(key: String) async throws {
        try await database.query("DELETE FROM persist_entries WHERE entry_key = ?", [.string(key)])
    }
}
