import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// DOMAIN.md 10: every number, date and text that comes in has bounds; outside them the answer
/// is 422 naming the field (pages: the field marked, what was typed kept), and no input stops
/// the server. Each test is one finding of issue 12, sent the way an attacker would.
final class InputBoundsTests: XCTestCase {
    static let int64Max = "9223372036854775807"
    static let int64Min = "-9223372036854775808"

    private static func healthy(_ world: QuoteWorld) async throws {
        let health = try await world.api.call(.get, "/healthz")
        XCTAssertEqual(health.status, .ok, "the server is still alive")
    }

    // MARK: Quantities and units

    func testAChangePageWithATotalOfInt64MinIsRefusedNamingTheResourceAndKeepsWhatWasTyped() async throws {
        try await withQuoteWorld { world, id in
            let browser = Browser(world.api.client)
            _ = try await browser.signIn(world.fixture.users["c1.admin"]!)
            // On main this link trapped the process (overflow in the change page's slider).
            let page = try await browser.get("/subscriptions/\(id)/change?ram_gb=\(Self.int64Min)")
            XCTAssertEqual(page.status, .ok, "the form opens, with the typed value kept")
            XCTAssertTrue(page.text.contains(#"value="\#(Self.int64Min)""#), page.text)
            let estimate = try await browser.get("/subscriptions/\(id)/estimate?ram_gb=\(Self.int64Min)")
            XCTAssertEqual(estimate.status, .unprocessableContent)
            XCTAssertTrue(estimate.text.contains(#"id="ram_gb-error""#), "the field is marked")
            XCTAssertTrue(estimate.text.contains("from -1000000000 to 1000000000"), estimate.text)
            XCTAssertTrue(estimate.text.contains(#"value="\#(Self.int64Min)""#), "what was typed is kept")
            let huge = try await browser.get("/subscriptions/\(id)/estimate?ram_gb=99999999999999999999999")
            XCTAssertEqual(huge.status, .unprocessableContent)
            try await Self.healthy(world)
        }
    }

    func testAQuoteWithAdditionalUnitsOfInt64MaxIsRefusedNamingTheLine() async throws {
        try await withQuoteWorld { world, id in
            let quote = try await world.api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: world.customer,
                                                 json: #"{"resources":[{"resource_code":"ram_gb","additional":\#(Self.int64Max)}]}"#)
            XCTAssertEqual(quote.status, .unprocessableContent, quote.text)
            XCTAssertEqual(quote.errorCode, "resources.0.additional")
            let period = try await world.api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: world.customer,
                                                  json: #"{"plan":{"plan_id":\#(world.plans["Gold"]!),"period_months":2147483648}}"#)
            XCTAssertEqual(period.status, .unprocessableContent, period.text)
            XCTAssertEqual(period.errorCode, "plan.period_months")
            try await Self.healthy(world)
        }
    }

    func testAnImportWithAdditionalUnitsOfInt64MaxIsRefusedNamingTheResource() async throws {
        try await withQuoteWorld { world, _ in
            // On main: an overflow trap adding the plan's included units (SubscriptionStore).
            let imported = try await world.api.call(.post, "/api/v1/subscriptions", token: world.reseller, json: #"""
                {"customer_id":\#(world.fixture.c1.id),"plan_id":\#(world.plans["Silver"]!),"period_months":1,"period_start":"2026-04-11",
                 "resources":[{"resource_code":"ram_gb","additional":\#(Self.int64Max)}]}
                """#)
            XCTAssertEqual(imported.status, .unprocessableContent, imported.text)
            XCTAssertEqual(imported.errorCode, "resources.ram_gb.additional")
            try await Self.healthy(world)
        }
    }

    func testUsageOfInt64MaxIsRefusedNamingTheResource() async throws {
        try await withQuoteWorld { world, id in
            let usage = try await world.api.call(.put, "/api/v1/subscriptions/\(id)/usage", token: world.reseller, json: #"{"ram_gb":\#(Self.int64Max)}"#)
            XCTAssertEqual(usage.status, .unprocessableContent, usage.text)
            XCTAssertEqual(usage.errorCode, "ram_gb")
            let stored = try await world.api.call(.get, "/api/v1/subscriptions/\(id)", token: world.reseller)
            let ram = (stored.json["resources"] as? [[String: Any]])?.first { $0["resource_code"] as? String == "ram_gb" }
            XCTAssertEqual(ram?["usage"] as? Int, 3, "nothing was stored")
        }
    }

    func testAPlanWithIncludedUnitsBeyondABillionIsRefusedSoNoQuoteOrOrderCanOverflow() async throws {
        try await withQuoteWorld { world, _ in
            let resource = try await world.api.call(.get, "/api/v1/resources", token: world.provider)
            let ram = (resource.json["items"] as? [[String: Any]])?.first { $0["code"] as? String == "ram_gb" }?["id"] as? Int
            func plan(included: String = "2", min: String = "0", max: String = "-1", setup: String = "0", recurring: String = "1", fee: String = "20",
                      trial: String = "0") async throws -> TestResponse {
                try await world.api.call(.post, "/api/v1/plans", token: world.reseller, json: #"""
                    {"name":"Edge","currency":"USD","billing_type":"prepaid","trial_days":\#(trial),"periods":[{"months":1,"fee":"\#(fee)"}],
                     "resources":[{"resource_id":\#(ram!),"included":\#(included),"min_units":\#(min),"max_units":\#(max),"setup_fee":"\#(setup)","recurring_fee":"\#(recurring)"}]}
                    """#)
            }
            // On main: 201, and then the customer's quote, sales order and change page trapped.
            for (response, field) in [
                (try await plan(included: Self.int64Max), "resources.0.included"),
                (try await plan(included: "1000000001"), "resources.0.included"),
                (try await plan(min: Self.int64Max), "resources.0.min_units"),
                (try await plan(max: Self.int64Max), "resources.0.max_units"),
                (try await plan(setup: "1000000000.01"), "resources.0.setup_fee"),
                (try await plan(recurring: "922337203685477"), "resources.0.recurring_fee"),
                (try await plan(fee: "1000000001"), "periods.0.fee"),
                (try await plan(trial: "2147483648"), "trial_days"),
                (try await plan(trial: "3651"), "trial_days"),
            ] {
                XCTAssertEqual(response.status, .unprocessableContent, response.text)
                XCTAssertEqual(response.errorCode, field, response.text)
            }
            let atTheBounds = try await plan(included: "1000000000", setup: "1000000000", recurring: "1000000000", fee: "1000000000", trial: "3650")
            XCTAssertEqual(atTheBounds.status, .created, atTheBounds.text)
            try await Self.healthy(world)
        }
    }

    // MARK: Dates

    func testPeriodStartsOutsideTheCalendarRangeAreRefusedNotA500() async throws {
        try await withQuoteWorld { world, _ in
            for start in ["9999-12-31", "0001-01-01", "1999-12-31", "2200-01-01"] {
                let imported = try await world.api.call(.post, "/api/v1/subscriptions", token: world.reseller, json: #"""
                    {"customer_id":\#(world.fixture.c1.id),"plan_id":\#(world.plans["Silver"]!),"period_months":1,"period_start":"\#(start)"}
                    """#)
                XCTAssertEqual(imported.status, .unprocessableContent, "\(start): \(imported.text)")
                XCTAssertEqual(imported.errorCode, "period_start")
                XCTAssertTrue(imported.text.contains("2000-01-01 to 2199-12-31"), imported.text)
            }
            let promo = try await world.api.call(.post, "/api/v1/promo-codes", token: world.reseller,
                                                 json: #"{"code":"FAR","percent":"10","valid_until":"9999-12-31"}"#)
            XCTAssertEqual(promo.errorCode, "valid_until", promo.text)
            try await Self.healthy(world)
        }
    }

    // MARK: Texts and emails

    func testANulByteInAnAccountNameIsRefusedAndNothingIsStored() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["p.admin"]!)
            let before = try await snapshot(database)
            let created = try await api.call(.post, "/api/v1/accounts", token: token,
                                             json: #"{"kind":"reseller","name":"Evil\u0000Corp","currency":"USD","tax_rate":"0.20"}"#)
            XCTAssertEqual(created.status, .unprocessableContent, created.text)
            XCTAssertEqual(created.errorCode, "name")
            let escape = try await api.call(.post, "/api/v1/accounts", token: token,
                                            json: #"{"kind":"reseller","name":"Fine","contact_name":"\u001b[31mred","currency":"USD","tax_rate":"0.20"}"#)
            XCTAssertEqual(escape.errorCode, "contact_name", escape.text)
            let after = try await snapshot(database)
            XCTAssertEqual(before, after)
            let multiLine = try await api.call(.post, "/api/v1/accounts", token: token,
                                               json: #"{"kind":"reseller","name":"Fine","address":"1 Main St\nSpringfield","currency":"USD","tax_rate":"0.20"}"#)
            XCTAssertEqual(multiLine.status, .created, "an address keeps its line breaks: \(multiLine.text)")
        }
    }

    /// Found by the fuzz suite (seed 371001821): a well-formed code of no currency the console has
    /// broke the foreign key (500); it is a field error.
    func testAnAccountInACurrencyTheConsoleDoesNotHaveIsRefusedNamingTheCurrency() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["p.admin"]!)
            let created = try await api.call(.post, "/api/v1/accounts", token: token,
                                             json: #"{"kind":"reseller","parent_id":\#(fixture.r1.id),"name":"Fine","currency":"abc","tax_rate":"0.20"}"#)
            XCTAssertEqual(created.status, .unprocessableContent, created.text)
            XCTAssertEqual(created.errorCode, "currency")
        }
    }

    func testAnEmailWithMarkupIsRefusedForAccountsAndUsers() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["p.admin"]!)
            let markup = #"\"><svg/onload=alert(1)>@x.test"#
            let account = try await api.call(.post, "/api/v1/accounts", token: token,
                                             json: #"{"kind":"reseller","name":"Fine","contact_email":"\#(markup)","currency":"USD","tax_rate":"0.20"}"#)
            XCTAssertEqual(account.status, .unprocessableContent, account.text)
            XCTAssertEqual(account.errorCode, "contact_email")
            let user = try await api.call(.post, "/api/v1/accounts/\(fixture.r1.id)/users", token: token,
                                          json: #"{"email":"\#(markup)","password":"long-enough-1","role":"viewer"}"#)
            XCTAssertEqual(user.status, .unprocessableContent, user.text)
            XCTAssertEqual(user.errorCode, "email")
            let fine = try await api.call(.post, "/api/v1/accounts/\(fixture.r1.id)/users", token: token,
                                          json: #"{"email":"Jane.O'Neil+ops@Example.test","password":"long-enough-1","role":"viewer"}"#)
            XCTAssertEqual(fine.status, .created, fine.text)
            XCTAssertEqual(fine.json["email"] as? String, "jane.o'neil+ops@example.test")
        }
    }

    func testTheNewAccountFormMarksANulNameAndKeepsWhatWasTyped() async throws {
        try await withConsole { client, fixture, _ in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["p.admin"]!)
            let page = try await browser.post("/accounts", ["kind": "reseller", "parent_id": String(fixture.provider.id), "name": "Evil\u{0}Corp",
                                                            "currency": "USD", "tax_rate": "0.20", "contact_email": "ops@evil.test"])
            XCTAssertEqual(page.status, .unprocessableContent)
            XCTAssertTrue(page.text.contains(#"id="name-error""#), "the name's message is shown")
            XCTAssertTrue(page.text.contains(#"class="form-control is-invalid" id="name""#), "the name is marked (Bootstrap shows the message only then)")
            XCTAssertTrue(page.text.contains("control characters"), page.text)
            XCTAssertTrue(page.text.contains(#"value="ops@evil.test""#), "what was typed is kept")
        }
    }

    func testABankTransferReferenceWithAControlCharacterOrOver255IsRefusedOnTheApiAndThePage() async throws {
        try await withQuoteWorld { world, id in
            let up = try await world.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: world.customer,
                                              json: #"{"resources":[{"resource_code":"ram_gb","additional":3}]}"#)
            let invoiceID = try XCTUnwrap(up.json["invoice_id"] as? Int, up.text)
            let nul = try await world.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: world.reseller,
                                               json: #"{"method":"bank_transfer","reference":"WIRE\u0000"}"#)
            XCTAssertEqual(nul.status, .unprocessableContent, nul.text)
            XCTAssertEqual(nul.errorCode, "reference")
            let browser = Browser(world.api.client)
            _ = try await browser.signIn(world.fixture.users["r1.admin"]!)
            let long = try await browser.post("/invoices/\(invoiceID)/payments", ["method": "bank_transfer", "reference": String(repeating: "W", count: 256)])
            XCTAssertEqual(long.status, .unprocessableContent, long.text)
            XCTAssertTrue(long.text.contains("Keep it to 255 characters"), long.text)
            let invoice = try await world.api.call(.get, "/api/v1/invoices/\(invoiceID)", token: world.reseller)
            XCTAssertEqual(invoice.json["status"] as? String, "unpaid", "nothing was recorded")
        }
    }

    // MARK: Catalog numbers

    func testAComponentAmountOfInt64MaxIsRefused() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["p.admin"]!)
            let cpu = try await api.call(.post, "/api/v1/resources", token: token,
                                         json: #"{"code":"cpu","name":"CPU","unit":"core","kind":"quantity","min_units":0,"max_units":64}"#)
            let bundle = try await api.call(.post, "/api/v1/resources", token: token, json: #"""
                {"code":"vm","name":"VM","unit":"vm","kind":"composite","min_units":0,"max_units":-1,"components":[{"resource_id":\#(cpu.json["id"] as! Int),"amount":\#(Self.int64Max)}]}
                """#)
            XCTAssertEqual(bundle.status, .unprocessableContent, bundle.text)
            XCTAssertEqual(bundle.errorCode, "components.0.amount")
            let limits = try await api.call(.post, "/api/v1/resources", token: token,
                                            json: #"{"code":"disk","name":"Disk","unit":"GB","kind":"quantity","min_units":0,"max_units":\#(Self.int64Max)}"#)
            XCTAssertEqual(limits.errorCode, "max_units", limits.text)
            let rate = try await api.call(.post, "/api/v1/currency-rates", token: token, json: #"{"from":"USD","to":"EUR","rate":"9000000000000"}"#)
            XCTAssertEqual(rate.status, .unprocessableContent, rate.text)
            XCTAssertEqual(rate.errorCode, "rate")
        }
    }

    // MARK: Query strings

    func testALimitAbove200AndACursorThatIsNoIdAreRefusedNamingTheParameter() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["p.admin"]!)
            for path in ["/api/v1/accounts", "/api/v1/subscriptions", "/api/v1/orders", "/api/v1/invoices", "/api/v1/payments"] {
                let tooMany = try await api.call(.get, "\(path)?limit=201", token: token)
                XCTAssertEqual(tooMany.status, .unprocessableContent, "\(path): \(tooMany.text)")
                XCTAssertEqual(tooMany.errorCode, "limit", path)
                let cursor = try await api.call(.get, "\(path)?cursor=\(Self.int64Min)", token: token)
                XCTAssertEqual(cursor.errorCode, "cursor", "\(path): \(cursor.text)")
                let most = try await api.call(.get, "\(path)?limit=200", token: token)
                XCTAssertEqual(most.status, .ok, "\(path): \(most.text)")
            }
            let parent = try await api.call(.get, "/api/v1/accounts?parent_id=abc", token: token)
            XCTAssertEqual(parent.errorCode, "parent_id", parent.text)
            let search = try await api.call(.get, "/api/v1/accounts?q=%00", token: token)
            XCTAssertEqual(search.errorCode, "q", search.text)
        }
    }
}
