import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// DOMAIN.md 3, plans in use: an edit that would strand a live subscription is refused 409
/// `plan_in_use` with the count and changes nothing; prices may always change.
/// DOMAIN.md 1: reseller admins change only the plans their own reseller owns.
final class PlanInUseTests: XCTestCase {
    struct World: Sendable {
        let api: APIClient
        let client: any TestClientProtocol
        let fixture: TenancyFixture
        let database: MariaDBDatabase
        let reseller: String
        let plan: Int
        let cpu: Int
        let ram: Int
    }

    /// Reseller One's plan "Cloud" (1 and 12 months; cpu_core 2 included, 1–16; ram_gb 4 included, 0–64)
    /// with Customer One's subscriptions: two yearly ones holding 12 GB (4 + 8), one monthly holding
    /// 4 GB, and a yearly one holding 40 GB that is cancelled.
    private func withCloud(_ body: @escaping @Sendable (World) async throws -> Void) async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            var ids: [String: Int] = [:]
            for (code, min, max) in [("cpu_core", 1, 64), ("ram_gb", 0, 512)] {
                let created = try await api.call(.post, "/api/v1/resources", token: provider,
                                                 json: #"{"code":"\#(code)","name":"\#(code)","unit":"unit","kind":"quantity","min_units":\#(min),"max_units":\#(max)}"#)
                ids[code] = try XCTUnwrap(created.json["id"] as? Int, created.text)
            }
            let reseller = try await api.token(fixture.users["r1.admin"]!)
            let plan = try await api.call(.post, "/api/v1/plans", token: reseller, json: #"""
                {"name":"Cloud","currency":"USD","billing_type":"prepaid","periods":[{"months":1,"fee":"20"},{"months":12,"fee":"200"}],
                 "resources":[{"resource_id":\#(ids["cpu_core"]!),"included":2,"min_units":1,"max_units":16,"recurring_fee":"10"},
                              {"resource_id":\#(ids["ram_gb"]!),"included":4,"min_units":0,"max_units":64,"recurring_fee":"2.5"}]}
                """#)
            let planID = try XCTUnwrap(plan.json["id"] as? Int, plan.text)
            var cancelled = 0
            for (months, ram) in [(12, 8), (12, 8), (1, 0), (12, 36)] {
                let imported = try await api.call(.post, "/api/v1/subscriptions", token: reseller, json: #"""
                    {"customer_id":\#(fixture.c1.id),"plan_id":\#(planID),"period_months":\#(months),"period_start":"2026-04-01","status":"active",
                     "resources":[{"resource_code":"ram_gb","additional":\#(ram),"usage":0}]}
                    """#)
                cancelled = try XCTUnwrap(imported.json["id"] as? Int, imported.text)
            }
            try await database.query("UPDATE subscriptions SET status = 'cancelled' WHERE id = ?", [.int(Int64(cancelled))])
            try await body(World(api: api, client: client, fixture: fixture, database: database, reseller: reseller, plan: planID,
                                 cpu: ids["cpu_core"]!, ram: ids["ram_gb"]!))
        }
    }

    private static func cpu(_ w: World) -> String { #"{"resource_id":\#(w.cpu),"included":2,"min_units":1,"max_units":16,"recurring_fee":"10"}"# }
    private static func ram(_ w: World, included: Int = 4, min: Int = 0, max: Int = 64) -> String {
        #"{"resource_id":\#(w.ram),"included":\#(included),"min_units":\#(min),"max_units":\#(max),"recurring_fee":"2.5"}"#
    }

    /// The edit is refused 409 `plan_in_use` with `count`, and the plan, its prices and the audit log stay as they were.
    private static func assertRefused(_ w: World, _ json: String, count: String, field: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let before = try await w.api.call(.get, "/api/v1/plans/\(w.plan)", token: w.reseller).text
        let audit = try await snapshot(w.database)
        let refused = try await w.api.call(.patch, "/api/v1/plans/\(w.plan)", token: w.reseller, json: json)
        XCTAssertEqual(refused.status, .conflict, refused.text, file: file, line: line)
        XCTAssertEqual(refused.errorCode, "plan_in_use", file: file, line: line)
        let details = (refused.json["error"] as? [String: Any])?["details"] as? [String: Any]
        XCTAssertEqual(details?["count"] as? String, count, refused.text, file: file, line: line)
        XCTAssertEqual(((details?["reasons"] as? [[String: Any]])?.first?["details"] as? [String: Any])?["field"] as? String, field, file: file, line: line)
        let after = try await w.api.call(.get, "/api/v1/plans/\(w.plan)", token: w.reseller).text
        XCTAssertEqual(after, before, "the plan is unchanged", file: file, line: line)
        let auditAfter = try await snapshot(w.database)
        XCTAssertEqual(auditAfter, audit, "nothing was written", file: file, line: line)
    }

    func testRemovingThe12MonthPeriodTwoLiveYearlySubscriptionsRenewOnIsRefusedWithCount2() async throws {
        try await withCloud { w in
            // The cancelled yearly subscription does not count: 2, not 3.
            try await Self.assertRefused(w, #"{"periods":[{"months":1,"fee":"20"}]}"#, count: "2", field: "periods")
        }
    }

    func testRemovingARamResourceThreeLiveSubscriptionsHoldIsRefusedWithCount3() async throws {
        try await withCloud { w in
            try await Self.assertRefused(w, #"{"resources":[\#(Self.cpu(w))]}"#, count: "3", field: "resources")
        }
    }

    func testMovingMaxOrMinPastATotalInUseIsRefusedWithTheSubscriptionsOutside() async throws {
        try await withCloud { w in
            // Live totals of ram_gb: 12, 12 and 4 (the cancelled 40 does not count).
            try await Self.assertRefused(w, #"{"resources":[\#(Self.cpu(w)),\#(Self.ram(w, max: 10))]}"#, count: "2", field: "resources.1.max_units")
            try await Self.assertRefused(w, #"{"resources":[\#(Self.cpu(w)),\#(Self.ram(w, included: 0, min: 5))]}"#, count: "1", field: "resources.1.min_units")
            // Exactly at the totals in use strands nothing.
            let atTheEdge = try await w.api.call(.patch, "/api/v1/plans/\(w.plan)", token: w.reseller, json: #"{"resources":[\#(Self.cpu(w)),\#(Self.ram(w, min: 4, max: 12))]}"#)
            XCTAssertEqual(atTheEdge.status, .ok, atTheEdge.text)
        }
    }

    func testChangingBillingTypeOrCurrencyUnderThreeLiveSubscriptionsIsRefusedWithCount3() async throws {
        try await withCloud { w in
            try await Self.assertRefused(w, #"{"billing_type":"postpaid"}"#, count: "3", field: "billing_type")
            try await Self.assertRefused(w, #"{"currency":"EUR"}"#, count: "3", field: "currency")
        }
    }

    func testPricesMayAlwaysChange() async throws {
        try await withCloud { w in
            let changed = try await w.api.call(.patch, "/api/v1/plans/\(w.plan)", token: w.reseller, json: #"""
                {"periods":[{"months":1,"fee":"22"},{"months":12,"fee":"199"}],"resources":[\#(Self.cpu(w)),{"resource_id":\#(w.ram),"included":4,"min_units":0,"max_units":64,"recurring_fee":"3"}]}
                """#)
            XCTAssertEqual(changed.status, .ok, changed.text)
            let fees = (changed.json["periods"] as? [[String: Any]])?.compactMap { ($0["fee"] as? [String: Any])?["amount"] as? String }
            XCTAssertEqual(fees, ["22.00", "199.00"])
        }
    }

    func testOnceNoLiveSubscriptionUsesThePeriodItMayGo() async throws {
        try await withCloud { w in
            try await w.database.query("UPDATE subscriptions SET status = 'cancelled' WHERE period_months = 12")
            let removed = try await w.api.call(.patch, "/api/v1/plans/\(w.plan)", token: w.reseller, json: #"{"periods":[{"months":1,"fee":"20"}]}"#)
            XCTAssertEqual(removed.status, .ok, removed.text)
            XCTAssertEqual((removed.json["periods"] as? [[String: Any]])?.compactMap { $0["months"] as? Int }, [1])
        }
    }

    func testThePlanEditorShowsTheRefusalAndKeepsWhatWasTyped() async throws {
        try await withCloud { w in
            let browser = Browser(w.client)
            _ = try await browser.signIn(w.fixture.users["r1.admin"]!)
            // The 12-month period unticked, the name retyped: refused, the name stays as typed.
            let refused = try await browser.post("/plans/\(w.plan)", [
                "name": "Cloud Renamed", "currency": "USD", "billing_type": "prepaid", "trial_days": "0", "period_1": "on", "fee_1": "20",
                "r\(w.cpu)_offered": "on", "r\(w.cpu)_included": "2", "r\(w.cpu)_min": "1", "r\(w.cpu)_max": "16", "r\(w.cpu)_setup": "0", "r\(w.cpu)_recurring": "10",
                "r\(w.ram)_offered": "on", "r\(w.ram)_included": "4", "r\(w.ram)_min": "0", "r\(w.ram)_max": "64", "r\(w.ram)_setup": "0", "r\(w.ram)_recurring": "2.5",
            ])
            XCTAssertEqual(refused.status, .conflict, refused.text)
            XCTAssertTrue(refused.text.contains("2 live subscriptions renew every 12 months"), refused.text)
            XCTAssertTrue(refused.text.contains(#"id="periods-error""#), "the periods are marked")
            XCTAssertTrue(refused.text.contains(#"value="Cloud Renamed""#), "what was typed stays")
            let plan = try await w.api.call(.get, "/api/v1/plans/\(w.plan)", token: w.reseller)
            XCTAssertEqual(plan.json["name"] as? String, "Cloud")
        }
    }
}

/// DOMAIN.md 1: "plans: provider admins; reseller admins for plans their reseller owns".
final class PlanOwnershipTests: XCTestCase {
    func testAResellerAdminMayNotChangeItsSubResellersPlanThoughItSeesIt() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let r1 = try await api.token(fixture.users["r1.admin"]!)
            let added = try await api.call(.post, "/api/v1/accounts/\(fixture.r1a.id)/users", token: r1,
                                           json: #"{"email":"admin@r1a.test","password":"\#(TenancyFixture.password)","role":"admin","name":"R1a Admin"}"#)
            XCTAssertEqual(added.status, .created, added.text)
            let r1a = try await api.token("admin@r1a.test")
            let basic = try await api.call(.post, "/api/v1/plans", token: r1a, json: #"{"name":"Edge Basic","currency":"USD","billing_type":"prepaid","periods":[{"months":1,"fee":"5"}]}"#)
            let plus = try await api.call(.post, "/api/v1/plans", token: r1a, json: #"{"name":"Edge Plus","currency":"USD","billing_type":"prepaid","periods":[{"months":1,"fee":"9"}]}"#)
            let id = try XCTUnwrap(basic.json["id"] as? Int, basic.text), plusID = try XCTUnwrap(plus.json["id"] as? Int)
            let before = try await snapshot(database)

            // In R1's subtree, so R1 sees it (not 404), but it is R1a's plan: 403, API and pages alike.
            let seen = try await api.call(.get, "/api/v1/plans/\(id)", token: r1)
            XCTAssertEqual(seen.status, .ok)
            let patched = try await api.call(.patch, "/api/v1/plans/\(id)", token: r1, json: #"{"name":"Taken over"}"#)
            XCTAssertEqual(patched.status, .forbidden, patched.text)
            let path = try await api.call(.post, "/api/v1/plans/\(id)/switch-paths", token: r1, json: #"{"to_plan_id":\#(plusID)}"#)
            XCTAssertEqual(path.status, .forbidden, path.text)
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["r1.admin"]!)
            let editor = try await browser.get("/plans/\(id)/edit")
            XCTAssertEqual(editor.status, .forbidden)
            let posted = try await browser.post("/plans/\(id)", ["name": "Taken over", "currency": "USD", "billing_type": "prepaid", "period_1": "on", "fee_1": "5"])
            XCTAssertEqual(posted.status, .forbidden)
            let page = try await browser.get("/plans/\(id)")
            XCTAssertEqual(page.status, .ok)
            XCTAssertFalse(page.text.contains("/plans/\(id)/edit"), "no Edit link for a plan R1 may not change")
            let after = try await snapshot(database)
            XCTAssertEqual(after, before, "nothing changed")

            // Its own admins and the provider's still may.
            let own = try await api.call(.patch, "/api/v1/plans/\(id)", token: r1a, json: #"{"name":"Edge Basic 2"}"#)
            XCTAssertEqual(own.status, .ok, own.text)
            let provider = try await api.token(fixture.users["p.admin"]!)
            let byProvider = try await api.call(.patch, "/api/v1/plans/\(id)", token: provider, json: #"{"name":"Edge Basic 3"}"#)
            XCTAssertEqual(byProvider.status, .ok, byProvider.text)
        }
    }
}
