import Foundation
import HTTPTypes
import HummingbirdTesting
import Storage
import TestSupport
import XCTest

/// Which language a page speaks (issue 16, item 4): before signing in the browser's
/// `Accept-Language`, or the sign-in page's switch (`?lang=`, kept in a cookie); signed in, the
/// user's own choice (`PUT /api/v1/me {"locale"}`, the profile page), whatever the browser asks.
final class PageLanguageTests: XCTestCase {
    static let bengali: HTTPFields = [.acceptLanguage: "bn-BD,bn;q=0.9,en;q=0.5"]
    static let english: HTTPFields = [.acceptLanguage: "en-US,en;q=0.9"]

    static func get(_ browser: Browser, _ path: String, _ headers: HTTPFields) async throws -> TestResponse {
        try await browser.send(path, .get, body: nil, contentType: nil, headers: headers)
    }

    func testAcceptLanguageBengaliGivesTheBengaliSignInPage() async throws {
        try await withConsole { client, _, _ in
            let bn = try await Self.get(Browser(client), "/signin", Self.bengali)
            XCTAssertEqual(bn.status, .ok)
            XCTAssertTrue(bn.text.contains(#"<html lang="bn">"#))
            XCTAssertTrue(bn.text.contains(#"id="signin-heading">সাইন ইন</h1>"#), bn.text)
            XCTAssertTrue(bn.text.contains(">পাসওয়ার্ড ভুলে গেছেন?</a>"))
            XCTAssertFalse(bn.text.contains("Forgot your password?"))

            let en = try await Self.get(Browser(client), "/signin", Self.english)
            XCTAssertTrue(en.text.contains(#"<html lang="en">"#))
            XCTAssertTrue(en.text.contains(#"id="signin-heading">Sign in</h1>"#))
            // No header at all: English.
            let plain = try await Browser(client).get("/signin")
            XCTAssertTrue(plain.text.contains(#"<html lang="en">"#))
        }
    }

    func testTheSignInPagesSwitchIsKeptInACookieAndBeatsTheBrowser() async throws {
        try await withConsole { client, _, _ in
            let browser = Browser(client)
            let english = try await Self.get(browser, "/signin?next=%2Finvoices", Self.english)
            // Each language named in itself, linking to this page in it, `next` kept.
            XCTAssertTrue(english.text.contains(#"href="/signin?next=%2Finvoices&amp;lang=bn" lang="bn""#), english.text)
            XCTAssertTrue(english.text.contains(">বাংলা</a>"))

            let switched = try await Self.get(browser, "/signin?next=%2Finvoices&lang=bn", Self.english)
            XCTAssertTrue(switched.text.contains(#"<html lang="bn">"#))
            XCTAssertEqual(browser.cookies["console_lang"], "bn")
            // The next page, the browser still asking for English: Bengali, from the cookie.
            let later = try await Self.get(browser, "/password-resets", Self.english)
            XCTAssertTrue(later.text.contains(#"<html lang="bn">"#))
            XCTAssertTrue(later.text.contains("পাসওয়ার্ড ভুলে গেছেন?"))
        }
    }

    func testAUsersOwnChoiceBeatsAcceptLanguage() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["c1.admin"]!)
            let chosen = try await api.call(.put, "/api/v1/me", token: token, json: #"{"locale":"bn"}"#)
            XCTAssertEqual(chosen.status, .ok, chosen.text)

            // A Bengali user whose browser asks for English reads Bengali.
            let bengaliUser = Browser(client)
            _ = try await bengaliUser.signIn(fixture.users["c1.admin"]!)
            let page = try await Self.get(bengaliUser, "/subscriptions", Self.english)
            XCTAssertTrue(page.text.contains(#"<html lang="bn">"#))
            XCTAssertTrue(page.text.contains(#"id="subscriptions-heading">সাবস্ক্রিপশন</h1>"#), page.text)
            XCTAssertTrue(page.text.contains(#"id="nav-billing" href="/orders">বিলিং</a>"#))
            XCTAssertTrue(page.text.contains(#"id="tier-badge">গ্রাহক</span>"#))

            // An English user whose browser asks for Bengali reads English.
            let englishUser = Browser(client)
            _ = try await englishUser.signIn(fixture.users["c1.viewer"]!)
            let english = try await Self.get(englishUser, "/subscriptions", Self.bengali)
            XCTAssertTrue(english.text.contains(#"<html lang="en">"#))
            XCTAssertTrue(english.text.contains(#"id="subscriptions-heading">Subscriptions</h1>"#))
        }
    }

    func testTheProfilePageChangesTheLanguageOfTheNextPage() async throws {
        try await withConsole { client, fixture, _ in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["c1.admin"]!)
            let profile = try await browser.get("/profile")
            XCTAssertTrue(profile.text.contains(#"<option value="bn">বাংলা</option>"#), profile.text)
            let saved = try await browser.post("/profile", ["name": "Customer Admin", "locale": "bn"])
            XCTAssertEqual(saved.status, .seeOther)
            let next = try await Self.get(browser, "/profile", Self.english)
            XCTAssertTrue(next.text.contains(#"<html lang="bn">"#))
            XCTAssertTrue(next.text.contains("আপনার প্রোফাইল সংরক্ষিত হয়েছে।"), "the flash in the new language")
            XCTAssertTrue(next.text.contains(#"<option value="bn" selected>বাংলা</option>"#))
        }
    }
}
