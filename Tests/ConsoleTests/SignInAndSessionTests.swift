import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import NIOCore
import Storage
import TestSupport
import XCTest

/// Sign-in, sessions and CSRF: the doors of the console.
final class SignInAndSessionTests: XCTestCase {
    func testSignInRotatesTheSessionIDAndThePlantedIDIsUseless() async throws {
        try await withConsole { client, fixture, _ in
            let browser = Browser(client)
            _ = try await browser.get("/signin")
            let before = try XCTUnwrap(browser.sessionID, "a visitor gets a session for the form's CSRF token")
            let response = try await browser.post("/signin", ["email": fixture.users["r1.admin"]!, "password": TenancyFixture.password])
            XCTAssertEqual(response.status, .seeOther)
            XCTAssertEqual(response.headers[.location], "/dashboard")
            let after = try XCTUnwrap(browser.sessionID)
            XCTAssertNotEqual(before, after, "the session id changes at sign-in")
            let cookie = try XCTUnwrap(response.headers[values: .setCookie].first { $0.hasPrefix("console_session=") })
            XCTAssertTrue(cookie.contains("HttpOnly"))
            XCTAssertTrue(cookie.contains("SameSite=Lax"))
            XCTAssertFalse(cookie.contains("Secure"), "plain http in tests: Secure is for https deployments")

            // An attacker holding the pre-sign-in id gets nothing.
            let attacker = Browser(client)
            attacker.cookies["console_session"] = before
            let stolen = try await attacker.get("/dashboard")
            XCTAssertEqual(stolen.status, .seeOther)
            XCTAssertTrue(stolen.headers[.location]?.hasPrefix("/signin") ?? false)
            let observed1 = try await browser.get("/dashboard").status
            XCTAssertEqual(observed1, .ok)
        }
    }

    func testSignOutEndsTheSessionOnTheServer() async throws {
        try await withConsole { client, fixture, _ in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["c1.admin"]!)
            let id = try XCTUnwrap(browser.sessionID)
            let out = try await browser.post("/signout", [:])
            XCTAssertEqual(out.status, .seeOther)
            let replay = Browser(client)
            replay.cookies["console_session"] = id
            let observed2 = try await replay.get("/dashboard").status
            XCTAssertEqual(observed2, .seeOther, "the old id no longer signs anyone in")
        }
    }

    func testWrongPasswordIsRefusedWithAMessageAndKeepsTheEmail() async throws {
        try await withConsole { client, fixture, _ in
            let browser = Browser(client)
            let response = try await browser.signIn(fixture.users["r1.admin"]!, "not-the-password")
            XCTAssertEqual(response.status, .unauthorized)
            XCTAssertTrue(response.text.contains("The email or the password is wrong."))
            XCTAssertTrue(response.text.contains(#"value="admin@r1.test""#))
        }
    }

    func testRepeatedFailuresAreSlowedThenRefusedEvenWithTheRightPassword() async throws {
        try await withConsole { client, fixture, database in
            let browser = Browser(client)
            let email = fixture.users["r1.operator"]!
            for _ in 0..<5 { _ = try await browser.signIn(email, "wrong-password-x") }
            // From the 5th failure on, each attempt waits before it is checked.
            let started = ContinuousClock.now
            _ = try await browser.signIn(email, "wrong-password-x")
            XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(450))
            for _ in 0..<4 { _ = try await browser.signIn(email, "wrong-password-x") }
            let refused = try await browser.signIn(email, TenancyFixture.password)
            XCTAssertEqual(refused.status, .tooManyRequests)
            XCTAssertTrue(refused.text.contains("Too many failed sign-ins"))
            let failures = try await database.rows("SELECT COUNT(*) AS n FROM signin_failures WHERE email = ?", [.string(email)])[0].decode(column: "n", as: Int.self)
            XCTAssertEqual(failures, 10, "the refused attempt was not even checked")
            // The API shares the same throttle.
            let api = try await APIClient(client: client).call(.post, "/api/v1/tokens", json: #"{"email":"\#(email)","password":"\#(TenancyFixture.password)"}"#)
            XCTAssertEqual(api.status, .tooManyRequests)
            XCTAssertEqual(api.errorCode, "throttled")
        }
    }

    func testAPostWithoutTheCSRFTokenIsRefusedAndChangesNothing() async throws {
        try await withConsole { client, fixture, database in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["p.admin"]!)
            let before = try await snapshot(database)
            let form = ["kind": "customer", "parent_id": String(fixture.r1.id), "name": "Sneaky", "currency": "USD", "tax_rate": "0.10"]
            let missing = try await browser.post("/accounts", form, csrf: false)
            XCTAssertEqual(missing.status, .forbidden)
            var wrong = form
            wrong["_csrf"] = String(repeating: "0", count: 64)
            let forged = try await browser.post("/accounts", wrong)
            XCTAssertEqual(forged.status, .forbidden)
            XCTAssertTrue(forged.text.contains("did not come from this console"))
            let after = try await snapshot(database)
            XCTAssertEqual(before, after)
            // The same form with the token goes through.
            let observed3 = try await browser.post("/accounts", form).status
            XCTAssertEqual(observed3, .seeOther)
        }
    }

    func testPagesNeedASignInAndComeBackAfterIt() async throws {
        try await withConsole { client, fixture, _ in
            let browser = Browser(client)
            let response = try await browser.get("/accounts?kind=customer")
            XCTAssertEqual(response.status, .seeOther)
            XCTAssertEqual(response.headers[.location], "/signin?next=%2Faccounts%3Fkind%3Dcustomer")
            _ = try await browser.get("/signin")
            let signedIn = try await browser.post("/signin", ["email": fixture.users["r1.admin"]!, "password": TenancyFixture.password, "next": "/accounts?kind=customer"])
            XCTAssertEqual(signedIn.headers[.location], "/accounts?kind=customer")
            let offsite = Browser(client)
            _ = try await offsite.get("/signin")
            let evil = try await offsite.post("/signin", ["email": fixture.users["r1.admin"]!, "password": TenancyFixture.password, "next": "//evil.example/"])
            XCTAssertEqual(evil.headers[.location], "/dashboard", "never a redirect off the console")
        }
    }
}


/// A session unused for the idle time is gone; a used one slides forward.
final class SessionIdleTests: XCTestCase {
    /// Ending a user's sessions (disabling it, a password change or reset) deletes their rows; a
    /// request of that user already in flight saves its session when it finishes (a sliding expiry,
    /// a changed CSRF token). That save must not bring the ended session back.
    func testASessionEndedWhileARequestIsInFlightIsNotWrittenBackByIt() async throws {
        let database = try await TestDatabase.application()
        let sessions = MariaDBPersistDriver(database: database)
        try await sessions.create(key: "session-a", value: ["user": 7], expires: .seconds(600))
        try await sessions.update(key: "session-a", value: ["user": 7, "csrf": 1], expires: .seconds(600))
        let updated = try await sessions.get(key: "session-a", as: [String: Int].self)
        XCTAssertEqual(updated, ["user": 7, "csrf": 1], "a live session is updated")

        try await sessions.remove(key: "session-a")   // the user's sessions are ended
        try await sessions.update(key: "session-a", value: ["user": 7, "csrf": 2], expires: .seconds(600))   // the request in flight finishes
        let after = try await sessions.get(key: "session-a", as: [String: Int].self)
        XCTAssertNil(after, "the ended session stays ended")
    }

    func testAnIdleSessionExpires() async throws {
        let database = try await TestDatabase.application()
        let fixture = try await TenancyFixture.make(database)
        var configuration = TestConsole.configuration()
        configuration.bcryptCost = 4
        configuration.sessionIdleTimeout = .seconds(2)
        let app = try await buildApplication(configuration: configuration, database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["c1.admin"]!)
            let observed1 = try await browser.get("/dashboard").status
            XCTAssertEqual(observed1, .ok)
            try await Task.sleep(for: .milliseconds(2500))
            let expired = try await browser.get("/dashboard")
            XCTAssertEqual(expired.status, .seeOther, "idle past the limit: signed out")
        }
    }

    func testUnknownAddressesGetA404Page() async throws {
        let database = try await TestDatabase.application()
        let app = try await buildApplication(configuration: TestConsole.configuration(), database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/no/such/page", method: .get)
            XCTAssertEqual(response.status, .notFound)
            XCTAssertTrue(String(buffer: response.body).contains(#"id="error-page""#))
        }
    }
}
