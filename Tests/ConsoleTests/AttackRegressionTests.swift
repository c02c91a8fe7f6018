import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// What an attack on a running console found (coord/attack-findings.md), each pinned by the rule it
/// broke. White label (DOMAIN.md 1 and 8): a restriction's reason is shown to staff of the
/// restricted account and above; below it, and to customers, only that the seller restricts
/// changes, and whoever imposed it from above shows as the viewer's own seller.
final class AttackRegressionTests: XCTestCase {
    private static let providerReason = "Overdue net costs, case 7731"

    /// The provider's admin restricts an account with `providerReason`; the restriction's id.
    private static func restrict(_ accountID: Int64, by token: String, _ api: APIClient) async throws -> Int {
        let made = try await api.call(.post, "/api/v1/restrictions", token: token, json: #"{"account_id":\#(accountID),"reason":"\#(providerReason)"}"#)
        XCTAssertEqual(made.status, .created, made.text)
        return try XCTUnwrap(made.json["id"] as? Int)
    }

    /// Provider restricts Reseller One; Customer One (its customer) and the staff of Reseller One A
    /// (its sub-reseller) open the account pages: the badge is there, the provider's reason is not.
    func testAnUpstreamRestrictionsReasonIsNotOnTheAccountPagesBelowIt() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            _ = try await Self.restrict(fixture.r1.id, by: provider, api)
            let subReseller = try await api.call(.post, "/api/v1/accounts/\(fixture.r1a.id)/users", token: provider,
                                                 json: #"{"email":"admin@r1a.test","password":"\#(TenancyFixture.password)","role":"admin"}"#)
            XCTAssertEqual(subReseller.status, .created, subReseller.text)

            let customer = Browser(client)
            _ = try await customer.signIn(fixture.users["c1.admin"]!)
            let own = try await customer.get("/accounts/\(fixture.c1.id)")
            XCTAssertEqual(own.status, .ok)
            XCTAssertTrue(own.text.contains(#"id="account-restricted""#), "the customer still sees that it is restricted")
            XCTAssertFalse(own.text.contains(Self.providerReason), "the provider's reason, on the customer's own account page")
            XCTAssertFalse(own.text.contains("Overdue"))

            let edge = Browser(client)
            _ = try await edge.signIn("admin@r1a.test")
            for path in ["/accounts/\(fixture.r1a.id)", "/accounts?kind=reseller", "/accounts"] {
                let page = try await edge.get(path)
                XCTAssertEqual(page.status, .ok, path)
                XCTAssertFalse(page.text.contains(Self.providerReason), "\(path): a sub-reseller is below the restricted reseller")
            }

            // The restricted reseller's staff and the provider do see it (DOMAIN.md 8).
            let reseller = Browser(client)
            _ = try await reseller.signIn(fixture.users["r1.admin"]!)
            let seenByReseller = try await reseller.get("/accounts/\(fixture.c1.id)")
            XCTAssertTrue(seenByReseller.text.contains(Self.providerReason), "staff of the restricted account read the reason")
            let list = try await reseller.get("/accounts?kind=customer")
            XCTAssertTrue(list.text.contains(#"title="\#(Self.providerReason)">restricted"#), list.text)
        }
    }

    /// Provider restricts Customer One directly: through the API the customer reads that it is
    /// restricted, by its seller (Reseller One), without the reason; Reseller One's staff read
    /// the reason and the provider's name, and the provider its own admin's email.
    func testARestrictedCustomerReadsItsRestrictionWithoutTheReasonAndAsItsSellers() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            let id = try await Self.restrict(fixture.c1.id, by: provider, api)

            let customer = try await api.token(fixture.users["c1.admin"]!)
            for path in ["/api/v1/restrictions", "/api/v1/restrictions/\(id)"] {
                let answer = try await api.call(.get, path, token: customer)
                XCTAssertEqual(answer.status, .ok, path)
                XCTAssertFalse(answer.text.contains(Self.providerReason), "\(path): \(answer.text)")
                XCTAssertFalse(answer.text.contains("\"Provider\"") || answer.text.contains("@p.test"), "\(path): \(answer.text)")
            }
            let shown = try await api.call(.get, "/api/v1/restrictions/\(id)", token: customer)
            XCTAssertEqual(shown.json["restricted_by"] as? String, "Reseller One")
            XCTAssertEqual(shown.json["created_by"] as? String, "Reseller One")
            XCTAssertEqual(shown.json["restricted_by_account_id"] as? Int, Int(fixture.r1.id))
            XCTAssertEqual(shown.json["active"] as? Bool, true)

            let reseller = try await api.call(.get, "/api/v1/restrictions/\(id)", token: try await api.token(fixture.users["r1.admin"]!))
            XCTAssertEqual(reseller.json["reason"] as? String, Self.providerReason)
            XCTAssertEqual(reseller.json["restricted_by"] as? String, "Provider")
            let own = try await api.call(.get, "/api/v1/restrictions/\(id)", token: provider)
            XCTAssertEqual(own.json["created_by"] as? String, fixture.users["p.admin"])
        }
    }

    /// Business time (DOMAIN.md 2): a rate recorded without a moment takes effect at the console
    /// clock, which orders are priced by, not at the machine's time. Clock set to 2026-04-26: the
    /// rate is effective from then, and a quote of that day can use it (API and page alike).
    func testARateRecordedWithoutAMomentTakesEffectAtTheBusinessClock() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            let clock = try await api.call(.put, "/api/v1/clock", token: provider, json: #"{"now":"2026-04-26T00:00:00Z"}"#)
            XCTAssertEqual(clock.status, .ok, clock.text)
            let rate = try await api.call(.post, "/api/v1/currency-rates", token: provider, json: #"{"from":"USD","to":"EUR","rate":"0.5"}"#)
            XCTAssertEqual(rate.status, .created, rate.text)
            XCTAssertEqual(rate.json["effective_from"] as? String, "2026-04-26T00:00:00Z")
            let inEffect = try await api.call(.get, "/api/v1/currency-rates?from=USD&to=EUR&at=2026-04-26T00:00:00Z", token: provider)
            XCTAssertEqual(inEffect.json["rate"] as? String, "0.500000", inEffect.text)

            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["p.admin"]!)
            let typed = try await browser.post("/catalog/currency-rates", ["from": "EUR", "to": "USD", "rate": "2", "effective_from": ""])
            XCTAssertEqual(typed.status, .seeOther, typed.text)
            let reverse = try await api.call(.get, "/api/v1/currency-rates?from=EUR&to=USD&at=2026-04-26T00:00:00Z", token: provider)
            XCTAssertEqual(reverse.json["rate"] as? String, "2.000000", reverse.text)
            XCTAssertEqual(reverse.json["effective_from"] as? String, "2026-04-26T00:00:00Z")
        }
    }

    /// Bounded input (issue 12): a timestamp names a moment that exists. Foundation's parser rolls
    /// 2026-02-30 into March 2 and 25:00 into the next day; the API and the currencies page refuse
    /// them with 422 naming the field, and the page also keeps rates within 2000–2199 as the API does.
    func testImpossibleTimestampsAreRefusedNotRolledOver() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            for moment in ["2026-02-30T00:00:00Z", "2026-12-01T25:00:00Z", "2026-12-01T23:61:00Z", "2026-12-01T23:00:60Z", "2026-04-31T00:00:00+14:00"] {
                let rate = try await api.call(.post, "/api/v1/currency-rates", token: provider,
                                              json: #"{"from":"USD","to":"EUR","rate":"0.9","effective_from":"\#(moment)"}"#)
                XCTAssertEqual(rate.status, .unprocessableContent, "\(moment): \(rate.text)")
                XCTAssertEqual((rate.json["error"] as? [String: Any])?["code"] as? String, "effective_from", moment)
                let clock = try await api.call(.put, "/api/v1/clock", token: provider, json: #"{"now":"\#(moment)"}"#)
                XCTAssertEqual(clock.status, .unprocessableContent, "clock \(moment): \(clock.text)")
            }
            let offset = try await api.call(.post, "/api/v1/currency-rates", token: provider,
                                            json: #"{"from":"USD","to":"EUR","rate":"0.9","effective_from":"2026-04-30T10:00:00.5+02:00"}"#)
            XCTAssertEqual(offset.status, .created, offset.text)
            XCTAssertEqual(offset.json["effective_from"] as? String, "2026-04-30T08:00:00Z")

            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["p.admin"]!)
            for typed in ["2026-02-30T00:00", "0001-01-01T00:00", "9999-12-31T23:59"] {
                let page = try await browser.post("/catalog/currency-rates", ["from": "EUR", "to": "USD", "rate": "1.1", "effective_from": typed])
                XCTAssertEqual(page.status, .unprocessableContent, typed)
                XCTAssertTrue(page.text.contains(#"value="\#(typed)""#), "\(typed) is kept")
            }
            let rates = try await api.call(.get, "/api/v1/currency-rates", token: provider).json["items"] as? [[String: Any]]
            XCTAssertEqual(rates?.filter { $0["from"] as? String == "EUR" }.count, 0, "nothing recorded from the page")
        }
    }

    /// The throttle (README, sign-in) slows and refuses repeated *failures*. Twelve people behind
    /// one address (an office, the TLS proxy) signing in at once, each twice, with the right
    /// password: every one gets a token. Passwords hashed at cost 10, so the checks overlap; before,
    /// each attempt still being checked counted as a failure of the address, and from the tenth on
    /// the right passwords were refused (429) for 15 minutes.
    func testConcurrentRightPasswordsFromOneAddressAreNotCountedAsFailures() async throws {
        try await withConsole { client, fixture, database in
            let hash = try await Passwords(cost: 10).hash("one-address-password-1")
            var emails: [String] = []
            for index in 0..<12 {
                let email = "office\(index)@c1.test"
                _ = try await Bootstrap.user(on: database, account: fixture.c1, email: email, name: "", role: .operator, passwordHash: hash)
                emails.append(email)
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for email in emails + emails {
                    group.addTask {
                        try await APIClient(client: client).call(.post, "/api/v1/tokens", json: #"{"email":"\#(email)","password":"one-address-password-1"}"#).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            XCTAssertEqual(statuses.filter { $0 == .created }.count, 24, "\(statuses)")
            let left = try await database.rows("SELECT COUNT(*) AS n FROM signin_failures").first?.decode(column: "n", as: Int.self)
            XCTAssertEqual(left, 0, "right passwords leave no failures behind")
            // Wrong passwords still count against the address once checked: ten, for ten unknown
            // emails, and the next attempt from there is refused, right password or not.
            for index in 0..<10 {
                let wrong = try await APIClient(client: client).call(.post, "/api/v1/tokens", json: #"{"email":"nobody\#(index)@x.test","password":"guess-\#(index)"}"#)
                XCTAssertEqual(wrong.status, .unauthorized)
            }
            let refused = try await APIClient(client: client).call(.post, "/api/v1/tokens", json: #"{"email":"\#(emails[0])","password":"one-address-password-1"}"#)
            XCTAssertEqual(refused.status, .tooManyRequests)
        }
    }
}
