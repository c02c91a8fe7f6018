import Commerce
import Foundation
import MariaDB
import Storage
import TestSupport
import XCTest

/// The catalog rules of DOMAIN.md 3, straight through the stores (the API tests cover the same rules over HTTP).
final class CatalogStoreTests: XCTestCase {
    var db: MariaDBDatabase!
    var fixture: TenancyFixture!
    var admin: Actor!

    override func setUp() async throws {
        db = try await TestDatabase.application()
        fixture = try await TenancyFixture.make(db)
        admin = try await UserStore(database: db).actor(userID: fixture.userIDs["p.admin"]!, address: "127.0.0.1")
    }

    private func resource(_ code: String, _ kind: ResourceKind = .quantity, min: Int64 = 0, max: Int64 = 1) async throws -> Resource {
        try await ResourceStore(database: db).create(ResourceDraft(code: code, name: code, unit: "u", kind: kind, minUnits: min, maxUnits: max), by: admin)
    }

    private func field(_ work: () async throws -> Void) async -> String? {
        do {
            try await work()
            return nil
        } catch let errors as ValidationErrors {
            return errors.fields.first?.field
        } catch let error as StoreError {
            switch error {
            case .invalid(let field, _): return field
            case .conflict(let code, _): return code
            case .forbidden: return "forbidden"
            case .notFound: return "not_found"
            }
        } catch {
            return "\(error)"
        }
    }

    func testPairRules() async throws {
        let store = ResourceUpgradeStore(database: db)
        let a = try await resource("a"), b = try await resource("b"), wide = try await resource("wide", max: 2)
        let licenceA = try await resource("lic_a", .license), licenceB = try await resource("lic_b", .license)
        let maxTwo = await field { _ = try await store.create(fromID: a.id, toID: wide.id, downgradable: false, active: true, upgradeFee: "0", feeCurrency: "USD", by: self.admin) }
        XCTAssertEqual(maxTwo, "to_resource_id", "max units 2 can't form a pair")
        let same = await field { _ = try await store.create(fromID: a.id, toID: a.id, downgradable: false, active: true, upgradeFee: "0", feeCurrency: "USD", by: self.admin) }
        XCTAssertEqual(same, "to_resource_id")
        _ = try await store.create(fromID: a.id, toID: b.id, downgradable: true, active: true, upgradeFee: "1.25", feeCurrency: "USD", by: admin)
        let reverse = await field { _ = try await store.create(fromID: b.id, toID: a.id, downgradable: false, active: true, upgradeFee: "0", feeCurrency: "USD", by: self.admin) }
        XCTAssertEqual(reverse, "pair_exists")
        let licenceNow = await field { _ = try await store.create(fromID: licenceA.id, toID: licenceB.id, downgradable: true, active: true, upgradeFee: "0", feeCurrency: "USD", by: self.admin) }
        XCTAssertEqual(licenceNow, "downgradable")
        let licencePair = try await store.create(fromID: licenceA.id, toID: licenceB.id, downgradable: false, active: true, upgradeFee: "0", feeCurrency: "USD", by: admin)
        let licenceLater = await field { _ = try await store.update(licencePair.id, active: nil, downgradable: true, by: self.admin) }
        XCTAssertEqual(licenceLater, "downgradable")
        let reseller = try await UserStore(database: db).actor(userID: fixture.userIDs["r1.admin"]!, address: "t")!
        let notProvider = await field { _ = try await store.update(licencePair.id, active: false, downgradable: nil, by: reseller) }
        XCTAssertEqual(notProvider, "forbidden")
    }

    func testRateInEffectAtAMomentIsAQueryOverHistory() async throws {
        let store = CurrencyStore(database: db)
        let january = Date(timeIntervalSince1970: 1_767_225_600)   // 2026-01-01
        let april = Date(timeIntervalSince1970: 1_775_001_600)     // 2026-04-01
        _ = try await store.addRate(from: "USD", to: "JPY", rate: "150.5", effectiveFrom: january, by: admin)
        _ = try await store.addRate(from: "USD", to: "JPY", rate: "149.123456", effectiveFrom: april, by: admin)
        let march = try await store.rate(from: "USD", to: "JPY", at: april.addingTimeInterval(-1))
        XCTAssertEqual(march?.rate.text, "150.500000")
        let may = try await store.rate(from: "USD", to: "JPY", at: april.addingTimeInterval(86_400 * 30))
        XCTAssertEqual(may?.rate.text, "149.123456")
        let before = try await store.rate(from: "USD", to: "JPY", at: january.addingTimeInterval(-1))
        XCTAssertNil(before, "no rate yet: missing, never 1.0")
        let reverse = try await store.rate(from: "JPY", to: "USD", at: april)
        XCTAssertNil(reverse, "a reverse rate is its own row")
    }

    func testPlanRulesAndDerivedPairs() async throws {
        let plans = PlanStore(database: db)
        let a = try await resource("pa"), b = try await resource("pb"), cpu = try await resource("cpu", min: 1, max: 64)
        _ = try await ResourceUpgradeStore(database: db).create(fromID: a.id, toID: b.id, downgradable: false, active: true, upgradeFee: "0", feeCurrency: "USD", by: admin)
        func draft(included: Int64 = 2, min: Int64 = 1, resources: [Resource]? = nil) -> PlanDraft {
            PlanDraft(name: "P", currency: "USD", billingType: "prepaid", periods: [(1, "10")],
                      resources: (resources ?? [cpu, a, b]).map { r in
                          r.id == cpu.id ? .init(resourceID: r.id, included: included, minUnits: min, maxUnits: 16, setupFee: "0", recurringFee: "5")
                                         : .init(resourceID: r.id, included: 0, minUnits: 0, maxUnits: 1, setupFee: "0", recurringFee: "2")
                      })
        }
        let belowMin = await field { _ = try await plans.create(draft(included: 1, min: 2), in: self.admin.scope) }
        XCTAssertEqual(belowMin, "resources.0.included")
        let plan = try await plans.create(draft(), in: admin.scope)
        let observed1 = try await plans.upgradePairs(of: plan).count
        XCTAssertEqual(observed1, 1)
        let without = try await plans.update(plan.id, draft(resources: [cpu, a]), in: admin.scope)
        let observed2 = try await plans.upgradePairs(of: without).count
        XCTAssertEqual(observed2, 0, "derived from the plan's resources, never copied")
    }

    func testDelegationIsToResellersDirectlyBelowAndPricesFollowTheChain() async throws {
        let plans = PlanStore(database: db)
        let r = try await resource("dr", max: 10)
        let plan = try await plans.create(PlanDraft(name: "Chain", currency: "USD", billingType: "prepaid", periods: [(1, "10.0000")],
                                                    resources: [.init(resourceID: r.id, included: 0, minUnits: 0, maxUnits: 10, setupFee: "1", recurringFee: "2.5")]),
                                          in: admin.scope)
        let skip = await field { try await plans.delegate(plan.id, to: self.fixture.r1a.id, in: self.admin.scope) }
        XCTAssertEqual(skip, "reseller_id", "only to a reseller directly below")
        try await plans.delegate(plan.id, to: fixture.r1.id, in: admin.scope)
        let r1 = try await UserStore(database: db).actor(userID: fixture.userIDs["r1.admin"]!, address: "t")!
        let warnings = try await plans.setPriceList(seller: fixture.r1.id, plan: plan.id,
                                                    PriceListDraft(periods: [(1, "12")], resources: [(r.id, "1", "2.4999")]), in: r1.scope)
        XCTAssertEqual(warnings, ["The recurring fee of dr, 2.4999, is below the net cost 2.50."])
        let seen = try await plans.plan(plan.id, in: r1.scope)
        let observed3 = try await plans.prices(of: seen, seller: fixture.r1.id, at: Date()).periodFees[1]?.amountText
        XCTAssertEqual(observed3, "12.00")
        let observed4 = try await plans.netCost(of: seen, reseller: fixture.r1.id, at: Date())?.periodFees[1]?.amountText
        XCTAssertEqual(observed4, "10.00")
        // Reseller Two was not given the plan: it can't even see it.
        let r2 = try await UserStore(database: db).actor(userID: fixture.userIDs["r2.admin"]!, address: "t")!
        let hidden = await field { _ = try await plans.plan(plan.id, in: r2.scope) }
        XCTAssertEqual(hidden, "not_found")
    }
}
