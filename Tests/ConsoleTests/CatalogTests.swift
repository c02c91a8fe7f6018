import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// DOMAIN.md 2–3 for currencies, rates, resources and upgrade pairs, rule by rule, through the API
/// (the same stores serve the pages).
final class CatalogTests: XCTestCase {
    /// Signs in the provider admin and creates the resources the pair rules need.
    private func withCatalog(_ body: @escaping @Sendable (APIClient, String, [String: Int]) async throws -> Void) async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["p.admin"]!)
            var ids: [String: Int] = [:]
            for (code, kind, min, max) in [("support_basic", "quantity", 0, 1), ("support_premium", "quantity", 0, 1),
                                           ("os_std", "license", 0, 1), ("os_dc", "license", 0, 1), ("ram_gb", "quantity", 0, 2),
                                           ("cpu_core", "quantity", 1, 64)] {
                let created = try await api.call(.post, "/api/v1/resources", token: token,
                                                 json: #"{"code":"\#(code)","name":"\#(code)","unit":"unit","kind":"\#(kind)","min_units":\#(min),"max_units":\#(max)}"#)
                XCTAssertEqual(created.status, .created, created.text)
                ids[code] = created.json["id"] as? Int
            }
            try await body(api, token, ids)
        }
    }

    private static func pair(_ api: APIClient, _ token: String, _ from: Int?, _ to: Int?, downgradable: Bool = false, fee: String = #""0""#) async throws -> TestResponse {
        try await api.call(.post, "/api/v1/resource-upgrades", token: token,
                           json: #"{"from_resource_id":\#(from ?? 0),"to_resource_id":\#(to ?? 0),"downgradable":\#(downgradable),"active":true,"upgrade_fee":\#(fee)}"#)
    }

    func testOnlyResourcesWithMinZeroAndMaxOneFormAPair() async throws {
        try await withCatalog { api, token, ids in
            let maxTwo = try await Self.pair(api, token, ids["support_basic"], ids["ram_gb"])
            XCTAssertEqual(maxTwo.status, .unprocessableContent)
            XCTAssertEqual(maxTwo.errorCode, "to_resource_id")
            XCTAssertTrue((maxTwo.json["error"] as? [String: Any])?["message"] as? String ?? "" != "")
            let minOne = try await Self.pair(api, token, ids["cpu_core"], ids["support_basic"])
            XCTAssertEqual(minOne.errorCode, "from_resource_id")
            let same = try await Self.pair(api, token, ids["support_basic"], ids["support_basic"])
            XCTAssertEqual(same.errorCode, "to_resource_id", "From and To differ")
            // A composite bundle with min 0 / max 1 pairs like any resource.
            let bundle = try await api.call(.post, "/api/v1/resources", token: token, json: #"""
                {"code":"bundle_pro","name":"Pro bundle","unit":"bundle","kind":"composite","min_units":0,"max_units":1,
                 "components":[{"resource_id":\#(ids["ram_gb"]!),"amount":2}]}
                """#)
            XCTAssertEqual(bundle.status, .created, bundle.text)
            let withBundle = try await Self.pair(api, token, ids["support_basic"], bundle.json["id"] as? Int)
            XCTAssertEqual(withBundle.status, .created, withBundle.text)
        }
    }

    func testTheReverseOfAPairIsThePairItself() async throws {
        try await withCatalog { api, token, ids in
            let created = try await Self.pair(api, token, ids["support_basic"], ids["support_premium"], downgradable: true, fee: #"{"amount":"15.5","currency":"USD"}"#)
            XCTAssertEqual(created.status, .created, created.text)
            XCTAssertEqual((created.json["upgrade_fee"] as? [String: Any])?["amount"] as? String, "15.50")
            let again = try await Self.pair(api, token, ids["support_basic"], ids["support_premium"])
            XCTAssertEqual(again.status, .conflict)
            XCTAssertEqual(again.errorCode, "pair_exists")
            let reverse = try await Self.pair(api, token, ids["support_premium"], ids["support_basic"])
            XCTAssertEqual(reverse.status, .conflict)
            XCTAssertEqual(reverse.errorCode, "pair_exists")
        }
    }

    func testALicencePairIsNeverDowngradableNowOrLater() async throws {
        try await withCatalog { api, token, ids in
            let now = try await Self.pair(api, token, ids["os_std"], ids["os_dc"], downgradable: true)
            XCTAssertEqual(now.status, .unprocessableContent)
            XCTAssertEqual(now.errorCode, "downgradable")
            let created = try await Self.pair(api, token, ids["os_std"], ids["os_dc"])
            XCTAssertEqual(created.status, .created)
            let id = try XCTUnwrap(created.json["id"] as? Int)
            let later = try await api.call(.patch, "/api/v1/resource-upgrades/\(id)", token: token, json: #"{"downgradable":true}"#)
            XCTAssertEqual(later.status, .unprocessableContent)
            XCTAssertEqual(later.errorCode, "downgradable")
            // Active toggles freely.
            let off = try await api.call(.patch, "/api/v1/resource-upgrades/\(id)", token: token, json: #"{"active":false}"#)
            XCTAssertEqual(off.json["active"] as? Bool, false)
            XCTAssertEqual(off.json["downgradable"] as? Bool, false)
        }
    }

    func testAPairShowsOnBothResourcesAndInTheGeneralList() async throws {
        try await withCatalog { api, token, ids in
            _ = try await Self.pair(api, token, ids["support_basic"], ids["support_premium"])
            for resource in ["support_basic", "support_premium"] {
                let listed = try await api.call(.get, "/api/v1/resource-upgrades?resource_id=\(ids[resource]!)", token: token).json["items"] as? [[String: Any]]
                XCTAssertEqual(listed?.count, 1, resource)
                XCTAssertEqual(listed?.first?["from_resource_code"] as? String, "support_basic")
            }
            let other = try await api.call(.get, "/api/v1/resource-upgrades?resource_id=\(ids["ram_gb"]!)", token: token).json["items"] as? [[String: Any]]
            XCTAssertEqual(other?.count, 0)
            let all = try await api.call(.get, "/api/v1/resource-upgrades", token: token).json["items"] as? [[String: Any]]
            XCTAssertEqual(all?.count, 1, "one row, two views")
        }
    }

    func testUpgradeFeesAreExactMoneyOfAKnownCurrency() async throws {
        try await withCatalog { api, token, ids in
            let digits = try await Self.pair(api, token, ids["support_basic"], ids["support_premium"], fee: #"{"amount":"1.005","currency":"USD"}"#)
            XCTAssertEqual(digits.errorCode, "upgrade_fee")
            let unknown = try await Self.pair(api, token, ids["support_basic"], ids["support_premium"], fee: #"{"amount":"1","currency":"XYZ"}"#)
            XCTAssertEqual(unknown.errorCode, "upgrade_fee")
            let yen = try await Self.pair(api, token, ids["support_basic"], ids["support_premium"], fee: #"{"amount":"1500","currency":"JPY"}"#)
            XCTAssertEqual((yen.json["upgrade_fee"] as? [String: Any])?["amount"] as? String, "1500")
        }
    }

    func testResourceCodesAndCurrenciesAreUnique() async throws {
        try await withCatalog { api, token, _ in
            let resource = try await api.call(.post, "/api/v1/resources", token: token, json: #"{"code":"ram_gb","name":"RAM","unit":"GB","kind":"quantity"}"#)
            XCTAssertEqual(resource.status, .conflict)
            let currency = try await api.call(.post, "/api/v1/currencies", token: token, json: #"{"code":"USD","exponent":2,"name":"Dollar"}"#)
            XCTAssertEqual(currency.status, .conflict)
            let bhd = try await api.call(.post, "/api/v1/currencies", token: token, json: #"{"code":"KWD","exponent":3,"name":"Kuwaiti Dinar"}"#)
            XCTAssertEqual(bhd.status, .created)
            let badExponent = try await api.call(.post, "/api/v1/currencies", token: token, json: #"{"code":"XXA","exponent":4,"name":"Odd"}"#)
            XCTAssertEqual(badExponent.errorCode, "exponent")
            let limits = try await api.call(.post, "/api/v1/resources", token: token, json: #"{"code":"disk_gb","name":"Disk","unit":"GB","kind":"quantity","min_units":10,"max_units":5}"#)
            XCTAssertEqual(limits.errorCode, "max_units")
        }
    }

    func testARateLookupAtAPastMomentGivesTheRateThen() async throws {
        try await withCatalog { api, token, _ in
            for (rate, from) in [("0.900000", "2026-01-01T00:00:00Z"), ("0.912345", "2026-04-01T00:00:00Z")] {
                let created = try await api.call(.post, "/api/v1/currency-rates", token: token, json: #"{"from":"USD","to":"EUR","rate":"\#(rate)","effective_from":"\#(from)"}"#)
                XCTAssertEqual(created.status, .created, created.text)
            }
            func rate(at moment: String) async throws -> TestResponse {
                try await api.call(.get, "/api/v1/currency-rates?from=USD&to=EUR&at=\(moment)", token: token)
            }
            let observed1 = try await rate(at: "2026-03-31T23:59:59Z").json["rate"] as? String
            XCTAssertEqual(observed1, "0.900000")
            let observed2 = try await rate(at: "2026-04-01T00:00:00Z").json["rate"] as? String
            XCTAssertEqual(observed2, "0.912345")
            let before = try await rate(at: "2025-12-31T00:00:00Z")
            XCTAssertEqual(before.status, .unprocessableContent)
            XCTAssertEqual(before.errorCode, "rate_missing")
            // The reverse is its own row, never derived.
            let observed3 = try await api.call(.get, "/api/v1/currency-rates?from=EUR&to=USD&at=2026-05-01T00:00:00Z", token: token).errorCode
            XCTAssertEqual(observed3, "rate_missing")
            let duplicate = try await api.call(.post, "/api/v1/currency-rates", token: token, json: #"{"from":"USD","to":"EUR","rate":"0.95","effective_from":"2026-04-01T00:00:00Z"}"#)
            XCTAssertEqual(duplicate.status, .conflict, "the same pair and time again")
            let sevenDigits = try await api.call(.post, "/api/v1/currency-rates", token: token, json: #"{"from":"USD","to":"EUR","rate":"0.9123456"}"#)
            XCTAssertEqual(sevenDigits.errorCode, "rate")
            let history = try await api.call(.get, "/api/v1/currency-rates?from=USD&to=EUR", token: token).json["items"] as? [[String: Any]]
            XCTAssertEqual(history?.count, 2, "history kept")
        }
    }

    func testOnlyProviderAdminsChangeTheCatalog() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let before = try await database.rows("SELECT COUNT(*) AS n FROM resources")[0].decode(column: "n", as: Int.self)
            for key in ["p.operator", "p.viewer", "r1.admin", "c1.admin"] {
                let token = try await api.token(fixture.users[key]!)
                let response = try await api.call(.post, "/api/v1/resources", token: token, json: #"{"code":"x_\#(key.count)","name":"X","unit":"u","kind":"quantity"}"#)
                XCTAssertEqual(response.status, .forbidden, key)
                let observed4 = try await api.call(.get, "/api/v1/resources", token: token).status
                XCTAssertEqual(observed4, .ok, "\(key) reads the catalog")
            }
            let after = try await database.rows("SELECT COUNT(*) AS n FROM resources")[0].decode(column: "n", as: Int.self)
            XCTAssertEqual(before, after)
        }
    }

    func testCatalogPagesShowPairsFromToAndToggleThem() async throws {
        try await withConsole { client, fixture, database in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["p.admin"]!)
            for (code, kind) in [("ssl_basic", "quantity"), ("ssl_ev", "quantity")] {
                let created = try await browser.post("/catalog/resources", ["code": code, "name": code.uppercased(), "unit": "cert", "kind": kind, "min_units": "0", "max_units": "1", "components": ""])
                XCTAssertEqual(created.status, .seeOther, created.text)
            }
            let resources = try await ResourceStore(database: database).all()
            let basic = try XCTUnwrap(resources.first { $0.code == "ssl_basic" }), ev = try XCTUnwrap(resources.first { $0.code == "ssl_ev" })
            let defined = try await browser.post("/catalog/resource-upgrades", ["from_resource_id": String(basic.id), "to_resource_id": String(ev.id),
                                                                              "upgrade_fee": "9.99", "fee_currency": "USD", "active": "on"])
            XCTAssertEqual(defined.status, .seeOther, defined.text)
            let list = try await browser.get("/catalog/resource-upgrades").text
            XCTAssertTrue(list.contains(">ssl_basic</a> → <a"), "shown as From → To")
            XCTAssertTrue(list.contains("9.99 USD"))
            for resource in [basic, ev] {
                let observed5 = try await browser.get("/catalog/resources/\(resource.id)").text.contains("→")
                XCTAssertTrue(observed5, "the pair shows on \(resource.code)'s page")
            }
            let pairID = try await ResourceUpgradeStore(database: database).list()[0].id
            _ = try await browser.post("/catalog/resource-upgrades/\(pairID)", ["field": "downgradable", "value": "1"])
            _ = try await browser.post("/catalog/resource-upgrades/\(pairID)", ["field": "active", "value": "0"])
            let toggled = try await ResourceUpgradeStore(database: database).upgrade(pairID)
            XCTAssertTrue(toggled.downgradable)
            XCTAssertFalse(toggled.active)
            let audit = try await database.rows("SELECT COUNT(*) AS n FROM audit_log WHERE object_type = 'resource_upgrade'")[0].decode(column: "n", as: Int.self)
            XCTAssertEqual(audit, 3, "create and two toggles, each audited")

            // A reseller's staff get 403 on the provider's catalog pages.
            let reseller = Browser(client)
            _ = try await reseller.signIn(fixture.users["r1.admin"]!)
            let observed6 = try await reseller.get("/catalog/resources").status
            XCTAssertEqual(observed6, .forbidden)
        }
    }

    func testAResourceUsedByAPlanCantBeDeletedAndTheRefusalNamesThePlans() async throws {
        try await withCatalog { api, token, ids in
            let plan = try await api.call(.post, "/api/v1/plans", token: token, json: #"""
                {"name":"Uses RAM","currency":"USD","billing_type":"prepaid","periods":[{"months":1,"fee":"5"}],
                 "resources":[{"resource_id":\#(ids["ram_gb"]!),"included":0,"min_units":0,"max_units":2,"recurring_fee":"1"}]}
                """#)
            XCTAssertEqual(plan.status, .created, plan.text)
            let refused = try await api.call(.delete, "/api/v1/resources/\(ids["ram_gb"]!)", token: token)
            XCTAssertEqual(refused.status, .conflict)
            XCTAssertEqual(refused.errorCode, "resource_in_use")
            let message = (refused.json["error"] as? [String: Any])?["message"] as? String ?? ""
            XCTAssertTrue(message.contains("plan “Uses RAM”"), message)
            // Nothing uses cpu_core: it goes.
            let observed1 = try await api.call(.delete, "/api/v1/resources/\(ids["cpu_core"]!)", token: token).status
            XCTAssertEqual(observed1, .noContent)
            let observed2 = try await api.call(.get, "/api/v1/resources/\(ids["cpu_core"]!)", token: token).status
            XCTAssertEqual(observed2, .notFound)
        }
    }

    func testAResourceInAPairKeepsMinZeroMaxOne() async throws {
        try await withCatalog { api, token, ids in
            _ = try await Self.pair(api, token, ids["support_basic"], ids["support_premium"])
            let widened = try await api.call(.patch, "/api/v1/resources/\(ids["support_basic"]!)", token: token, json: #"{"max_units":5}"#)
            XCTAssertEqual(widened.status, .unprocessableContent)
            XCTAssertEqual(widened.errorCode, "max_units")
            let renamed = try await api.call(.patch, "/api/v1/resources/\(ids["support_basic"]!)", token: token, json: #"{"name":"Basic support"}"#)
            XCTAssertEqual(renamed.json["name"] as? String, "Basic support")
            let currency = try await api.call(.patch, "/api/v1/currencies/EUR", token: token, json: #"{"name":"Euro (EU)"}"#)
            XCTAssertEqual(currency.json["name"] as? String, "Euro (EU)")
        }
    }
}
