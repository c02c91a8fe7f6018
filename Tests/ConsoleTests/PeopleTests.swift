import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import NIOCore
import Storage
import TestSupport
import XCTest

/// People over their lifetime (issue 15, item 2): admins edit, disable and re-enable users; each
/// user keeps their own name, language and password; a forgotten password is reset by a link.
final class PeopleTests: XCTestCase {
    // MARK: Disable and re-enable

    func testADisabledUsersLiveSessionAndTokenStopOnTheNextRequestAndReEnablingLetsThemSignInAgain() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let operatorID = fixture.userIDs["c1.operator"]!
            let op = try await signIn(client, fixture.users["c1.operator"]!)
            let observedPage = try await op.browser.get("/dashboard").status
            XCTAssertEqual(observedPage, .ok)
            let observedAPI = try await api.call(.get, "/api/v1/me", token: op.token).status
            XCTAssertEqual(observedAPI, .ok)
            let admin = try await api.token(fixture.users["c1.admin"]!)

            let disabled = try await patchUser(api, operatorID, as: admin, #"{"status":"disabled"}"#)

            XCTAssertEqual(disabled.status, .ok, disabled.text)
            XCTAssertEqual(disabled.json["status"] as? String, "disabled")
            let page = try await op.browser.get("/dashboard")
            XCTAssertEqual(page.status, .seeOther, "the session cookie no longer signs anyone in")
            XCTAssertTrue(page.headers[.location]?.hasPrefix("/signin") ?? false)
            let observedToken = try await api.call(.get, "/api/v1/me", token: op.token).status
            XCTAssertEqual(observedToken, .unauthorized, "the bearer token no longer works")
            // Ended, not merely refused: the sessions and tokens are gone, in the same transaction.
            let sessionsLeft = try await count(database, "SELECT COUNT(*) FROM persist_entries WHERE user_id = ?", [.int(operatorID)])
            let tokensLeft = try await count(database, "SELECT COUNT(*) FROM api_tokens WHERE user_id = ?", [.int(operatorID)])
            XCTAssertEqual(sessionsLeft, 0)
            XCTAssertEqual(tokensLeft, 0)
            let refused = try await Browser(client).signIn(fixture.users["c1.operator"]!)
            XCTAssertEqual(refused.status, .unauthorized, "a disabled user can't sign in")
            let audited = try await count(database, "SELECT COUNT(*) FROM audit_log WHERE object_type = 'user' AND object_id = ? AND action = 'disable'", [.int(operatorID)])
            XCTAssertEqual(audited, 1)

            let enabled = try await patchUser(api, operatorID, as: admin, #"{"status":"active"}"#)

            XCTAssertEqual(enabled.status, .ok, enabled.text)
            let again = try await signIn(client, fixture.users["c1.operator"]!)
            let observedAgain = try await api.call(.get, "/api/v1/me", token: again.token).status
            XCTAssertEqual(observedAgain, .ok, "re-enabled, the user signs in again")
            let observedOld = try await api.call(.get, "/api/v1/me", token: op.token).status
            XCTAssertEqual(observedOld, .unauthorized, "the tokens that ended stay ended")
        }
    }

    func testTheLastActiveAdminOfAnAccountCanBeNeitherDisabledNorDemoted() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            // Customer One has one admin; its reseller's admin may change it, but not leave it without one.
            let c1Admin = fixture.userIDs["c1.admin"]!
            let own = try await api.token(fixture.users["c1.admin"]!)
            let reseller = try await api.token(fixture.users["r1.admin"]!)
            let before = try await snapshot(database)

            let disableSelf = try await patchUser(api, c1Admin, as: own, #"{"status":"disabled"}"#)
            let demoteSelf = try await patchUser(api, c1Admin, as: own, #"{"role":"operator"}"#)
            let disableFromAbove = try await patchUser(api, c1Admin, as: reseller, #"{"status":"disabled","name":"Gone"}"#)

            for response in [disableSelf, demoteSelf, disableFromAbove] {
                XCTAssertEqual(response.status, .unprocessableContent, response.text)
                XCTAssertEqual(response.errorCode, "last_admin")
            }
            let after = try await snapshot(database)
            XCTAssertEqual(before, after, "a refused change changes nothing")

            // With a second active admin, the first may step down.
            let promoted = try await patchUser(api, fixture.userIDs["c1.operator"]!, as: own, #"{"role":"admin"}"#)
            XCTAssertEqual(promoted.status, .ok, promoted.text)
            let demoted = try await patchUser(api, c1Admin, as: own, #"{"role":"viewer"}"#)
            XCTAssertEqual(demoted.status, .ok, demoted.text)
            XCTAssertEqual(demoted.json["role"] as? String, "viewer")
        }
    }

    func testARoleChangeTakesEffectOnTheNextRequest() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let viewer = try await api.token(fixture.users["c1.viewer"]!)
            let admin = try await api.token(fixture.users["c1.admin"]!)
            let addUser = { (email: String) in
                try await api.call(.post, "/api/v1/accounts/\(fixture.c1.id)/users", token: viewer,
                                   json: #"{"email":"\#(email)","password":"a-long-password","role":"viewer"}"#)
            }
            let asViewer = try await addUser("first@c1.test").status
            XCTAssertEqual(asViewer, .forbidden)

            let promoted = try await patchUser(api, fixture.userIDs["c1.viewer"]!, as: admin, #"{"role":"admin"}"#)
            XCTAssertEqual(promoted.status, .ok, promoted.text)

            let asAdmin = try await addUser("second@c1.test").status
            XCTAssertEqual(asAdmin, .created, "the same token acts with the new role at once")
            _ = try await patchUser(api, fixture.userIDs["c1.viewer"]!, as: admin, #"{"role":"viewer"}"#)
            let demoted = try await addUser("third@c1.test").status
            XCTAssertEqual(demoted, .forbidden)
        }
    }

    func testOnlyAdminsOfTheUsersAccountOrAboveChangeItAndUsersAboveAreNotThere() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let r1Admin = try await api.token(fixture.users["r1.admin"]!)
            let c1Admin = try await api.token(fixture.users["c1.admin"]!)
            let c1Operator = try await api.token(fixture.users["c1.operator"]!)
            let cases: [(String, String, Int64, HTTPResponse.Status)] = [
                ("an ancestor's admin", r1Admin, fixture.userIDs["c1.viewer"]!, .ok),
                ("the account's own admin", c1Admin, fixture.userIDs["c1.viewer"]!, .ok),
                ("an operator of the account", c1Operator, fixture.userIDs["c1.viewer"]!, .forbidden),
                ("a user of the seller, seen from below", c1Admin, fixture.userIDs["r1.admin"]!, .notFound),
                ("the provider's admin, seen from a reseller", r1Admin, fixture.userIDs["p.admin"]!, .notFound),
                ("another reseller's customer", r1Admin, fixture.userIDs["c2.admin"]!, .notFound),
            ]
            for (who, token, id, expected) in cases {
                let response = try await patchUser(api, id, as: token, #"{"name":"Renamed"}"#)
                XCTAssertEqual(response.status, expected, "\(who): \(response.text)")
            }
            let badRole = try await patchUser(api, fixture.userIDs["c1.viewer"]!, as: c1Admin, #"{"role":"owner"}"#)
            XCTAssertEqual(badRole.status, .unprocessableContent)
            XCTAssertEqual(badRole.errorCode, "role")
            let longName = try await patchUser(api, fixture.userIDs["c1.viewer"]!, as: c1Admin, #"{"name":"\#(String(repeating: "n", count: 201))"}"#)
            XCTAssertEqual(longName.errorCode, "name")
        }
    }

    func testTheAccountPageEditsAUserAndKeepsWhatWasTypedWhenRefused() async throws {
        try await withConsole { client, fixture, _ in
            let admin = try await signIn(client, fixture.users["c1.admin"]!)
            let page = try await admin.browser.get("/accounts/\(fixture.c1.id)")
            let operatorID = fixture.userIDs["c1.operator"]!
            XCTAssertTrue(page.text.contains(#"id="user-form-\#(operatorID)""#), "an edit form per user")

            let saved = try await admin.browser.post("/users/\(operatorID)", ["name": "Olga Operator", "role": "viewer", "status": "active"])
            XCTAssertEqual(saved.status, .seeOther)
            let shown = try await admin.browser.get("/accounts/\(fixture.c1.id)")
            XCTAssertTrue(shown.text.contains(#"value="Olga Operator""#))

            let refused = try await admin.browser.post("/users/\(fixture.userIDs["c1.admin"]!)", ["name": "Typed Name", "role": "operator", "status": "active"])
            XCTAssertEqual(refused.status, .unprocessableContent)
            XCTAssertTrue(refused.text.contains("last active admin"), refused.text)
            XCTAssertTrue(refused.text.contains(#"value="Typed Name""#), "what was typed is kept")
            XCTAssertTrue(refused.text.contains(#"<option value="operator" selected>"#))
        }
    }

    // MARK: Oneself

    func testAUserChangesTheirOwnNameAndLanguage() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["c1.viewer"]!)

            let changed = try await api.call(.put, "/api/v1/me", token: token, json: #"{"name":"Vera Viewer","locale":"bn"}"#)

            XCTAssertEqual(changed.status, .ok, changed.text)
            let me = try await api.call(.get, "/api/v1/me", token: token).json["user"] as? [String: Any]
            XCTAssertEqual(me?["name"] as? String, "Vera Viewer")
            XCTAssertEqual(me?["locale"] as? String, "bn")
            let bad = try await api.call(.put, "/api/v1/me", token: token, json: #"{"locale":"fr"}"#)
            XCTAssertEqual(bad.status, .unprocessableContent)
            XCTAssertEqual(bad.errorCode, "locale")

            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["c1.viewer"]!)
            let profile = try await browser.get("/profile")
            XCTAssertEqual(profile.status, .ok)
            XCTAssertTrue(profile.text.contains(#"value="Vera Viewer""#))
            XCTAssertTrue(profile.text.contains(#"href="/profile" id="user-email""#), "the top bar links to the profile")
            let refused = try await browser.post("/profile", ["name": "Typed", "locale": "xx"])
            XCTAssertEqual(refused.status, .unprocessableContent)
            XCTAssertTrue(refused.text.contains(#"value="Typed""#))
        }
    }

    func testChangingOnesPasswordNeedsTheCurrentOneAndEndsTheOtherSessionsAndTokens() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let email = fixture.users["c1.operator"]!
            let inUse = try await api.token(email)
            let other = try await signIn(client, email)
            let newPassword = "a-brand-new-password"

            let wrong = try await api.call(.put, "/api/v1/me/password", token: inUse, json: #"{"current_password":"not-it-at-all","password":"\#(newPassword)"}"#)
            XCTAssertEqual(wrong.status, .unprocessableContent)
            XCTAssertEqual(wrong.errorCode, "current_password")
            let short = try await api.call(.put, "/api/v1/me/password", token: inUse, json: #"{"current_password":"\#(TenancyFixture.password)","password":"short"}"#)
            XCTAssertEqual(short.errorCode, "password")

            let changed = try await api.call(.put, "/api/v1/me/password", token: inUse, json: #"{"current_password":"\#(TenancyFixture.password)","password":"\#(newPassword)"}"#)

            XCTAssertEqual(changed.status, .noContent, changed.text)
            let observedInUse = try await api.call(.get, "/api/v1/me", token: inUse).status
            XCTAssertEqual(observedInUse, .ok, "the token that changed it goes on")
            let observedOther = try await api.call(.get, "/api/v1/me", token: other.token).status
            XCTAssertEqual(observedOther, .unauthorized, "every other token ended")
            let observedPage = try await other.browser.get("/dashboard").status
            XCTAssertEqual(observedPage, .seeOther, "every session ended")
            let oldPassword = try await Browser(client).signIn(email)
            XCTAssertEqual(oldPassword.status, .unauthorized)
            let observedNew = try await Browser(client).signIn(email, newPassword).status
            XCTAssertEqual(observedNew, .seeOther)
            let audit = try await database.rows("SELECT COALESCE(after_state, '') AS a FROM audit_log WHERE action = 'change_password'")
            XCTAssertEqual(audit.count, 1)
        }
    }

    func testTheProfilePageChangesThePasswordAndStaysSignedInUnderANewSession() async throws {
        try await withConsole { client, fixture, _ in
            let email = fixture.users["c1.viewer"]!
            let me = try await signIn(client, email)
            let elsewhere = try await signIn(client, email)
            let before = try XCTUnwrap(me.browser.sessionID)

            let wrong = try await me.browser.post("/profile/password", ["current_password": "not-it-at-all", "password": "another-long-one"])
            XCTAssertEqual(wrong.status, .unprocessableContent)
            XCTAssertTrue(wrong.text.contains(#"id="current_password-error""#))
            let changed = try await me.browser.post("/profile/password", ["current_password": TenancyFixture.password, "password": "another-long-one"])

            XCTAssertEqual(changed.status, .seeOther)
            XCTAssertNotEqual(me.browser.sessionID, before, "a new session id")
            let observedMine = try await me.browser.get("/profile").status
            XCTAssertEqual(observedMine, .ok)
            let observedElsewhere = try await elsewhere.browser.get("/profile").status
            XCTAssertEqual(observedElsewhere, .seeOther)
        }
    }

    // MARK: Password reset

    func testAResetRequestAnswers202AndTheSameWordsWhetherTheEmailHasAUserOrNot() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let clock = ContinuousClock()
            var known: TestResponse?, unknown: TestResponse?
            let knownTime = try await clock.measure {
                known = try await api.call(.post, "/api/v1/password-resets", json: #"{"email":"\#(fixture.users["c1.operator"]!)"}"#)
            }
            let unknownTime = try await clock.measure {
                unknown = try await api.call(.post, "/api/v1/password-resets", json: #"{"email":"nobody@nowhere.test"}"#)
            }

            XCTAssertEqual(known?.status, .accepted)
            XCTAssertEqual(unknown?.status, .accepted)
            XCTAssertEqual(known?.text, unknown?.text, "identical bodies")
            // Both wait for the same floor, so the time taken says nothing either.
            XCTAssertGreaterThanOrEqual(knownTime, .milliseconds(250))
            XCTAssertGreaterThanOrEqual(unknownTime, .milliseconds(250))
            let events = try await count(database, "SELECT COUNT(*) FROM outbox_events WHERE type = 'password_reset'")
            XCTAssertEqual(events, 1, "an event only for the email that has a user")
            let newest = try await newestResetEvent(database)
            let event = try XCTUnwrap(newest)
            XCTAssertEqual(event["email"] as? String, fixture.users["c1.operator"]!)
            let link = try XCTUnwrap(event["link"] as? String)
            XCTAssertTrue(link.hasPrefix("http://127.0.0.1:8080/password-resets/"), link)
            let token = String(link.split(separator: "/").last!)
            XCTAssertEqual(token.count, 64)
            // Only the token's SHA-256 is kept, and neither the audit log nor anything else stores it.
            let stored = try await count(database, "SELECT COUNT(*) FROM password_resets WHERE token_hash = SHA2(?, 256)", [.string(token)])
            XCTAssertEqual(stored, 1)
            let leaked = try await count(database, "SELECT COUNT(*) FROM audit_log WHERE CONCAT(COALESCE(before_state, ''), COALESCE(after_state, '')) LIKE ?",
                                         [.string("%" + token + "%")])
            XCTAssertEqual(leaked, 0)

            // The pages say the same thing too.
            let browser = Browser(client)
            _ = try await browser.get("/password-resets")
            let knownPage = try await browser.post("/password-resets", ["email": fixture.users["c1.admin"]!])
            let unknownPage = try await browser.post("/password-resets", ["email": "nobody@nowhere.test"])
            XCTAssertEqual(knownPage.status, .ok)
            XCTAssertEqual(unknownPage.status, .ok)
            XCTAssertEqual(knownPage.text.replacingOccurrences(of: #"value="[0-9a-f]{64}""#, with: "", options: .regularExpression),
                           unknownPage.text.replacingOccurrences(of: #"value="[0-9a-f]{64}""#, with: "", options: .regularExpression))
        }
    }

    func testAResetLinkSetsThePasswordOnceAndEndsEverySessionAndToken() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let email = fixture.users["c1.operator"]!
            let old = try await signIn(client, email)
            _ = try await api.call(.post, "/api/v1/password-resets", json: #"{"email":"\#(email)"}"#)
            let event = try await newestResetEvent(database)
            let link = try XCTUnwrap(event?["link"] as? String)
            let path = try XCTUnwrap(URL(string: link)?.path)

            let form = try await old.browser.get(path)
            XCTAssertEqual(form.status, .ok)
            XCTAssertTrue(form.text.contains(#"id="reset-form""#))
            let short = try await api.call(.post, "/api/v1" + path, json: #"{"password":"short"}"#)
            XCTAssertEqual(short.errorCode, "password")
            let used = try await api.call(.post, "/api/v1" + path, json: #"{"password":"reset-password-1"}"#)

            XCTAssertEqual(used.status, .noContent, used.text)
            let observedToken = try await api.call(.get, "/api/v1/me", token: old.token).status
            XCTAssertEqual(observedToken, .unauthorized)
            let observedSession = try await old.browser.get("/dashboard").status
            XCTAssertEqual(observedSession, .seeOther)
            let signedIn = try await Browser(client).signIn(email, "reset-password-1").status
            XCTAssertEqual(signedIn, .seeOther)

            let again = try await api.call(.post, "/api/v1" + path, json: #"{"password":"reset-password-2"}"#)
            XCTAssertEqual(again.status, .notFound, "a link works once")
            XCTAssertEqual(again.errorCode, "reset_link_invalid")
            let unknown = try await api.call(.post, "/api/v1/password-resets/" + String(repeating: "ab", count: 32), json: #"{"password":"reset-password-2"}"#)
            XCTAssertEqual(unknown.status, .notFound)
            func withoutRequestID(_ reply: TestResponse) -> NSDictionary {
                NSDictionary(dictionary: ((reply.json["error"] as? [String: Any]) ?? [:]).filter { $0.key != "request_id" })
            }
            XCTAssertEqual(withoutRequestID(unknown), withoutRequestID(again), "used and unknown links answer alike (but for each request's own id)")
            let page = try await Browser(client).get(path)
            XCTAssertEqual(page.status, .notFound)
            XCTAssertTrue(page.text.contains(#"id="reset-invalid""#))
        }
    }

    func testAResetLinkPastItsHourIsRefused() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            _ = try await api.call(.post, "/api/v1/password-resets", json: #"{"email":"\#(fixture.users["c1.viewer"]!)"}"#)
            let event = try await newestResetEvent(database)
            let link = try XCTUnwrap(event?["link"] as? String)
            let path = try XCTUnwrap(URL(string: link)?.path)
            let expiry = try await database.rows("SELECT TIMESTAMPDIFF(SECOND, created_at, expires_at) AS s FROM password_resets")[0].decode(column: "s", as: Int.self)
            XCTAssertEqual(expiry, 3600, "valid one hour")
            try await database.query("UPDATE password_resets SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND")

            let expired = try await api.call(.post, "/api/v1" + path, json: #"{"password":"reset-password-1"}"#)

            XCTAssertEqual(expired.status, .notFound)
            XCTAssertEqual(expired.errorCode, "reset_link_invalid")
            let page = try await Browser(client).get(path)
            XCTAssertEqual(page.status, .notFound)
            let observedOld = try await Browser(client).signIn(fixture.users["c1.viewer"]!).status
            XCTAssertEqual(observedOld, .seeOther, "the password is unchanged")
        }
    }

    func testTheResetPagesSetANewPassword() async throws {
        try await withConsole { client, fixture, database in
            let browser = Browser(client)
            let signin = try await browser.get("/signin")
            XCTAssertTrue(signin.text.contains(#"href="/password-resets""#), "a “Forgot your password?” link")
            _ = try await browser.get("/password-resets")
            let sent = try await browser.post("/password-resets", ["email": fixture.users["r1.viewer"]!])
            XCTAssertTrue(sent.text.contains(#"id="reset-request-sent""#))
            let event = try await newestResetEvent(database)
            let link = try XCTUnwrap(event?["link"] as? String)
            let path = try XCTUnwrap(URL(string: link)?.path)
            _ = try await browser.get(path)

            let short = try await browser.post(path, ["password": "short"])
            XCTAssertEqual(short.status, .unprocessableContent)
            let done = try await browser.post(path, ["password": "page-reset-password"])

            XCTAssertEqual(done.status, .ok)
            XCTAssertTrue(done.text.contains(#"id="reset-done""#))
            let observed = try await Browser(client).signIn(fixture.users["r1.viewer"]!, "page-reset-password").status
            XCTAssertEqual(observed, .seeOther)
        }
    }

    func testResetRequestsAreThrottledLikeSignInsForKnownAndUnknownEmailsAlike() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            for email in [fixture.users["c1.viewer"]!, "nobody@nowhere.test"] {
                var statuses: [HTTPResponse.Status] = []
                // The sign-in throttle refuses from the tenth failure on; each request counts as one.
                for _ in 0..<11 {
                    statuses.append(try await api.call(.post, "/api/v1/password-resets", json: #"{"email":"\#(email)"}"#).status)
                }
                XCTAssertEqual(statuses.prefix(10).filter { $0 == .accepted }.count, 10, email)
                XCTAssertEqual(statuses.last, .tooManyRequests, email)
                // The address counts too: clear it before the next email, as another client would be.
                try await database.query("DELETE FROM signin_failures")
            }
        }
    }
}

/// Signed in both ways, as a browser (session cookie) and as an integration (bearer token).
private struct SignedIn {
    let browser: Browser
    let token: String
}

private func signIn(_ client: any TestClientProtocol, _ email: String, _ password: String = TenancyFixture.password) async throws -> SignedIn {
    let browser = Browser(client)
    let response = try await browser.signIn(email, password)
    XCTAssertEqual(response.status, .seeOther, "\(email) signs in")
    return SignedIn(browser: browser, token: try await APIClient(client: client).token(email, password))
}

private func patchUser(_ api: APIClient, _ id: Int64, as token: String, _ json: String) async throws -> TestResponse {
    try await api.call(.patch, "/api/v1/users/\(id)", token: token, json: json)
}

private func count(_ database: MariaDBDatabase, _ sql: String, _ binds: [MariaDBData] = []) async throws -> Int {
    try await database.rows("SELECT (\(sql)) AS n", binds)[0].decode(column: "n", as: Int.self)
}

/// The link of the newest `password_reset` event in the outbox, and that event's payload.
private func newestResetEvent(_ database: MariaDBDatabase) async throws -> [String: Any]? {
    let rows = try await database.rows("SELECT payload FROM outbox_events WHERE type = 'password_reset' ORDER BY id DESC LIMIT 1")
    guard let payload = try rows.first?.decode(column: "payload", as: String.self) else { return nil }
    return try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
}
