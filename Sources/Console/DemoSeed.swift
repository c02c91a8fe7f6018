import Commerce
import Foundation
import MariaDB
import Storage

/// Demo data for `make run`: a provider, two resellers (one with a sub-reseller), customers under
/// each, and a user of every tier. Running it again changes nothing.
public enum DemoSeed {
    /// One Cloud VPS S subscription per demo customer, starting today, so there is something to change.
    static func subscriptions(database: MariaDBDatabase, admin: Actor, customers: [Account]) async throws {
        let store = SubscriptionStore(database: database)
        guard try await store.list(in: admin.scope).items.isEmpty,
              let plan = try await PlanStore(database: database).list(in: admin.scope).first(where: { $0.name == "Cloud VPS S" }) else { return }
        let today = BusinessDate(instant: Date())
        for customer in customers {
            _ = try await store.importSubscription(
                SubscriptionImport(customerID: customer.id, planID: plan.id, periodMonths: 1, periodStart: today.description, status: "active",
                                   resources: [("ram_gb", 0, 2), ("support_basic", 1, 0)]),
                in: admin.scope, clock: BusinessClock(database: database, testMode: false))
        }
    }

    /// A small catalog: resources, an upgrade pair, rates, two plans with a switch path, delegated to both resellers.
    static func catalog(database: MariaDBDatabase, admin: Actor, northwind: Account, contoso: Account) async throws {
        let resources = ResourceStore(database: database)
        guard try await resources.all().isEmpty else { return }
        var ids: [String: Int64] = [:]
        for (code, name, unit, kind, min, max) in [
            ("cpu_core", "vCPU core", "core", ResourceKind.quantity, Int64(1), Int64(64)), ("ram_gb", "RAM", "GB", .quantity, 1, 512),
            ("disk_gb", "SSD storage", "GB", .quantity, 10, 4096), ("support_basic", "Basic support", "plan", .quantity, 0, 1),
            ("support_premium", "Premium support", "plan", .quantity, 0, 1), ("os_license", "Windows Server licence", "licence", .license, 0, 4),
        ] {
            ids[code] = try await resources.create(ResourceDraft(code: code, name: name, unit: unit, kind: kind, minUnits: min, maxUnits: max), by: admin).id
        }
        _ = try await ResourceUpgradeStore(database: database).create(
            fromID: ids["support_basic"]!, toID: ids["support_premium"]!, downgradable: true, active: true, upgradeFee: "10", feeCurrency: "USD", by: admin)
        let currencies = CurrencyStore(database: database)
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        _ = try await currencies.addRate(from: "USD", to: "EUR", rate: "0.912345", effectiveFrom: start, by: admin)
        _ = try await currencies.addRate(from: "EUR", to: "USD", rate: "1.096000", effectiveFrom: start, by: admin)
        let plans = PlanStore(database: database)
        func line(_ code: String, included: Int64, min: Int64, max: Int64, setup: String, monthly: String) -> PlanDraft.ResourceLine {
            .init(resourceID: ids[code]!, included: included, minUnits: min, maxUnits: max, setupFee: setup, recurringFee: monthly)
        }
        let small = try await plans.create(PlanDraft(
            name: "Cloud VPS S", currency: "USD", billingType: "prepaid", periods: [(1, "20"), (12, "216")],
            resources: [line("cpu_core", included: 2, min: 1, max: 8, setup: "0", monthly: "5"), line("ram_gb", included: 4, min: 1, max: 32, setup: "0", monthly: "2.5"),
                        line("disk_gb", included: 50, min: 10, max: 1000, setup: "0", monthly: "0.1"),
                        line("support_basic", included: 0, min: 0, max: 1, setup: "0", monthly: "0"), line("support_premium", included: 0, min: 0, max: 1, setup: "25", monthly: "15")]),
            in: admin.scope)
        let large = try await plans.create(PlanDraft(
            name: "Cloud VPS L", currency: "USD", billingType: "prepaid", periods: [(1, "60"), (12, "648")],
            resources: [line("cpu_core", included: 8, min: 2, max: 32, setup: "0", monthly: "4.5"), line("ram_gb", included: 16, min: 4, max: 128, setup: "0", monthly: "2"),
                        line("disk_gb", included: 200, min: 10, max: 4000, setup: "0", monthly: "0.08")]),
            in: admin.scope)
        try await plans.addSwitchPath(from: small.id, to: large.id, in: admin.scope)
        try await plans.addSwitchPath(from: large.id, to: small.id, in: admin.scope)
        for plan in [small, large] {
            try await plans.delegate(plan.id, to: northwind.id, in: admin.scope)
            try await plans.delegate(plan.id, to: contoso.id, in: admin.scope)
        }
    }

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
        @discardableResult
        func user(_ email: String, _ role: Role, of account: Account, tier: String) async throws -> Int64 {
            let id = try await Bootstrap.user(on: database, account: account, email: email, name: "", role: role, passwordHash: hash)
            logins.append(Login(tier: tier, email: email, account: account.name))
            return id
        }

        let northwind = try await account("Northwind Hosting", .reseller, under: provider, currency: "USD", tax: "0.20")
        let edge = try await account("Northwind Edge", .reseller, under: northwind, currency: "USD", tax: "0.20")
        let contoso = try await account("Contoso Cloud", .reseller, under: provider, currency: "EUR", tax: "0.19")
        let acme = try await account("Acme Corp", .customer, under: northwind, currency: "USD", tax: "0.20")
        let globex = try await account("Globex", .customer, under: edge, currency: "USD", tax: "0.08")
        let fabrikam = try await account("Fabrikam", .customer, under: contoso, currency: "EUR", tax: "0.19")
        _ = try await account("Initech", .customer, under: provider, currency: "USD", tax: "0.00")
        let padma = try await account("Padma Cloud", .reseller, under: provider, currency: "BDT", tax: "0.15")
        let meghna = try await account("Meghna Traders", .customer, under: padma, currency: "BDT", tax: "0.15")

        try await user("admin@northwind.test", .admin, of: northwind, tier: "reseller admin")
        try await user("ops@northwind.test", .operator, of: northwind, tier: "reseller operator")
        try await user("admin@edge.test", .admin, of: edge, tier: "sub-reseller admin")
        try await user("admin@contoso.test", .admin, of: contoso, tier: "reseller admin")
        try await user("admin@acme.test", .admin, of: acme, tier: "customer admin")
        try await user("viewer@acme.test", .viewer, of: acme, tier: "customer viewer")
        try await user("admin@globex.test", .admin, of: globex, tier: "customer admin")
        try await user("admin@fabrikam.test", .admin, of: fabrikam, tier: "customer admin")
        let padmaAdminID = try await user("admin@padma.test", .admin, of: padma, tier: "reseller admin (BDT)")
        let meghnaAdminID = try await user(bengaliCustomerEmail, .admin, of: meghna, tier: "customer admin (bn)")
        // White label: Northwind sells under its own brand; its sub-reseller Edge under another (a light colour: dark text).
        let brands = BrandStore(database: database)
        _ = try await brands.set(.init(brandName: "Northwind Cloud", supportEmail: "support@northwind.test", primaryColor: "#0B5394", slug: "northwind"),
                                 for: northwind.id, in: admin.scope)
        _ = try await brands.set(.init(brandName: "Edge Hosting", supportEmail: "help@edge.test", primaryColor: "#F4C542", slug: "edge"),
                                 for: edge.id, in: admin.scope)
        try await catalog(database: database, admin: admin, northwind: northwind, contoso: contoso)
        try await subscriptions(database: database, admin: admin, customers: [acme, fabrikam])
        guard let padmaAdmin = try await UserStore(database: database).actor(userID: padmaAdminID, address: "seed") else {
            throw StoreError.notFound("Padma Cloud's admin")
        }
        try await bengaliUser(database: database, admin: admin, id: meghnaAdminID)
        try await bengali(database: database, admin: admin, padma: padma, padmaAdmin: padmaAdmin, meghna: meghna)
        return logins
    }
}
