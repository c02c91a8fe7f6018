import Foundation
import HTTPTypes
import HummingbirdTesting
import Storage
import TestSupport
import XCTest

/// Issue 16, item 4: a Bengali-speaking user reads every page in Bengali. A user of each tier chooses
/// `bn`, then the test follows every link the pages offer (and a few pages reached by forms: an
/// estimate, a new service's estimate, a 404) and fails on any English word left in what a person
/// reads or hears: the text, and the `title`, `placeholder`, `aria-label`, `alt` and button values.
/// Names and codes are not English: the accounts, plans and resources of the data, emails, currency
/// codes and the few names in `allowed`.
final class BengaliPagesTests: XCTestCase {
    /// Names and codes a Bengali page shows in Latin letters.
    static let allowed: Set<String> = ["UTC", "PDF", "CSV", "API", "USD", "EUR", "BDT", "US", "English", "SMTP_HOST", "SMTP", "HTML", "eml", "CSP",
                                       "Reseller console"]

    /// The pages of issue 16's part F1 (customers and billing): a word left on them fails the test.
    static func isCustomerOrBillingPage(_ path: String) -> Bool {
        let bare = String(path.prefix { $0 != "?" })
        guard !bare.hasPrefix("/mail/") else { return false }  // one email as it was sent, in its recipient's language
        let prefixes = ["/subscriptions", "/orders", "/invoices", "/payments", "/reseller-charges", "/profile", "/mail", "/signin", "/password-resets"]
        return bare == "/" || prefixes.contains { bare == $0 || bare.hasPrefix($0 + "/") }
            || bare.wholeMatch(of: /\/accounts\/\d+\/credit/) != nil || bare.hasPrefix("/price-lists/")
            || bare.hasPrefix("/no-such-page")
    }

    func testABengaliUserOfEachTierFindsNoEnglishOnTheCustomerAndBillingPages() async throws {
        try await withQuoteWorld { w, id in
            let users = ["c1.admin", "r1.admin", "p.admin"]
            for user in users {
                let token = try await w.api.token(w.fixture.users[user]!)
                let set = try await w.api.call(.put, "/api/v1/me", token: token, json: #"{"locale":"bn"}"#)
                XCTAssertEqual(set.status, .ok, set.text)
            }
            try await Self.makeBillingHistory(w, subscription: id)

            var english: [String] = []
            var visited = 0
            for user in users {
                let browser = Browser(w.api.client)
                _ = try await browser.signIn(w.fixture.users[user]!)
                let starts = ["/dashboard", "/profile", "/subscriptions/\(id)/estimate?ram_gb=12", "/subscriptions/\(id)/estimate?ram_gb=99",
                              "/subscriptions/new?customer_id=\(w.fixture.c1.id)&plan_id=\(w.plans["Gold"]!)&period_months=1&estimate=1",
                              "/no-such-page"]
                let pages = try await Self.crawl(browser, from: starts)
                visited += pages.count
                for (path, html) in pages where Self.isCustomerOrBillingPage(path) {
                    let words = Self.englishWords(in: html, names: Self.names(w))
                    if !words.isEmpty { english.append("\(user) \(path): \(words.joined(separator: " "))") }
                }
            }
            XCTAssertGreaterThan(visited, 40, "the crawl reaches the pages of three tiers")
            XCTAssertEqual(english, [], "English left on Bengali pages:\n" + english.joined(separator: "\n"))
        }
    }

    /// An upgrade paid by card, a reduction refunded to credit, and an upgrade left unpaid (its
    /// checkout, the open order on the subscription's page).
    static func makeBillingHistory(_ w: QuoteWorld, subscription id: Int) async throws {
        let browser = Browser(w.api.client)
        _ = try await browser.signIn(w.fixture.users["c1.admin"]!)
        for (ram, pay) in [("8", true), ("6", false), ("10", false)] {
            let estimate = try await browser.get("/subscriptions/\(id)/estimate?ram_gb=\(ram)")
            let key = try XCTUnwrap(estimate.text.firstMatch(of: /name="idempotency_key" value="([^"]+)"/)?.1, estimate.text)
            let submitted = try await browser.post("/subscriptions/\(id)/orders", ["ram_gb": ram, "idempotency_key": String(key)])
            XCTAssertEqual(submitted.status, .seeOther)
            if pay, let checkout = submitted.headers[.location], checkout.hasSuffix("/pay") {
                let paid = try await browser.post(checkout.replacingOccurrences(of: "/pay", with: "/payments"), ["method": "card", "card_number": "4242 4242 4242 4242"])
                XCTAssertEqual(paid.status, .seeOther)
            }
            try await BillingPagesTests.waitForSettled(w)
        }
    }

    /// The names of the test's data: accounts, plans, resources.
    static func names(_ w: QuoteWorld) -> [String] {
        let f = w.fixture
        return [f.provider, f.r1, f.r1a, f.c1, f.r2, f.c2].map(\.name) + ["Silver", "Gold", "ram_gb", "support_basic", "support_premium"]
    }

    /// Every page reachable by links from `starts` (GET, HTML, this console's own paths), by path.
    static func crawl(_ browser: Browser, from starts: [String], limit: Int = 150) async throws -> [(String, String)] {
        var queue = starts
        var seen = Set(starts)
        var pages: [(String, String)] = []
        while !queue.isEmpty, pages.count < limit {
            let path = queue.removeFirst()
            let response = try await browser.get(path)
            guard response.headers[.contentType]?.hasPrefix("text/html") == true else { continue }
            let html = response.text
            pages.append((path, html))
            for match in html.matches(of: /href="(\/[^"#]*)"/) {
                let link = String(match.1).replacingOccurrences(of: "&amp;", with: "&")
                guard !seen.contains(link), follows(link) else { continue }
                seen.insert(link)
                queue.append(link)
            }
        }
        return pages
    }

    /// Links to other pages, not to files, the API, or a language switch.
    static func follows(_ link: String) -> Bool {
        let skipped = ["/api/", "/vendor/", "/assets/", "/healthz", "/metrics", "/signout"]
        return !skipped.contains { link.hasPrefix($0) } && !link.contains("lang=") && !link.hasSuffix("/eml") && !link.hasSuffix("/pdf")
            && !link.contains("format=csv") && !link.contains("/export")
    }

    /// The Latin words a person reads or hears on a page that are neither names nor codes.
    static func englishWords(in html: String, names: [String]) -> [String] {
        // Scripts, styles, codes, and the mail sink's messages and their subjects (an email as sent, in its recipient's language).
        var text = html.replacing(/(?s)<script.*?<\/script>|<style.*?<\/style>|<code.*?<\/code>|<!--.*?-->|<pre.*?<\/pre>|<table class="table table-sm" id="mail-list">.*?<\/table>/, with: " ")
        // A subscription's history is the audit log's sentences, checked with the audit pages (BengaliAdminPagesTests).
        text = text.replacing(/(?s)<table class="table table-sm" id="subscription-history">.*?<\/table>/, with: " ")
        var heard: [String] = []
        for match in text.matches(of: /(?:title|placeholder|aria-label|alt)="([^"]*)"|<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"/) {
            heard.append(String(match.1 ?? match.2 ?? ""))
        }
        text = text.replacing(/<[^>]*>/, with: " ") + " " + heard.joined(separator: " ")
        for (entity, character) in [("&amp;", "&"), ("&#39;", "'"), ("&quot;", "\""), ("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " ")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        for name in (names + allowed).sorted(by: { $0.count > $1.count }) { text = text.replacingOccurrences(of: name, with: " ") }
        // Emails and invoice numbers (`INV-2-000041`) are codes.
        text = text.replacing(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+|INV-\d+-\d+/, with: " ")
        return text.matches(of: /[A-Za-z][A-Za-z_']*(?:-[A-Za-z]+)*/).map { String($0.0) }.filter { word in
            // Codes: lower-case words with `_` (resource codes); single letters are units of the data (`u`).
            !(word.contains("_") && word == word.lowercased()) && word.count > 1
        }.reduce(into: [String]()) { words, word in if !words.contains(word) { words.append(word) } }
    }
}
