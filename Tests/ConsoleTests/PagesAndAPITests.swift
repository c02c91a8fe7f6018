import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// What people see on the pages, and what integrations get from the API.
final class PagesAndAPITests: XCTestCase {
    func testAScriptInAnAccountNameIsShownEscapedOnEveryPageThatShowsIt() async throws {
        try await withConsole { client, fixture, _ in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["r1.admin"]!)
            let evil = #"<script>alert("x")</script> & Co"#
            let created = try await browser.post("/accounts", ["kind": "customer", "parent_id": String(fixture.r1.id), "name": evil,
                                                               "currency": "USD", "tax_rate": "0.20", "address": "<b>bold</b>"])
            XCTAssertEqual(created.status, .seeOther)
            let location = try XCTUnwrap(created.headers[.location])
            let pages = [location, "/accounts?kind=customer", "/accounts", "/dashboard", "/audit", "/accounts/\(fixture.r1.id)"]
            for page in pages {
                let html = try await browser.get(page).text
                XCTAssertFalse(html.contains("<script>alert"), "\(page) shows the raw script")
                XCTAssertTrue(html.contains("&lt;script&gt;"), "\(page) shows the name escaped")
            }
            // The flash message and the address carry user text too.
            let observed1 = try await browser.get(location).text.contains("<b>bold</b>")
            XCTAssertFalse(observed1)
        }
    }

    func testCreateCustomerFormKeepsWhatWasTypedAndNamesEachBadField() async throws {
        try await withConsole { client, fixture, database in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["r1.admin"]!)
            let before = try await snapshot(database)
            let response = try await browser.post("/accounts", ["kind": "customer", "parent_id": String(fixture.r1.id), "name": "Typed Name",
                                                                "currency": "EUR", "tax_rate": "20%", "contact_email": "not-an-email"])
            XCTAssertEqual(response.status, .unprocessableContent)
            let html = response.text
            XCTAssertTrue(html.contains(#"value="Typed Name""#), "the name typed is kept")
            XCTAssertTrue(html.contains(#"id="tax_rate-error""#))
            XCTAssertTrue(html.contains("Enter the tax rate as a fraction"))
            XCTAssertTrue(html.contains(#"value="not-an-email""#))
            let after = try await snapshot(database)
            XCTAssertEqual(before, after, "nothing is created from a refused form")

            // A customer is billed in its seller's currency.
            let currency = try await browser.post("/accounts", ["kind": "customer", "parent_id": String(fixture.r1.id), "name": "Euro Shop",
                                                                "currency": "EUR", "tax_rate": "0.20"])
            XCTAssertEqual(currency.status, .unprocessableContent)
            XCTAssertTrue(currency.text.contains("A customer is billed in its seller&#39;s currency, USD.") || currency.text.contains("seller's currency, USD"))
        }
    }

    func testAdminAddsAResellerThenAUserWhoSignsInAndSeesOnlyItsWorld() async throws {
        try await withConsole { client, fixture, database in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["p.admin"]!)
            let created = try await browser.post("/accounts", ["kind": "reseller", "parent_id": String(fixture.provider.id),
                                                               "name": "Third Reseller", "currency": "GBP", "tax_rate": "0.2"])
            XCTAssertEqual(created.status, .seeOther)
            let page = try await browser.get(created.headers[.location]!)
            XCTAssertTrue(page.text.contains("Reseller “Third Reseller” created."))
            let id = String(created.headers[.location]!.split(separator: "/").last!)
            let user = try await browser.post("/accounts/\(id)/users", ["email": "Boss@Third.test", "name": "Boss", "role": "admin", "password": "third-password"])
            XCTAssertEqual(user.status, .seeOther)
            let observed2 = try await browser.get("/accounts/\(id)").text.contains("boss@third.test")
            XCTAssertTrue(observed2)

            let boss = Browser(client)
            let observed3 = try await boss.signIn("boss@third.test", "third-password").status
            XCTAssertEqual(observed3, .seeOther)
            let dashboard = try await boss.get("/dashboard").text
            XCTAssertTrue(dashboard.contains("Reseller dashboard"))
            XCTAssertTrue(dashboard.contains(#"id="nav-customers""#))
            XCTAssertFalse(dashboard.contains("Reseller One"))
            let observed4 = try await boss.get("/accounts/\(fixture.c1.id)").status
            XCTAssertEqual(observed4, .notFound)

            let audit = try await database.rows("SELECT object_type, action, actor_email, address FROM audit_log WHERE account_id = ? ORDER BY id", [.int(Int64(id)!)])
            XCTAssertEqual(try audit.map { try $0.decode(column: "object_type", as: String.self) }, ["account", "user"])
            XCTAssertEqual(try audit[0].decode(column: "actor_email", as: String.self), "admin@p.test")
            XCTAssertFalse(try audit[0].decode(column: "address", as: String.self).isEmpty, "the address is recorded")
        }
    }

    func testEachTierGetsItsOwnNavigation() async throws {
        try await withConsole { client, fixture, _ in
            for (key, expected, absent) in [("p.admin", ["nav-resellers", "nav-customers", "nav-audit"], ["nav-users"]),
                                            ("r1.admin", ["nav-customers", "nav-resellers", "nav-audit"], ["nav-users"]),
                                            ("c1.viewer", ["nav-users", "nav-audit"], ["nav-resellers", "nav-customers"])] {
                let browser = Browser(client)
                _ = try await browser.signIn(fixture.users[key]!)
                let html = try await browser.get("/dashboard").text
                for id in expected { XCTAssertTrue(html.contains(#"id="\#(id)""#), "\(key) lacks \(id)") }
                for id in absent { XCTAssertFalse(html.contains(#"id="\#(id)""#), "\(key) has \(id)") }
            }
        }
    }

    func testAPIContract() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let observed5 = try await api.call(.get, "/api/v1/me").status
            XCTAssertEqual(observed5, .unauthorized)
            let observed6 = try await api.call(.get, "/api/v1/me", token: String(repeating: "a", count: 64)).errorCode
            XCTAssertEqual(observed6, "unauthorized")
            let wrong = try await api.call(.post, "/api/v1/tokens", json: #"{"email":"admin@r1.test","password":"nope"}"#)
            XCTAssertEqual(wrong.status, .unauthorized)
            let malformed = try await api.call(.post, "/api/v1/tokens", json: #"{"email": "#)
            XCTAssertEqual(malformed.status, .badRequest)
            XCTAssertEqual(malformed.errorCode, "malformed_json")

            let token = try await api.token(fixture.users["r1.admin"]!)
            let me = try await api.call(.get, "/api/v1/me", token: token).json
            XCTAssertEqual((me["user"] as? [String: Any])?["role"] as? String, "admin")
            XCTAssertEqual((me["account"] as? [String: Any])?["kind"] as? String, "reseller")
            XCTAssertEqual((me["account"] as? [String: Any])?["id"] as? Int, Int(fixture.r1.id))

            let created = try await api.call(.post, "/api/v1/accounts", token: token,
                                             json: #"{"kind":"customer","parent_id":\#(fixture.r1.id),"name":"API Customer","currency":"USD","tax_rate":"0.20"}"#)
            XCTAssertEqual(created.status, .created)
            let account = created.json
            XCTAssertEqual(account["tax_rate"] as? String, "0.20")
            XCTAssertEqual(account["parent_id"] as? Int, Int(fixture.r1.id))
            let id = try XCTUnwrap(account["id"] as? Int)
            let observed7 = try await api.call(.get, "/api/v1/accounts/\(id)", token: token).json["name"] as? String
            XCTAssertEqual(observed7, "API Customer")
            let children = try await api.call(.get, "/api/v1/accounts?parent_id=\(fixture.r1.id)", token: token).json
            XCTAssertEqual(Set(((children["items"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }),
                           ["Reseller One A", "Customer One", "API Customer"])

            let missingName = try await api.call(.post, "/api/v1/accounts", token: token, json: #"{"kind":"customer","currency":"USD"}"#)
            XCTAssertEqual(missingName.status, .unprocessableContent)
            XCTAssertEqual(missingName.errorCode, "name")
            let badTax = try await api.call(.post, "/api/v1/accounts", token: token, json: #"{"kind":"customer","name":"X","currency":"USD","tax_rate":"1.5"}"#)
            XCTAssertEqual(badTax.errorCode, "tax_rate")

            let user = try await api.call(.post, "/api/v1/accounts/\(id)/users", token: token, json: #"{"email":"ops@api.test","password":"api-password-1","role":"operator"}"#)
            XCTAssertEqual(user.status, .created)
            XCTAssertEqual(user.json["role"] as? String, "operator")
            XCTAssertNil(user.json["password_hash"])
            let duplicate = try await api.call(.post, "/api/v1/accounts/\(id)/users", token: token, json: #"{"email":"ops@api.test","password":"api-password-1","role":"operator"}"#)
            XCTAssertEqual(duplicate.status, .unprocessableContent)
            XCTAssertEqual(duplicate.errorCode, "email")
            let short = try await api.call(.post, "/api/v1/accounts/\(id)/users", token: token, json: #"{"email":"x@api.test","password":"short","role":"operator"}"#)
            XCTAssertEqual(short.errorCode, "password")

            // Cookies mean nothing to the API.
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["r1.admin"]!)
            let observed8 = try await browser.get("/api/v1/me").status
            XCTAssertEqual(observed8, .unauthorized)
        }
    }
}
