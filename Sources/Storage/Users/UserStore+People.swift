import Commerce
import Foundation
import Localization
import MariaDB

/// What an admin changes about a user (`PATCH /users/{id}`, the account page); nil leaves a field as it is.
public struct UserChange: Sendable, Equatable {
    public var name: String?
    public var role: Role?
    public var status: UserStatus?
    public var locale: UserLocale?

    public init(name: String? = nil, role: Role? = nil, status: UserStatus? = nil, locale: UserLocale? = nil) {
        self.name = name
        self.role = role
        self.status = status
        self.locale = locale
    }
}

/// People over their lifetime: admins edit, disable and re-enable users; each user keeps their own
/// name, language and password. Every change is audited in its transaction.
extension UserStore {
    /// One user of an account of the caller's subtree; users of accounts above it are not there (404).
    public func user(_ id: Int64, in scope: TenantScope, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> User {
        let rows = try await (db ?? database).rows(
            "SELECT \(User.columns) FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = ? AND a.path LIKE ?\(forUpdate ? " FOR UPDATE" : "")",
            [.int(id), .string(scope.pathPattern)])
        guard let row = rows.first else { throw StoreError.notFound("user \(id)") }
        return try User(row: row)
    }

    /// Changes a user as an admin of its account or of an ancestor. Disabling ends the user's
    /// sessions and API tokens in the same transaction; no account is left without an active admin.
    public func update(_ id: Int64, _ change: UserChange, in scope: TenantScope) async throws -> User {
        var errors = ValidationErrors()
        let name = change.name.flatMap { raw in errors.check("name") { try PlainText.parse(raw, maximumLength: 200) } }
        return try await database.withTransaction { tx in
            let accountID = try await user(id, in: scope, on: tx).accountID
            // The account's row first, as creating a user does: changes to one account's users go one at a time,
            // so two admins demoting each other can't both pass the last-admin check.
            let account = try await accounts.account(accountID, in: scope, on: tx, forUpdate: true)
            try Policy.require(scope.actor, .manageUsers(own: account.id == scope.actor.accountID), .init("error.forbidden.change_users"))
            try errors.throwIfAny()
            let before = try await user(id, in: scope, on: tx, forUpdate: true)
            var after = before
            if let name { after.name = name }
            if let role = change.role { after.role = role }
            if let status = change.status { after.status = status }
            if let locale = change.locale { after.locale = locale }
            guard after != before else { return before }
            if Policy.isActiveAdmin(before), !Policy.isActiveAdmin(after) {
                let others = try await tx.rows(
                    "SELECT COUNT(*) AS n FROM users WHERE account_id = ? AND role = 'admin' AND status = 'active' AND id <> ?",
                    [.int(account.id), .int(id)])[0].decode(column: "n", as: Int.self)
                if others == 0 {
                    throw StoreError.invalid(field: "last_admin",
                                             message: .init("error.user.last_admin", ["email": .text(before.email), "account": .text(account.name)]))
                }
            }
            try await tx.query(
                "UPDATE users SET name = ?, role = ?, status = ?, locale = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?",
                [.string(after.name), .string(after.role.rawValue), .string(after.status.rawValue), .string(after.locale.rawValue),
                 .int(scope.actor.userID), .int(id)])
            if after.status == .disabled { try await Self.endSignIns(of: id, on: tx) }
            try await AuditLog.record(on: tx, actor: scope.actor, account: account, objectType: "user", objectID: id,
                                      action: before.status == after.status ? "update" : (after.status == .disabled ? "disable" : "enable"),
                                      before: UserAudit(before), after: UserAudit(after))
            return after
        }
    }

    /// The signed-in user changes their own name and language.
    public func updateProfile(name: String?, locale: UserLocale?, of actor: Actor) async throws -> User {
        var errors = ValidationErrors()
        let name = name.flatMap { raw in errors.check("name") { try PlainText.parse(raw, maximumLength: 200) } }
        try errors.throwIfAny()
        return try await database.withTransaction { tx in
            let before = try await user(actor.userID, in: actor.scope, on: tx, forUpdate: true)
            var after = before
            if let name { after.name = name }
            if let locale { after.locale = locale }
            guard after != before else { return before }
            try await tx.query("UPDATE users SET name = ?, locale = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?",
                               [.string(after.name), .string(after.locale.rawValue), .int(actor.userID), .int(actor.userID)])
            try await AuditLog.record(on: tx, actor: actor, account: try await accounts.account(actor.accountID, in: actor.scope, on: tx),
                                      objectType: "user", objectID: actor.userID, action: "update_profile",
                                      before: UserAudit(before), after: UserAudit(after))
            return after
        }
    }

    /// The signed-in user's new password (hashed by the caller, after checking the current one):
    /// every other session and token of the user ends; `keepingToken` is the bearer token in use, if any.
    /// A page's own session is ended too, and the page signs in again under a new session id.
    public func changePassword(of actor: Actor, passwordHash: String, keepingToken: String?) async throws {
        try await database.withTransaction { tx in
            let account = try await accounts.account(actor.accountID, in: actor.scope, on: tx)
            try await Self.setPassword(userID: actor.userID, passwordHash: passwordHash, on: tx, keepingToken: keepingToken)
            try await AuditLog.record(on: tx, actor: actor, account: account, objectType: "user", objectID: actor.userID,
                                      action: "change_password", before: nil as UserAudit?, after: nil as UserAudit?)
        }
    }

    /// A new password hash for a user, and the end of the user's other sign-ins (one place for the
    /// password change and the reset link).
    static func setPassword(userID: Int64, passwordHash: String, on tx: MariaDBDatabase, keepingToken: String?) async throws {
        try await tx.query("UPDATE users SET password_hash = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?",
                           [.string(passwordHash), .int(userID), .int(userID)])
        try await endSignIns(of: userID, on: tx, keepingToken: keepingToken)
    }

    /// Ends a user's sign-ins at once: its persisted sessions and its API tokens, but the bearer
    /// token `keepingToken` (the one a request is using). Run inside the transaction of the change.
    /// Every request resolves its session or token afresh (`actorMaySignIn`), so nothing lingers.
    public static func endSignIns(of userID: Int64, on tx: MariaDBDatabase, keepingToken: String? = nil) async throws {
        try await tx.query("DELETE FROM persist_entries WHERE user_id = ?", [.int(userID)])
        if let keepingToken {
            try await tx.query("DELETE FROM api_tokens WHERE user_id = ? AND token_hash <> SHA2(?, 256)", [.int(userID), .string(keepingToken)])
        } else {
            try await tx.query("DELETE FROM api_tokens WHERE user_id = ?", [.int(userID)])
        }
    }
}
