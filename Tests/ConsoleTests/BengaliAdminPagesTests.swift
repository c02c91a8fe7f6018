@testable import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import Localization
import Storage
import TestSupport
import XCTest

/// Issue 16, item 4, for the staff pages: a provider's and a reseller's admin who chose Bengali read
/// every staff page (accounts, people, audit, catalog, plans, promo codes, restrictions, settings,
/// webhooks, branding, billing runs) with no English left in the page's content, except names and
/// codes; and the audit log's sentences read as Bengali sentences with Bengali digits.
final class BengaliAdminPagesTests: XCTestCase {
    // MARK: The audit log's sentences (pure)

    static let names = AuditSentenceTests.names

    func entry(_ type: String, _ id: Int64?, _ action: String, before: String? = nil, after: String? = nil,
               account: String = "Acme Corp", actor: String = "Northwind Hosting") -> AuditFacts {
        AuditFacts(objectType: type, objectID: id, action: action, accountID: 31, accountName: account, actor: actor, before: before, after: after)
    }

    func bengali(_ facts: AuditFacts) -> AuditSentence {
        Language.$current.withValue(.bn) { AuditSentence.of(facts, names: Self.names) }
    }

    /// The worked example: RAM 4 → 6 GB by order #41 reads "subscription #12: RAM ৪ → ৬ GB", the
    /// subscription before the change (Bengali puts the place first), counts in Bengali digits,
    /// ids as they are, the same three links as in English.
    func testAChangeOrderReadsInBengaliWithBengaliDigitsAndItsLinks() {
        let said = bengali(entry("subscription", 12, "order #41",
            before: #"{"period":"2026-12-03–2027-01-03","plan_id":7,"resources":{"ram_gb":"included 4, additional 0, usage 2"},"status":"active"}"#,
            after: #"{"period":"2026-12-03–2027-01-03","plan_id":7,"resources":{"ram_gb":"included 4, additional 2, usage 2"},"status":"active"}"#))
        XCTAssertEqual(said.text, "Acme Corp: সাবস্ক্রিপশন #12-এ RAM ৪ → ৬ GB, অর্ডার #41, করেছেন Northwind Hosting")
        XCTAssertEqual(said.parts.compactMap(\.link), [.account(31), .subscription(12), .order(41)])
        XCTAssertEqual(said.parts.first { $0.link == .order(41) }?.text, "অর্ডার #41")
    }

    func testMoneyDatesStatusesAndFieldsAreShownTheBengaliWay() {
        let cases: [(AuditFacts, String)] = [
            // 24.00 USD as Bengali money: digits, then the currency's symbol.
            (entry("invoice", 9, "payment card succeeded", after: #"{"amount":"24.00 USD","card_last4":"4242","method":"card","status":"succeeded"}"#, actor: "admin@acme.test"),
             "Acme Corp: ইনভয়েস #9-এ ২৪.০০US$-এর কার্ড পেমেন্ট সফল হয়েছে (কার্ডের শেষ চার অঙ্ক 4242), করেছেন admin@acme.test"),
            // A status read from the recorded state, in Bengali.
            (entry("subscription", 12, "status", before: #"{"period":"p","plan_id":7,"resources":{},"status":"active"}"#, after: #"{"period":"p","plan_id":7,"resources":{},"status":"suspended"}"#),
             "Acme Corp: সাবস্ক্রিপশন #12-এ অবস্থা সক্রিয় → স্থগিত, করেছেন Northwind Hosting"),
            // A field's name and a tax rate's digits.
            (entry("account", 31, "update", before: #"{"kind":"customer","parent_id":2,"status":"active","tax_rate":"0.20"}"#, after: #"{"kind":"customer","parent_id":2,"status":"active","tax_rate":"0.19"}"#),
             "Acme Corp: অ্যাকাউন্ট হালনাগাদ হয়েছে: করের হার ০.২০ → ০.১৯, করেছেন Northwind Hosting"),
            // A renewal's dates with Bengali month names, its total as money.
            (entry("order", 50, "renewal issued", after: #"{"summary":"Renewal 2027-01-03 → 2027-02-03","total":"1234.50 BDT"}"#, actor: "system"),
             "Acme Corp: নবায়নের অর্ডার #50 জারি হয়েছে: নবায়ন ৩ জানুয়ারী, ২০২৭ → ৩ ফেব্রুয়ারী, ২০২৭, মোট ১,২৩৪.৫০৳, করেছেন system"),
            (entry("promo_code", 8, "create", after: #"{"code":"SAVE10","percent":"10","valid_until":"2027-01-01"}"#, account: "Northwind Hosting"),
             "Northwind Hosting: প্রোমো কোড SAVE10 তৈরি হয়েছে: ১০% ছাড় ১ জানুয়ারী, ২০২৭ পর্যন্ত, করেছেন Northwind Hosting"),
            (entry("user", 5, "change_password", actor: "ann@acme.test"), "Acme Corp: ব্যবহারকারী #5 নিজের পাসওয়ার্ড বদলেছেন, করেছেন ann@acme.test"),
            (entry("restriction", 3, "restrict", after: #"{"reason":"Unpaid since March","restricted_by":"Northwind Hosting"}"#),
             "Acme Corp: নিষেধাজ্ঞা দিয়েছে Northwind Hosting: Unpaid since March, করেছেন Northwind Hosting"),
        ]
        for (facts, expected) in cases {
            XCTAssertEqual(bengali(facts).text, expected, "\(facts.objectType) \(facts.action)")
        }
    }

    /// Every kind of entry AuditSentenceTests tells in English has Bengali words for all of it:
    /// what is left in Latin letters is a name, a code, an email, an address or a unit.
    func testNoRecordedTypeLeavesEnglishWordsInItsBengaliSentence() {
        let latin = ["Acme", "Corp", "Northwind", "Hosting", "Demo", "Provider", "Cloud", "VPS", "RAM", "SSD", "GB", "USD", "EUR", "JPY",
                     "Basic", "Premium", "Euro", "Northwind", "Cloud", "support", "storage", "Kyoto", "Unpaid", "since", "March", "Wrong", "posting", "Ann", "WIRE", "Goodwill", "system", "vendor", "refused", "northwind"]
        for facts in everyRecordedType {
            let said = bengali(facts).text
            XCTAssertNotEqual(said, AuditSentence.of(facts, names: Self.names).text)
            let words = Self.latinWords(said).filter { !latin.contains($0) }
            XCTAssertEqual(words, [], "\(facts.objectType) \(facts.action): \(said)")
        }
    }

    /// One entry of each type the stores record (their states as AuditSentenceTests writes them).
    var everyRecordedType: [AuditFacts] {
        let account = #"{"contact_email":"","currency":"USD","kind":"customer","name":"Acme Corp","parent_id":2,"status":"active","tax_rate":"0.20"}"#
        let user = #"{"email":"ann@acme.test","name":"Ann","role":"operator","status":"active"}"#
        let plan = #"{"billing_type":"prepaid","fixed_price":false,"name":"Cloud VPS S","prices":{"periods":{"12m":"216.00","1m":"20.00"},"resources":{"1":"setup 0.00, monthly 2.50"}},"resources":["1: included 4, 1–16"]}"#
        return [
            entry("account", 31, "create", after: account),
            entry("account", 31, "suspend", before: account, after: account.replacingOccurrences(of: "active", with: "suspended")),
            entry("account", 31, "lift", before: account, after: account),
            entry("user", 5, "create", after: user),
            entry("user", 5, "update", before: user, after: user.replacingOccurrences(of: "operator", with: "admin")),
            entry("user", 5, "disable", before: user, after: user.replacingOccurrences(of: "active", with: "disabled")),
            entry("subscription", 12, "import", after: #"{"period":"2026-12-03–2027-01-03","plan_id":7,"resources":{},"status":"active"}"#),
            entry("subscription", 12, "usage", before: #"{"plan_id":7,"resources":{"ram_gb":"included 4, additional 0, usage 2"}}"#, after: #"{"plan_id":7,"resources":{"ram_gb":"included 4, additional 0, usage 3"}}"#),
            entry("subscription", 12, "order #44", before: #"{"plan_id":7,"resources":{"disk_gb":"included 50, additional 0, usage 0"}}"#, after: #"{"plan_id":8,"resources":{}}"#),
            entry("subscription", 12, "suspend: renewal unpaid", before: #"{"plan_id":7}"#),
            entry("subscription", 12, "cancel at period end", before: #"{"plan_id":7}"#, after: #"{"plan_id":7}"#),
            entry("order", 41, "submit", after: #"{"invoice_id":9,"status":"awaiting_payment","summary":"ram_gb 4 → 6","total":"12.00 USD"}"#),
            entry("order", 41, "provisioning", before: #"{"status":"provisioning"}"#, after: #"{"status":"completed"}"#),
            entry("order", 41, "provisioning", before: #"{"status":"provisioning"}"#, after: #"{"failure_reason":"vendor refused","status":"failed"}"#),
            entry("order", 41, "cancel", after: #"{"status":"cancelled"}"#),
            entry("order", 42, "submit", after: #"{"summary":"New Cloud VPS S, 12-month period","total":"216.00 USD"}"#),
            entry("invoice", 10, "payment bank_transfer succeeded", after: #"{"amount":"1200 JPY","method":"bank_transfer","reference":"WIRE-77","status":"succeeded"}"#),
            entry("plan", 7, "create", after: plan),
            entry("plan", 7, "update", before: plan, after: plan.replacingOccurrences(of: "22.00", with: "20.00").replacingOccurrences(of: "monthly 2.50", with: "monthly 3.00").replacingOccurrences(of: "included 4", with: "included 8")),
            entry("plan", 7, "add_switch_path", after: #"{"to_plan_id":"8"}"#),
            entry("price_list", 9, "set", after: #"{"periods":{"1m":"1200"},"resources":{"1":"setup 0, monthly 300"}}"#),
            entry("plan_delegation", 7, "create", after: #"{"plan_id":"7","reseller_id":"2"}"#),
            entry("resource", 1, "create", after: #"{"code":"ram_gb","kind":"quantity","max_units":"-1","min_units":"0"}"#),
            entry("resource", 1, "update", before: #"{"max_units":"16","name":"RAM"}"#, after: #"{"max_units":"32","name":"RAM"}"#),
            entry("resource_upgrade", 3, "create", after: #"{"active":"true","downgradable":"false","from_resource_id":"4","to_resource_id":"5","upgrade_fee":"10.00 USD"}"#),
            entry("resource_upgrade", 3, "update", before: #"{"active":"true","from_resource_id":"4","to_resource_id":"5"}"#, after: #"{"active":"false","from_resource_id":"4","to_resource_id":"5"}"#),
            entry("currency", nil, "create", after: #"{"code":"EUR","exponent":"2","name":"Euro"}"#),
            entry("currency", nil, "rename", after: #"{"code":"EUR","name":"Euro"}"#),
            entry("currency_rate", 4, "create", after: #"{"effective_from":"2026-01-01T00:00:00Z","from":"USD","rate":"0.912345","to":"EUR"}"#),
            entry("connector_rule", nil, "set ram_gb", before: #"{"fail_provisioning":false,"min_quantity":0,"reductions_allowed":true}"#, after: #"{"fail_provisioning":true,"min_quantity":2,"reductions_allowed":true}"#),
            entry("restriction", 3, "restrict", after: #"{"reason":"Unpaid since March","restricted_by":"Northwind Hosting"}"#),
            entry("restriction", 3, "lift", before: #"{"reason":"Unpaid since March"}"#),
            entry("restriction_exception", 6, "add", after: #""Cloud VPS S""#),
            entry("promo_code", 8, "create", after: #"{"code":"SAVE10","percent":"10","valid_until":"2027-01-01"}"#),
            entry("credit_entry", 77, "adjust", after: #"{"allow_negative_balance":true,"amount":"-5.00 USD","balance_after":"7.00 USD","balance_before":"12.00 USD","reason":"Wrong posting"}"#),
            entry("webhook", 4, "create", after: #"{"events":["invoice_issued"],"url":"https://acme.test/hook"}"#),
            entry("webhook", 4, "delete", before: #"{"url":"https://acme.test/hook"}"#),
            entry("brand", 2, "set", after: ##"{"brand_name":"Northwind","primary_color":"#0a7d5a","slug":"northwind","support_email":"help@northwind.test"}"##),
            entry("user", 5, "password_reset_requested"), entry("user", 5, "reset_password"), entry("user", 5, "update_profile"),
        ]
    }

    /// Words of two or more Latin letters, leaving out emails, web addresses, codes with `_` or
    /// digits, and `#id`s.
    static func latinWords(_ text: String) -> [String] {
        var rest = text
        for pattern in [#"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+"#, #"https?://\S+"#, #"/[a-z]+\?[a-z]+="#, #"\b[A-Za-z0-9]*[_0-9][A-Za-z0-9_.]*\b"#, "#[0-9A-Fa-f]+"] {
            rest = rest.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        return rest.components(separatedBy: CharacterSet.letters.inverted.union(CharacterSet(charactersIn: "\u{0980}"..."\u{09FF}")))
            .filter { $0.count >= 2 && $0.unicodeScalars.allSatisfy { $0.isASCII } }
            .filter { !($0.count <= 4 && $0 == $0.uppercased()) }
    }

    // MARK: Every staff page in Bengali

    /// Latin words a Bengali page may show beyond the data's own names: `system` (the user filter's
    /// value for the console itself), the language names of the language choice, the colour format
    /// #RRGGBB, and codes: words in
    /// capitals of at most four letters (CSV, UTC, USD, the "US" of "US$"), which the filter below leaves out.
    static let codes: Set<String> = ["system", "English", "Bengali", "RRGGBB"]

    /// The Latin words left in a page's content (`<main>`): its text, and the placeholders, titles,
    /// labels and confirmations a person reads; `<code>` and the data's `names` are left out.
    static func englishWords(_ html: String, names: [String]) -> [String] {
        guard let start = html.range(of: "<main"), let end = html.range(of: "</main>") else { return ["<no main>"] }
        var main = String(html[start.lowerBound..<end.upperBound])
        var read: [String] = []
        for attribute in ["placeholder", "title", "aria-label", "data-confirm"] {
            let pattern = try! NSRegularExpression(pattern: attribute + #"="([^"]*)""#)
            for match in pattern.matches(in: main, range: NSRange(main.startIndex..., in: main)) {
                read.append(String(main[Range(match.range(at: 1), in: main)!]))
            }
        }
        for pattern in [#"<script.*?</script>"#, #"<code.*?</code>"#, #"<[^>]*>"#] {
            main = main.replacingOccurrences(of: pattern, with: " ", options: [.regularExpression])
        }
        var text = (read + [main]).joined(separator: " ")
        for (entity, character) in [("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        for name in names.sorted(by: { $0.count > $1.count }) { text = text.replacingOccurrences(of: name, with: " ") }
        return latinWords(text).filter { !codes.contains($0) }
    }

    func testEveryStaffPageOfABengaliProviderAndResellerAdminIsInBengali() async throws {
        try await withQuoteWorld { w, _ in
            let f = w.fixture
            // Bengali is the admins' own choice (PUT /me), not the browser's.
            for token in [w.provider, w.reseller] {
                let chosen = try await w.api.call(.put, "/api/v1/me", token: token, json: #"{"locale":"bn"}"#)
                XCTAssertEqual(chosen.status, .ok, chosen.text)
            }
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(f.users["p.admin"]!)
            // Things to list: a promo code, a restriction, a rate, a webhook, a billing run.
            for (path, form) in [("/promo-codes", ["code": "BN10", "percent": "10", "valid_until": "2030-01-01"]),
                                 ("/restrictions", ["account_id": String(f.c2.id), "reason": "Late payments"]),
                                 ("/catalog/currency-rates", ["from": "USD", "to": "EUR", "rate": "0.9", "effective_from": ""]),
                                 ("/billing-runs", [:])] {
                let done = try await browser.post(path, form)
                XCTAssertEqual(done.status, .seeOther, "\(path): \(done.text)")
            }
            let hooked = try await browser.post("/webhooks", ["url": "https://example.com/hooks/console", "event_invoice_issued": "on"])
            XCTAssertEqual(hooked.status, .ok, hooked.text)
            let webhook = try XCTUnwrap(hooked.text.firstMatch(of: /id="webhook-row-(\d+)"/).map { String($0.1) })
            let resources = try await browser.get("/catalog/resources").text
            let resource = try XCTUnwrap(resources.firstMatch(of: /href="\/catalog\/resources\/(\d+)"/).map { String($0.1) })
            let (silver, gold) = (w.plans["Silver"]!, w.plans["Gold"]!)
            // The currencies' names are the provider's data (shown beside their codes in the plan editor).
            let currencies = try await w.api.call(.get, "/api/v1/currencies", token: w.provider)
            let currencyNames = (currencies.json["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            XCTAssertFalse(currencyNames.isEmpty, currencies.text)
            // The audit's "From" column shows the caller's address: the test client has none ("unknown"),
            // and a billing run's node is the host's name.
            let names = currencyNames + ["unknown", ProcessInfo.processInfo.hostName, "Provider", "Reseller One A", "Reseller One", "Reseller Two", "Customer One", "Customer Two", "P Admin", "Silver", "Gold",
                         "Late payments", "Euro", "US Dollar", "Dollar", "test", "console", "Demo"] + f.users.values.map { $0 }
            let providerPages = ["/accounts", "/accounts?kind=reseller", "/accounts?kind=customer", "/accounts/new?kind=customer",
                                 "/accounts/\(f.c1.id)", "/accounts/\(f.r1.id)", "/accounts/\(f.c1.id)/users/new", "/users/\(f.userIDs["c1.operator"]!)",
                                 "/audit", "/audit?object_type=subscription", "/billing-runs", "/accounts/\(f.r1.id)/branding",
                                 "/catalog/currencies", "/catalog/resources", "/catalog/resources/\(resource)", "/catalog/resource-upgrades",
                                 "/plans", "/plans/\(silver)", "/plans/new", "/plans/\(gold)/edit", "/promo-codes", "/restrictions", "/settings",
                                 "/webhooks", "/webhooks/\(webhook)/deliveries"]
            try await Self.expectBengali(browser, providerPages, names: names, who: "provider admin")

            let reseller = Browser(w.api.client)
            _ = try await reseller.signIn(f.users["r1.admin"]!)
            try await Self.expectBengali(reseller, ["/accounts?kind=customer", "/accounts/\(f.c1.id)", "/accounts/\(f.r1.id)/branding", "/plans", "/plans/\(silver)",
                                               "/promo-codes", "/restrictions", "/webhooks", "/audit"],
                                     names: names, who: "reseller admin")
        }
    }

    static func expectBengali(_ browser: Browser, _ pages: [String], names: [String], who: String) async throws {
        for page in pages {
            let response = try await browser.get(page)
            XCTAssertEqual(response.status, .ok, "\(who) \(page)")
            let english = Self.englishWords(response.text, names: names)
            XCTAssertEqual(english, [], "\(who) \(page): English left: \(english.joined(separator: ", "))")
        }
    }
}
