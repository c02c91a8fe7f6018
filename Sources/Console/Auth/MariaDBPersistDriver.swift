import Foundation
import Hummingbird
import MariaDB
import Storage

/// Hummingbird's key-value persistence on MariaDB, so sessions survive restarts and are shared
/// by every app node. Values are JSON; expired entries read as absent and are swept as writes happen.
public struct MariaDBPersistDriver: PersistDriver {
    let entries: PersistEntryStore

    public init(database: MariaDBDatabase) { entries = PersistEntryStore(database: database) }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    private func expiry(_ expires: Duration?) -> Date? {
        guard let expires else { return nil }
        return Date().addingTimeInterval(Double(expires.components.seconds) + Double(expires.components.attoseconds) / 1e18)
    }

    private func encode<Object: Encodable>(_ value: Object) throws -> String {
        String(decoding: try Self.encoder.encode(value), as: UTF8.self)
    }

    public func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        do {
            // An expired entry under the same key is gone as far as readers know: replace it.
            try await entries.create(key: key, value: try encode(value), expiresAt: expiry(expires))
        } catch let error as MariaDBError where error.isDuplicateKey {
            throw PersistError.duplicate
        }
    }

    public func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        try await entries.set(key: key, value: try encode(value), expiresAt: expiry(expires))
        if Int.random(in: 0..<50) == 0 {
            try await entries.sweep()
        }
    }

    /// Updates a live entry only; a removed or expired one stays absent. Sessions are updated this
    /// way (SessionMiddleware): when a user's sessions are ended (disabled, password changed or
    /// reset), a request of that user still in flight must not write its session back as it ends.
    public func update<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        try await entries.update(key: key, value: try encode(value), expiresAt: expiry(expires))
    }

    public func get<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: type)?.object
    }

    public func getWithTTL<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        guard let entry = try await entries.entry(key) else { return nil }
        let object: Object
        do {
            object = try Self.decoder.decode(Object.self, from: Data(entry.value.utf8))
        } catch {
            throw PersistError.invalidConversion
        }
        return (object, entry.remainingMicroseconds.map { Duration.microseconds($0) })
    }

    public func remove(key: String) async throws {
        try await entries.remove(key)
    }
}
