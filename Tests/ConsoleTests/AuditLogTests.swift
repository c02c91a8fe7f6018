import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import Storage
import TestSupport
import XCTest

/// The audit log a person can read (issue 15, item 6): every entry a sentence; filters by account
/// name, object type, user and date range on the page and `GET /api/v1/audit`; a customer sees what
/// its seller's and the provider's staff did as its seller's name; each caller sees its subtree only.
final class AuditLogTests: XCTestCase {
    /// Audit times are real time (DOMAIN.md 2): today's UTC date.
    static var today: String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    static func sentences(_ response: TestResponse) -> [String] {
        (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0["sentence"] as? String }
    }

    /// The provider's staff order RAM 4 → 6 for Customer One, whose admin pays by card; the engine provisions it.
    static func providerOrdersMoreRAM(_ w: QuoteWorld, subscription id: Int) async throws -> (order: Int, invoice: Int) {
        let order = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.provider, json: #"{"resources":[{"resource_code":"ram_gb","additional":4}]}"#)
        XCTAssertEqual(order.status, .created, order.text)
        let orderID = try XCTUnwrap(order.json["id"] as? Int), invoiceID = try XCTUnwrap(order.json["invoice_id"] as? Int)
        let paid = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer, json: #"{"method":"card","card_number":"4242424242424242"}"#)
        XCTAssertEqual(paid.status, .created, paid.text)
        try await BillingPagesTests.waitForSettled(w)
        return (orderID, invoiceID)
    }

    // MARK: Sentences, and white label

    func testACustomerReadsTheProvidersChangeOrderAsSentencesByItsSeller() async throws {
        try await withQuoteWorld { w, id in
            let (order, invoice) = try await Self.providerOrdersMoreRAM(w, subscription: id)
            let listed = try await w.api.call(.get, "/api/v1/audit", token: w.customer)
            XCTAssertEqual(listed.status, .ok, listed.text)
            let said = Self.sentences(listed)
            // QuoteWorld's resources are named by their codes, in the unit "u".
            XCTAssertTrue(said.contains { $0.hasPrefix("Customer One: order #\(order) placed: ram_gb 4 → 6, total ") && $0.hasSuffix(" USD, invoice #\(invoice), by Reseller One") }, "\(said)")
            XCTAssertTrue(said.contains("Customer One: ram_gb 4 → 6 u on subscription #\(id), order #\(order), by system"), "\(said)")
            XCTAssertTrue(said.contains { $0.hasPrefix("Customer One: card payment of ") && $0.hasSuffix(" USD succeeded on invoice #\(invoice) (card ending 4242), by admin@c1.test") }, "\(said)")
            // Never the provider's name, its staff's email or address.
            for trace in ["@p.test", "P Admin", "Provider", "@r1.test"] {
                XCTAssertFalse(listed.text.contains(trace), "the customer's audit shows \(trace)")
            }
            // The page says the same, with the ids linked and the raw states behind "details".
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c1.admin"]!)
            let page = try await browser.get("/audit").text
            XCTAssertTrue(page.contains(#"<a href="/orders/\#(order)">order #\#(order)</a> placed: ram_gb 4 → 6, total "#), page)
            XCTAssertTrue(page.contains(#" USD, <a href="/invoices/\#(invoice)">invoice #\#(invoice)</a>, by Reseller One"#), page)
            XCTAssertTrue(page.contains(#"<details class="audit-details small mt-1"><summary class="text-secondary">details</summary>"#))
            XCTAssertFalse(page.contains("@p.test") || page.contains("@r1.test"))
            // The dashboard's recent entries are sentences too, not raw JSON.
            let dashboard = try await browser.get("/dashboard").text
            XCTAssertTrue(dashboard.contains("ram_gb 4 → 6 u on <a href=\"/subscriptions/\(id)\">subscription #\(id)</a>"), dashboard)
        }
    }

    func testTheResellerSeesItsOwnStaffByEmailAndTheProvidersAsTheProvider() async throws {
        try await withQuoteWorld { w, id in
            let (order, _) = try await Self.providerOrdersMoreRAM(w, subscription: id)
            let said = Self.sentences(try await w.api.call(.get, "/api/v1/audit?object_type=order", token: w.reseller))
            XCTAssertTrue(said.contains { $0.hasPrefix("Customer One: order #\(order) placed") && $0.hasSuffix(", by Provider") }, "\(said)")
            let imported = Self.sentences(try await w.api.call(.get, "/api/v1/audit?object_type=subscription&user=r1", token: w.reseller))
            XCTAssertEqual(imported, ["Customer One: subscription #\(id) imported: Silver, 2026-04-11–2026-05-11, by admin@r1.test"])
        }
    }

    // MARK: Filters

    func testFiltersByAccountNameObjectTypeUserAndDateRange() async throws {
        try await withQuoteWorld { w, id in
            _ = try await Self.providerOrdersMoreRAM(w, subscription: id)
            func entries(_ query: String) async throws -> [[String: Any]] {
                let answer = try await w.api.call(.get, "/api/v1/audit?limit=200&" + query, token: w.provider)
                XCTAssertEqual(answer.status, .ok, "\(query): \(answer.text)")
                return answer.json["items"] as? [[String: Any]] ?? []
            }
            // An account by a part of its name, any case: its entries only.
            let customerOne = try await entries("account=customer%20o")
            XCTAssertFalse(customerOne.isEmpty)
            XCTAssertEqual(Set(customerOne.compactMap { $0["account_name"] as? String }), ["Customer One"])
            let nobody = try await entries("account=Nobody%20By%20This%20Name")
            XCTAssertEqual(nobody.count, 0)
            // One object type.
            let payments = try await entries("object_type=invoice")
            XCTAssertEqual(payments.count, 2, "the card payment pending, then succeeded")
            XCTAssertEqual(Set(payments.compactMap { $0["object_type"] as? String }), ["invoice"])
            // One user, by a part of the email; `system` for the engine.
            let byCustomer = try await entries("user=admin@c1")
            XCTAssertEqual(Set(byCustomer.compactMap { $0["actor"] as? String }), ["admin@c1.test"])
            let bySystem = try await entries("user=system&account=Customer%20One")
            XCTAssertFalse(bySystem.isEmpty)
            XCTAssertEqual(Set(bySystem.compactMap { $0["actor"] as? String }), ["system"])
            // A date range, both ends included, in UTC days.
            let today = Self.today
            let todays = try await entries("from=\(today)&to=\(today)"), all = try await entries("")
            XCTAssertEqual(todays.count, all.count)
            let future = try await entries("from=2999-01-01"), past = try await entries("to=2000-01-01")
            XCTAssertEqual(future.count + past.count, 0)
            // Filters combine.
            let combined = try await entries("account=Customer%20One&object_type=subscription&user=system&from=\(today)")
            XCTAssertEqual(combined.count, 1, "\(combined)")
            XCTAssertTrue((combined.first?["sentence"] as? String)?.hasPrefix("Customer One: ram_gb 4 → 6 u on subscription #\(id), order #") == true, "\(combined)")
        }
    }

    func testBadFiltersAre422NamingTheFieldOnTheAPIAndMarkedOnThePage() async throws {
        try await withQuoteWorld { w, _ in
            let long = String(repeating: "a", count: 101)
            for (query, field) in [("from=2026-13-01", "from"), ("to=yesterday", "to"), ("from=2026-05-02&to=2026-05-01", "to"), ("account=\(long)", "account"),
                                   ("object_type=Order;DROP", "object_type"), ("limit=201", "limit"), ("account_id=x", "account_id"), ("user=\(String(repeating: "u", count: 255))", "user")] {
                let answer = try await w.api.call(.get, "/api/v1/audit?\(query)", token: w.provider)
                XCTAssertEqual(answer.status, .unprocessableContent, query)
                XCTAssertEqual((answer.json["error"] as? [String: Any])?["code"] as? String, field, "\(query): \(answer.text)")
            }
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["p.admin"]!)
            let page = try await browser.get("/audit?account=Customer&from=2026-02-30")
            XCTAssertEqual(page.status, .unprocessableContent)
            XCTAssertTrue(page.text.contains(#"name="from" id="from" value="2026-02-30">"#), "the typed value is kept")
            XCTAssertTrue(page.text.contains(#"id="from-error">from is a date YYYY-MM-DD (UTC)"#), page.text)
            XCTAssertTrue(page.text.contains(#"name="account" id="account" value="Customer""#))
        }
    }

    // MARK: Tenant scope

    func testEachCallerSeesItsSubtreeOnlyAndCannotSearchForUsersAboveIt() async throws {
        try await withQuoteWorld { w, id in
            _ = try await Self.providerOrdersMoreRAM(w, subscription: id)
            // Reseller One: its own subtree, never Reseller Two's.
            let resellerView = try await w.api.call(.get, "/api/v1/audit?limit=200", token: w.reseller)
            let accounts = Set((resellerView.json["items"] as? [[String: Any]] ?? []).compactMap { $0["account_name"] as? String })
            XCTAssertTrue(accounts.isSubset(of: ["Reseller One", "Reseller One A", "Customer One"]), "\(accounts)")
            XCTAssertTrue(accounts.contains("Customer One"))
            let otherResellers = try await w.api.call(.get, "/api/v1/audit?account=Customer%20Two", token: w.reseller)
            XCTAssertEqual(Self.sentences(otherResellers), [])
            let foreign = try await w.api.call(.get, "/api/v1/audit?account_id=\(w.fixture.c2.id)", token: w.reseller)
            XCTAssertEqual(foreign.status, .notFound)
            // A customer: its own account only; a search for the provider's staff finds nothing,
            // though they acted on its account (who they are is not the customer's to learn).
            let customerView = try await w.api.call(.get, "/api/v1/audit?limit=200", token: w.customer)
            XCTAssertEqual(Set((customerView.json["items"] as? [[String: Any]] ?? []).compactMap { $0["account_name"] as? String }), ["Customer One"])
            for search in ["admin@p", "p.test", "P%20Admin", "admin"] {
                let found = try await w.api.call(.get, "/api/v1/audit?user=\(search)", token: w.customer)
                XCTAssertFalse(found.text.contains("Reseller One"), "\(search): \(found.text)")
            }
        }
    }
}
