import Foundation
import Localization
import MariaDB

/// Idempotency keys of submits (API.md): per user, 24 hours, each with the hash of the request it
/// came with and the order it made.
public enum IdempotencyKeyStore {
    /// Keeps a key with the order it made (inside the submit's transaction); an expired key of the same name goes first.
    public static func remember(_ key: String, fingerprint: String, order: Int64, userID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("DELETE FROM idempotency_keys WHERE user_id = ? AND idempotency_key = ? AND created_at <= UTC_TIMESTAMP(6) - INTERVAL 24 HOUR",
                           [.int(userID), .string(key)])
        try await tx.query(
            "INSERT INTO idempotency_keys (user_id, idempotency_key, request_hash, order_id, created_at) VALUES (?, ?, SHA2(?, 256), ?, UTC_TIMESTAMP(6))",
            [.int(userID), .string(key), .string(fingerprint), .int(order)])
    }

    /// The order an unexpired key names; a conflict when the key came with another body.
    public static func order(keyed key: String, fingerprint: String, userID: Int64, on db: MariaDBDatabase) async throws -> Int64? {
        let rows = try await db.rows(
            """
            SELECT order_id, request_hash = SHA2(?, 256) AS same FROM idempotency_keys
            WHERE user_id = ? AND idempotency_key = ? AND created_at > UTC_TIMESTAMP(6) - INTERVAL 24 HOUR
            """, [.string(fingerprint), .int(userID), .string(key)])
        guard let row = rows.first else { return nil }
        guard try row.decode(column: "same", as: Bool.self) else {
            throw StoreError.conflict(code: "idempotency_key_reused", message: .init("error.order.idempotency_key_reused"))
        }
        return try row.decode(column: "order_id", as: Int64.self)
    }
}
