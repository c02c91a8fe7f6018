import Foundation
import MariaDB
import Storage

/// Demo data for `make run`: a provider, two resellers (one with a sub-reseller), customers under
/// each, and a user of every tier. Running it again changes nothing.
public enum DemoSeed {
    public static let password = "console-demo-1"

    public struct Login: Sendable {
        public let tier: String
        public let email: String
        public let account: String
    }

    public static func run(database: MariaDBDatabase, passwords: Passwords) async throws -> [Login] {
        let provider = try await Bootstrap.provider(on: database, name: "Demo Provider", currency: "USD")
        let hash = try await passwords.hash(password)
        let adminID = try await Bootstrap.user(on: database, account: provider, email: "admin@provider.test",
                                               name: "Provider Admin", role: .admin, passwordHash: hash)
        guard let admin = try await UserStore(database: database).actor(userID: adminID, address: "seed") else {
            throw StoreError.notFound("provider admin")
        }
        let accounts = AccountStore(database: database)
        var logins = [Login(tier: "provider admin", email: "admin@provider.test", account: provider.name)]

        func account(_ name: String, _ kind: AccountKind, under parent: Account, currency: String, tax: String) async throws -> Account {
            let existing = try await accounts.list(in: admin.scope, filter: .init(kind: kind, parentID: parent.id, search: name))
            if let found = existing.items.first(where: { $0.name == name }) { return found }
            return try await accounts.create(AccountDraft(kind: kind, parentID: parent.id, name: name, currency: currency, taxRate: tax,
                                                          contactEmail: "billing@\(name.lowercased().filter(\.isLetter)).test"), in: admin.scope)
        }
        func user(_ email: String, _ role: Role, of account: Account, tier: String) async throws {
            _ = try await Bootstrap.user(on: database, account: account, email: email, name: "", role: role, passwordHash: hash)
            logins.append(Login(tier: tier, email: email, account: account.name))
        }

        let northwind = try await account("Northwind Hosting", .reseller, under: provider, currency: "USD", tax: "0.20")
        let edge = try await account("Northwind Edge", .reseller, under: northwind, currency: "USD", tax: "0.20")
        let contoso = try await account("Contoso Cloud", .reseller, under: provider, currency: "EUR", tax: "0.19")
        let acme = try await account("Acme Corp", .customer, under: northwind, currency: "USD", tax: "0.20")
        let globex = try await account("Globex", .customer, under: edge, currency: "USD", tax: "0.08")
        let fabrikam = try await account("Fabrikam", .customer, under: contoso, currency: "EUR", tax: "0.19")
        _ = try await account("Initech", .customer, under: provider, currency: "USD", tax: "0.00")

        try await user("admin@northwind.test", .admin, of: northwind, tier: "reseller admin")
        try await user("ops@northwind.test", .operator, of: northwind, tier: "reseller operator")
        try await user("admin@edge.test", .admin, of: edge, tier: "sub-reseller admin")
        try await user("admin@contoso.test", .admin, of: contoso, tier: "reseller admin")
        try await user("admin@acme.test", .admin, of: acme, tier: "customer admin")
        try await user("viewer@acme.test", .viewer, of: acme, tier: "customer viewer")
        try await user("admin@globex.test", .admin, of: globex, tier: "customer admin")
        try await user("admin@fabrikam.test", .admin, of: fabrikam, tier: "customer admin")
        return logins
    }
}
