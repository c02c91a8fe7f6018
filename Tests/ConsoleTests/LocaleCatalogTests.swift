import Foundation
import Localization
import Testing

/// The catalogs as the console's Swift and pages use them (the key files themselves, both languages
/// alike and every `{{t.key}}` of a template, are `LocalizationTests.CatalogFilesTests`): every key
/// a Swift file asks for by name exists in every language, every key of the pages' catalog is used,
/// and the Bengali of the pages is Bengali, names and codes aside.
@Suite struct LocaleCatalogTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let catalogs = Catalogs(directory: root.appendingPathComponent("Locales"))

    /// Every `.swift` under `Sources`, with its path from the repository's root.
    static func sources() throws -> [(path: String, text: String)] {
        let base = root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var files: [(String, String)] = []
        for case let path as String in walker where path.hasSuffix(".swift") {
            files.append(("Sources/" + path, try String(contentsOf: base.appendingPathComponent(path), encoding: .utf8)))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    static func templates() throws -> [(path: String, text: String)] {
        let views = root.appendingPathComponent("Views")
        return try FileManager.default.contentsOfDirectory(atPath: views.path).filter { $0.hasSuffix(".mustache") }.sorted().map {
            ("Views/" + $0, try String(contentsOf: views.appendingPathComponent($0), encoding: .utf8))
        }
    }

    /// The keys of one catalog file, in the order written.
    static func keys(ofFile name: String, language: Language) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("Locales/\(language.rawValue)/\(name)"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { return nil }
            return trimmed[..<equals].trimmingCharacters(in: .whitespaces)
        }
    }

    @Test func everyKeyTheSwiftNamesIsInEveryLanguage() throws {
        let call = try Regex(#"(?:Localization\.text|LocalizedText)\(\s*"([a-z0-9_.]+)""#)
        var missing: [String] = []
        var found = 0
        for (path, text) in try Self.sources() {
            // Code only (a doc comment may show an example key); a key ending in `.` is a prefix the code completes.
            let code = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
            for match in code.matches(of: call) {
                guard let key = match.output[1].substring.map(String.init), !key.hasSuffix(".") else { continue }
                found += 1
                for language in Language.allCases where catalogs.text(key, in: language) == nil {
                    missing.append("\(path): \(key) (\(language.rawValue))")
                }
            }
        }
        #expect(found > 100, "the pages name their texts by key")
        #expect(missing == [])
    }

    /// A key nobody asks for is a text that drifted from its page: each key of `pages.catalog` is
    /// named by a template (`t.key`) or a Swift file (`"key"`), or built from a named prefix
    /// (`"common.order_status." + status.rawValue`).
    @Test func everyKeyOfThePagesCatalogIsUsed() throws {
        let templates = try Self.templates().map(\.text).joined(separator: "\n")
        let swift = try Self.sources().map(\.text).joined(separator: "\n")
        let unused = try Self.keys(ofFile: "pages.catalog", language: .en).filter { key in
            if templates.contains("t.\(key)}") || swift.contains("\"\(key)\"") { return false }
            let parts = key.split(separator: ".")
            return !(1..<parts.count).contains { swift.contains("\"" + parts.prefix($0).joined(separator: ".") + ".\"") }
        }
        #expect(unused == [])
    }

    /// Latin letters in a Bengali text are names and codes only.
    @Test func theBengaliOfThePagesHasNoEnglishWords() throws {
        let allowed: Set<String> = ["UTC", "API", "SMTP_HOST", "SMTP", "HTML", "eml", "CSP", "English"]
        let word = try Regex("[A-Za-z][A-Za-z_]*")
        var english: [String] = []
        for file in ["pages.catalog"] {
            for key in try Self.keys(ofFile: file, language: .bn) {
                let text = (catalogs.text(key, in: .bn) ?? "").replacing(try Regex(#"\{[a-z0-9_]+\}"#), with: "")
                let words = text.matches(of: word).map { String(text[$0.range]) }.filter { !allowed.contains($0) }
                if !words.isEmpty { english.append("\(key): \(words.joined(separator: " "))") }
            }
        }
        #expect(english == [])
    }
}
