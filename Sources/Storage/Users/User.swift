import Foundation
import Localization
import MariaDB

public enum UserStatus: String, Codable, Sendable, CaseIterable {
    case active, disabled
}

/// The language a user reads the console and its emails in (`Localization.Language` by the same codes).
public enum UserLocale: String, Codable, Sendable, CaseIterable {
    case en, bn
}

/// A person who signs in: one account, one role there.
public struct User: Sendable, Equatable {
    public var id: Int64
    public var accountID: Int64
    public var email: String
    public var name: String
    public var role: Role
    public var status: UserStatus
    public var locale: UserLocale
    public var createdAt: Date

    static let columns = "u.id, u.account_id, u.email, u.name, u.role, u.status, u.locale, u.created_at"

    init(row: MariaDBRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        accountID = try row.decode(column: "account_id", as: Int64.self)
        email = try row.decode(column: "email", as: String.self)
        name = try row.decode(column: "name", as: String.self)
        role = Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .viewer
        status = UserStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .disabled
        locale = UserLocale(rawValue: try row.decode(column: "locale", as: String.self)) ?? .en
        createdAt = try row.decode(column: "created_at", as: Date.self)
    }
}

public struct UserDraft: Sendable {
    public var email: String
    public var name: String
    public var role: Role
    /// A bcrypt hash; the console hashes off the event loop before calling the store.
    public var passwordHash: String

    public init(email: String, name: String, role: Role, passwordHash: String) {
        self.email = email
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
    }
}

/// Password rules, checked before hashing so the message can name the field.
public enum PasswordRule {
    public static let minimumLength = 10

    public static func problem(_ password: String) -> LocalizedText? {
        if password.count < minimumLength { return LocalizedText("error.password.too_short", ["count": .number(Int64(minimumLength))]) }
        if password.utf8.count > 72 { return LocalizedText("error.password.too_long") }
        return nil
    }
}
