import Commerce
import Foundation
import Logging
import MariaDB
import OrderEngine
import Storage
import TestSupport

/// The catalog of DOMAIN.md 6's example, built through the stores:
///
/// - ram_gb (0–64), support_basic and support_premium (licences 0–1, pair basic → premium,
///   downgradable, upgrade fee 10.00);
/// - Silver ($20 a month, $200 a year) and Gold ($30, $300) with ram_gb included 2 (1–64, 2.50 a
///   month, setup 1.00), support_basic 5.00 and support_premium 15.00; both delegated to
///   Reseller One; Silver switches to Gold;
/// - Customer One (tax 0.20) holds Silver from 2026-04-11 with ram additional 2 (usage 3) and
///   support_basic; the business date is 2026-04-26 (R = 15, D = 30).
struct EngineWorld: Sendable {
    let database: MariaDBDatabase
    let fixture: TenancyFixture
    let clock: BusinessClock
    let provider: Actor
    let reseller: Actor
    let customer: Actor
    let customerViewer: Actor
    let plans: [String: Plan]
    let subscription: Subscription
    let bell = ProvisioningBell()

    var orders: OrderService { OrderService(database: database, clock: clock, bell: bell) }
    var provisioner: Provisioner {
        Provisioner(database: database, connectors: .standard(database: database), clock: clock, logger: TestDatabase.logger("provisioner"))
    }

    static func make(billing: BillingType = .prepaid) async throws -> EngineWorld {
        let database = try await TestDatabase.application()
        let fixture = try await TenancyFixture.make(database)
        let users = UserStore(database: database)
        func actor(_ key: String) async throws -> Actor { try await users.actor(userID: fixture.userIDs[key]!, address: "127.0.0.1")! }
        let provider = try await actor("p.admin")
        let reseller = try await actor("r1.admin")
        let clock = BusinessClock(database: database, testMode: true)
        try await clock.set(Timestamps.date("2026-04-26T09:00:00Z"), by: provider)

        let resources = ResourceStore(database: database)
        var ids: [String: Int64] = [:]
        for (code, kind, max) in [("ram_gb", ResourceKind.quantity, Int64(64)), ("support_basic", .quantity, 1), ("support_premium", .quantity, 1)] {
            ids[code] = try await resources.create(ResourceDraft(code: code, name: code, unit: "unit", kind: kind, minUnits: 0, maxUnits: max, components: []),
                                                   by: provider).id
        }
        _ = try await ResourceUpgradeStore(database: database).create(fromID: ids["support_basic"]!, toID: ids["support_premium"]!, downgradable: true,
                                                                      active: true, upgradeFee: "10", feeCurrency: "USD", by: provider)
        let planStore = PlanStore(database: database)
        var plans: [String: Plan] = [:]
        for (name, monthly, yearly) in [("Silver", "20", "200"), ("Gold", "30", "300")] {
            let plan = try await planStore.create(PlanDraft(
                name: name, currency: "USD", billingType: name == "Silver" ? billing.rawValue : "prepaid",
                periods: [(1, monthly), (12, yearly)],
                resources: [.init(resourceID: ids["ram_gb"]!, included: 2, minUnits: 1, maxUnits: 64, setupFee: "1", recurringFee: "2.50"),
                            .init(resourceID: ids["support_basic"]!, included: 0, minUnits: 0, maxUnits: 1, setupFee: "0", recurringFee: "5"),
                            .init(resourceID: ids["support_premium"]!, included: 0, minUnits: 0, maxUnits: 1, setupFee: "0", recurringFee: "15")]),
                in: provider.scope, effective: Timestamps.date("2026-01-01T00:00:00Z"))
            try await planStore.delegate(plan.id, to: fixture.r1.id, in: provider.scope)
            plans[name] = plan
        }
        try await planStore.addSwitchPath(from: plans["Silver"]!.id, to: plans["Gold"]!.id, in: provider.scope)
        let subscription = try await SubscriptionStore(database: database).importSubscription(SubscriptionImport(
            customerID: fixture.c1.id, planID: plans["Silver"]!.id, periodMonths: 1, periodStart: "2026-04-11", status: "active",
            resources: [("ram_gb", 2, 3), ("support_basic", 1, 0)]), in: reseller.scope, clock: clock)
        return EngineWorld(database: database, fixture: fixture, clock: clock, provider: provider, reseller: reseller,
                           customer: try await actor("c1.admin"), customerViewer: try await actor("c1.viewer"), plans: plans, subscription: subscription)
    }

    /// Submits new additional RAM as the customer.
    func ram(_ additional: Int64, key: String? = nil, promo: String? = nil, subscription: Int64? = nil, as actor: Actor? = nil) async throws -> Order {
        try await orders.submit(subscription: subscription ?? self.subscription.id, change: .quantities(["ram_gb": additional]), promoCode: promo,
                                idempotencyKey: key, in: (actor ?? customer).scope).order
    }

    func order(_ id: Int64) async throws -> Order { try await OrderStore(database: database).order(id, in: provider.scope) }
    func invoice(_ id: Int64) async throws -> Invoice { try await InvoiceStore(database: database).invoice(id, in: provider.scope) }
    func current(_ id: Int64? = nil) async throws -> Subscription {
        try await SubscriptionStore(database: database).subscription(id ?? subscription.id, in: provider.scope)
    }
    func credit(_ customerID: Int64? = nil) async throws -> Int64 {
        try await CreditLedger(database: database).balance(of: customerID ?? fixture.c1.id, in: provider.scope)
    }
    func creditLog(_ customerID: Int64? = nil) async throws -> [CreditEntry] {
        try await CreditLedger(database: database).entries(of: customerID ?? fixture.c1.id, in: provider.scope, page: PageRequest(limit: 500)).items
    }

    func pay(_ order: Order, _ request: OrderService.PaymentRequest = .card(number: TestGateway.approved), as actor: Actor? = nil) async throws -> OrderService.PaymentOutcome {
        try await orders.pay(invoice: order.invoiceID!, request, in: (actor ?? customer).scope)
    }

    /// Runs the worker until nothing is left to provision.
    func provisionAll() async throws {
        while try await provisioner.runOnce() > 0 {}
    }

    func failProvisioning(_ code: String, _ fail: Bool = true) async throws {
        try await database.query(
            """
            INSERT INTO test_connector_rules (resource_code, fail_provisioning, updated_at) VALUES (?, ?, UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE fail_provisioning = VALUES(fail_provisioning)
            """, [.string(code), fail.mariaDBData])
    }

    func count(_ sql: String, _ binds: [MariaDBData] = []) async throws -> Int {
        try await database.rows(sql, binds)[0].decode(column: "n", as: Int.self)
    }
}

enum Timestamps {
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
}
