import Foundation

/// Every language's texts, read once from `Locales/<language>/*.catalog`: one directory per language,
/// one file per area of the console. A line is `key = text`; `#` starts a comment line; `\n` in a text
/// is a line break; `{name}` is filled from the text's arguments.
public struct Catalogs: Sendable {
    /// One problem in the files: the key-check test requires none.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let file: String
        public let line: Int
        public let message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    private let texts: [Language: [String: String]]
    /// Every dotted prefix of a key (`invoice` of `invoice.total`), for `{{t.invoice.total}}` lookups.
    private let prefixes: Set<String>
    public let problems: [Problem]

    /// The console's catalogs: `LOCALES_DIRECTORY`, else `Locales` in the working directory.
    public static let shared: Catalogs = {
        let environment = ProcessInfo.processInfo.environment["LOCALES_DIRECTORY"]
        let directory = environment.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Locales")
        return Catalogs(directory: directory)
    }()

    public init(directory: URL) {
        var texts: [Language: [String: String]] = [:]
        var problems: [Problem] = []
        for language in Language.allCases {
            let folder = directory.appendingPathComponent(language.rawValue)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".catalog") }.sorted()
            var table: [String: String] = [:]
            for file in files {
                let name = "\(language.rawValue)/\(file)"
                guard let content = try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) else {
                    problems.append(Problem(file: name, line: 0, message: "not readable as UTF-8"))
                    continue
                }
                for (key, text, line) in Self.parse(content, file: name, problems: &problems) {
                    if table[key] != nil { problems.append(Problem(file: name, line: line, message: "key \(key) is defined twice")) }
                    table[key] = text
                }
            }
            texts[language] = table
        }
        self.init(texts: texts, problems: problems)
    }

    /// Catalogs from tables (tests).
    public init(texts: [Language: [String: String]], problems: [Problem] = []) {
        self.texts = texts
        var prefixes = Set<String>()
        for key in texts.values.flatMap(\.keys) {
            var parts = key.split(separator: ".")
            while parts.count > 1 {
                parts.removeLast()
                prefixes.insert(parts.joined(separator: "."))
            }
        }
        self.prefixes = prefixes
        self.problems = problems
    }

    static func parse(_ content: String, file: String, problems: inout [Problem]) -> [(String, String, Int)] {
        var entries: [(String, String, Int)] = []
        for (index, raw) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = String(line).trimmed
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            guard let equals = line.firstIndex(of: "=") else {
                problems.append(Problem(file: file, line: index + 1, message: "no ` = ` in the line"))
                continue
            }
            let key = String(line[..<equals]).trimmed
            guard isKey(key) else {
                problems.append(Problem(file: file, line: index + 1, message: "`\(key)` is not a key: lowercase letters, digits, `_`, dotted"))
                continue
            }
            let text = String(line[line.index(after: equals)...]).trimmed.replacingOccurrences(of: "\\n", with: "\n")
            entries.append((key, text, index + 1))
        }
        return entries
    }

    public static func isKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 120 && !key.hasPrefix(".") && !key.hasSuffix(".") && !key.contains("..")
            && key.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// The keys of one language.
    public func keys(of language: Language) -> Set<String> { Set(texts[language]?.keys ?? [:].keys) }

    /// The raw text of a key in a language, without falling back.
    public func text(_ key: String, in language: Language) -> String? { texts[language]?[key] }

    /// Whether `prefix` is the dotted start of some key.
    public func isPrefix(_ prefix: String) -> Bool { prefixes.contains(prefix) }

    /// The text in `language`, else in English, else the key itself (a visible, testable gap);
    /// `{name}` filled from the arguments, formatted for the language.
    public func render(_ text: LocalizedText, in language: Language) -> String {
        let template = texts[language]?[text.key] ?? texts[.en]?[text.key] ?? text.key
        guard !text.arguments.isEmpty, template.contains("{") else { return template }
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            result += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            if let argument = text.arguments[name] {
                result += Format.argument(argument, in: language)
            } else {
                result += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// The `{name}` placeholders of a text, for the check that both languages fill the same ones.
    public static func placeholders(_ text: String) -> Set<String> {
        var names = Set<String>()
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}
