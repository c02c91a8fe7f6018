import Commerce
import Foundation
import MariaDB
import Storage

/// The Bengali demo (issue 16): Padma Cloud, a reseller billing in taka (BDT) with plans of its own
/// priced in taka, and its customer Meghna Traders, whose admin reads the console in Bengali.
extension DemoSeed {
    static let bengaliCustomerEmail = "admin@meghna.test"
    static let bengaliCustomerName = "রাশেদা বেগম"
    static let bengaliPlanNames = ["Padma VPS S", "Padma VPS L"]

    /// USD ↔ BDT rates (the support upgrade fee is in USD), Padma's two plans with switch paths between
    /// them, and one Padma VPS S subscription for Meghna starting today. Running it again changes nothing.
    static func bengali(database: MariaDBDatabase, admin: Actor, padma: Account, padmaAdmin: Actor, meghna: Account) async throws {
        let currencies = CurrencyStore(database: database)
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        if try await currencies.rate(from: "USD", to: "BDT", at: start) == nil {
            _ = try await currencies.addRate(from: "USD", to: "BDT", rate: "122.000000", effectiveFrom: start, by: admin)
            _ = try await currencies.addRate(from: "BDT", to: "USD", rate: "0.008197", effectiveFrom: start, by: admin)
        }
        let plans = PlanStore(database: database)
        let existing = try await plans.list(in: padmaAdmin.scope).filter { $0.ownerAccountID == padma.id }
        guard existing.isEmpty else { return }
        let ids = Dictionary(uniqueKeysWithValues: try await ResourceStore(database: database).all().map { ($0.code, $0.id) })
        func line(_ code: String, included: Int64, min: Int64, max: Int64, setup: String, monthly: String) throws -> PlanDraft.ResourceLine {
            guard let id = ids[code] else { throw StoreError.notFound("resource \(code)") }
            return .init(resourceID: id, included: included, minUnits: min, maxUnits: max, setupFee: setup, recurringFee: monthly)
        }
        let small = try await plans.create(PlanDraft(
            name: bengaliPlanNames[0], currency: "BDT", billingType: "prepaid", periods: [(1, "2400"), (12, "25920")],
            resources: [try line("cpu_core", included: 2, min: 1, max: 8, setup: "0", monthly: "600"),
                        try line("ram_gb", included: 4, min: 1, max: 32, setup: "0", monthly: "300"),
                        try line("disk_gb", included: 50, min: 10, max: 1000, setup: "0", monthly: "12"),
                        try line("support_basic", included: 0, min: 0, max: 1, setup: "0", monthly: "0"),
                        try line("support_premium", included: 0, min: 0, max: 1, setup: "3000", monthly: "1800")]),
            in: padmaAdmin.scope)
        let large = try await plans.create(PlanDraft(
            name: bengaliPlanNames[1], currency: "BDT", billingType: "prepaid", periods: [(1, "7200"), (12, "77760")],
            resources: [try line("cpu_core", included: 8, min: 2, max: 32, setup: "0", monthly: "540"),
                        try line("ram_gb", included: 16, min: 4, max: 128, setup: "0", monthly: "240"),
                        try line("disk_gb", included: 200, min: 10, max: 4000, setup: "0", monthly: "10")]),
            in: padmaAdmin.scope)
        try await plans.addSwitchPath(from: small.id, to: large.id, in: padmaAdmin.scope)
        try await plans.addSwitchPath(from: large.id, to: small.id, in: padmaAdmin.scope)
        _ = try await SubscriptionStore(database: database).importSubscription(
            SubscriptionImport(customerID: meghna.id, planID: small.id, periodMonths: 1, periodStart: BusinessDate(instant: Date()).description, status: "active",
                               resources: [("ram_gb", 0, 2), ("support_basic", 1, 0)]),
            in: admin.scope, clock: BusinessClock(database: database, testMode: false))
    }

    /// The Bengali-speaking user: her name in Bengali, her language `bn` (set once; a later seed keeps it).
    static func bengaliUser(database: MariaDBDatabase, admin: Actor, id: Int64) async throws {
        let users = UserStore(database: database)
        let user = try await users.user(id, in: admin.scope)
        guard user.locale != .bn || user.name != bengaliCustomerName else { return }
        _ = try await users.update(id, UserChange(name: bengaliCustomerName, locale: .bn), in: admin.scope)
    }
}
