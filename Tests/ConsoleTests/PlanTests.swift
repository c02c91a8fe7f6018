import Commerce
import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// DOMAIN.md 3 for plans, delegation and price lists, rule by rule through the API.
final class PlanTests: XCTestCase {
    struct Context: Sendable {
        let api: APIClient
        let provider: String
        let fixture: TenancyFixture
        let database: MariaDBDatabase
        let ids: [String: Int]
    }

    private func withPlans(_ body: @escaping @Sendable (Context) async throws -> Void) async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["p.admin"]!)
            var ids: [String: Int] = [:]
            for (code, min, max) in [("cpu_core", 1, 64), ("ram_gb", 0, 512), ("support_basic", 0, 1), ("support_premium", 0, 1)] {
                let created = try await api.call(.post, "/api/v1/resources", token: token,
                                                 json: #"{"code":"\#(code)","name":"\#(code)","unit":"unit","kind":"quantity","min_units":\#(min),"max_units":\#(max)}"#)
                ids[code] = created.json["id"] as? Int
            }
            let pair = try await api.call(.post, "/api/v1/resource-upgrades", token: token,
                                          json: #"{"from_resource_id":\#(ids["support_basic"]!),"to_resource_id":\#(ids["support_premium"]!),"upgrade_fee":"5"}"#)
            XCTAssertEqual(pair.status, .created)
            try await body(Context(api: api, provider: token, fixture: fixture, database: database, ids: ids))
        }
    }

    private static func planBody(_ c: Context, name: String = "Cloud S", currency: String = "USD", resources: [String] = ["cpu_core", "ram_gb", "support_basic", "support_premium"],
                                 included: Int = 2, ramFee: String = "2.5000") -> String {
        let lines = resources.map { code -> String in
            switch code {
            case "cpu_core": return #"{"resource_id":\#(c.ids[code]!),"included":\#(included),"min_units":1,"max_units":16,"setup_fee":"0","recurring_fee":"10"}"#
            case "ram_gb": return #"{"resource_id":\#(c.ids[code]!),"included":4,"min_units":0,"max_units":64,"setup_fee":"1","recurring_fee":"\#(ramFee)"}"#
            default: return #"{"resource_id":\#(c.ids[code]!),"included":0,"min_units":0,"max_units":1,"recurring_fee":"3"}"#
            }
        }
        return #"{"name":"\#(name)","currency":"\#(currency)","billing_type":"prepaid","fixed_price":false,"prices_include_taxes":false,"trial_days":0,"changes_in_trial":true,"periods":[{"months":1,"fee":"20"},{"months":12,"fee":"200"}],"resources":[\#(lines.joined(separator: ","))]}"#
    }

    func testAPlanStoresPeriodsRatesAndExactPrices() async throws {
        try await withPlans { c in
            let created = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c, ramFee: "0.1234"))
            XCTAssertEqual(created.status, .created, created.text)
            let plan = created.json
            XCTAssertEqual((plan["periods"] as? [[String: Any]])?.compactMap { ($0["fee"] as? [String: Any])?["amount"] as? String }, ["20.00", "200.00"])
            let ram = (plan["resources"] as? [[String: Any]])?.first { $0["resource_code"] as? String == "ram_gb" }
            XCTAssertEqual((ram?["recurring_fee"] as? [String: Any])?["amount"] as? String, "0.1234", "unit prices keep 4 more digits")
            XCTAssertEqual(ram?["included"] as? Int, 4)
        }
    }

    func testPlanRulesNameTheirField() async throws {
        try await withPlans { c in
            let included = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c, included: 0).replacingOccurrences(of: #""included":0,"min_units":1"#, with: #""included":0,"min_units":1"#))
            XCTAssertEqual(included.status, .created, "0 included is allowed even with min 1")
            let belowMin = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c).replacingOccurrences(of: #""included":2,"min_units":1,"max_units":16"#, with: #""included":2,"min_units":3,"max_units":16"#))
            XCTAssertEqual(belowMin.status, .unprocessableContent)
            XCTAssertEqual(belowMin.errorCode, "resources.0.included", "included is -1, 0 or at least min")
            let minMax = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c).replacingOccurrences(of: #""min_units":1,"max_units":16"#, with: #""min_units":1,"max_units":0"#))
            XCTAssertEqual(minMax.errorCode, "resources.0.max_units")
            let period = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c).replacingOccurrences(of: #"{"months":1,"fee":"20"}"#, with: #"{"months":2,"fee":"20"}"#))
            XCTAssertEqual(period.errorCode, "periods.0.months")
            let digits = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c, ramFee: "0.1234567"))
            XCTAssertEqual(digits.errorCode, "resources.1.recurring_fee", "USD unit prices take 6 decimals at most")
            let billing = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c).replacingOccurrences(of: "prepaid", with: "weekly"))
            XCTAssertEqual(billing.errorCode, "billing_type")
        }
    }

    func testAnUpgradePairAppearsInEveryPlanWithBothResourcesAndVanishesWhenOneIsRemoved() async throws {
        try await withPlans { c in
            let withBoth = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c, name: "Both"))
            let alsoBoth = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c, name: "Also both"))
            let withOne = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c, name: "One", resources: ["cpu_core", "support_basic"]))
            for plan in [withBoth, alsoBoth] {
                XCTAssertEqual((plan.json["upgrade_pairs"] as? [[String: Any]])?.map { "\($0["from_resource_code"]!)→\($0["to_resource_code"]!)" }, ["support_basic→support_premium"])
            }
            XCTAssertEqual((withOne.json["upgrade_pairs"] as? [[String: Any]])?.count, 0)
            let id = try XCTUnwrap(withBoth.json["id"] as? Int)
            let removed = try await c.api.call(.patch, "/api/v1/plans/\(id)", token: c.provider,
                                               json: #"{"resources":[{"resource_id":\#(c.ids["cpu_core"]!),"included":2,"min_units":1,"max_units":16,"recurring_fee":"10"},{"resource_id":\#(c.ids["support_basic"]!),"included":0,"min_units":0,"max_units":1,"recurring_fee":"3"}]}"#)
            XCTAssertEqual(removed.status, .ok, removed.text)
            XCTAssertEqual((removed.json["upgrade_pairs"] as? [[String: Any]])?.count, 0, "support_premium removed: the pair is gone from this plan")
            let other = try await c.api.call(.get, "/api/v1/plans/\(alsoBoth.json["id"] as! Int)", token: c.provider)
            XCTAssertEqual((other.json["upgrade_pairs"] as? [[String: Any]])?.count, 1, "and stays on the other")
        }
    }

    func testAPriceChangeKeepsTheOldPricesForTheirTime() async throws {
        try await withPlans { c in
            let created = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c).replacingOccurrences(of: #""fixed_price":false"#, with: #""fixed_price":true"#))
            let id = try XCTUnwrap(created.json["id"] as? Int)
            let before = Date()
            try await Task.sleep(for: .milliseconds(20))
            let changed = try await c.api.call(.patch, "/api/v1/plans/\(id)", token: c.provider, json: #"{"periods":[{"months":1,"fee":"25"},{"months":12,"fee":"250"}]}"#)
            XCTAssertEqual(((changed.json["periods"] as? [[String: Any]])?.first?["fee"] as? [String: Any])?["amount"] as? String, "25.00")
            let store = PlanStore(database: c.database)
            let provider = try await UserStore(database: c.database).actor(userID: c.fixture.userIDs["p.admin"]!, address: "t")!
            let plan = try await store.plan(Int64(id), in: provider.scope)
            let then = try await store.prices(of: plan, seller: plan.ownerAccountID, at: before)
            let now = try await store.prices(of: plan, seller: plan.ownerAccountID, at: Date())
            XCTAssertEqual(then.periodFees[1]?.amountText, "20.00", "what a fixed-price subscription ordered before keeps")
            XCTAssertEqual(now.periodFees[1]?.amountText, "25.00")
            XCTAssertEqual(then.resourceFees[Int64(c.ids["cpu_core"]!)]?.recurringFee.amountText, "10.00", "unchanged prices carried into the new version")
        }
    }

    func testDelegationChainPriceListsAndNetCosts() async throws {
        try await withPlans { c in
            let f = c.fixture
            let plan = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c))
            let id = try XCTUnwrap(plan.json["id"] as? Int)
            let r1 = try await c.api.token(f.users["r1.admin"]!)
            // Not delegated yet: R1 does not see the provider's plan.
            let observed1 = try await c.api.call(.get, "/api/v1/plans/\(id)", token: r1).status
            XCTAssertEqual(observed1, .notFound)
            let observed2 = try await c.api.call(.post, "/api/v1/plans/\(id)/delegations", token: c.provider, json: #"{"reseller_id":\#(f.r1a.id)}"#).errorCode
            XCTAssertEqual(observed2, "reseller_id",
                           "the provider delegates to resellers directly below it")
            let observed3 = try await c.api.call(.post, "/api/v1/plans/\(id)/delegations", token: c.provider, json: #"{"reseller_id":\#(f.r1.id)}"#).status
            XCTAssertEqual(observed3, .created)
            let observed4 = try await c.api.call(.post, "/api/v1/plans/\(id)/delegations", token: c.provider, json: #"{"reseller_id":\#(f.r1.id)}"#).status
            XCTAssertEqual(observed4, .conflict)
            let observed5 = try await c.api.call(.get, "/api/v1/plans/\(id)", token: r1).status
            XCTAssertEqual(observed5, .ok)

            // R1 sells at the provider's prices until it has its own; its net cost is the provider's price.
            let inherited = try await c.api.call(.get, "/api/v1/price-lists/\(f.r1.id)/\(id)", token: r1).json
            XCTAssertEqual(((inherited["prices"] as? [String: Any])?["periods"] as? [[String: Any]])?.first.flatMap { ($0["fee"] as? [String: Any])?["amount"] as? String }, "20.00")
            let set = try await c.api.call(.put, "/api/v1/price-lists/\(f.r1.id)/\(id)", token: r1,
                                           json: #"{"periods":[{"months":1,"fee":"18"},{"months":12,"fee":"240"}],"resources":[{"resource_id":\#(c.ids["cpu_core"]!),"recurring_fee":"12","setup_fee":"0"}]}"#)
            XCTAssertEqual(set.status, .ok, set.text)
            XCTAssertEqual(set.json["warnings"] as? [String], ["The 1-month fee 18.00 is below the net cost 20.00."], "a warning, not a refusal")

            // R1a has no delegation yet, then sells at R1's prices, paying R1's prices as net cost.
            let r1aAdmin = try await UserStore(database: c.database).actor(userID: f.userIDs["r1.admin"]!, address: "t")!
            let observed6 = try await c.api.call(.post, "/api/v1/plans/\(id)/delegations", token: r1, json: #"{"reseller_id":\#(f.r1a.id)}"#).status
            XCTAssertEqual(observed6, .created)
            let store = PlanStore(database: c.database)
            let planValue = try await store.plan(Int64(id), in: r1aAdmin.scope)
            let r1aPrices = try await store.prices(of: planValue, seller: f.r1a.id, at: Date())
            XCTAssertEqual(r1aPrices.periodFees[1]?.amountText, "18.00", "no price list of its own: its parent's")
            let r1aCost = try await store.netCost(of: planValue, reseller: f.r1a.id, at: Date())
            XCTAssertEqual(r1aCost?.periodFees[12]?.amountText, "240.00")
            let r1Cost = try await store.netCost(of: planValue, reseller: f.r1.id, at: Date())
            XCTAssertEqual(r1Cost?.periodFees[12]?.amountText, "200.00")

            // Reseller Two may not price a plan it was not given.
            let r2 = try await c.api.token(f.users["r2.admin"]!)
            let observed7 = try await c.api.call(.put, "/api/v1/price-lists/\(f.r2.id)/\(id)", token: r2, json: #"{"periods":[{"months":1,"fee":"30"}]}"#).status
            XCTAssertEqual(observed7, .notFound)
        }
    }

    func testSwitchPathsStayWithinACurrencyAndAreDefinedOnce() async throws {
        try await withPlans { c in
            let small = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c, name: "Small")).json["id"] as! Int
            let large = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c, name: "Large")).json["id"] as! Int
            let euro = try await c.api.call(.post, "/api/v1/plans", token: c.provider, json: Self.planBody(c, name: "Euro", currency: "EUR")).json["id"] as! Int
            let observed8 = try await c.api.call(.post, "/api/v1/plans/\(small)/switch-paths", token: c.provider, json: #"{"to_plan_id":\#(large)}"#).status
            XCTAssertEqual(observed8, .created)
            let observed9 = try await c.api.call(.post, "/api/v1/plans/\(small)/switch-paths", token: c.provider, json: #"{"to_plan_id":\#(large)}"#).status
            XCTAssertEqual(observed9, .conflict)
            let observed10 = try await c.api.call(.post, "/api/v1/plans/\(small)/switch-paths", token: c.provider, json: #"{"to_plan_id":\#(small)}"#).errorCode
            XCTAssertEqual(observed10, "to_plan_id")
            let observed11 = try await c.api.call(.post, "/api/v1/plans/\(small)/switch-paths", token: c.provider, json: #"{"to_plan_id":\#(euro)}"#).errorCode
            XCTAssertEqual(observed11, "to_plan_id")
            let observed12 = try await c.api.call(.get, "/api/v1/plans/\(small)", token: c.provider).json["switch_paths"] as? [Int]
            XCTAssertEqual(observed12, [large])
        }
    }

    func testResellerAdminsOwnTheirPlansAndOthersMayNotCreateOrChangeThem() async throws {
        try await withPlans { c in
            let r1 = try await c.api.token(c.fixture.users["r1.admin"]!)
            let own = try await c.api.call(.post, "/api/v1/plans", token: r1, json: Self.planBody(c, name: "R1 special"))
            XCTAssertEqual(own.status, .created)
            XCTAssertEqual(own.json["owner_id"] as? Int, Int(c.fixture.r1.id))
            let id = own.json["id"] as! Int
            let operatorToken = try await c.api.token(c.fixture.users["r1.operator"]!)
            let observed13 = try await c.api.call(.patch, "/api/v1/plans/\(id)", token: operatorToken, json: #"{"name":"X"}"#).status
            XCTAssertEqual(observed13, .forbidden)
            let observed14 = try await c.api.call(.post, "/api/v1/plans", token: operatorToken, json: Self.planBody(c)).status
            XCTAssertEqual(observed14, .forbidden)
            let customer = try await c.api.token(c.fixture.users["c1.admin"]!)
            let observed15 = try await c.api.call(.post, "/api/v1/plans", token: customer, json: Self.planBody(c)).status
            XCTAssertEqual(observed15, .forbidden)
            // The provider, an ancestor, sees and may change the reseller's plan.
            let observed16 = try await c.api.call(.patch, "/api/v1/plans/\(id)", token: c.provider, json: #"{"name":"Renamed"}"#).json["name"] as? String
            XCTAssertEqual(observed16, "Renamed")
        }
    }
}

/// The plan pages a person uses: the editor keeps what was typed and marks the bad cell.
final class PlanPageTests: XCTestCase {
    func testEditorMarksTheBadCellKeepsValuesAndThePlanPageShowsItsPairs() async throws {
        try await withConsole { client, fixture, database in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["p.admin"]!)
            for code in ["ip_v4", "ip_v4_pair"] {
                let created = try await browser.post("/catalog/resources", ["code": code, "name": code, "unit": "address", "kind": "quantity", "min_units": "0", "max_units": "1", "components": ""])
                XCTAssertEqual(created.status, .seeOther)
            }
            let resources = try await ResourceStore(database: database).all()
            let a = resources.first { $0.code == "ip_v4" }!, b = resources.first { $0.code == "ip_v4_pair" }!
            _ = try await browser.post("/catalog/resource-upgrades", ["from_resource_id": String(a.id), "to_resource_id": String(b.id), "upgrade_fee": "2", "fee_currency": "USD", "active": "on"])
            var form = ["name": "Web Basic", "currency": "USD", "billing_type": "prepaid", "trial_days": "0", "period_1": "on", "fee_1": "9.99",
                        "r\(a.id)_offered": "on", "r\(a.id)_included": "0", "r\(a.id)_min": "0", "r\(a.id)_max": "1", "r\(a.id)_setup": "0", "r\(a.id)_recurring": "1.5",
                        "r\(b.id)_offered": "on", "r\(b.id)_included": "2", "r\(b.id)_min": "0", "r\(b.id)_max": "1", "r\(b.id)_setup": "0", "r\(b.id)_recurring": "3"]
            let refused = try await browser.post("/plans", form)
            XCTAssertEqual(refused.status, .unprocessableContent)
            XCTAssertTrue(refused.text.contains("Included units can&#39;t exceed the maximum (1).") || refused.text.contains("Included units can't exceed the maximum (1)."), refused.text)
            XCTAssertTrue(refused.text.contains(#"value="Web Basic""#), "what was typed stays")
            XCTAssertTrue(refused.text.contains(#"name="r\#(b.id)_included" id="r\#(b.id)_included" value="2""#))
            form["r\(b.id)_included"] = "0"
            let created = try await browser.post("/plans", form)
            XCTAssertEqual(created.status, .seeOther, created.text)
            let page = try await browser.get(created.headers[.location]!).text
            XCTAssertTrue(page.contains("ip_v4 → ip_v4_pair"), "the pair of two included resources shows on the plan page")
            XCTAssertTrue(page.contains("9.99 USD"))
        }
    }
}
