import Foundation
@testable import Localization
import Testing

/// The catalogs under `Locales/`: every key in every language, the same placeholders in each,
/// no key both a text and a prefix of others, and every `{{t.key}}` of a template defined.
@Suite struct CatalogFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let catalogs = Catalogs(directory: root.appendingPathComponent("Locales"))

    @Test func theFilesParseWithoutProblems() {
        #expect(catalogs.problems.map(\.description) == [])
        #expect(catalogs.keys(of: .en).count > 0)
    }

    @Test func everyKeyIsInEveryLanguage() {
        let english = catalogs.keys(of: .en)
        for language in Language.allCases where language != .en {
            let other = catalogs.keys(of: language)
            #expect(english.subtracting(other).sorted() == [], "missing in \(language.rawValue)")
            #expect(other.subtracting(english).sorted() == [], "in \(language.rawValue) but not in en")
        }
    }

    @Test func everyLanguageFillsTheSamePlaceholders() {
        for key in catalogs.keys(of: .en).sorted() {
            let english = Catalogs.placeholders(catalogs.text(key, in: .en) ?? "")
            for language in Language.allCases where language != .en {
                guard let text = catalogs.text(key, in: language) else { continue }
                #expect(Catalogs.placeholders(text) == english, "\(key) in \(language.rawValue)")
            }
        }
    }

    @Test func noKeyIsBothATextAndAPrefix() {
        let keys = catalogs.keys(of: .en)
        #expect(keys.filter { catalogs.isPrefix($0) }.sorted() == [])
    }

    @Test func everyKeyATemplateUsesIsDefined() throws {
        let views = Self.root.appendingPathComponent("Views")
        let pattern = try Regex(#"\{\{\{?[#^/]?\s*t\.([a-z0-9_.]+)\s*\}?\}\}"#)
        var missing: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: views.path).sorted() where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: views.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: pattern) {
                let key = String(text[match.range]).replacing(try Regex(#"^\{\{\{?[#^/]?\s*t\.|\s*\}?\}\}$"#), with: "")
                for language in Language.allCases where catalogs.text(key, in: language) == nil {
                    missing.append("\(file): t.\(key) (\(language.rawValue))")
                }
            }
        }
        #expect(missing == [])
    }
}

/// How texts are chosen and filled.
@Suite struct CatalogRenderingTests {
    let catalogs = Catalogs(texts: [
        .en: ["invoice.total": "Total {amount}", "plan.count": "{count} plans", "only.en": "Only English"],
        .bn: ["invoice.total": "মোট {amount}", "plan.count": "{count}টি প্ল্যান"],
    ])

    @Test func aKeyIsFilledInTheReadersLanguage() {
        let text = LocalizedText("invoice.total", ["amount": .amount(minor: 123_450, exponent: 2, currency: "BDT")])
        #expect(catalogs.render(text, in: .en) == "Total 1234.50 BDT")
        #expect(catalogs.render(text, in: .bn) == "মোট ১,২৩৪.৫০৳")
        #expect(catalogs.render(LocalizedText("plan.count", ["count": .number(12)]), in: .bn) == "১২টি প্ল্যান")
    }

    @Test func aMissingTextFallsBackToEnglishThenToTheKey() {
        #expect(catalogs.render(LocalizedText("only.en"), in: .bn) == "Only English")
        #expect(catalogs.render(LocalizedText("no.such.key"), in: .bn) == "no.such.key")
    }

    @Test func anUnknownOrUnclosedPlaceholderIsLeftAsWritten() {
        let odd = Catalogs(texts: [.en: ["a": "x {nope} y {open"]])
        #expect(odd.render(LocalizedText("a", ["other": .number(1)]), in: .en) == "x {nope} y {open")
    }

    @Test func theFileFormat() {
        var problems: [Catalogs.Problem] = []
        let entries = Catalogs.parse("# comment\n\nplan.name = Plan = name\\nsecond line\nBad Key = x\nno equals\n", file: "f", problems: &problems)
        #expect(entries.map(\.0) == ["plan.name"])
        #expect(entries.map(\.1) == ["Plan = name\nsecond line"])
        #expect(problems.map(\.line) == [4, 5])
    }
}

/// Numbers, money and dates as each language writes them.
@Suite struct FormatTests {
    @Test func englishKeepsTheConsolesLook() {
        #expect(Format.number(1_234_567, in: .en) == "1234567")
        #expect(Format.money(minor: -1_250, exponent: 2, currency: "USD", in: .en) == "-12.50 USD")
        #expect(Format.money(minor: 5, exponent: 0, currency: "JPY", in: .en) == "5 JPY")
        #expect(Format.date(year: 2026, month: 12, day: 3, in: .en) == "2026-12-03")
        #expect(Format.dateTime(Date(timeIntervalSince1970: 1_796_306_700), in: .en) == "2026-12-03 14:05 UTC")
    }

    @Test func bengaliUsesItsDigitsIndianGroupingAndTheCurrencySymbol() {
        #expect(Format.number(123_456_789, in: .bn) == "১২,৩৪,৫৬,৭৮৯")
        #expect(Format.number(999, in: .bn) == "৯৯৯")
        #expect(Format.number(-1_000, in: .bn) == "-১,০০০")
        #expect(Format.money(minor: 123_456_750, exponent: 2, currency: "BDT", in: .bn) == "১২,৩৪,৫৬৭.৫০৳")
        #expect(Format.money(minor: 1_250, exponent: 2, currency: "USD", in: .bn) == "১২.৫০US$")
        #expect(Format.money(minor: 7, exponent: 3, currency: "KWD", in: .bn) == "০.০০৭\u{00A0}KWD")
        #expect(Format.date(year: 2026, month: 12, day: 3, in: .bn) == "৩ ডিসেম্বর, ২০২৬")
        #expect(Format.date("2027-01-15", in: .bn) == "১৫ জানুয়ারী, ২০২৭")
        #expect(Format.month(year: 2026, month: 4, in: .bn) == "এপ্রিল ২০২৬")
        #expect(Format.dateTime(Date(timeIntervalSince1970: 1_796_306_700), in: .bn) == "৩ ডিসেম্বর, ২০২৬ ১৪:০৫ UTC")
    }

    @Test func extremeValuesDoNotTrap() {
        #expect(Format.number(Int64.min, in: .bn) == "-৯২,২৩,৩৭,২০,৩৬,৮৫,৪৭,৭৫,৮০৮")
        #expect(Format.money(minor: Int64.min, exponent: 2, currency: "BDT", in: .bn).hasSuffix("৳"))
        #expect(Format.money(minor: 1, exponent: 99, currency: "X", in: .en) == "0.000000000000000001 X")
    }
}

/// `Accept-Language` as browsers send it.
@Suite struct AcceptLanguageTests {
    @Test(arguments: [
        ("bn-BD,bn;q=0.9,en-US;q=0.8,en;q=0.7", Language?.some(.bn)),
        ("en-US,en;q=0.9,bn;q=0.8", .some(.en)),
        ("fr-FR, bn;q=0.5", .some(.bn)),
        ("bn;q=0, en;q=0.1", .some(.en)),
        ("de, fr", nil),
        ("", nil),
        ("bn;q=1.5", nil),
        ("*", nil),
    ])
    func theBestSupportedLanguageWins(header: String, expected: Language?) {
        #expect(Language.preferred(acceptLanguage: header) == expected)
    }

    @Test func aHugeHeaderIsReadOnlyInPart() {
        let header = String(repeating: "xx;q=0.1,", count: 10_000) + "bn"
        #expect(Language.preferred(acceptLanguage: header) == nil)
    }
}
