import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// Accounts over their lifetime (issue 15): admins of an ancestor edit an account, suspend it (its
/// users stop at their next request, its subtree orders nothing, renewals still issue), lift the
/// suspension, and close it once everything below is cancelled (then it is read-only).
final class AccountLifecycleTests: XCTestCase {
    private static func code(_ response: TestResponse) -> String? { response.errorCode }

    /// The newest audit entry of an object: its action, before and after.
    static func lastAudit(_ database: MariaDBDatabase, _ objectType: String, _ id: Int64) async throws -> (action: String, before: String, after: String)? {
        let rows = try await database.rows(
            "SELECT action, COALESCE(before_state, '') AS b, COALESCE(after_state, '') AS a FROM audit_log WHERE object_type = ? AND object_id = ? ORDER BY id DESC LIMIT 1",
            [.string(objectType), .int(id)])
        return try rows.first.map { (try $0.decode(column: "action", as: String.self), try $0.decode(column: "b", as: String.self), try $0.decode(column: "a", as: String.self)) }
    }

    func testAnAncestorsAdminEditsAnAccountAndEveryFieldIsBoundedNamingTheField() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            let r1 = fixture.r1.id
            let edited = try await api.call(.patch, "/api/v1/accounts/\(r1)", token: provider, json: #"""
                {"name":"Northwind Hosting","contact_name":"Nora North","contact_email":"Billing@Northwind.test","contact_phone":"+44 20 7946 0000",
                 "address":"1 Harbour Road\nLondon","tax_rate":"0.19"}
                """#)
            XCTAssertEqual(edited.status, .ok, edited.text)
            XCTAssertEqual(edited.json["name"] as? String, "Northwind Hosting")
            XCTAssertEqual(edited.json["contact_email"] as? String, "billing@northwind.test")
            XCTAssertEqual(edited.json["tax_rate"] as? String, "0.19")
            XCTAssertEqual(edited.json["address"] as? String, "1 Harbour Road\nLondon")
            XCTAssertEqual(edited.json["status"] as? String, "active", "an edit leaves the status alone")
            let audit = try await Self.lastAudit(database, "account", r1)
            XCTAssertEqual(audit?.action, "update")
            XCTAssertTrue(audit?.before.contains(#""name":"Reseller One""#) == true, audit?.before ?? "")
            XCTAssertTrue(audit?.after.contains(#""name":"Northwind Hosting""#) == true, audit?.after ?? "")
            XCTAssertTrue(audit?.after.contains(#""tax_rate":"0.19""#) == true, audit?.after ?? "")

            // A field left out is kept.
            let phoneOnly = try await api.call(.patch, "/api/v1/accounts/\(r1)", token: provider, json: #"{"contact_phone":""}"#)
            XCTAssertEqual(phoneOnly.json["name"] as? String, "Northwind Hosting")
            XCTAssertEqual(phoneOnly.json["contact_phone"] as? String, "")

            // Every field is bounded: 422 naming it, and nothing changes.
            let long = String(repeating: "x", count: 201)
            for (body, field) in [
                (#"{"name":""}"#, "name"), (#"{"name":"\#(long)"}"#, "name"), (#"{"name":5}"#, "name"),
                (#"{"contact_name":"\#(long)"}"#, "contact_name"), (#"{"contact_email":"not an address"}"#, "contact_email"),
                (#"{"contact_phone":"\#(String(repeating: "1", count: 51))"}"#, "contact_phone"),
                (#"{"address":"\#(String(repeating: "a", count: 2001))"}"#, "address"), (#"{"address":"tab\u0000nul"}"#, "address"),
                (#"{"tax_rate":"1.5"}"#, "tax_rate"), (#"{"tax_rate":"0.1234567"}"#, "tax_rate"), (#"{"tax_rate":"-0.1"}"#, "tax_rate"),
                (#"{"status":"frozen"}"#, "status"),
            ] {
                let refused = try await api.call(.patch, "/api/v1/accounts/\(r1)", token: provider, json: body)
                XCTAssertEqual(refused.status, .unprocessableContent, body)
                XCTAssertEqual(Self.code(refused), field, body)
            }
            let unchanged = try await api.call(.get, "/api/v1/accounts/\(r1)", token: provider)
            XCTAssertEqual(unchanged.json["name"] as? String, "Northwind Hosting")
            XCTAssertEqual(unchanged.json["tax_rate"] as? String, "0.19")

            // Admins of an ancestor only: never the account's own users, never operators or viewers; outside the subtree 404.
            let reseller = try await api.token(fixture.users["r1.admin"]!)
            let own = try await api.call(.patch, "/api/v1/accounts/\(r1)", token: reseller, json: #"{"name":"Mine"}"#)
            XCTAssertEqual(own.status, .forbidden, "an account's own admins don't edit it")
            let below = try await api.call(.patch, "/api/v1/accounts/\(fixture.c1.id)", token: reseller, json: #"{"contact_name":"Cee One"}"#)
            XCTAssertEqual(below.status, .ok, below.text)
            for key in ["r1.operator", "r1.viewer", "c1.admin"] {
                let refused = try await api.call(.patch, "/api/v1/accounts/\(fixture.c1.id)", token: try await api.token(fixture.users[key]!), json: #"{"name":"Taken"}"#)
                XCTAssertEqual(refused.status, .forbidden, key)
            }
            let foreign = try await api.call(.patch, "/api/v1/accounts/\(fixture.c2.id)", token: reseller, json: #"{"name":"Taken"}"#)
            XCTAssertEqual(foreign.status, .notFound)

            // The page: the edit form keeps what was typed and marks the field.
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["r1.admin"]!)
            let page = try await browser.get("/accounts/\(fixture.c1.id)")
            XCTAssertTrue(page.text.contains(#"id="account-edit-form""#))
            XCTAssertTrue(page.text.contains(#"value="Cee One""#), "the form starts from the stored values")
            let wrong = try await browser.post("/accounts/\(fixture.c1.id)", ["name": "Customer One", "contact_name": "Cee One", "contact_email": "cee@@one",
                                                                            "contact_phone": "", "address": "", "tax_rate": "0.20"])
            XCTAssertEqual(wrong.status, .unprocessableContent)
            XCTAssertTrue(wrong.text.contains(#"value="cee@@one""#), "what was typed is kept")
            XCTAssertTrue(wrong.text.contains(#"id="edit-contact-email-error""#), "the field is marked")
            let saved = try await browser.post("/accounts/\(fixture.c1.id)", ["name": "Customer One GmbH", "contact_name": "Cee One", "contact_email": "cee@one.test",
                                                                            "contact_phone": "", "address": "Hauptstr. 1", "tax_rate": "0.19"])
            XCTAssertEqual(saved.status, .seeOther)
            let after = try await browser.get("/accounts/\(fixture.c1.id)")
            XCTAssertTrue(after.text.contains("Customer One GmbH is saved."))
            XCTAssertTrue(after.text.contains(#"id="account-tax-rate">0.19<"#))
            // Its own admins see the account, not the form.
            let customer = Browser(client)
            _ = try await customer.signIn(fixture.users["c1.admin"]!)
            let ownPage = try await customer.get("/accounts/\(fixture.c1.id)")
            XCTAssertEqual(ownPage.status, .ok)
            XCTAssertFalse(ownPage.text.contains(#"id="account-edit-form""#))
            let refusedPost = try await customer.post("/accounts/\(fixture.c1.id)", ["name": "Mine"])
            XCTAssertEqual(refusedPost.status, .forbidden)
        }
    }

    func testASuspendedAccountsUsersStopAtTheirNextRequestAndLiftingRestoresThem() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            let customerEmail = fixture.users["c1.admin"]!
            let signedIn = Browser(client)
            _ = try await signedIn.signIn(customerEmail)
            let token = try await api.token(customerEmail)
            let before = try await signedIn.get("/subscriptions")
            XCTAssertEqual(before.status, .ok)

            // The provider's admin suspends Customer One.
            let suspended = try await api.call(.patch, "/api/v1/accounts/\(fixture.c1.id)", token: provider, json: #"{"status":"suspended"}"#)
            XCTAssertEqual(suspended.status, .ok, suspended.text)
            XCTAssertEqual(suspended.json["status"] as? String, "suspended")
            XCTAssertNotNil(suspended.json["status_changed_at"] as? String)
            let audited = try await Self.lastAudit(database, "account", fixture.c1.id)
            XCTAssertEqual(audited?.action, "suspend")
            XCTAssertTrue(audited?.before.contains(#""status":"active""#) == true)
            XCTAssertTrue(audited?.after.contains(#""status":"suspended""#) == true)

            // Its live session and its token stop at the next request; signing in is refused.
            let next = try await signedIn.get("/subscriptions")
            XCTAssertEqual(next.status, .seeOther)
            XCTAssertTrue(next.headers[.location]?.hasPrefix("/signin") == true, next.headers[.location] ?? "")
            let byToken = try await api.call(.get, "/api/v1/me", token: token)
            XCTAssertEqual(byToken.status, .unauthorized)
            let again = try await Browser(client).signIn(customerEmail)
            XCTAssertEqual(again.status, .unauthorized)
            let newToken = try await api.call(.post, "/api/v1/tokens", json: #"{"email":"\#(customerEmail)","password":"\#(TenancyFixture.password)"}"#)
            XCTAssertEqual(newToken.status, .unauthorized)
            // Users of other accounts are not touched.
            let other = try await api.call(.get, "/api/v1/me", token: try await api.token(fixture.users["r1.admin"]!))
            XCTAssertEqual(other.status, .ok)

            // The page says who suspended it and when, white-labelled: Reseller One sees its seller's name, not the provider's user.
            let reseller = Browser(client)
            _ = try await reseller.signIn(fixture.users["r1.admin"]!)
            let page = try await reseller.get("/accounts/\(fixture.c1.id)")
            XCTAssertTrue(page.text.contains(#"id="account-status">suspended<"#), page.text)
            XCTAssertTrue(page.text.contains(">Suspended <span") && page.text.contains("· since "), "status, since when")
            XCTAssertTrue(page.text.contains(" UTC by Provider</span>"), "who, as Reseller One may see it")
            XCTAssertFalse(page.text.contains("admin@p.test"))
            XCTAssertTrue(page.text.contains(#"id="account-lift""#))
            XCTAssertFalse(page.text.contains(#"id="account-suspend""#))

            // Reseller One lifts it from the page: the customer's user signs in again, a token works again.
            let lifted = try await reseller.post("/accounts/\(fixture.c1.id)/status", ["status": "active"])
            XCTAssertEqual(lifted.status, .seeOther)
            let liftAction = try await Self.lastAudit(database, "account", fixture.c1.id)?.action
            XCTAssertEqual(liftAction, "lift")
            let back = Browser(client)
            let signIn = try await back.signIn(customerEmail)
            XCTAssertEqual(signIn.status, .seeOther)
            let pageAfterLift = try await back.get("/subscriptions").status
            XCTAssertEqual(pageAfterLift, .ok)
            let meAfterLift = try await api.call(.get, "/api/v1/me", token: try await api.token(customerEmail)).status
            XCTAssertEqual(meAfterLift, .ok)
            let shown = try await reseller.get("/accounts/\(fixture.c1.id)")
            XCTAssertTrue(shown.text.contains(" UTC by admin@r1.test</span>"), "a change made by one's own account shows its user")
        }
    }

    func testASuspendedResellersCustomersCantOrderButTheirRenewalsStillIssue() async throws {
        try await withQuoteWorld { w, id in
            let change = #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#
            let sale = #"{"kind":"sales","customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Gold"]!),"period_months":1}"#
            let suspended = try await w.api.call(.patch, "/api/v1/accounts/\(w.fixture.r1.id)", token: w.provider, json: #"{"status":"suspended"}"#)
            XCTAssertEqual(suspended.status, .ok, suspended.text)

            // Customer One is active and signs in, but nothing new is ordered below the suspended reseller.
            let quote = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: w.customer, json: change)
            XCTAssertEqual(quote.status, .ok)
            let reasons = quote.json["blocked_reasons"] as? [[String: Any]]
            XCTAssertEqual(reasons?.map { $0["code"] as? String }, ["account_suspended"])
            XCTAssertEqual(reasons?.first?["message"] as? String, "New orders are on hold for this account; ask your seller why.",
                           "the customer doesn't learn what lies above it")
            let staffQuote = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: w.provider, json: change)
            XCTAssertEqual((staffQuote.json["blocked_reasons"] as? [[String: Any]])?.first?["message"] as? String,
                           "Reseller One, which this customer is under, is suspended: nothing new is ordered until the suspension is lifted.")
            let submitted = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer, json: change)
            XCTAssertEqual(submitted.status, .unprocessableContent)
            XCTAssertEqual(Self.code(submitted), "account_suspended")
            let sold = try await w.api.call(.post, "/api/v1/orders", token: w.customer, json: sale)
            XCTAssertEqual(sold.status, .unprocessableContent, sold.text)
            XCTAssertEqual(Self.code(sold), "account_suspended")
            let reseller = try await w.api.call(.get, "/api/v1/me", token: w.reseller)
            XCTAssertEqual(reseller.status, .unauthorized, "the suspended reseller's own users are out")

            // Lifting restores ordering.
            _ = try await w.api.call(.patch, "/api/v1/accounts/\(w.fixture.r1.id)", token: w.provider, json: #"{"status":"active"}"#)
            let free = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: w.customer, json: change)
            XCTAssertEqual((free.json["blocked_reasons"] as? [[String: Any]])?.count, 0, free.text)

            // Suspended again: the billing run still issues the renewal of its customer's subscription.
            _ = try await w.api.call(.patch, "/api/v1/accounts/\(w.fixture.r1.id)", token: w.provider, json: #"{"status":"suspended"}"#)
            _ = try await w.api.call(.put, "/api/v1/clock", token: w.provider, json: #"{"now":"2026-05-04T06:00:00Z"}"#)
            let run = try await w.api.call(.post, "/api/v1/billing-runs", token: w.provider)
            XCTAssertEqual(run.status, .created, run.text)
            XCTAssertEqual(run.json["renewal_orders"] as? Int, 1)
            let renewals = try await w.api.call(.get, "/api/v1/orders?subscription_id=\(id)&kind=renewal", token: w.customer).json["items"] as? [[String: Any]]
            XCTAssertEqual(renewals?.count, 1)
        }
    }

    func testClosingNeedsEverySubscriptionBelowCancelledAndThenTheAccountIsReadOnly() async throws {
        try await withQuoteWorld { w, id in
            let c1 = w.fixture.c1.id
            let early = try await w.api.call(.patch, "/api/v1/accounts/\(c1)", token: w.provider, json: #"{"status":"closed"}"#)
            XCTAssertEqual(early.status, .conflict)
            XCTAssertEqual(Self.code(early), "subscriptions_not_cancelled")
            let resellerEarly = try await w.api.call(.patch, "/api/v1/accounts/\(w.fixture.r1.id)", token: w.provider, json: #"{"status":"closed"}"#)
            XCTAssertEqual(Self.code(resellerEarly), "subscriptions_not_cancelled", "a subscription anywhere below counts")
            let statusAfterRefusals = try await w.api.call(.get, "/api/v1/accounts/\(c1)", token: w.provider).json["status"] as? String
            XCTAssertEqual(statusAfterRefusals, "active")

            let cancel = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/cancel", token: w.reseller, json: #"{"when":"now"}"#)
            XCTAssertEqual(cancel.status, .created, cancel.text)
            _ = try await OrderAPITests.settled(w, cancel.json["id"] as! Int)
            let subscriptionStatus = try await w.api.call(.get, "/api/v1/subscriptions/\(id)", token: w.reseller).json["status"] as? String
            XCTAssertEqual(subscriptionStatus, "cancelled")

            let closed = try await w.api.call(.patch, "/api/v1/accounts/\(c1)", token: w.reseller, json: #"{"status":"closed"}"#)
            XCTAssertEqual(closed.status, .ok, closed.text)
            XCTAssertEqual(closed.json["status"] as? String, "closed")
            // Final and read-only: no edits, no reopening, no orders, no adjustments, no sign-in.
            for body in [#"{"name":"Reopened"}"#, #"{"status":"active"}"#] {
                let refused = try await w.api.call(.patch, "/api/v1/accounts/\(c1)", token: w.provider, json: body)
                XCTAssertEqual(refused.status, .conflict, body)
                XCTAssertEqual(Self.code(refused), "account_closed", body)
            }
            let sale = try await w.api.call(.post, "/api/v1/orders", token: w.reseller,
                                            json: #"{"kind":"sales","customer_id":\#(c1),"plan_id":\#(w.plans["Silver"]!),"period_months":1}"#)
            XCTAssertEqual(Self.code(sale), "account_closed")
            let adjust = try await w.api.call(.post, "/api/v1/accounts/\(c1)/credit-adjustments", token: w.reseller, json: #"{"amount":"5","reason":"Late goodwill"}"#)
            XCTAssertEqual(adjust.status, .conflict)
            let newUser = try await w.api.call(.post, "/api/v1/accounts/\(c1)/users", token: w.reseller,
                                               json: #"{"email":"late@c1.test","password":"a-long-password-1","role":"admin"}"#)
            XCTAssertEqual(newUser.status, .conflict, "nobody new joins a closed account")
            XCTAssertEqual(Self.code(newUser), "account_closed")
            let tokenOfClosed = try await w.api.call(.get, "/api/v1/me", token: w.customer).status
            XCTAssertEqual(tokenOfClosed, .unauthorized)
            let signInOfClosed = try await Browser(w.api.client).signIn(w.fixture.users["c1.admin"]!).status
            XCTAssertEqual(signInOfClosed, .unauthorized)
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["r1.admin"]!)
            let page = try await browser.get("/accounts/\(c1)")
            XCTAssertTrue(page.text.contains(#"id="account-closed""#))
            XCTAssertFalse(page.text.contains(#"id="account-edit-form""#), "nothing to edit on a closed account")
        }
    }
}
