import Commerce
import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// Quotes through the API (DOMAIN.md 5 and 6): exact figures, and each refusal when, and only
/// when, its rule holds.
final class QuoteTests: XCTestCase {
    private func withWorld(silver: String = "", billing: String = "prepaid", _ body: @escaping @Sendable (QuoteWorld, Int) async throws -> Void) async throws {
        try await withQuoteWorld(silver: silver, billing: billing, body)
    }

    private static func quote(_ w: QuoteWorld, _ id: Int, _ body: String, token: String? = nil) async throws -> TestResponse {
        try await w.api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: token ?? w.customer, json: body)
    }

    private static func codes(_ response: TestResponse) -> [String] {
        (response.json["blocked_reasons"] as? [[String: Any]])?.compactMap { $0["code"] as? String } ?? []
    }

    private static func amount(_ value: Any?) -> String? { (value as? [String: Any])?["amount"] as? String }

    func testThePlanSwitchExampleOfDomain6ThroughTheAPI() async throws {
        try await withWorld { w, id in
            let response = try await Self.quote(w, id, #"{"plan":{"plan_id":\#(w.plans["Gold"]!),"period_months":1}}"#)
            XCTAssertEqual(response.status, .ok, response.text)
            let lines = response.json["lines"] as? [[String: Any]] ?? []
            XCTAssertEqual(lines.map { Self.amount($0["amount"]) }, ["-10.00", "15.00"], "credit −10.00, debit +15.00 (R = 15, D = 30)")
            XCTAssertEqual(lines.first?["days_remaining"] as? Int, 15)
            XCTAssertEqual(lines.first?["days_in_period"] as? Int, 30)
            XCTAssertEqual(Self.amount(response.json["subtotal"]), "5.00")
            XCTAssertEqual(Self.amount(response.json["tax"]), "1.00", "Customer One's tax rate 0.20, added")
            XCTAssertEqual(Self.amount(response.json["total"]), "6.00")
            XCTAssertEqual(Self.codes(response), [])
        }
    }

    func testAQuantityChangeWithSetupFeeAndAPromoCode() async throws {
        try await withWorld { w, id in
            let promo = try await w.api.call(.post, "/api/v1/promo-codes", token: w.reseller, json: #"{"code":"SPRING10","percent":"10","valid_until":"2026-05-31"}"#)
            XCTAssertEqual(promo.status, .created, promo.text)
            let response = try await Self.quote(w, id, #"{"resources":[{"resource_code":"ram_gb","additional":6}],"promo_code":"SPRING10"}"#)
            let lines = response.json["lines"] as? [[String: Any]] ?? []
            // +4 GB × 2.50 × 15/30 = 5.00; setup 4 × 1.00 = 4.00; discount 10 % of each: 0.50 + 0.40
            XCTAssertEqual(lines.map { Self.amount($0["amount"]) }, ["5.00", "4.00"])
            XCTAssertEqual(Self.amount(response.json["discount"]), "0.90")
            XCTAssertEqual(Self.amount(response.json["tax"]), "1.62", "20 % of 8.10")
            XCTAssertEqual(Self.amount(response.json["total"]), "9.72")
        }
    }

    func testEachRefusalAppearsWhenItsRuleHolds() async throws {
        try await withWorld { w, id in
            // A clean change: nothing blocks it.
            let response1 = try await Self.quote(w, id, #"{"resources":[{"resource_code":"ram_gb","additional":3}]}"#)
            XCTAssertEqual(Self.codes(response1), [])
            // 4. out_of_limits: total 2 + 15 > 16
            let response2 = try await Self.quote(w, id, #"{"resources":[{"resource_code":"ram_gb","additional":15}]}"#)
            XCTAssertEqual(Self.codes(response2), ["out_of_limits"])
            // 5. below_usage: usage 3, total would be 2
            let response3 = try await Self.quote(w, id, #"{"resources":[{"resource_code":"ram_gb","additional":0}]}"#)
            XCTAssertEqual(Self.codes(response3), ["below_usage"])
            // 9. no_such_pair: no pair ram → support; the pair is not downgradable, so going back is none either
            let noPair = try await Self.quote(w, id, #"{"switch":{"from_resource_code":"ram_gb","to_resource_code":"support_premium"}}"#)
            XCTAssertEqual(Self.codes(noPair), ["no_such_pair"])
            let response4 = try await Self.quote(w, id, #"{"switch":{"from_resource_code":"support_premium","to_resource_code":"support_basic"}}"#)
            XCTAssertTrue(Self.codes(response4).contains("no_such_pair"))
            let response5 = try await Self.quote(w, id, #"{"switch":{"from_resource_code":"support_basic","to_resource_code":"support_premium"}}"#)
            XCTAssertEqual(Self.codes(response5), [])
            // 9. no_switch_path: Gold → Silver is not a path
            let response6 = try await Self.quote(w, id, #"{"plan":{"plan_id":\#(w.plans["Silver"]!)}}"#)
            XCTAssertEqual(Self.codes(response6), ["no_switch_path"])
            // 10. promo_invalid: unknown
            let response7 = try await Self.quote(w, id, #"{"resources":[{"resource_code":"ram_gb","additional":3}],"promo_code":"NOPE"}"#)
            XCTAssertEqual(Self.codes(response7), ["promo_invalid"])
            // 9. pair_inactive
            let pairs = try await w.api.call(.get, "/api/v1/resource-upgrades", token: w.provider).json["items"] as? [[String: Any]] ?? []
            _ = try await w.api.call(.patch, "/api/v1/resource-upgrades/\(pairs[0]["id"] as! Int)", token: w.provider, json: #"{"active":false}"#)
            let response8 = try await Self.quote(w, id, #"{"switch":{"from_resource_code":"support_basic","to_resource_code":"support_premium"}}"#)
            XCTAssertEqual(Self.codes(response8), ["pair_inactive"])
            // 1. subscription_not_active, listed first, with everything else that holds
            _ = try await w.api.call(.patch, "/api/v1/subscriptions/\(id)", token: w.reseller, json: #"{"status":"blocked"}"#)
            let response9 = try await Self.quote(w, id, #"{"resources":[{"resource_code":"ram_gb","additional":15}],"promo_code":"NOPE"}"#)
            XCTAssertEqual(Self.codes(response9),
                           ["subscription_not_active", "out_of_limits", "promo_invalid"], "every reason, in DOMAIN.md 5's order")
        }
    }

    func testAnUpgradeFeeInAnotherCurrencyIsConvertedToThePlanCurrencyAtTheCurrentRate() async throws {
        try await withWorld { w, id in
            // The pair's fee is 10 USD already; make a second pair priced in EUR: 10.00 EUR at 1.096 → 10.96 USD.
            let ids = try await w.api.call(.get, "/api/v1/resources", token: w.provider).json["items"] as? [[String: Any]] ?? []
            let premium = ids.first { $0["code"] as? String == "support_premium" }!["id"] as! Int
            let gold = try await w.api.call(.post, "/api/v1/resources", token: w.provider, json: #"{"code":"support_gold","name":"Gold","unit":"u","kind":"quantity","min_units":0,"max_units":1}"#).json["id"] as! Int
            _ = try await w.api.call(.post, "/api/v1/resource-upgrades", token: w.provider,
                                     json: #"{"from_resource_id":\#(premium),"to_resource_id":\#(gold),"upgrade_fee":{"amount":"10","currency":"EUR"}}"#)
            let silver = w.plans["Silver"]!
            _ = try await w.api.call(.patch, "/api/v1/plans/\(silver)", token: w.provider, json: #"""
                {"resources":[{"resource_id":\#(premium),"included":0,"min_units":0,"max_units":1,"recurring_fee":"15"},{"resource_id":\#(gold),"included":0,"min_units":0,"max_units":1,"recurring_fee":"15"},
                              {"resource_id":\#(ids.first { $0["code"] as? String == "support_basic" }!["id"] as! Int),"included":0,"min_units":0,"max_units":1,"recurring_fee":"5"},
                              {"resource_id":\#(ids.first { $0["code"] as? String == "ram_gb" }!["id"] as! Int),"included":2,"min_units":1,"max_units":16,"recurring_fee":"2.50"}]}
                """#)
            let imported = try await w.api.call(.post, "/api/v1/subscriptions", token: w.reseller, json: #"""
                {"customer_id":\#(w.fixture.c1.id),"plan_id":\#(silver),"period_months":1,"period_start":"2026-04-11","status":"active","resources":[{"resource_code":"support_premium","additional":1}]}
                """#)
            let subscription = imported.json["id"] as! Int
            let missing = try await Self.quote(w, subscription, #"{"switch":{"from_resource_code":"support_premium","to_resource_code":"support_gold"}}"#)
            XCTAssertEqual(Self.codes(missing), ["rate_missing"], "no EUR → USD rate yet: a clear refusal, never 1.0")
            _ = try await w.api.call(.post, "/api/v1/currency-rates", token: w.provider, json: #"{"from":"EUR","to":"USD","rate":"1.096","effective_from":"2026-01-01T00:00:00Z"}"#)
            let priced = try await Self.quote(w, subscription, #"{"switch":{"from_resource_code":"support_premium","to_resource_code":"support_gold"}}"#)
            XCTAssertEqual(Self.codes(priced), [])
            XCTAssertEqual((priced.json["lines"] as? [[String: Any]])?.first.flatMap { Self.amount($0["amount"]) }, "10.96")
            _ = id
        }
    }

    func testNonRefundAndCommitmentPlansRefuseReductionsOnly() async throws {
        for (billing, code) in [("non_refund", "non_refund_reduction"), ("monthly_commitment", "commitment_reduction")] {
            try await withWorld(billing: billing) { w, id in
                let response10 = try await Self.quote(w, id, #"{"resources":[{"resource_code":"ram_gb","additional":1}]}"#)
                XCTAssertEqual(Self.codes(response10), [code], billing)
                let response11 = try await Self.quote(w, id, #"{"resources":[{"resource_code":"ram_gb","additional":5}]}"#)
                XCTAssertEqual(Self.codes(response11), [], "\(billing): increases are fine")
            }
        }
    }

    func testTrialWithoutChangesAndPromoOnIndividualPrices() async throws {
        try await withWorld(silver: #","trial_days":14,"changes_in_trial":false"#) { w, id in
            _ = try await w.api.call(.patch, "/api/v1/subscriptions/\(id)", token: w.reseller, json: #"{"status":"active"}"#)
            let trial = try await w.api.call(.post, "/api/v1/subscriptions", token: w.reseller, json: #"""
                {"customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Silver"]!),"period_months":1,"period_start":"2026-04-20","status":"trial",
                 "individual_prices":[{"resource_code":"ram_gb","recurring_fee":"1.00","setup_fee":"0"}]}
                """#)
            XCTAssertEqual(trial.status, .created, trial.text)
            let trialID = trial.json["id"] as! Int
            let response12 = try await Self.quote(w, trialID, #"{"resources":[{"resource_code":"ram_gb","additional":1}],"promo_code":"X"}"#)
            XCTAssertEqual(Self.codes(response12),
                           ["trial_forbids_change", "promo_not_allowed"])
        }
    }

    func testASellerInAnotherCurrencyGetsConvertedFiguresAtTheStoredRate() async throws {
        try await withWorld { w, _ in
            // Reseller Two bills in EUR; its customer's invoice is converted from the USD plan.
            _ = try await w.api.call(.post, "/api/v1/plans/\(w.plans["Silver"]!)/delegations", token: w.provider, json: #"{"reseller_id":\#(w.fixture.r2.id)}"#)
            let rate = try await w.api.call(.post, "/api/v1/currency-rates", token: w.provider,
                                            json: #"{"from":"USD","to":"EUR","rate":"0.912345","effective_from":"2026-01-01T00:00:00Z"}"#)
            XCTAssertEqual(rate.status, .created)
            let r2 = try await w.api.token(w.fixture.users["r2.admin"]!)
            let imported = try await w.api.call(.post, "/api/v1/subscriptions", token: r2, json: #"""
                {"customer_id":\#(w.fixture.c2.id),"plan_id":\#(w.plans["Silver"]!),"period_months":1,"period_start":"2026-04-11","status":"active"}
                """#)
            XCTAssertEqual(imported.status, .created, imported.text)
            let quote = try await w.api.call(.post, "/api/v1/subscriptions/\(imported.json["id"] as! Int)/quotes", token: r2,
                                             json: #"{"resources":[{"resource_code":"ram_gb","additional":4}]}"#)
            // USD: 4 × 2.50 × 15/30 = 5.00, setup 4.00 → EUR 4.56 (4.561725) + 3.65 (3.64938) = 8.21; tax 20 % = 1.64
            let converted = quote.json["converted"] as? [String: Any]
            XCTAssertEqual(converted?["currency"] as? String, "EUR")
            XCTAssertEqual(converted?["rate"] as? String, "0.912345")
            XCTAssertEqual(Self.amount(converted?["subtotal"]), "8.21")
            XCTAssertEqual(Self.amount(converted?["tax"]), "1.64")
            XCTAssertEqual(Self.amount(converted?["total"]), "9.85")
            XCTAssertEqual(Self.amount(quote.json["subtotal"]), "9.00", "and the plan-currency figures beside them")
            // DOMAIN.md 2: the order stores the rate and its id.
            XCTAssertEqual(converted?["rate_id"] as? Int, rate.json["id"] as? Int)
            let order = try await w.api.call(.post, "/api/v1/subscriptions/\(imported.json["id"] as! Int)/orders", token: r2,
                                             json: #"{"resources":[{"resource_code":"ram_gb","additional":4}]}"#)
            XCTAssertEqual(order.status, .created, order.text)
            XCTAssertEqual((order.json["converted"] as? [String: Any])?["rate_id"] as? Int, rate.json["id"] as? Int)
        }
    }

    func testTheClockIsTheProviderAdminsAndOnlyInTestMode() async throws {
        try await withWorld { w, _ in
            let observed3 = try await w.api.call(.get, "/api/v1/clock", token: w.customer).json["now"] as? String
            XCTAssertEqual(observed3, "2026-04-26T09:00:00Z")
            let observed4 = try await w.api.call(.put, "/api/v1/clock", token: w.reseller, json: #"{"now":"2020-01-01T00:00:00Z"}"#).status
            XCTAssertEqual(observed4, .forbidden)
            let observed5 = try await w.api.call(.put, "/api/v1/clock", token: w.provider, json: #"{"now":"2026-01-01T00:00:00Z"}"#).status
            XCTAssertEqual(observed5, .ok, "backwards is allowed")
        }
        let database = try await TestDatabase.application()
        let fixture = try await TenancyFixture.make(database)
        var configuration = TestConsole.configuration()
        configuration.testMode = false
        configuration.bcryptCost = 4
        let app = try await buildApplication(configuration: configuration, database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["p.admin"]!)
            let observed6 = try await api.call(.get, "/api/v1/clock", token: token).status
            XCTAssertEqual(observed6, .notFound)
            let observed7 = try await api.call(.put, "/api/v1/clock", token: token, json: #"{"now":"2026-01-01T00:00:00Z"}"#).status
            XCTAssertEqual(observed7, .notFound)
        }
    }
}

/// The "Upgrade / Downgrade" page a customer uses, without JavaScript.
final class ChangePageTests: XCTestCase {
    func testTheEstimatePageShowsLinesDaysTotalAndRefusals() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            let ram = try await api.call(.post, "/api/v1/resources", token: provider, json: #"{"code":"ram_gb","name":"RAM","unit":"GB","kind":"quantity","min_units":0,"max_units":16}"#).json["id"] as! Int
            let plan = try await api.call(.post, "/api/v1/plans", token: provider, json: #"""
                {"name":"Silver","currency":"USD","billing_type":"prepaid","periods":[{"months":1,"fee":"20"}],
                 "resources":[{"resource_id":\#(ram),"included":2,"min_units":1,"max_units":16,"recurring_fee":"2.50"}]}
                """#).json["id"] as! Int
            _ = try await api.call(.post, "/api/v1/plans/\(plan)/delegations", token: provider, json: #"{"reseller_id":\#(fixture.r1.id)}"#)
            let reseller = try await api.token(fixture.users["r1.admin"]!)
            let subscription = try await api.call(.post, "/api/v1/subscriptions", token: reseller, json: #"""
                {"customer_id":\#(fixture.c1.id),"plan_id":\#(plan),"period_months":1,"period_start":"2026-04-11","status":"active","resources":[{"resource_code":"ram_gb","additional":0,"usage":2}]}
                """#).json["id"] as! Int
            _ = try await api.call(.put, "/api/v1/clock", token: provider, json: #"{"now":"2026-04-26T00:00:00Z"}"#)
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["c1.admin"]!)
            let page = try await browser.get("/subscriptions/\(subscription)/change").text
            XCTAssertTrue(page.contains(#"type="range" class="form-range" id="ram_gb-range" min="2""#), "the slider starts at the current usage")
            let estimate = try await browser.get("/subscriptions/\(subscription)/estimate?ram_gb=6").text
            // +4 GB × 2.50 × 15/30 = 5.00; tax 20 % = 1.00; total 6.00
            XCTAssertTrue(estimate.contains("15/30"))
            XCTAssertTrue(estimate.contains(#"id="estimate-total">6.00 USD"#), estimate)
            XCTAssertTrue(estimate.contains("Total charge for today"))
            let refused = try await browser.get("/subscriptions/\(subscription)/estimate?ram_gb=1").text
            XCTAssertTrue(refused.contains(#"data-code="below_usage""#))
            let unchanged = try await browser.get("/subscriptions/\(subscription)/estimate?ram_gb=2&fragment=1").text
            XCTAssertTrue(unchanged.contains("Nothing changes yet"), "no change, no lines")
            let observed1 = try await browser.get("/subscriptions/\(subscription)").text.contains(#"id="status-form""#)
            XCTAssertFalse(observed1, "customers don't set status")

            // Staff record usage and block the subscription from its page; quotes then refuse.
            let staff = Browser(client)
            _ = try await staff.signIn(fixture.users["r1.operator"]!)
            let observed2 = try await staff.post("/subscriptions/\(subscription)/usage", ["usage_ram_gb": "4"]).status
            XCTAssertEqual(observed2, .seeOther)
            let observed3 = try await staff.post("/subscriptions/\(subscription)/status", ["status": "blocked"]).status
            XCTAssertEqual(observed3, .seeOther)
            let staffPage = try await staff.get("/subscriptions/\(subscription)").text
            XCTAssertTrue(staffPage.contains(#"id="subscription-status">blocked"#))
            let stored = try await database.rows("SELECT usage_units FROM subscription_resources WHERE subscription_id = ?", [.int(Int64(subscription))])[0]
            XCTAssertEqual(try stored.decode(column: "usage_units", as: Int.self), 4)
            let observed4 = try await browser.get("/subscriptions/\(subscription)/estimate?ram_gb=6").text.contains(#"data-code="subscription_not_active""#)
            XCTAssertTrue(observed4)
        }
    }
}

/// The settings page sets the test clock; sellers keep promo codes on their page.
final class SettingsAndPromoPageTests: XCTestCase {
    func testTheProviderSetsTheClockAndASellerCreatesAPromoCode() async throws {
        try await withConsole { client, fixture, _ in
            let provider = Browser(client)
            _ = try await provider.signIn(fixture.users["p.admin"]!)
            let observed1 = try await provider.post("/settings/clock", ["now": "2026-04-26T00:00"]).status
            XCTAssertEqual(observed1, .seeOther)
            let observed2 = try await provider.get("/settings").text.contains(#"id="business-today">2026-04-26<"#)
            XCTAssertTrue(observed2)
            let reseller = Browser(client)
            _ = try await reseller.signIn(fixture.users["r1.admin"]!)
            let refused = try await reseller.post("/promo-codes", ["code": "HALF", "percent": "150", "valid_until": "2026-12-31"])
            XCTAssertEqual(refused.status, .unprocessableContent)
            XCTAssertTrue(refused.text.contains(#"id="percent-error""#))
            let observed3 = try await reseller.post("/promo-codes", ["code": "HALF", "percent": "50", "valid_until": "2026-12-31"]).status
            XCTAssertEqual(observed3, .seeOther)
            let observed4 = try await reseller.get("/promo-codes").text.contains("HALF")
            XCTAssertTrue(observed4)
            let observed5 = try await reseller.get("/settings").status
            XCTAssertEqual(observed5, .forbidden, "settings are the provider's")
            let customer = Browser(client)
            _ = try await customer.signIn(fixture.users["c1.admin"]!)
            let observed6 = try await customer.get("/promo-codes").status
            XCTAssertEqual(observed6, .forbidden)
        }
    }
}

/// Quote latency through the API and the SQL one quote costs, printed for the record
/// (`swift test --filter QuoteLatencyTests`); every quote's figures are checked.
final class QuoteLatencyTests: XCTestCase {
    func testAThousandQuotes() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            let ram = try await api.call(.post, "/api/v1/resources", token: provider, json: #"{"code":"ram_gb","name":"RAM","unit":"GB","kind":"quantity","min_units":0,"max_units":64}"#).json["id"] as! Int
            let plan = try await api.call(.post, "/api/v1/plans", token: provider, json: #"""
                {"name":"Silver","currency":"USD","billing_type":"prepaid","periods":[{"months":1,"fee":"20"}],
                 "resources":[{"resource_id":\#(ram),"included":2,"min_units":1,"max_units":64,"recurring_fee":"2.50"}]}
                """#).json["id"] as! Int
            _ = try await api.call(.post, "/api/v1/plans/\(plan)/delegations", token: provider, json: #"{"reseller_id":\#(fixture.r1.id)}"#)
            let reseller = try await api.token(fixture.users["r1.admin"]!)
            let id = try await api.call(.post, "/api/v1/subscriptions", token: reseller, json: #"""
                {"customer_id":\#(fixture.c1.id),"plan_id":\#(plan),"period_months":1,"period_start":"2026-04-11","status":"active"}
                """#).json["id"] as! Int
            _ = try await api.call(.put, "/api/v1/clock", token: provider, json: #"{"now":"2026-04-26T00:00:00Z"}"#)
            let customer = try await api.token(fixture.users["c1.admin"]!)
            let before = try await database.rows("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Com_stmt_execute', 'Questions')")
            var durations: [Duration] = []
            for i in 0..<1000 {
                let started = ContinuousClock.now
                let quote = try await api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: customer, json: #"{"resources":[{"resource_code":"ram_gb","additional":\#(i % 50 + 1)}]}"#)
                durations.append(ContinuousClock.now - started)
                XCTAssertEqual(quote.status, .ok)
            }
            let after = try await database.rows("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Com_stmt_execute', 'Questions')")
            func value(_ rows: [MariaDBRow], _ name: String) throws -> Int {
                try Int(rows.first { try $0.decode(column: "Variable_name", as: String.self) == name }!.decode(column: "Value", as: String.self))!
            }
            durations.sort()
            let ms = { (d: Duration) in Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000 }
            let statements = (try value(after, "Questions") - value(before, "Questions")) / 1000
            print("QUOTE LATENCY median=\(String(format: "%.2f", ms(durations[500]))) ms p99=\(String(format: "%.2f", ms(durations[990]))) ms statements-per-quote≈\(statements) (incl. token lookup)")
            XCTAssertLessThan(ms(durations[990]), 1000)
        }
    }
}
