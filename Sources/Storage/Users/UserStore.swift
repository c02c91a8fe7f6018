import Commerce
import Foundation
import Localization
import MariaDB

/// Users of accounts in the caller's subtree; plus the two unscoped lookups identity needs.
public struct UserStore: Sendable {
    let database: MariaDBDatabase
    let accounts: AccountStore

    public init(database: MariaDBDatabase) {
        self.database = database
        self.accounts = AccountStore(database: database)
    }

    /// Users of one account of the subtree.
    public func users(of accountID: Int64, in scope: TenantScope) async throws -> [User] {
        try await users(of: try await accounts.account(accountID, in: scope))
    }

    /// Users of an account the caller has already reached through its scope (a page that shows the
    /// account reads it once).
    public func users(of account: Account) async throws -> [User] {
        try await database.rows(
            "SELECT \(User.columns) FROM users u WHERE u.account_id = ? ORDER BY u.email", [.int(account.id)]
        ).map(User.init(row:))
    }

    /// Adds a user to an account of the subtree (admins of the account or of an ancestor).
    public func create(_ draft: UserDraft, accountID: Int64, in scope: TenantScope) async throws -> User {
        var errors = ValidationErrors()
        let email = errors.check("email") { try EmailAddress.parse(draft.email) } ?? ""
        let name = errors.check("name") { try PlainText.parse(draft.name, maximumLength: 200) } ?? ""
        return try await database.withTransaction { tx in
            let account = try await accounts.account(accountID, in: scope, on: tx, forUpdate: true)
            guard Policy.allows(scope.actor, .manageUsers(own: account.id == scope.actor.accountID)) else {
                throw StoreError.forbidden(.init("error.forbidden.add_users"))
            }
            guard account.status != .closed else {
                throw StoreError.conflict(code: "account_closed", message: .init("error.account.closed_users", ["account": .text(account.name)]))
            }
            try errors.throwIfAny()
            let taken = try await tx.rows("SELECT id FROM users WHERE email = ?", [.string(email)])
            if !taken.isEmpty {
                errors.add("email", .init("error.user.email_taken"))
                throw errors
            }
            let result: MariaDBResult
            do {
                result = try await tx.query(
                    """
                    INSERT INTO users (account_id, email, name, role, password_hash, status, created_at, updated_at, created_by, updated_by)
                    VALUES (?, ?, ?, ?, ?, 'active', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?)
                    """,
                    [.int(account.id), .string(email), .string(name), .string(draft.role.rawValue),
                     .string(draft.passwordHash), .int(scope.actor.userID), .int(scope.actor.userID)]
                )
            } catch let error as MariaDBError where error.isDuplicateKey {
                errors.add("email", .init("error.user.email_taken"))
                throw errors
            }
            let id = Int64(result.lastInsertID)
            let user = try User(row: try await tx.rows("SELECT \(User.columns) FROM users u WHERE u.id = ?", [.int(id)])[0])
            try await AuditLog.record(on: tx, actor: scope.actor, account: account, objectType: "user", objectID: id,
                                      action: "create", before: nil as UserAudit?, after: UserAudit(user))
            return user
        }
    }

    /// The one unscoped read: who is trying to sign in. Returns the password hash to verify.
    public func signInCandidate(email: String) async throws -> (userID: Int64, passwordHash: String)? {
        let rows = try await database.rows(
            """
            SELECT u.id, u.password_hash FROM users u JOIN accounts a ON a.id = u.account_id
            WHERE u.email = ? AND \(Self.actorMaySignIn)
            """, [.string(email.trimmingCharacters(in: .whitespaces).lowercased())])
        guard let row = rows.first else { return nil }
        return (try row.decode(column: "id", as: Int64.self), try row.decode(column: "password_hash", as: String.self))
    }

    /// Resolves a signed-in user (from a session or a token) into the actor of a request.
    public func actor(userID: Int64, address: String) async throws -> Actor? {
        let rows = try await database.rows(
            "SELECT \(Self.actorColumns) FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = ? AND \(Self.actorMaySignIn)",
            [.int(userID)])
        return try rows.first.map { try Self.actor(from: $0, address: address) }
    }

    /// What an actor is read from (users `u` joined to their account `a`), and who may act at all:
    /// an active user of an active account (a suspended or closed account's users can't act; the
    /// accounts below a suspended one can, but order nothing: `ChangeRules.accountStanding`). One
    /// place for every way in (sign-in, a session, a token), read on every request.
    static let actorColumns = "u.id, u.email, u.name, u.role, a.id AS account_id, a.kind, a.name AS account_name, a.path, u.locale"
    static let actorMaySignIn = "u.status = 'active' AND a.status = 'active'"

    static func actor(from row: MariaDBRow, address: String) throws -> Actor {
        Actor(
            userID: try row.decode(column: "id", as: Int64.self), email: try row.decode(column: "email", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            role: Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .viewer,
            accountID: try row.decode(column: "account_id", as: Int64.self),
            accountKind: AccountKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .customer,
            accountName: try row.decode(column: "account_name", as: String.self),
            accountPath: try row.decode(column: "path", as: String.self), address: address,
            locale: UserLocale(rawValue: try row.decode(column: "locale", as: String.self)) ?? .en
        )
    }
}

struct UserAudit: Encodable {
    var email: String
    var name: String
    var role: String
    var status: String
    var locale: String

    init(_ user: User) {
        email = user.email
        name = user.name
        role = user.role.rawValue
        status = user.status.rawValue
        locale = user.locale.rawValue
    }
}
