import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import Testing
import XCTest

/// The rule (DOMAIN.md 1, white label): a viewer sees the users of its own account and below by
/// email and address; anyone above as its seller's name, without address; the engine as `system`.
@Suite struct ShownActorRules {
    /// Customer One (/1/2/4/) buys from Reseller One (/1/2/), which buys from the provider (/1/).
    let customer = Viewpoint(accountPath: "/1/2/4/", sellerName: "Reseller One")

    @Test func aUserOfTheViewersOwnAccountShowsByEmailAndAddress() {
        #expect(ShownActor.of(email: "admin@c1.test", address: "192.0.2.1", accountPath: "/1/2/4/", seenFrom: customer)
            == ShownActor(name: "admin@c1.test", address: "192.0.2.1"))
    }

    @Test func theSellersStaffShowAsTheSellersNameWithoutAddress() {
        #expect(ShownActor.of(email: "admin@r1.test", address: "192.0.2.2", accountPath: "/1/2/", seenFrom: customer)
            == ShownActor(name: "Reseller One", address: ""))
    }

    @Test func theProvidersStaffShowAsTheSellerNeverAsTheProvider() {
        #expect(ShownActor.of(email: "admin@p.test", address: "192.0.2.3", accountPath: "/1/", seenFrom: customer)
            == ShownActor(name: "Reseller One", address: ""))
        let belowSubReseller = Viewpoint(accountPath: "/1/2/3/9/", sellerName: "Reseller One A")
        #expect(ShownActor.of(email: "admin@r1.test", address: "192.0.2.2", accountPath: "/1/2/", seenFrom: belowSubReseller).name == "Reseller One A")
    }

    @Test func staffSeeTheirSubtreesUsersAndTheirOwnSellerForAnyoneAbove() {
        let reseller = Viewpoint(accountPath: "/1/2/", sellerName: "Provider")
        #expect(ShownActor.of(email: "admin@c1.test", address: "192.0.2.1", accountPath: "/1/2/4/", seenFrom: reseller)
            == ShownActor(name: "admin@c1.test", address: "192.0.2.1"))
        #expect(ShownActor.of(email: "admin@p.test", address: "192.0.2.3", accountPath: "/1/", seenFrom: reseller)
            == ShownActor(name: "Provider", address: ""))
        let provider = Viewpoint(accountPath: "/1/", sellerName: nil)
        #expect(ShownActor.of(email: "admin@c1.test", address: "192.0.2.1", accountPath: "/1/2/4/", seenFrom: provider).address == "192.0.2.1")
    }

    @Test func aSiblingWhosePathSharesADigitPrefixIsNotInTheSubtree() {
        // "/1/23/" starts with "/1/2" but is not below "/1/2/".
        let reseller = Viewpoint(accountPath: "/1/2/", sellerName: "Provider")
        #expect(ShownActor.of(email: "admin@r23.test", address: "192.0.2.9", accountPath: "/1/23/", seenFrom: reseller)
            == ShownActor(name: "Provider", address: ""))
    }

    @Test func theEngineAndUnknownActorsShowAsSystem() {
        #expect(ShownActor.of(email: "system", address: "", accountPath: "/1/2/4/", seenFrom: customer) == .system)
        #expect(ShownActor.of(email: "system", address: "", accountPath: nil, seenFrom: customer) == .system)
        #expect(ShownActor.of(email: nil, address: "", accountPath: nil, seenFrom: customer) == .system)
    }
}

/// Every page and API answer a customer admin reads, after its reseller's and the provider's
/// staff acted on its account: no upstream email, name or address anywhere, and those actions
/// shown as the reseller's name.
final class WhiteLabelTests: XCTestCase {
    static let providerAddress = "198.51.100.23"
    static let resellerAddress = "198.51.100.24"
    /// Traces of the users above Customer One: emails, the provider admin's name, addresses, the provider's name.
    static let upstream = ["@p.test", "@r1.test", "P Admin", providerAddress, resellerAddress, ">Provider<"]

    /// The provider and the reseller act on Customer One, through the stores from known
    /// addresses (the test client has none) and through the API; the order engine too.
    private static func actFromAbove(_ w: QuoteWorld, subscription id: Int) async throws {
        // A pool of its own on the world's database (`TestDatabase.application()` would empty it).
        let pool = MariaDBConnectionPool(configuration: TestDatabase.configuration(database: TestDatabase.applicationDatabaseName), logger: TestDatabase.logger("white-label"))
        let users = UserStore(database: MariaDBDatabase(pool: pool, logger: TestDatabase.logger("white-label")))
        let providerActor = try await users.actor(userID: w.fixture.userIDs["p.admin"]!, address: Self.providerAddress)
        let provider = try XCTUnwrap(providerActor)
        let resellerActor = try await users.actor(userID: w.fixture.userIDs["r1.admin"]!, address: Self.resellerAddress)
        let reseller = try XCTUnwrap(resellerActor)
        let hash = try await TenancyFixture.passwords.hash("another-password-1")
        _ = try await users.create(UserDraft(email: "ops@c1.test", name: "C1 Ops", role: .operator, passwordHash: hash), accountID: w.fixture.c1.id, in: provider.scope)
        _ = try await users.create(UserDraft(email: "billing@c1.test", name: "C1 Billing", role: .viewer, passwordHash: hash), accountID: w.fixture.c1.id, in: reseller.scope)
        await pool.shutdown()
        // The provider sets usage; the customer downgrades (a refund to credit, by the engine); the
        // provider orders an upgrade for it and pays part with that credit; the reseller cancels the
        // rest (the part paid returns to credit).
        let usage = try await w.api.call(.put, "/api/v1/subscriptions/\(id)/usage", token: w.provider, json: #"{"ram_gb":0}"#)
        XCTAssertEqual(usage.status, .ok, usage.text)
        let down = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer, json: #"{"resources":[{"resource_code":"ram_gb","additional":1}]}"#)
        XCTAssertEqual(down.status, .created, down.text)
        try await BillingPagesTests.waitForSettled(w)
        let up = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.provider, json: #"{"resources":[{"resource_code":"ram_gb","additional":3}]}"#)
        XCTAssertEqual(up.status, .created, up.text)
        let invoiceID = try XCTUnwrap(up.json["invoice_id"] as? Int)
        let paid = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.provider, json: #"{"method":"credit"}"#)
        XCTAssertEqual(paid.status, .created, paid.text)
        let cancelled = try await w.api.call(.post, "/api/v1/orders/\(try XCTUnwrap(up.json["id"] as? Int))/cancel", token: w.reseller)
        XCTAssertEqual(cancelled.status, .ok, cancelled.text)
    }

    private static func assertNothingUpstream(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for trace in Self.upstream where text.contains(trace) {
            XCTFail("\(what) shows \(trace)", file: file, line: line)
        }
    }

    func testACustomerAdminSeesActionsFromAboveAsItsResellerOnEveryPage() async throws {
        try await withQuoteWorld { w, id in
            try await Self.actFromAbove(w, subscription: id)
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c1.admin"]!)
            let pages = ["/dashboard", "/audit", "/audit?object_type=user", "/subscriptions/\(id)", "/accounts/\(w.fixture.c1.id)/credit",
                         "/accounts/\(w.fixture.c1.id)", "/orders", "/invoices", "/payments"]
            for path in pages {
                let page = try await browser.get(path)
                XCTAssertEqual(page.status, .ok, path)
                Self.assertNothingUpstream(page.text, path)
            }
            // The actions are there, shown as the reseller, without the address they came from.
            let audit = try await browser.get("/audit").text
            let actors = audit.matches(of: /<tr id="audit-\d+">\s*<td[^>]*>[^<]*<\/td>\s*<td>([^<]*)<\/td>/).map { String($0.1) }
            XCTAssertTrue(actors.contains("Reseller One"), "\(actors)")
            XCTAssertTrue(actors.allSatisfy { ["Reseller One", "admin@c1.test", "system"].contains($0) || $0.hasSuffix("@c1.test") }, "\(actors)")
            let history = try await browser.get("/subscriptions/\(id)").text
            XCTAssertTrue(history.contains("<td>Reseller One</td>"), "the provider's usage change, as the reseller")
            XCTAssertTrue(history.contains("ram_gb usage 3 → 0 u on <a href=\"/subscriptions/\(id)\">subscription #\(id)</a>, by Reseller One"), "told as a sentence")
            let credit = try await browser.get("/accounts/\(w.fixture.c1.id)/credit").text
            XCTAssertTrue(credit.contains("<td>Reseller One</td>"), "the credit spent by the provider and returned by the reseller")
            XCTAssertTrue(credit.contains("<td>system</td>"), "the refund by the engine")
        }
    }

    func testTheCreditLogOrdersAndPaymentsOfTheAPINameNoUpstreamUser() async throws {
        try await withQuoteWorld { w, id in
            try await Self.actFromAbove(w, subscription: id)
            let credit = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.c1.id)/credit", token: w.customer)
            XCTAssertEqual(credit.status, .ok)
            let actors = (credit.json["entries"] as? [[String: Any]])?.compactMap { $0["actor"] as? String }
            XCTAssertEqual(actors.map(Set.init), ["Reseller One", "system"])
            for path in ["/api/v1/accounts/\(w.fixture.c1.id)/credit", "/api/v1/orders", "/api/v1/invoices", "/api/v1/payments", "/api/v1/subscriptions/\(id)",
                         "/api/v1/accounts/\(w.fixture.c1.id)/users", "/api/v1/accounts/\(w.fixture.c1.id)"] {
                let answer = try await w.api.call(.get, path, token: w.customer)
                XCTAssertEqual(answer.status, .ok, path)
                Self.assertNothingUpstream(answer.text, path)
            }
            // The reseller sees its own staff by email, and the provider's as the provider.
            let staff = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.c1.id)/credit", token: w.reseller)
            let seen = (staff.json["entries"] as? [[String: Any]])?.compactMap { $0["actor"] as? String }
            XCTAssertEqual(seen.map(Set.init), ["admin@r1.test", "Provider", "system"])
        }
    }

    func testStaffStillSeeTheirOwnSubtreesUsersAndAddresses() async throws {
        try await withQuoteWorld { w, id in
            try await Self.actFromAbove(w, subscription: id)
            let reseller = Browser(w.api.client)
            _ = try await reseller.signIn(w.fixture.users["r1.admin"]!)
            let seenByReseller = try await reseller.get("/audit?account_id=\(w.fixture.c1.id)").text
            XCTAssertTrue(seenByReseller.contains(Self.resellerAddress), "its own staff's address")
            XCTAssertTrue(seenByReseller.contains("<td>admin@r1.test</td>"))
            XCTAssertFalse(seenByReseller.contains("@p.test") || seenByReseller.contains(Self.providerAddress), "the provider stays above it")
            XCTAssertTrue(seenByReseller.contains("<td>Provider</td>"))
            let provider = Browser(w.api.client)
            _ = try await provider.signIn(w.fixture.users["p.admin"]!)
            let seenByProvider = try await provider.get("/audit?account_id=\(w.fixture.c1.id)").text
            XCTAssertTrue(seenByProvider.contains(Self.providerAddress) && seenByProvider.contains(Self.resellerAddress))
            XCTAssertTrue(seenByProvider.contains("<td>admin@p.test</td>") && seenByProvider.contains("<td>admin@r1.test</td>"))
        }
    }

    /// A customer of a sub-reseller: the provider's and the top reseller's actions show as its
    /// own seller, the sub-reseller, never as the provider or the reseller above.
    func testACustomerOfASubResellerSeesOnlyItsOwnSellersName() async throws {
        try await withConsole { client, fixture, database in
            let users = UserStore(database: database)
            let providerActor = try await users.actor(userID: fixture.userIDs["p.admin"]!, address: Self.providerAddress)
            let provider = try XCTUnwrap(providerActor)
            let resellerActor = try await users.actor(userID: fixture.userIDs["r1.admin"]!, address: Self.resellerAddress)
            let reseller = try XCTUnwrap(resellerActor)
            let edge = try await AccountStore(database: database).create(
                AccountDraft(kind: .customer, parentID: fixture.r1a.id, name: "Edge Customer", currency: "USD", taxRate: "0.20"), in: provider.scope)
            let hash = try await TenancyFixture.passwords.hash(TenancyFixture.password)
            _ = try await users.create(UserDraft(email: "admin@edge-customer.test", name: "Edge Admin", role: .admin, passwordHash: hash), accountID: edge.id, in: provider.scope)
            _ = try await users.create(UserDraft(email: "ops@edge-customer.test", name: "Edge Ops", role: .operator, passwordHash: hash), accountID: edge.id, in: reseller.scope)
            let browser = Browser(client)
            _ = try await browser.signIn("admin@edge-customer.test")
            for path in ["/dashboard", "/audit"] {
                let page = try await browser.get(path).text
                Self.assertNothingUpstream(page, path)
                XCTAssertFalse(page.contains("<td>Provider</td>") || page.contains("<td>Reseller One</td>"), path)
                XCTAssertTrue(page.contains("<td>Reseller One A</td>"), path)
            }
        }
    }
}
