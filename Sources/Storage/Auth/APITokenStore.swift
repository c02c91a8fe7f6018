import Foundation
import MariaDB

/// Bearer tokens of the JSON API. The token is shown once; the server keeps its SHA-256 only.
public struct APITokenStore: Sendable {
    let database: MariaDBDatabase
    public var lifetime: Duration = .seconds(30 * 24 * 3600)

    public init(database: MariaDBDatabase) { self.database = database }

    public func issue(userID: Int64) async throws -> (token: String, expiresAt: Date) {
        let token = SecretToken.random()
        let expiresAt = Date().addingTimeInterval(TimeInterval(lifetime.components.seconds))
        try await database.query(
            "INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at) VALUES (?, SHA2(?, 256), UTC_TIMESTAMP(6), ?)",
            [.int(userID), .string(token), expiresAt.mariaDBData])
        return (token, expiresAt)
    }

    /// The actor a live token acts as, in one statement (the token, its user and the user's account).
    public func actor(for token: String, address: String) async throws -> Actor? {
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return nil }
        let rows = try await database.rows(
            """
            SELECT \(UserStore.actorColumns) FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN accounts a ON a.id = u.account_id
            WHERE t.token_hash = SHA2(?, 256) AND t.expires_at > UTC_TIMESTAMP(6) AND \(UserStore.actorMaySignIn)
            """, [.string(token)])
        return try rows.first.map { try UserStore.actor(from: $0, address: address) }
    }
}
