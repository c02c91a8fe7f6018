import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// Restrictions, exceptions, the vendor check and upstream charges through the API (API.md) and
/// the pages a person sees.
final class RestrictionsAPITests: XCTestCase {
    private static func code(_ response: TestResponse) -> String? { (response.json["error"] as? [String: Any])?["code"] as? String }

    func testRestrictExceptLiftThroughTheAPI() async throws {
        try await withQuoteWorld { w, id in
            let change = #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#
            let restricted = try await w.api.call(.post, "/api/v1/restrictions", token: w.provider, json: #"{"account_id":\#(w.fixture.r1.id),"reason":"Overdue"}"#)
            XCTAssertEqual(restricted.status, .created, restricted.text)
            XCTAssertEqual(restricted.json["active"] as? Bool, true)
            let restrictionID = try XCTUnwrap(restricted.json["id"] as? Int)
            let empty = try await w.api.call(.post, "/api/v1/restrictions", token: w.provider, json: #"{"account_id":\#(w.fixture.r1.id),"reason":" "}"#)
            XCTAssertEqual(Self.code(empty), "reason")

            let quote = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: w.customer, json: change)
            let reasons = quote.json["blocked_reasons"] as? [[String: Any]]
            XCTAssertEqual(reasons?.first?["code"] as? String, "account_restricted")
            XCTAssertNil((reasons?.first?["details"] as? [String: Any])?["reason"], "a customer isn't told the provider's reason (white label)")
            XCTAssertFalse(quote.text.contains("Overdue"), quote.text)
            let staffQuote = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: w.reseller, json: change)
            let staffReasons = staffQuote.json["blocked_reasons"] as? [[String: Any]]
            XCTAssertEqual((staffReasons?.first?["details"] as? [String: Any])?["reason"] as? String, "Overdue", "the restricted reseller's staff are")
            let refused = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.reseller, json: change)
            XCTAssertEqual(refused.status, .unprocessableContent)
            XCTAssertEqual(Self.code(refused), "account_restricted")

            let exception = try await w.api.call(.post, "/api/v1/restriction-exceptions", token: w.provider, json: #"{"plan_id":\#(w.plans["Silver"]!)}"#)
            XCTAssertEqual(exception.status, .created, exception.text)
            let twice = try await w.api.call(.post, "/api/v1/restriction-exceptions", token: w.provider, json: #"{"plan_id":\#(w.plans["Silver"]!)}"#)
            XCTAssertEqual(twice.status, .conflict)
            let listed = try await w.api.call(.get, "/api/v1/restriction-exceptions", token: w.provider).json["items"] as? [[String: Any]]
            XCTAssertEqual(listed?.compactMap { $0["plan_name"] as? String }, ["Silver"])
            let allowed = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer, json: change)
            XCTAssertEqual(allowed.status, .created, allowed.text)
            _ = try await w.api.call(.post, "/api/v1/orders/\(allowed.json["id"] as! Int)/cancel", token: w.customer)
            let removed = try await w.api.call(.delete, "/api/v1/restriction-exceptions/\(exception.json["id"] as! Int)", token: w.provider)
            XCTAssertEqual(removed.status, .noContent)
            let againRefused = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer, json: change)
            XCTAssertEqual(Self.code(againRefused), "account_restricted")

            let byReseller = try await w.api.call(.delete, "/api/v1/restrictions/\(restrictionID)", token: w.reseller)
            XCTAssertEqual(byReseller.status, .forbidden, "the restricted reseller can't lift it")
            let lifted = try await w.api.call(.delete, "/api/v1/restrictions/\(restrictionID)", token: w.provider)
            XCTAssertEqual(lifted.status, .ok, lifted.text)
            XCTAssertEqual(lifted.json["active"] as? Bool, false)
            XCTAssertEqual(lifted.json["lifted_by"] as? String, w.fixture.users["p.admin"])
            let free = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer, json: change)
            XCTAssertEqual(free.status, .created)

            // The pages: a badge on the account, the restriction with who imposed it.
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["r1.admin"]!)
            let restrictions = try await browser.get("/restrictions")
            XCTAssertTrue(restrictions.text.contains("Overdue"))
            XCTAssertTrue(restrictions.text.contains("lifted"))
            let restrict = try await browser.post("/restrictions", ["account_id": String(w.fixture.c1.id), "reason": "Card expired"])
            XCTAssertEqual(restrict.headers[.location], "/accounts/\(w.fixture.c1.id)")
            let account = try await browser.get("/accounts/\(w.fixture.c1.id)")
            XCTAssertTrue(account.text.contains(#"id="account-restricted""#))
            let customers = try await browser.get("/accounts?kind=customer")
            XCTAssertTrue(customers.text.contains(#"title="Card expired">restricted"#))
            let estimate = try await browser.get("/subscriptions/\(id)/estimate?ram_gb=9")
            XCTAssertTrue(estimate.text.contains("Customer One is restricted by Reseller One: Card expired"))
            XCTAssertTrue(estimate.text.contains(#"id="submit-order" disabled"#), "Submit is disabled")
            XCTAssertFalse(estimate.text.contains("submit-order-form"))
        }
    }

    func testTheVendorCheckAndUpstreamChargesThroughTheAPI() async throws {
        try await withQuoteWorld { w, id in
            _ = try await w.api.call(.put, "/api/v1/subscriptions/\(id)/usage", token: w.reseller, json: #"{"ram_gb":0}"#)
            let rule = try await w.api.call(.put, "/api/v1/connectors/test/rules", token: w.provider, json: #"{"resource_code":"ram_gb","min_quantity":3}"#)
            XCTAssertEqual(rule.status, .ok, rule.text)
            let below = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer, json: #"{"resources":[{"resource_code":"ram_gb","additional":0}]}"#)
            XCTAssertEqual(Self.code(below), "vendor_refused")
            XCTAssertEqual(((below.json["error"] as? [String: Any])?["details"] as? [String: Any])?["minimum"] as? String, "3")

            // +4 GB completes; Reseller One sells at the provider's prices here, so it owes what it sold it at.
            let order = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer, json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#)
            _ = try await w.api.call(.post, "/api/v1/invoices/\(order.json["invoice_id"] as! Int)/payments", token: w.customer, json: #"{"method":"card","card_number":"4242424242424242"}"#)
            let settled = try await OrderAPITests.settled(w, order.json["id"] as! Int)
            XCTAssertEqual(settled["status"] as? String, "completed")
            let charges = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.r1.id)/reseller-charges", token: w.reseller)
            XCTAssertEqual(charges.status, .ok, charges.text)
            let items = charges.json["items"] as? [[String: Any]]
            XCTAssertEqual(items?.count, 1)
            XCTAssertEqual(items?.first?["order_id"] as? Int, order.json["id"] as? Int)
            XCTAssertEqual((items?.first?["amount"] as? [String: Any])?["amount"] as? String, "9.00", "5.00 prorated + 4.00 setup, before tax")
            XCTAssertEqual((items?.first?["net_cost"] as? [String: Any])?["amount"] as? String, "9.00")
            let ofCustomer = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.c1.id)/reseller-charges", token: w.reseller)
            XCTAssertEqual(ofCustomer.status, .unprocessableContent, "customers owe no upstream charges")
            let byCustomer = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.r1.id)/reseller-charges", token: w.customer)
            XCTAssertEqual(byCustomer.status, .notFound)
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["p.admin"]!)
            let page = try await browser.get("/reseller-charges")
            XCTAssertTrue(page.text.contains("Reseller One"))
            XCTAssertTrue(page.text.contains("9.00 USD"))
        }
    }
}
