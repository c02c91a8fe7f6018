import Foundation
import MariaDB

/// The provider account and its first admin: made once, by `console create-admin` or the demo seed.
public enum Bootstrap {
    /// The provider account, created on first use.
    public static func provider(on database: MariaDBDatabase, name: String = "Provider", currency: String = "USD") async throws -> Account {
        try await database.withTransaction { tx in
            let existing = try await tx.rows("SELECT \(Account.columns) FROM accounts WHERE kind = 'provider' FOR UPDATE")
            if let row = existing.first { return try Account(row: row) }
            let result = try await tx.query(
                """
                INSERT INTO accounts (parent_id, kind, name, path, depth, currency, tax_rate, status, created_at, updated_at)
                VALUES (NULL, 'provider', ?, '', 0, ?, 0, 'active', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """, [.string(name), .string(currency)])
            let id = Int64(result.lastInsertID)
            try await tx.query("UPDATE accounts SET path = ? WHERE id = ?", [.string("/\(id)/"), .int(id)])
            let account = try Account(row: try await tx.rows("SELECT \(Account.columns) FROM accounts WHERE id = ?", [.int(id)])[0])
            try await AuditLog.record(on: tx, actor: nil, account: account, objectType: "account", objectID: id,
                                      action: "create", before: nil as AccountAudit?, after: AccountAudit(account))
            return account
        }
    }

    /// A user of the given account, made without an acting user (the first admin, demo users).
    public static func user(on database: MariaDBDatabase, account: Account, email: String, name: String, role: Role,
                            passwordHash: String) async throws -> Int64 {
        try await database.withTransaction { tx in
            let existing = try await tx.rows("SELECT id FROM users WHERE email = ?", [.string(email.lowercased())])
            if let row = existing.first { return try row.decode(column: "id", as: Int64.self) }
            let result = try await tx.query(
                """
                INSERT INTO users (account_id, email, name, role, password_hash, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 'active', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """, [.int(account.id), .string(email.lowercased()), .string(name), .string(role.rawValue), .string(passwordHash)])
            let id = Int64(result.lastInsertID)
            try await AuditLog.record(on: tx, actor: nil, account: account, objectType: "user", objectID: id, action: "create",
                                      before: nil as UserAudit?, after: UserAudit(email: email.lowercased(), name: name, role: role.rawValue, status: "active"))
            return id
        }
    }
}

extension UserAudit {
    init(email: String, name: String, role: String, status: String) {
        self.email = email
        self.name = name
        self.role = role
        self.status = status
        self.locale = UserLocale.en.rawValue
    }
}
