import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

struct QuoteWorld: Sendable {
    let api: APIClient
    let provider: String
    let reseller: String
    let customer: String
    let fixture: TenancyFixture
    let plans: [String: Int]
}

/// Silver ($20) and Gold ($30) monthly, with ram_gb (0–16, $2.50) and a support pair; delegated
/// to Reseller One, whose Customer One (tax 0.20) holds a Silver subscription from 2026-04-11.
func withQuoteWorld(silver: String = "", billing: String = "prepaid", _ body: @escaping @Sendable (QuoteWorld, Int) async throws -> Void) async throws {
    try await withConsole { client, fixture, _ in
        let api = APIClient(client: client)
        let provider = try await api.token(fixture.users["p.admin"]!)
        var ids: [String: Int] = [:]
        for (code, max, kind) in [("ram_gb", 16, "quantity"), ("support_basic", 1, "quantity"), ("support_premium", 1, "quantity")] {
            ids[code] = try await api.call(.post, "/api/v1/resources", token: provider,
                                           json: #"{"code":"\#(code)","name":"\#(code)","unit":"u","kind":"\#(kind)","min_units":0,"max_units":\#(max)}"#).json["id"] as? Int
        }
        let pair = try await api.call(.post, "/api/v1/resource-upgrades", token: provider,
                                      json: #"{"from_resource_id":\#(ids["support_basic"]!),"to_resource_id":\#(ids["support_premium"]!),"downgradable":false,"upgrade_fee":"10"}"#)
        XCTAssertEqual(pair.status, .created)
        var plans: [String: Int] = [:]
        for (name, fee) in [("Silver", "20"), ("Gold", "30")] {
            let extra = name == "Silver" ? silver : ""
            let plan = try await api.call(.post, "/api/v1/plans", token: provider, json: #"""
                {"name":"\#(name)","currency":"USD","billing_type":"\#(name == "Silver" ? billing : "prepaid")"\#(extra),"periods":[{"months":1,"fee":"\#(fee)"},{"months":12,"fee":"200"}],
                 "resources":[{"resource_id":\#(ids["ram_gb"]!),"included":2,"min_units":1,"max_units":16,"recurring_fee":"2.50","setup_fee":"1"},
                              {"resource_id":\#(ids["support_basic"]!),"included":0,"min_units":0,"max_units":1,"recurring_fee":"5"},
                              {"resource_id":\#(ids["support_premium"]!),"included":0,"min_units":0,"max_units":1,"recurring_fee":"15"}]}
                """#)
            XCTAssertEqual(plan.status, .created, plan.text)
            plans[name] = plan.json["id"] as? Int
            _ = try await api.call(.post, "/api/v1/plans/\(plans[name]!)/delegations", token: provider, json: #"{"reseller_id":\#(fixture.r1.id)}"#)
        }
        _ = try await api.call(.post, "/api/v1/plans/\(plans["Silver"]!)/switch-paths", token: provider, json: #"{"to_plan_id":\#(plans["Gold"]!)}"#)
        let reseller = try await api.token(fixture.users["r1.admin"]!)
        let imported = try await api.call(.post, "/api/v1/subscriptions", token: reseller, json: #"""
            {"customer_id":\#(fixture.c1.id),"plan_id":\#(plans["Silver"]!),"period_months":1,"period_start":"2026-04-11","status":"active",
             "resources":[{"resource_code":"ram_gb","additional":2,"usage":3},{"resource_code":"support_basic","additional":1}]}
            """#)
        XCTAssertEqual(imported.status, .created, imported.text)
        let observed1 = try await api.call(.put, "/api/v1/clock", token: provider, json: #"{"now":"2026-04-26T09:00:00Z"}"#).status
        XCTAssertEqual(observed1, .ok)
        let customer = try await api.token(fixture.users["c1.admin"]!)
        try await body(QuoteWorld(api: api, provider: provider, reseller: reseller, customer: customer, fixture: fixture, plans: plans), imported.json["id"] as! Int)
    }
}

