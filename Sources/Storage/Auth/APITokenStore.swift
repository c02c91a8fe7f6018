import Foundation
import MariaDB

/// Bearer tokens of the JSON API. The token is shown once; the server keeps its SHA-256 only.
public struct APITokenStore: Sendable {
    let database: MariaDBDatabase
    public var lifetime: Duration = .seconds(30 * 24 * 3600)

    public init(database: MariaDBDatabase) { self.database = database }

    public func issue(userID: Int64) async throws -> (token: String, expiresAt: Date) {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let expiresAt = Date().addingTimeInterval(TimeInterval(lifetime.components.seconds))
        try await database.query(
            "INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at) VALUES (?, SHA2(?, 256), UTC_TIMESTAMP(6), ?)",
            [.int(userID), .string(token), expiresAt.mariaDBData])
        return (token, expiresAt)
    }

    /// The user a live token acts as.
    public func userID(for token: String) async throws -> Int64? {
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return nil }
        let rows = try await database.rows(
            "SELECT user_id FROM api_tokens WHERE token_hash = SHA2(?, 256) AND expires_at > UTC_TIMESTAMP(6)", [.string(token)])
        return try rows.first?.decode(column: "user_id", as: Int64.self)
    }
}
