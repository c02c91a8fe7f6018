import Console
import Foundation
import MariaDB
import Storage

/// A small tree for tenancy tests:
///
///     Provider ── R1 (reseller) ── R1a (sub-reseller)
///              │                └─ C1 (customer)
///              └─ R2 (reseller) ── C2 (customer)
///
/// with an admin, an operator and a viewer at Provider, R1 and C1, and an admin at R2 and C2.
public struct TenancyFixture: Sendable {
    public let provider: Account
    public let r1: Account
    public let r1a: Account
    public let c1: Account
    public let r2: Account
    public let c2: Account
    /// `users["r1.viewer"]` is the email of R1's viewer; all share `password`.
    public let users: [String: String]
    public let userIDs: [String: Int64]
    public static let password = "test-password-1"

    /// bcrypt at cost 4, hashed once per process: fixtures stay fast.
    public static let passwords = Passwords(cost: 4)

    public static func make(_ database: MariaDBDatabase) async throws -> TenancyFixture {
        let hash = try await passwords.hash(password)
        let provider = try await Bootstrap.provider(on: database, name: "Provider", currency: "USD")
        let rootAdminID = try await Bootstrap.user(on: database, account: provider, email: "admin@p.test", name: "P Admin", role: .admin, passwordHash: hash)
        let root = try await UserStore(database: database).actor(userID: rootAdminID, address: "127.0.0.1")!
        let store = AccountStore(database: database)
        func make(_ name: String, _ kind: AccountKind, _ parent: Account, _ currency: String = "USD") async throws -> Account {
            try await store.create(AccountDraft(kind: kind, parentID: parent.id, name: name, currency: currency, taxRate: "0.20"), in: root.scope)
        }
        let r1 = try await make("Reseller One", .reseller, provider)
        let r1a = try await make("Reseller One A", .reseller, r1)
        let c1 = try await make("Customer One", .customer, r1)
        let r2 = try await make("Reseller Two", .reseller, provider, "EUR")
        let c2 = try await make("Customer Two", .customer, r2, "EUR")
        var users = ["p.admin": "admin@p.test"]
        var ids = ["p.admin": rootAdminID]
        for (key, account) in [("p", provider), ("r1", r1), ("c1", c1), ("r2", r2), ("c2", c2)] {
            let roles: [Role] = ["r2", "c2"].contains(key) ? [.admin] : Role.allCases
            for role in roles where !(key == "p" && role == .admin) {
                let email = "\(role.rawValue)@\(key).test"
                ids["\(key).\(role.rawValue)"] = try await Bootstrap.user(on: database, account: account, email: email, name: "", role: role, passwordHash: hash)
                users["\(key).\(role.rawValue)"] = email
            }
        }
        return TenancyFixture(provider: provider, r1: r1, r1a: r1a, c1: c1, r2: r2, c2: c2, users: users, userIDs: ids)
    }
}
