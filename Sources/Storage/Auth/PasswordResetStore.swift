import Commerce
import Foundation
import MariaDB

/// Password reset links: a token of 32 random bytes, of which the server keeps only the SHA-256;
/// valid an hour of real time (not the business clock), used once. Only active users of accounts
/// that may sign in get one, and only they can use one (`UserStore.actorMaySignIn`).
public struct PasswordResetStore: Sendable {
    let database: MariaDBDatabase
    public var lifetime: Duration = .seconds(3600)

    public init(database: MariaDBDatabase) { self.database = database }

    /// A link just issued, for the email that carries it. `token` is the secret: never log or audit it.
    public struct Issued: Sendable {
        public var user: User
        public var token: String
        public var link: String
        public var expiresAt: Date
    }

    /// Issues a link for the user signing in with `email`, if there is one such user, and records the
    /// `password_reset` event carrying it in the same transaction. No such user: nil, and nothing is
    /// written (the caller answers the same either way).
    public func issue(email: String, linkBase: String) async throws -> Issued? {
        guard let email = try? EmailAddress.parse(email) else { return nil }
        let token = SecretToken.random()
        return try await database.withTransaction { tx -> Issued? in
            let rows = try await tx.rows(
                "SELECT \(User.columns) FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.email = ? AND \(UserStore.actorMaySignIn)",
                [.string(email)])
            guard let row = rows.first else { return nil }
            let user = try User(row: row)
            let seconds = Int64(lifetime.components.seconds)
            let id = Int64(try await tx.query(
                """
                INSERT INTO password_resets (user_id, token_hash, created_at, expires_at)
                VALUES (?, SHA2(?, 256), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL ? SECOND)
                """, [.int(user.id), .string(token), .int(seconds)]).lastInsertID)
            let expiresAt = try await tx.rows("SELECT expires_at FROM password_resets WHERE id = ?", [.int(id)])[0]
                .decode(column: "expires_at", as: Date.self)
            let issued = Issued(user: user, token: token, link: Self.link(base: linkBase, token: token), expiresAt: expiresAt)
            let account = try await AccountStore(database: database).accountForWorker(user.accountID, on: tx)
            // The email that carries the link goes out after commit, through the outbox (to this user only).
            try await Outbox.record(on: tx, type: .passwordReset, account: account, objectType: "user", objectID: user.id,
                                    payload: ResetEvent(userId: user.id, email: user.email, name: user.name, locale: user.locale.rawValue,
                                                        link: issued.link, expiresAt: expiresAt, validMinutes: Int(seconds / 60)))
            // Who asked is not known (anyone may ask for anyone): recorded without an actor, and without the token.
            try await AuditLog.record(on: tx, actor: nil, account: account, objectType: "user", objectID: user.id,
                                      action: "password_reset_requested", before: nil as ResetAudit?, after: ResetAudit(expiresAt: expiresAt))
            return issued
        }
    }

    /// Whether a token is one a reset can still use (the page asks before showing its form).
    public func isLive(token: String) async throws -> Bool {
        guard SecretToken.isWellFormed(token) else { return false }
        return !(try await database.rows(
            """
            SELECT r.id FROM password_resets r JOIN users u ON u.id = r.user_id JOIN accounts a ON a.id = u.account_id
            WHERE r.token_hash = SHA2(?, 256) AND r.used_at IS NULL AND r.expires_at > UTC_TIMESTAMP(6) AND \(UserStore.actorMaySignIn)
            """, [.string(token)]).isEmpty)
    }

    /// Sets the password of the link's user (hashed by the caller) and ends all the user's sessions
    /// and tokens; the link and every other open link of the user are used up. An unknown, used or
    /// expired token is `notFound`, all alike.
    public func reset(token: String, passwordHash: String, address: String) async throws {
        guard SecretToken.isWellFormed(token) else { throw StoreError.notFound("reset link") }
        try await database.withTransaction { tx in
            let rows = try await tx.rows(
                """
                SELECT r.id AS reset_id, \(UserStore.actorColumns) FROM password_resets r JOIN users u ON u.id = r.user_id JOIN accounts a ON a.id = u.account_id
                WHERE r.token_hash = SHA2(?, 256) AND r.used_at IS NULL AND r.expires_at > UTC_TIMESTAMP(6) AND \(UserStore.actorMaySignIn)
                FOR UPDATE
                """, [.string(token)])
            guard let row = rows.first else { throw StoreError.notFound("reset link") }
            let actor = try UserStore.actor(from: row, address: address)
            try await tx.query("UPDATE password_resets SET used_at = UTC_TIMESTAMP(6) WHERE user_id = ? AND used_at IS NULL", [.int(actor.userID)])
            try await UserStore.setPassword(userID: actor.userID, passwordHash: passwordHash, on: tx, keepingToken: nil)
            try await AuditLog.record(on: tx, actor: actor, account: try await AccountStore(database: database).account(actor.accountID, in: actor.scope, on: tx),
                                      objectType: "user", objectID: actor.userID, action: "reset_password", before: nil as ResetAudit?, after: nil as ResetAudit?)
        }
    }

    /// `<base>/password-resets/<token>`, the page that takes the new password.
    public static func link(base: String, token: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/password-resets/" + token
    }

}

/// The `password_reset` event's payload: `link` holds the secret token.
struct ResetEvent: Encodable {
    var userId: Int64
    var email: String
    var name: String
    var locale: String
    var link: String
    var expiresAt: Date
    var validMinutes: Int
}

struct ResetAudit: Encodable {
    var expiresAt: Date
}
