@testable import Console
import Commerce
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// White-label brands (issue 15, item 4): a reseller's admins set a brand; everyone in its
/// subtree sees it (top bar, titles, sign-in page, invoices); a sub-reseller's own brand wins
/// below it; a customer of a branded reseller never sees the provider's name.
final class BrandingTests: XCTestCase {
    static let northwind = ##"{"brand_name":"Northwind Cloud","support_email":"support@northwind.test","primary_color":"#0B5394","slug":"northwind"}"##

    /// The name the top bar shows, as `<a … id="brand">Name</a>`.
    static func topBar(_ html: String) -> String? {
        html.firstMatch(of: /id="brand">([^<]*)</)?.1.description
    }

    // MARK: Which brand each account sees

    func testEachAccountSeesTheNearestBrandedResellerAtOrAboveIt() async throws {
        try await withConsole { client, fixture, database in
            let store = BrandStore(database: database)
            // No brand anywhere: staff see the provider's name, a customer its seller's.
            let unbranded = try await store.brand(seenBy: fixture.r1a.path)
            XCTAssertEqual(unbranded.name, "Provider")
            XCTAssertEqual(unbranded.color, .standard)
            let c1Unbranded = try await store.brand(seenBy: fixture.c1.path)
            XCTAssertEqual(c1Unbranded.name, "Reseller One")

            let api = APIClient(client: client)
            let r1 = try await api.token(fixture.users["r1.admin"]!)
            let set = try await api.call(.put, "/api/v1/accounts/\(fixture.r1.id)/branding", token: r1, json: Self.northwind)
            XCTAssertEqual(set.status, .ok, set.text)
            for account in [fixture.r1, fixture.r1a, fixture.c1] {
                let seen = try await store.brand(seenBy: account.path)
                XCTAssertEqual(seen.name, "Northwind Cloud", account.name)
                XCTAssertEqual(seen.color.hex, "#0b5394", account.name)
                XCTAssertEqual(seen.supportEmail, "support@northwind.test", account.name)
            }
            let provider = try await store.brand(seenBy: fixture.provider.path)
            XCTAssertEqual(provider.name, "Provider", "above the reseller, its brand is not seen")
            let c2 = try await store.brand(seenBy: fixture.c2.path)
            XCTAssertEqual(c2.name, "Reseller Two", "another reseller's subtree")

            // The sub-reseller sets its own: it wins below it; its parent keeps its own above it.
            let edge = try await api.call(.put, "/api/v1/accounts/\(fixture.r1a.id)/branding", token: r1,
                                          json: ##"{"brand_name":"Edge Hosting","support_email":"help@edge.test","primary_color":"#f4c542"}"##)
            XCTAssertEqual(edge.status, .ok, edge.text)
            XCTAssertEqual(edge.json["slug"] as? String, "edge-hosting", "made from the brand's name")
            let r1aSeen = try await store.brand(seenBy: fixture.r1a.path)
            XCTAssertEqual(r1aSeen.name, "Edge Hosting")
            XCTAssertEqual(r1aSeen.color.text, .dark, "dark text on a light yellow")
            let r1Seen = try await store.brand(seenBy: fixture.r1.path)
            XCTAssertEqual(r1Seen.name, "Northwind Cloud")
            let c1Seen = try await store.brand(seenBy: fixture.c1.path)
            XCTAssertEqual(c1Seen.name, "Northwind Cloud")
        }
    }

    // MARK: The API

    func testAResellersAdminsAndAdminsAboveSetTheBrandWithAnAuditEntry() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let r1 = try await api.token(fixture.users["r1.admin"]!)
            let before = try await api.call(.get, "/api/v1/accounts/\(fixture.r1.id)/branding", token: r1)
            XCTAssertEqual(before.status, .ok, before.text)
            XCTAssertEqual(before.json as NSDictionary, ["account_id": fixture.r1.id] as NSDictionary, "no brand yet: its fields are omitted")

            let set = try await api.call(.put, "/api/v1/accounts/\(fixture.r1.id)/branding", token: r1, json: Self.northwind)
            XCTAssertEqual(set.status, .ok, set.text)
            XCTAssertEqual(set.json as NSDictionary, ["account_id": fixture.r1.id, "brand_name": "Northwind Cloud", "slug": "northwind",
                                                      "support_email": "support@northwind.test", "primary_color": "#0b5394",
                                                      "signin_path": "/signin?brand=northwind"] as NSDictionary)
            let read = try await api.call(.get, "/api/v1/accounts/\(fixture.r1.id)/branding", token: try await api.token(fixture.users["r1.viewer"]!))
            XCTAssertEqual(read.json as NSDictionary, set.json as NSDictionary, "staff of any role read it")

            // The provider's admins, above it, change it too; leaving out the slug keeps it.
            let provider = try await api.token(fixture.users["p.admin"]!)
            let renamed = try await api.call(.put, "/api/v1/accounts/\(fixture.r1.id)/branding", token: provider,
                                             json: ##"{"brand_name":"Northwind","support_email":"help@northwind.test","primary_color":"#123456"}"##)
            XCTAssertEqual(renamed.status, .ok, renamed.text)
            XCTAssertEqual(renamed.json["slug"] as? String, "northwind")

            let audit = try await database.rows("SELECT action, before_state, after_state FROM audit_log WHERE object_type = 'brand' AND object_id = ? ORDER BY id",
                                                [.int(fixture.r1.id)])
            XCTAssertEqual(try audit.map { try $0.decode(column: "action", as: String.self) }, ["create", "update"])
            let after = try audit[1].decode(column: "after_state", as: String.self)
            XCTAssertTrue(after.contains(#""brand_name":"Northwind""#) && after.contains("#123456"), after)
            XCTAssertTrue(try audit[1].decode(column: "before_state", as: String.self).contains("Northwind Cloud"))
        }
    }

    func testEachBadFieldIs422NamingItAndATakenSlugIs409() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let r2 = try await api.token(fixture.users["r2.admin"]!)
            let taken = try await api.call(.put, "/api/v1/accounts/\(fixture.r2.id)/branding", token: r2, json: Self.northwind.replacingOccurrences(of: "Northwind Cloud", with: "Two"))
            XCTAssertEqual(taken.status, .ok, taken.text)
            let r1 = try await api.token(fixture.users["r1.admin"]!)
            let path = "/api/v1/accounts/\(fixture.r1.id)/branding"
            let cases: [(String, String)] = [
                (##"{"brand_name":"","support_email":"a@b.test","primary_color":"#000000"}"##, "brand_name"),
                (##"{"brand_name":"\##(String(repeating: "x", count: 101))","support_email":"a@b.test","primary_color":"#000000"}"##, "brand_name"),
                (##"{"brand_name":"N\u0000","support_email":"a@b.test","primary_color":"#000000"}"##, "brand_name"),
                (##"{"brand_name":"N","support_email":"not-an-address","primary_color":"#000000"}"##, "support_email"),
                (##"{"brand_name":"N","support_email":"a@b.test","primary_color":"#fff"}"##, "primary_color"),
                (##"{"brand_name":"N","support_email":"a@b.test","primary_color":"blue"}"##, "primary_color"),
                (##"{"brand_name":"N","support_email":"a@b.test","primary_color":"#000000","slug":"North_Wind"}"##, "slug"),
                (##"{"brand_name":"N","support_email":"a@b.test","primary_color":"#000000","slug":"\##(String(repeating: "n", count: 64))"}"##, "slug"),
                (##"{"brand_name":"***","support_email":"a@b.test","primary_color":"#000000"}"##, "slug"),
                (##"{"support_email":"a@b.test","primary_color":"#000000"}"##, "brand_name"),
                (##"{"brand_name":"N","support_email":"a@b.test","primary_color":7}"##, "primary_color"),
            ]
            let before = try await snapshot(database)
            for (body, field) in cases {
                let answer = try await api.call(.put, path, token: r1, json: body)
                XCTAssertEqual(answer.status, .unprocessableContent, "\(body): \(answer.text)")
                XCTAssertEqual(answer.errorCode, field, body)
            }
            let clash = try await api.call(.put, path, token: r1, json: Self.northwind)
            XCTAssertEqual(clash.status, .conflict, clash.text)
            XCTAssertEqual(clash.errorCode, "slug")
            let after = try await snapshot(database)
            XCTAssertEqual(before, after, "nothing refused was kept")
            let none = try await database.rows("SELECT COUNT(*) AS n FROM account_brands WHERE account_id = ?", [.int(fixture.r1.id)])
            XCTAssertEqual(try none[0].decode(column: "n", as: Int.self), 0)
        }
    }

    func testForeignResellersAre404AndCustomersOperatorsAndViewersMayNotSetABrand() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let before = try await snapshot(database)
            func status(_ user: String, _ method: HTTPRequest.Method, _ account: Account) async throws -> HTTPResponse.Status {
                let token = try await api.token(fixture.users[user]!)
                return try await api.call(method, "/api/v1/accounts/\(account.id)/branding", token: token, json: method == .put ? Self.northwind : nil).status
            }
            // Outside the subtree: 404, whoever asks.
            for user in ["r1.admin", "r1.viewer", "c1.admin"] {
                for account in [fixture.r2, fixture.c2, fixture.provider] {
                    let put = try await status(user, .put, account), get = try await status(user, .get, account)
                    XCTAssertEqual(put, .notFound, "\(user) PUT \(account.name)")
                    XCTAssertEqual(get, .notFound, "\(user) GET \(account.name)")
                }
            }
            // Inside it: customers may neither read nor set; operators and viewers may read, not set.
            for user in ["c1.admin", "c1.operator"] {
                let put = try await status(user, .put, fixture.c1), get = try await status(user, .get, fixture.c1)
                XCTAssertEqual(put, .forbidden, user)
                XCTAssertEqual(get, .forbidden, user)
            }
            for user in ["r1.operator", "r1.viewer", "p.operator"] {
                let put = try await status(user, .put, fixture.r1), get = try await status(user, .get, fixture.r1)
                XCTAssertEqual(put, .forbidden, user)
                XCTAssertEqual(get, .ok, user)
            }
            // Only resellers have a brand: a customer's or the provider's own account has none.
            let onCustomer = try await status("r1.admin", .put, fixture.c1)
            XCTAssertEqual(onCustomer, .notFound)
            let onProvider = try await status("p.admin", .put, fixture.provider)
            XCTAssertEqual(onProvider, .notFound)
            let after = try await snapshot(database)
            XCTAssertEqual(before, after)
        }
    }

    // MARK: The Branding page

    func testTheBrandingPageKeepsWhatWasTypedMarksTheFieldAndSavesTheBrand() async throws {
        try await withConsole { client, fixture, _ in
            let admin = Browser(client)
            _ = try await admin.signIn(fixture.users["r1.admin"]!)
            let dashboard = try await admin.get("/dashboard").text
            XCTAssertTrue(dashboard.contains(#"id="nav-branding" href="/accounts/\#(fixture.r1.id)/branding""#), "reseller admins find it in the top bar")
            let empty = try await admin.get("/accounts/\(fixture.r1.id)/branding")
            XCTAssertEqual(empty.status, .ok)
            XCTAssertTrue(empty.text.contains(#"id="brand_name" name="brand_name" value="Reseller One""#), "the account's name to start from")

            let refused = try await admin.post("/accounts/\(fixture.r1.id)/branding",
                                               ["brand_name": "Northwind Cloud", "support_email": "support@northwind.test", "primary_color": "#0B539", "slug": "northwind"])
            XCTAssertEqual(refused.status, .unprocessableContent)
            XCTAssertTrue(refused.text.contains(##"class="form-control is-invalid" id="primary_color" name="primary_color" value="#0B539""##), "marked, as typed")
            XCTAssertTrue(refused.text.contains(#"id="primary_color-error">Use a colour like #1F6FEB"#))
            XCTAssertTrue(refused.text.contains(#"value="Northwind Cloud""#), "the other fields kept")

            let saved = try await admin.post("/accounts/\(fixture.r1.id)/branding",
                                             ["brand_name": "Northwind Cloud", "support_email": "support@northwind.test", "primary_color": "#0B5394", "slug": "northwind"])
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            let page = try await admin.get("/accounts/\(fixture.r1.id)/branding").text
            XCTAssertEqual(Self.topBar(page), "Northwind Cloud", "the reseller's own staff see it at once")
            XCTAssertTrue(page.contains(#"<link rel="stylesheet" href="/theme/0b5394.css">"#))
            XCTAssertTrue(page.contains(#"navbar-dark brand-bg-0b5394" id="topbar""#), "white text on dark blue")
            XCTAssertTrue(page.contains("<title>Branding · Northwind Cloud</title>"))
            XCTAssertTrue(page.contains(#"href="/signin?brand=northwind" id="brand-signin-link""#))
            XCTAssertTrue(page.contains("saved"), "the flash")

            // Admins above reach it from the reseller's account page.
            let provider = Browser(client)
            _ = try await provider.signIn(fixture.users["p.admin"]!)
            let account = try await provider.get("/accounts/\(fixture.r1.id)").text
            XCTAssertTrue(account.contains(#"href="/accounts/\#(fixture.r1.id)/branding" id="account-branding""#), "the link on the account page")
            let customerAccount = try await provider.get("/accounts/\(fixture.c1.id)").text
            XCTAssertFalse(customerAccount.contains(#"id="account-branding""#), "customers have no brand")

            // An operator reads it, the form disabled; a customer is refused.
            let operatorPage = Browser(client)
            _ = try await operatorPage.signIn(fixture.users["r1.operator"]!)
            let readOnly = try await operatorPage.get("/accounts/\(fixture.r1.id)/branding")
            XCTAssertEqual(readOnly.status, .ok)
            XCTAssertTrue(readOnly.text.contains(#"id="branding-readonly""#) && !readOnly.text.contains(#"id="branding-submit""#))
            let operatorPost = try await operatorPage.post("/accounts/\(fixture.r1.id)/branding", ["brand_name": "X", "support_email": "a@b.test", "primary_color": "#000000"])
            XCTAssertEqual(operatorPost.status, .forbidden)
            let customer = Browser(client)
            _ = try await customer.signIn(fixture.users["c1.admin"]!)
            let customerPage = try await customer.get("/accounts/\(fixture.c1.id)/branding")
            XCTAssertEqual(customerPage.status, .forbidden)
            XCTAssertEqual(Self.topBar(customerPage.text), "Northwind Cloud", "its error page wears the brand too")
        }
    }

    func testTheThemeStylesheetPaintsAColourAndAnythingElseIs404() async throws {
        try await withConsole { client, _, _ in
            let css = try await client.execute(uri: "/theme/0b5394.css", method: .get)
            XCTAssertEqual(css.status, .ok)
            XCTAssertEqual(css.headers[.contentType], "text/css; charset=utf-8")
            XCTAssertEqual(css.text, ".brand-bg-0b5394{background-color:#0b5394}\n")
            for bad in ["/theme/0B5394.css", "/theme/0b539.css", "/theme/0b5394", "/theme/zzzzzz.css", "/theme/0b5394.css.css"] {
                let answer = try await client.execute(uri: bad, method: .get)
                XCTAssertEqual(answer.status, .notFound, bad)
            }
        }
    }

    // MARK: The sign-in page

    func testTheSignInPageWearsTheBrandOfItsLinkOrMappedHostAndTheDefaultOtherwise() async throws {
        let database = try await TestDatabase.application()
        let fixture = try await TenancyFixture.make(database)
        var configuration = TestConsole.configuration()
        configuration.bcryptCost = 4
        configuration.brandHosts = try ConsoleConfiguration.brandHosts("portal.northwind.example=northwind, other.example=nobody")
        let app = try await buildApplication(configuration: configuration, database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            let set = try await api.call(.put, "/api/v1/accounts/\(fixture.r1.id)/branding", token: try await api.token(fixture.users["r1.admin"]!), json: Self.northwind)
            XCTAssertEqual(set.status, .ok, set.text)

            let linked = try await Browser(client).get("/signin?brand=northwind")
            XCTAssertEqual(linked.status, .ok)
            XCTAssertEqual(Self.topBar(linked.text), "Northwind Cloud")
            XCTAssertTrue(linked.text.contains("<title>Sign in · Northwind Cloud</title>"))
            XCTAssertTrue(linked.text.contains("brand-bg-0b5394"))
            XCTAssertTrue(linked.text.contains(#"action="/signin?brand=northwind""#), "a wrong password comes back to the brand's page")
            XCTAssertTrue(linked.text.contains("support@northwind.test"))
            XCTAssertFalse(linked.text.contains("Provider"))

            let hosted = try await Browser(client).send("/signin", .get, body: nil, contentType: nil, headers: [HTTPField.Name("Host")!: "Portal.Northwind.Example:8443"])
            XCTAssertEqual(Self.topBar(hosted.text), "Northwind Cloud", "the mapped host name, any case, any port")

            let wrong = Browser(client)
            _ = try await wrong.get("/signin?brand=northwind")
            let failed = try await wrong.post("/signin?brand=northwind", ["email": fixture.users["c1.admin"]!, "password": "wrong-password-1", "next": ""])
            XCTAssertEqual(failed.status, .unauthorized)
            XCTAssertEqual(Self.topBar(failed.text), "Northwind Cloud")

            // Unknown, malformed or unmapped: the default, never an error.
            for (uri, host) in [("/signin?brand=nobody", ""), ("/signin?brand=%3Cscript%3E", ""), ("/signin?brand=" + String(repeating: "x", count: 500), ""),
                                ("/signin", "other.example"), ("/signin", "unknown.example"), ("/signin", "")] {
                let headers: HTTPFields = host.isEmpty ? [:] : [HTTPField.Name("Host")!: host]
                let page = try await Browser(client).send(uri, .get, body: nil, contentType: nil, headers: headers)
                XCTAssertEqual(page.status, .ok, uri)
                XCTAssertEqual(Self.topBar(page.text), "Provider", "\(uri) \(host)")
                XCTAssertFalse(page.text.contains("Northwind") || page.text.contains("nobody") || page.text.contains("<script>"), uri)
            }
        }
    }

    // MARK: A customer never sees the provider

    /// Customer One's admin, below the branded Reseller One, walks every page it can reach by
    /// following links (after ordering, so orders, invoices and payments pages exist), then
    /// signs out: the provider's name is on none of them, and the brand is on each.
    func testACustomerOfABrandedResellerNeverSeesTheProvidersNameOnAnyPage() async throws {
        try await withQuoteWorld { w, subscription in
            let providerName = "Upstream Cloud Ltd"
            let pool = MariaDBConnectionPool(configuration: TestDatabase.configuration(database: TestDatabase.applicationDatabaseName), logger: TestDatabase.logger("branding"))
            let database = MariaDBDatabase(pool: pool, logger: TestDatabase.logger("branding"))
            try await database.query("UPDATE accounts SET name = ?, contact_email = 'staff@upstream.test' WHERE parent_id IS NULL", [.string(providerName)])
            await pool.shutdown()
            let set = try await w.api.call(.put, "/api/v1/accounts/\(w.fixture.r1.id)/branding", token: w.reseller, json: Self.northwind)
            XCTAssertEqual(set.status, .ok, set.text)
            // An order awaiting payment: its invoice, order and checkout pages.
            let order = try await w.api.call(.post, "/api/v1/subscriptions/\(subscription)/orders", token: w.customer, json: ##"{"resources":[{"resource_code":"ram_gb","additional":4}]}"##)
            XCTAssertEqual(order.status, .created, order.text)
            let invoiceID = try XCTUnwrap(order.json["invoice_id"] as? Int)

            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c1.admin"]!)
            var queue = ["/dashboard", "/accounts/\(w.fixture.c1.id)/branding", "/orders/999999", "/no-such-page"]
            var seen = Set(queue)
            var visited = 0
            while !queue.isEmpty, visited < 300 {
                let path = queue.removeFirst()
                let page = try await browser.get(path)
                visited += 1
                XCTAssertFalse(page.text.contains(providerName) || page.text.contains("staff@upstream.test"), "\(path) shows the provider")
                guard page.headers[.contentType]?.hasPrefix("text/html") == true else { continue }
                if page.status != .notFound || path != "/no-such-page" {
                    XCTAssertEqual(Self.topBar(page.text), "Northwind Cloud", path)
                }
                for match in page.text.matches(of: /href="(\/[^"#]*)"/) {
                    let link = String(match.1).replacingOccurrences(of: "&amp;", with: "&")
                    guard !link.hasPrefix("/vendor/"), !link.hasPrefix("/assets/"), !link.hasPrefix("/theme/"), seen.insert(link).inserted else { continue }
                    queue.append(link)
                }
            }
            XCTAssertGreaterThan(visited, 15, "the crawl reached the customer's pages")
            XCTAssertTrue(seen.contains("/invoices/\(invoiceID)"), "\(seen.sorted())")
            let invoice = try await browser.get("/invoices/\(invoiceID)").text
            XCTAssertTrue(invoice.contains(#"id="invoice-brand">Northwind Cloud<"#) && invoice.contains("Questions: support@northwind.test"), "the invoice as printed")

            // Signed out, and after the session is gone, the sign-in page keeps the brand.
            let signedOut = try await browser.post("/signout", [:])
            XCTAssertEqual(signedOut.status, .seeOther)
            for path in ["/signin", "/", "/dashboard"] {
                var page = try await browser.get(path)
                if page.status == .seeOther, let location = page.headers[.location] { page = try await browser.get(location) }
                XCTAssertEqual(Self.topBar(page.text), "Northwind Cloud", path)
                XCTAssertFalse(page.text.contains(providerName), path)
            }
        }
    }

    /// The staff's view of the same invoice: the brand its customer buys under.
    func testStaffReadTheInvoiceUnderItsCustomersBrand() async throws {
        try await withQuoteWorld { w, subscription in
            let set = try await w.api.call(.put, "/api/v1/accounts/\(w.fixture.r1.id)/branding", token: w.reseller, json: Self.northwind)
            XCTAssertEqual(set.status, .ok, set.text)
            let order = try await w.api.call(.post, "/api/v1/subscriptions/\(subscription)/orders", token: w.customer, json: ##"{"resources":[{"resource_code":"ram_gb","additional":4}]}"##)
            let invoiceID = try XCTUnwrap(order.json["invoice_id"] as? Int)
            let provider = Browser(w.api.client)
            _ = try await provider.signIn(w.fixture.users["p.admin"]!)
            let page = try await provider.get("/invoices/\(invoiceID)").text
            XCTAssertEqual(Self.topBar(page), "Provider", "the provider's own top bar")
            XCTAssertTrue(page.contains(#"id="invoice-brand">Northwind Cloud<"#), "the invoice wears the customer's brand")
        }
    }
}
