@testable import Console
import Storage
import XCTest

/// Each audit entry reads as a sentence with the fields that changed: resources by name and unit,
/// money with its currency's digits, ids linked to their pages. The states below are written as
/// the stores record them (snake_case JSON, sorted keys).
final class AuditSentenceTests: XCTestCase {
    static let names = AuditVocabulary(
        resources: [.init(id: 1, code: "ram_gb", name: "RAM", unit: "GB"), .init(id: 2, code: "disk_gb", name: "SSD storage", unit: "GB"),
                    .init(id: 4, code: "support_basic", name: "Basic support", unit: ""), .init(id: 5, code: "support_premium", name: "Premium support", unit: "")],
        plans: [7: .init(name: "Cloud VPS S", currency: "USD"), 8: .init(name: "Cloud VPS M", currency: "USD"), 9: .init(name: "Kyoto VPS", currency: "JPY")])

    func entry(_ type: String, _ id: Int64?, _ action: String, before: String? = nil, after: String? = nil,
               account: String = "Acme Corp", actor: String = "Northwind Hosting") -> AuditFacts {
        AuditFacts(objectType: type, objectID: id, action: action, accountID: 31, accountName: account, actor: actor, before: before, after: after)
    }

    func sentence(_ facts: AuditFacts) -> AuditSentence { AuditSentence.of(facts, names: Self.names) }

    // MARK: The worked examples

    func testAChangeOrderThatTakesRAMFrom4To6GBReadsAsRAM4To6GB() {
        let said = sentence(entry("subscription", 12, "order #41",
            before: #"{"period":"2026-12-03–2027-01-03","plan_id":7,"resources":{"disk_gb":"included 50, additional 0, usage 0","ram_gb":"included 4, additional 0, usage 2"},"status":"active"}"#,
            after: #"{"period":"2026-12-03–2027-01-03","plan_id":7,"resources":{"disk_gb":"included 50, additional 0, usage 0","ram_gb":"included 4, additional 2, usage 2"},"status":"active"}"#))
        XCTAssertEqual(said.text, "Acme Corp: RAM 4 → 6 GB on subscription #12, order #41, by Northwind Hosting")
        XCTAssertEqual(said.parts.compactMap(\.link), [.account(31), .subscription(12), .order(41)])
        XCTAssertEqual(said.parts.first { $0.link == .order(41) }?.text, "order #41")
        XCTAssertEqual(AuditLink.order(41).path, "/orders/41")
    }

    func testAPlacedOrderNamesItsSummaryTotalAndInvoice() {
        let said = sentence(entry("order", 41, "submit",
            after: #"{"invoice_id":9,"status":"awaiting_payment","summary":"ram_gb 4 → 6","total":"12.00 USD"}"#))
        // The summary is recorded with codes; a person reads the resource's name.
        XCTAssertEqual(said.text, "Acme Corp: order #41 placed: RAM 4 → 6, total 12.00 USD, invoice #9, by Northwind Hosting")
        XCTAssertEqual(said.parts.compactMap(\.link), [.account(31), .order(41), .invoice(9)])
    }

    func testAPriceChangeNamesThePeriodAndTheResourceFeeInThePlansCurrency() {
        let before = #"{"billing_type":"prepaid","fixed_price":false,"name":"Cloud VPS S","prices":{"periods":{"12m":"216.00","1m":"20.00"},"resources":{"1":"setup 0.00, monthly 2.50"}},"resources":["1: included 4, 1–16"]}"#
        let after = #"{"billing_type":"prepaid","fixed_price":false,"name":"Cloud VPS S","prices":{"periods":{"12m":"216.00","1m":"22.00"},"resources":{"1":"setup 0.00, monthly 3.00"}},"resources":["1: included 4, 1–16"]}"#
        let said = sentence(entry("plan", 7, "update", before: before, after: after, account: "Demo Provider", actor: "admin@provider.test"))
        XCTAssertEqual(said.text, "Demo Provider: plan Cloud VPS S updated: 1-month fee 20.00 → 22.00 USD, RAM monthly 2.50 → 3.00 USD, by admin@provider.test")
    }

    func testASellersPriceListShowsAmountsWithTheCurrencysDigits() {
        // JPY has no decimals: the amounts are recorded as the plan currency's digits and shown so.
        let said = sentence(entry("price_list", 9, "set", after: #"{"periods":{"1m":"1200"},"resources":{"1":"setup 0, monthly 300"}}"#,
                                  account: "Northwind Hosting", actor: "admin@northwind.test"))
        XCTAssertEqual(said.text, "Northwind Hosting: prices of plan Kyoto VPS set: 1 month 1200 JPY, RAM setup 0 JPY, monthly 300 JPY, by admin@northwind.test")
    }

    func testARestrictionSaysWhoRestrictedAndWhyWhenTheViewerMaySeeIt() {
        let said = sentence(entry("restriction", 3, "restrict", after: #"{"account":"Acme Corp","lifted":false,"reason":"Unpaid since March","restricted_by":"Northwind Hosting"}"#))
        XCTAssertEqual(said.text, "Acme Corp: restricted by Northwind Hosting: Unpaid since March, by Northwind Hosting")
        // Below the restricting staff the states are withheld (AuditLog.list): the sentence says only what happened.
        XCTAssertEqual(sentence(entry("restriction", 3, "restrict")).text, "Acme Corp: restricted, by Northwind Hosting")
        XCTAssertEqual(sentence(entry("restriction", 3, "lift")).text, "Acme Corp: restriction lifted, by Northwind Hosting")
    }

    func testAPaymentNamesItsMethodAmountOutcomeAndInvoice() {
        let said = sentence(entry("invoice", 9, "payment card succeeded",
            before: #"{"amount":"24.00 USD","card_last4":"4242","method":"card","status":"pending"}"#,
            after: #"{"amount":"24.00 USD","card_last4":"4242","method":"card","status":"succeeded"}"#, actor: "admin@acme.test"))
        XCTAssertEqual(said.text, "Acme Corp: card payment of 24.00 USD succeeded on invoice #9 (card ending 4242), by admin@acme.test")
        XCTAssertEqual(said.parts.compactMap(\.link), [.account(31), .invoice(9)])
        let transfer = sentence(entry("invoice", 10, "payment bank_transfer succeeded",
                                      after: #"{"amount":"1200 JPY","method":"bank_transfer","reference":"WIRE-77","status":"succeeded"}"#))
        XCTAssertEqual(transfer.text, "Acme Corp: bank transfer payment of 1200 JPY succeeded on invoice #10 (reference WIRE-77), by Northwind Hosting")
    }

    // MARK: Every type recorded today

    func testEachRecordedTypeReadsAsASentence() {
        let cases: [(AuditFacts, String)] = [
            (entry("account", 31, "create", after: #"{"contact_email":"","currency":"USD","kind":"customer","name":"Acme Corp","parent_id":2,"status":"active","tax_rate":"0.20"}"#),
             "Acme Corp: customer account created (USD, tax rate 0.20), by Northwind Hosting"),
            (entry("user", 5, "create", after: #"{"email":"ann@acme.test","name":"Ann","role":"operator","status":"active"}"#),
             "Acme Corp: user ann@acme.test added as operator, by Northwind Hosting"),
            (entry("subscription", 12, "import", after: #"{"period":"2026-12-03–2027-01-03","plan_id":7,"resources":{},"status":"active"}"#),
             "Acme Corp: subscription #12 imported: Cloud VPS S, 2026-12-03–2027-01-03, by Northwind Hosting"),
            (entry("subscription", 12, "status", before: #"{"period":"p","plan_id":7,"resources":{},"status":"active"}"#, after: #"{"period":"p","plan_id":7,"resources":{},"status":"suspended"}"#),
             "Acme Corp: status active → suspended on subscription #12, by Northwind Hosting"),
            (entry("subscription", 12, "usage", before: #"{"period":"p","plan_id":7,"resources":{"ram_gb":"included 4, additional 0, usage 2"},"status":"active"}"#,
                   after: #"{"period":"p","plan_id":7,"resources":{"ram_gb":"included 4, additional 0, usage 3"},"status":"active"}"#),
             "Acme Corp: RAM usage 2 → 3 GB on subscription #12, by Northwind Hosting"),
            (entry("subscription", 12, "order #44", before: #"{"period":"p","plan_id":7,"resources":{},"status":"active"}"#, after: #"{"period":"p","plan_id":8,"resources":{},"status":"active"}"#, actor: "system"),
             "Acme Corp: plan Cloud VPS S → Cloud VPS M on subscription #12, order #44, by system"),
            (entry("subscription", 12, "suspend: renewal unpaid", before: #"{"period":"p","plan_id":7,"resources":{},"status":"active"}"#, actor: "system"),
             "Acme Corp: subscription #12 suspended: renewal unpaid, by system"),
            (entry("subscription", 12, "cancel at period end", before: #"{"period":"p","plan_id":7,"resources":{},"status":"active"}"#, after: #"{"period":"p","plan_id":7,"resources":{},"status":"active"}"#),
             "Acme Corp: subscription #12 set to cancel at the period end, by Northwind Hosting"),
            (entry("order", 41, "provisioning", before: #"{"status":"provisioning","summary":"s","total":"1.00 USD"}"#, after: #"{"status":"completed","summary":"s","total":"1.00 USD"}"#, actor: "system"),
             "Acme Corp: order #41 provisioned, by system"),
            (entry("order", 41, "provisioning", before: #"{"status":"provisioning","summary":"s","total":"1.00 USD"}"#,
                   after: #"{"failure_reason":"vendor refused","status":"failed","summary":"s","total":"1.00 USD"}"#, actor: "system"),
             "Acme Corp: order #41 failed: vendor refused, by system"),
            (entry("order", 41, "cancel", before: #"{"status":"awaiting_payment","summary":"s","total":"1.00 USD"}"#, after: #"{"status":"cancelled","summary":"s","total":"1.00 USD"}"#),
             "Acme Corp: order #41 cancelled, by Northwind Hosting"),
            (entry("order", 50, "renewal issued", after: #"{"summary":"Renewal 2027-01-03 → 2027-02-03","total":"20.00 USD"}"#, actor: "system"),
             "Acme Corp: renewal order #50 issued: Renewal 2027-01-03 → 2027-02-03, total 20.00 USD, by system"),
            (entry("plan", 7, "create", after: #"{"billing_type":"prepaid","fixed_price":false,"name":"Cloud VPS S","prices":{"periods":{"12m":"216.00","1m":"20.00"},"resources":{}},"resources":[]}"#, account: "Demo Provider"),
             "Demo Provider: plan Cloud VPS S created: prepaid, 1 month 20.00 USD, 12 months 216.00 USD, by Northwind Hosting"),
            (entry("plan", 7, "add_switch_path", after: #"{"to_plan_id":"8"}"#, account: "Demo Provider"),
             "Demo Provider: plan Cloud VPS S: customers may switch to Cloud VPS M, by Northwind Hosting"),
            (entry("plan_delegation", 7, "create", after: #"{"plan_id":"7","reseller_id":"2"}"#, account: "Northwind Hosting", actor: "admin@provider.test"),
             "Northwind Hosting: plan Cloud VPS S delegated, by admin@provider.test"),
            (entry("resource", 1, "create", after: #"{"code":"ram_gb","kind":"quantity","max_units":"16","min_units":"0"}"#, account: "Demo Provider"),
             "Demo Provider: resource RAM (ram_gb) created: quantity, 0–16 GB, by Northwind Hosting"),
            (entry("resource", 1, "update", before: #"{"max_units":"16","min_units":"0","name":"RAM","unit":"GB"}"#, after: #"{"max_units":"32","min_units":"0","name":"RAM","unit":"GB"}"#, account: "Demo Provider"),
             "Demo Provider: resource RAM (ram_gb) updated: max units 16 → 32, by Northwind Hosting"),
            (entry("resource_upgrade", 3, "create", after: #"{"active":"true","downgradable":"true","from_resource_id":"4","to_resource_id":"5","upgrade_fee":"10.00 USD"}"#, account: "Demo Provider"),
             "Demo Provider: upgrade Basic support → Premium support created: downgradable, active, fee 10.00 USD, by Northwind Hosting"),
            (entry("resource_upgrade", 3, "update", before: #"{"active":"true","downgradable":"true","from_resource_id":"4","to_resource_id":"5","upgrade_fee":"10.00 USD"}"#,
                   after: #"{"active":"false","downgradable":"true","from_resource_id":"4","to_resource_id":"5","upgrade_fee":"10.00 USD"}"#, account: "Demo Provider"),
             "Demo Provider: upgrade Basic support → Premium support updated: active true → false, by Northwind Hosting"),
            (entry("currency", nil, "create", after: #"{"code":"EUR","exponent":"2","name":"Euro"}"#, account: "Demo Provider"),
             "Demo Provider: currency EUR added (Euro, 2 decimals), by Northwind Hosting"),
            (entry("currency_rate", 4, "create", after: #"{"effective_from":"2026-01-01T00:00:00Z","from":"USD","rate":"0.912345","to":"EUR"}"#, account: "Demo Provider"),
             "Demo Provider: rate 1 USD = 0.912345 EUR from 2026-01-01 00:00 UTC, by Northwind Hosting"),
            (entry("connector_rule", nil, "set ram_gb", before: #"{"fail_provisioning":false,"min_quantity":0,"reductions_allowed":true}"#,
                   after: #"{"fail_provisioning":false,"min_quantity":2,"reductions_allowed":true}"#, account: "Demo Provider"),
             "Demo Provider: test connector rule for RAM: min quantity 0 → 2, by Northwind Hosting"),
            (entry("restriction_exception", 6, "add", after: #""Cloud VPS S""#),
             "Acme Corp: exception for plan Cloud VPS S added, by Northwind Hosting"),
            (entry("promo_code", 8, "create", after: #"{"code":"SAVE10","percent":"10","valid_until":"2027-01-01"}"#, account: "Northwind Hosting"),
             "Northwind Hosting: promo code SAVE10 created: 10% off until 2027-01-01, by Northwind Hosting"),
        ]
        for (facts, expected) in cases {
            XCTAssertEqual(sentence(facts).text, expected, "\(facts.objectType) \(facts.action)")
        }
    }

    // MARK: The types issue 15 adds (accounts over their lifetime, people, credit by hand, webhooks)

    func testLifecycleActionsOfAccountsPeopleCreditAndWebhooksReadAsSentences() {
        let account = #"{"contact_email":"","currency":"USD","kind":"customer","name":"Acme Corp","parent_id":2,"status":"active","tax_rate":"0.20"}"#
        let suspended = account.replacingOccurrences(of: #""status":"active""#, with: #""status":"suspended""#)
        let user = #"{"email":"ann@acme.test","name":"Ann","role":"operator","status":"active"}"#
        let cases: [(AuditFacts, String)] = [
            (entry("account", 31, "suspend", before: account, after: suspended), "Acme Corp: account suspended, by Northwind Hosting"),
            (entry("account", 31, "lift", before: suspended, after: account), "Acme Corp: account reactivated, by Northwind Hosting"),
            (entry("account", 31, "update", before: account, after: account.replacingOccurrences(of: "0.20", with: "0.19")),
             "Acme Corp: account updated: tax rate 0.20 → 0.19, by Northwind Hosting"),
            (entry("user", 5, "disable", before: user, after: user.replacingOccurrences(of: "active", with: "disabled")),
             "Acme Corp: user ann@acme.test disabled, by Northwind Hosting"),
            (entry("user", 5, "update", before: user, after: user.replacingOccurrences(of: "operator", with: "admin")),
             "Acme Corp: user ann@acme.test updated: role operator → admin, by Northwind Hosting"),
            (entry("user", 5, "change_password", actor: "ann@acme.test"), "Acme Corp: user #5 changed their password, by ann@acme.test"),
            (entry("credit_entry", 77, "adjust", after: #"{"allow_negative_balance":false,"amount":"-5.00 USD","balance_after":"7.00 USD","balance_before":"12.00 USD","reason":"Wrong posting"}"#),
             "Acme Corp: credit adjusted by -5.00 USD: Wrong posting (balance 12.00 USD → 7.00 USD), by Northwind Hosting"),
            (entry("webhook", 4, "create", after: #"{"events":["invoice_issued","payment_failed"],"url":"https://acme.test/hook"}"#, actor: "admin@acme.test"),
             "Acme Corp: webhook https://acme.test/hook added for invoice_issued, payment_failed, by admin@acme.test"),
            (entry("webhook", 4, "delete", before: #"{"events":["invoice_issued"],"url":"https://acme.test/hook"}"#, actor: "admin@acme.test"),
             "Acme Corp: webhook https://acme.test/hook removed, by admin@acme.test"),
        ]
        for (facts, expected) in cases {
            XCTAssertEqual(sentence(facts).text, expected, "\(facts.objectType) \(facts.action)")
        }
        XCTAssertEqual(sentence(cases[6].0).parts.compactMap(\.link), [.account(31), .credit(account: 31)])
    }

    // MARK: A type without wording of its own

    func testATypeWithoutWordingReadsFromItsBeforeAndAfterDifference() {
        let changed = sentence(entry("webhook_endpoint", 4, "update", before: #"{"events":["invoice.issued"],"url":"https://a.test/hook"}"#,
                                     after: #"{"events":["invoice.issued","payment.failed"],"url":"https://a.test/hook"}"#))
        XCTAssertEqual(changed.text, "Acme Corp: webhook endpoint #4 updated: events invoice.issued → invoice.issued; payment.failed, by Northwind Hosting")
        let created = sentence(entry("branding", nil, "set", after: ##"{"brand_name":"Northwind","primary_color":"#0a7d5a"}"##))
        XCTAssertEqual(created.text, "Acme Corp: branding set: brand name Northwind, primary color #0a7d5a, by Northwind Hosting")
        let unreadable = sentence(entry("gizmo", 1, "poke", after: "not json"))
        XCTAssertEqual(unreadable.text, "Acme Corp: gizmo #1 poke, by Northwind Hosting")
    }

    // MARK: What a page of entries asks the database for

    func testTheNamesAPageNeedsAreCollectedOnceForAllItsEntries() {
        let entries = [
            entry("subscription", 12, "order #41", before: #"{"plan_id":7,"resources":{"ram_gb":"included 4, additional 0, usage 0"}}"#,
                  after: #"{"plan_id":8,"resources":{"disk_gb":"included 50, additional 0, usage 0"}}"#),
            entry("resource_upgrade", 3, "create", after: #"{"from_resource_id":"4","to_resource_id":"5"}"#),
            entry("plan", 9, "update", before: #"{"prices":{"resources":{"1":"setup 0, monthly 1"}},"resources":["2: included 1, 0–4"]}"#, after: nil),
            entry("connector_rule", nil, "set support_basic"),
            entry("order", 41, "submit", after: #"{"summary":"cpu_core 2 → 4, ram_gb 4 → 6","total":"1.00 USD"}"#),
        ]
        let wanted = AuditVocabulary.references(of: entries)
        XCTAssertEqual(wanted.resourceCodes, ["ram_gb", "disk_gb", "support_basic", "cpu_core"])
        XCTAssertEqual(wanted.resourceIDs, [4, 5, 1, 2])
        XCTAssertEqual(wanted.planIDs, [7, 8, 9])
    }
}
