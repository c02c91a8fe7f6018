import Commerce
import Console
import Foundation
import Localization
import Mail
import MariaDB
import Notifications
import Storage
import TestSupport
import XCTest

/// Issue 16: every email in the recipient user's language. A `bn` user's password reset and invoice
/// come in Bengali (subject, text and HTML; amounts in taka with Bengali digits, dates with Bengali
/// month names); an `en` user's in English, word for word as before; both languages hold the same keys.
final class BengaliMailTests: XCTestCase {
    let composer = MailComposer(fromAddress: "billing@console.test")
    let padma = MailBrand(name: "Padma Cloud", supportEmail: "help@padma.test")
    let taka = Currency(code: "BDT", exponent: 2)

    func testABengaliReadersPasswordResetIsInBengaliAndAnEnglishReadersInEnglish() {
        let reset = MailEvent.passwordReset(link: "http://127.0.0.1:8080/password-resets/tok-7", validMinutes: 60)
        let bengali = composer.message(for: reset, brand: padma, to: .init(name: "রাশেদা বেগম", address: "admin@meghna.test", locale: "bn"))
        XCTAssertEqual(bengali.subject, "আপনার Padma Cloud পাসওয়ার্ড রিসেট করুন")
        XCTAssertTrue(bengali.text.hasPrefix("প্রিয় রাশেদা বেগম,\n\nকেউ আপনার Padma Cloud কনসোলের সাইন-ইন পাসওয়ার্ড রিসেট করতে চেয়েছেন।"), bengali.text)
        XCTAssertTrue(bengali.text.contains("লিংকটি এক ঘণ্টা সময়ের মধ্যে একবারই কাজ করবে।"), bengali.text)
        XCTAssertTrue(bengali.text.contains("নতুন পাসওয়ার্ড বেছে নিন:\nhttp://127.0.0.1:8080/password-resets/tok-7"), bengali.text)
        XCTAssertTrue(bengali.text.contains("Padma Cloud · প্রশ্ন থাকলে: help@padma.test"), bengali.text)
        XCTAssertTrue(bengali.html.contains(#"<html lang="bn">"#))
        XCTAssertTrue(bengali.html.contains("আপনি না চেয়ে থাকলে এই ইমেইলটি উপেক্ষা করুন"), bengali.html)

        let english = composer.message(for: reset, brand: padma, to: .init(name: "Pat", address: "pat@meghna.test", locale: "en"))
        XCTAssertEqual(english.subject, "Reset your Padma Cloud password")
        XCTAssertTrue(english.text.hasPrefix("Hello Pat,\n\nSomeone asked to reset the password of your Padma Cloud console sign-in. If it was you, choose a new password through the link below; it works once, within an hour."), english.text)
        XCTAssertTrue(english.html.contains(#"<html lang="en">"#))
    }

    /// ৳12,345.67 is `১২,৩৪৫.৬৭৳` in Bengali (Indian grouping, the taka sign after), and the issue day a Bengali date.
    func testABengaliInvoiceEmailWritesTakaAndTheDateTheBengaliWay() {
        let invoice = MailEvent.invoiceIssued(number: "INV-7-000003", total: Money(minorUnits: 1_234_567, currency: taka), issuedOn: "2026-12-03")
        let bengali = composer.message(for: invoice, brand: padma, to: .init(name: "রাশেদা বেগম", address: "admin@meghna.test", locale: "bn"))
        XCTAssertEqual(bengali.subject, "Padma Cloud থেকে ইনভয়েস INV-7-000003: ১২,৩৪৫.৬৭৳")
        XCTAssertTrue(bengali.text.contains("Padma Cloud আপনার জন্য ১২,৩৪৫.৬৭৳-এর ইনভয়েস INV-7-000003 ইস্যু করেছে।"), bengali.text)
        XCTAssertTrue(bengali.text.contains("ইস্যুর তারিখ: ৩ ডিসেম্বর, ২০২৬\nপরিশোধযোগ্য পরিমাণ: ১২,৩৪৫.৬৭৳"), bengali.text)
        XCTAssertFalse(bengali.text.contains("Invoice") || bengali.text.contains("Amount due"), "no English words left: \(bengali.text)")

        let english = composer.message(for: invoice, brand: padma, to: .init(name: "", address: "billing@meghna.test"))
        XCTAssertEqual(english.subject, "Invoice INV-7-000003 from Padma Cloud: 12345.67 BDT")
        XCTAssertTrue(english.text.contains("Issued: 2026-12-03\nAmount due: 12345.67 BDT"), english.text)
    }

    /// A language tag with a region (`bn-BD`) picks Bengali; an unknown one English.
    func testTheCatalogFollowsTheLanguageOfTheTag() {
        XCTAssertEqual(MailCatalogs.catalog(for: "bn-BD").language, "bn")
        XCTAssertEqual(MailCatalogs.catalog(for: "bn").language, "bn")
        XCTAssertEqual(MailCatalogs.catalog(for: "fr").language, "en")
        XCTAssertEqual(MailCatalogs.catalog(for: nil).language, "en")
    }

    /// Every `mail.*` and `error.*` key exists in both languages with the same placeholders.
    func testMailAndErrorKeysAreTheSameInBothLanguages() {
        let catalogs = Catalogs(directory: TestDatabase.repositoryRoot.appendingPathComponent("Locales"))
        XCTAssertEqual(catalogs.problems.map(\.description), [])
        for area in ["mail.", "error."] {
            let english = catalogs.keys(of: .en).filter { $0.hasPrefix(area) }, bengali = catalogs.keys(of: .bn).filter { $0.hasPrefix(area) }
            XCTAssertFalse(english.isEmpty)
            XCTAssertEqual(english.subtracting(bengali).sorted(), [], "missing in bn")
            XCTAssertEqual(bengali.subtracting(english).sorted(), [], "missing in en")
            for key in english {
                XCTAssertEqual(Catalogs.placeholders(catalogs.text(key, in: .en) ?? ""), Catalogs.placeholders(catalogs.text(key, in: .bn) ?? ""), key)
            }
        }
    }

    /// End to end through the outbox: the reset of a user whose language is `bn` goes out in Bengali.
    func testTheResetEmailOfABengaliUserLeavesTheOutboxInBengali() async throws {
        let sink = try SMTPSink(port: 2597)
        defer { sink.stop() }
        try await withConsole { _, fixture, database in
            let userID = try XCTUnwrap(fixture.userIDs["c1.operator"])
            try await database.query("UPDATE users SET locale = 'bn', name = 'রাশেদা বেগম' WHERE id = ?", [.int(userID)])
            try await database.withTransaction { tx in
                try await Outbox.record(on: tx, type: .passwordReset, account: fixture.c1, objectType: "user", objectID: userID,
                                        payload: EmailChannelTests.ResetPayload(userId: userID, link: "http://127.0.0.1:8080/password-resets/tok-bn", validMinutes: 60))
            }
            try await EmailChannelTests.run(EmailChannelTests.channel(port: 2597, database: database), database)
            let received = try sink.received()
            XCTAssertEqual(received.map(\.envelope_to), [["operator@c1.test"]])
            XCTAssertEqual(received.first?.subject, "আপনার Reseller One পাসওয়ার্ড রিসেট করুন")
            XCTAssertTrue(received.first?.text?.hasPrefix("প্রিয় রাশেদা বেগম,") == true, received.first?.text ?? "")
        }
    }
}
