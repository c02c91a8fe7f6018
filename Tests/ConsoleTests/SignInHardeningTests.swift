import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import NIOCore
import Storage
import TestSupport
import Testing
import XCTest

/// Sign-in as an attacker tries it (issue 12, part 5): where `next` may lead, a throttle that
/// holds under concurrency, the headers every answer carries, and a Secure cookie by default.
final class SignInHardeningTests: XCTestCase {
    // MARK: next

    func testNextLeadsOnlyToAPathOfThisConsoleEvenAfterPercentDecoding() async throws {
        try await withConsole { client, fixture, _ in
            // Each of these would, in some browser, leave the console: a tab or newline is dropped
            // by the URL parser ("/\t/evil" becomes "//evil"), a backslash reads as a slash.
            let offsite = ["/\t/evil.example/", "/%09/evil.example/", "/%0a/evil.example/", "/\r\n/evil.example/", "/%2F/evil.example/",
                           "/%2f%2fevil.example/", "/\\evil.example/", "/%5Cevil.example/", "/%5c%5cevil.example/", "//evil.example/",
                           "https://evil.example/", "javascript:alert(1)", " /\t/evil.example", "/\u{0000}/evil.example/", "/%00/evil.example/",
                           "/%/evil", "/\u{7F}/evil.example/", "/\u{85}/evil.example/", "evil.example"]
            for next in offsite {
                let browser = Browser(client)
                _ = try await browser.get("/signin")
                let response = try await browser.post("/signin", ["email": fixture.users["c1.admin"]!, "password": TenancyFixture.password, "next": next])
                XCTAssertEqual(response.status, .seeOther)
                XCTAssertEqual(response.headers[.location], "/dashboard", "next \(next.debugDescription) must not be followed")
            }
            // Paths of the console are followed as given, query and all.
            for next in ["/accounts?kind=customer&q=a%20b", "/subscriptions/1/change?ram_gb=2", "/audit"] {
                let browser = Browser(client)
                _ = try await browser.get("/signin")
                let response = try await browser.post("/signin", ["email": fixture.users["c1.admin"]!, "password": TenancyFixture.password, "next": next])
                XCTAssertEqual(response.headers[.location], next)
            }
        }
    }

    func testTheSignInFormDoesNotCarryAnOffsiteNextIntoItsHiddenField() async throws {
        try await withConsole { client, _, _ in
            let page = try await Browser(client).get("/signin?next=%2F%09%2Fevil.example%2F")
            XCTAssertEqual(page.status, .ok)
            XCTAssertFalse(page.text.contains("evil.example"), "the form keeps no off-site next")
        }
    }

    // MARK: The throttle under concurrency

    /// 40 wrong passwords for one email at once, half through the page, half through the API.
    /// The throttle refuses from its 10th recorded failure on, so exactly 10 attempts are checked
    /// (and answer 401) and 30 are refused (429); without an atomic check-and-record all 40 read
    /// "no failures yet" and answer 401.
    func testFortyConcurrentWrongPasswordsAreCountedOneAfterAnother() async throws {
        try await withConsole { client, fixture, database in
            let email = fixture.users["r1.operator"]!
            let browser = Browser(client)
            _ = try await browser.get("/signin")
            let csrf = try await browser.csrfToken()
            let cookie = "console_session=\(try XCTUnwrap(browser.sessionID))"
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for attempt in 0..<40 {
                    group.addTask {
                        if attempt.isMultiple(of: 2) {
                            let form = "_csrf=\(csrf)&email=\(email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=wrong-password-\(attempt)&next="
                            return try await client.execute(uri: "/signin", method: .post,
                                                            headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                                            body: ByteBuffer(string: form)).status
                        }
                        return try await APIClient(client: client).call(.post, "/api/v1/tokens", json: #"{"email":"\#(email)","password":"wrong-password-\#(attempt)"}"#).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            XCTAssertEqual(statuses.filter { $0 == .unauthorized }.count, 10, "only attempts below the refusal threshold are checked")
            XCTAssertEqual(statuses.filter { $0 == .tooManyRequests }.count, 30, "from the 10th failure on, refused")
            let failures = try await database.rows("SELECT COUNT(*) AS n FROM signin_failures WHERE email = ?", [.string(email)])[0].decode(column: "n", as: Int.self)
            XCTAssertEqual(failures, 10)
            // The right password is refused too until the window passes.
            let late = try await Browser(client).signIn(email)
            XCTAssertEqual(late.status, .tooManyRequests)
        }
    }

    func testASuccessStillClearsTheEmailsFailures() async throws {
        try await withConsole { client, fixture, database in
            let email = fixture.users["c1.operator"]!
            let browser = Browser(client)
            for _ in 0..<3 { _ = try await browser.signIn(email, "wrong-password-x") }
            let signedIn = try await browser.signIn(email)
            XCTAssertEqual(signedIn.status, .seeOther)
            let failures = try await database.rows("SELECT COUNT(*) AS n FROM signin_failures WHERE email = ?", [.string(email)])[0].decode(column: "n", as: Int.self)
            XCTAssertEqual(failures, 0)
        }
    }

    // MARK: Security headers

    func testEveryAnswerCarriesTheSecurityHeaders() async throws {
        try await withConsole { client, fixture, _ in
            let browser = Browser(client)
            var answers: [(String, TestResponse)] = []
            answers.append(("sign-in page", try await browser.get("/signin")))
            answers.append(("wrong password", try await browser.signIn(fixture.users["c1.admin"]!, "wrong-password-x")))
            answers.append(("redirect", try await browser.signIn(fixture.users["c1.admin"]!)))
            answers.append(("dashboard", try await browser.get("/dashboard")))
            answers.append(("404 page", try await browser.get("/no/such/page")))
            answers.append(("foreign account", try await browser.get("/accounts/\(fixture.c2.id)")))
            answers.append(("forged form", try await browser.post("/accounts", ["name": "x"], csrf: false)))
            answers.append(("script", try await browser.get("/assets/console.js")))
            answers.append(("stylesheet", try await browser.get("/assets/console.css")))
            answers.append(("health", try await browser.get("/healthz")))
            let api = APIClient(client: client)
            answers.append(("API 401", try await api.call(.get, "/api/v1/me")))
            answers.append(("API me", try await api.call(.get, "/api/v1/me", token: try await api.token(fixture.users["c1.admin"]!))))
            answers.append(("API 404", try await api.call(.get, "/api/v1/nothing-here")))
            for (what, response) in answers {
                let csp = response.headers[.contentSecurityPolicy] ?? ""
                XCTAssertTrue(csp.contains("default-src 'self'"), "\(what): \(csp)")
                XCTAssertTrue(csp.contains("script-src 'self'"), "\(what): \(csp)")
                XCTAssertTrue(csp.contains("style-src 'self'"), "\(what): \(csp)")
                XCTAssertTrue(csp.contains("frame-ancestors 'none'"), "\(what): \(csp)")
                XCTAssertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), "\(what): \(csp)")
                XCTAssertEqual(response.headers[HTTPField.Name("X-Frame-Options")!], "DENY", what)
                XCTAssertEqual(response.headers[.xContentTypeOptions], "nosniff", what)
                XCTAssertEqual(response.headers[HTTPField.Name("Referrer-Policy")!], "same-origin", what)
            }
        }
    }

    /// Under that policy an inline script, an inline style or an event-handler attribute would
    /// silently not run: the templates carry none (styles and scripts live in Assets/).
    func testTemplatesCarryNoInlineScriptsOrStyles() throws {
        let views = TestDatabase.repositoryRoot.appendingPathComponent("Views")
        let inline = try NSRegularExpression(pattern: #"<script(?![^>]*\bsrc=)|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:"#, options: [.caseInsensitive])
        for name in try FileManager.default.contentsOfDirectory(atPath: views.path) where name.hasSuffix(".mustache") {
            let text = try String(contentsOf: views.appendingPathComponent(name), encoding: .utf8)
            let found = inline.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
            XCTAssertEqual(found, [], "\(name) carries inline script or style")
        }
    }

    // MARK: The session cookie

    func testTheSessionCookieIsSecureByDefaultWhenNotServingOnLoopback() throws {
        let base = ["DATABASE_USER": "console", "DATABASE_NAME": "console"]
        func secure(_ extra: [String: String]) throws -> Bool {
            try ConsoleConfiguration.fromEnvironment(base.merging(extra) { $1 }).secureCookies
        }
        XCTAssertFalse(try secure([:]), "the default HOST is 127.0.0.1")
        for loopback in ["127.0.0.1", "127.0.0.53", "localhost", "::1", "[::1]"] {
            XCTAssertFalse(try secure(["HOST": loopback]), loopback)
        }
        for exposed in ["0.0.0.0", "::", "10.0.0.5", "console.example.com"] {
            XCTAssertTrue(try secure(["HOST": exposed]), exposed)
        }
        XCTAssertFalse(try secure(["HOST": "0.0.0.0", "SESSION_COOKIE_SECURE": "0"]), "still overridable, e.g. for plain http on a private network")
        XCTAssertTrue(try secure(["HOST": "127.0.0.1", "SESSION_COOKIE_SECURE": "1"]), "behind a TLS proxy on the same machine")
    }
}

/// An unknown email is checked against a decoy hash at the configured bcrypt cost, so it takes as
/// long as a wrong password (found by the fuzz suite: the decoy was fixed at cost 12).
@Suite struct DecoyHashRules {
    @Test(arguments: [UInt8(4), 10, 12, 15])
    func theDecoyHasTheConfiguredCost(cost: UInt8) {
        let decoy = Passwords(cost: cost).decoyHash
        #expect(decoy.hasPrefix(cost < 10 ? "$2b$0\(cost)$" : "$2b$\(cost)$"))
        #expect(decoy.count == 60, "a well-formed bcrypt hash")
    }
}
