import Foundation
import MariaDB

/// A resource as people read it: its name and unit beside the code the API and forms use.
public struct ResourceLabel: Sendable, Equatable {
    public var id: Int64
    public var code: String
    public var name: String
    public var unit: String

    public init(id: Int64, code: String, name: String, unit: String) {
        self.id = id
        self.code = code
        self.name = name
        self.unit = unit
    }
}

/// Names and units of resources asked for by id or by code, in one statement whatever their number
/// (pages that show a subscription's, an order's or the audit log's resources). The catalog is the
/// provider's and every tier reads it, so no tenant scope applies.
public enum ResourceLabels {
    public static func load(ids: Set<Int64> = [], codes: Set<String> = [], on db: MariaDBDatabase) async throws -> [ResourceLabel] {
        guard !ids.isEmpty || !codes.isEmpty else { return [] }
        var conditions: [String] = []
        if !ids.isEmpty { conditions.append("id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))") }
        if !codes.isEmpty { conditions.append("code IN (\(Array(repeating: "?", count: codes.count).joined(separator: ", ")))") }
        let binds: [MariaDBData] = ids.sorted().map { .int($0) } + codes.sorted().map { .string($0) }
        return try await db.rows("SELECT id, code, name, unit FROM resources WHERE \(conditions.joined(separator: " OR "))", binds).map { row in
            ResourceLabel(id: try row.decode(column: "id", as: Int64.self), code: try row.decode(column: "code", as: String.self),
                          name: try row.decode(column: "name", as: String.self), unit: try row.decode(column: "unit", as: String.self))
        }
    }
}

extension ResourceLabels {
    /// The resources whose codes appear as words in texts written with codes (order summaries,
    /// line descriptions): one statement for all the texts of a page.
    public static func load(mentionedIn texts: [String], on db: MariaDBDatabase) async throws -> [ResourceLabel] {
        try await load(codes: Set(texts.flatMap(codeLikeWords)), on: db)
    }

    /// The words of a text that could be resource codes (lower-case letters, digits and `_`).
    public static func codeLikeWords(in text: String) -> [String] {
        text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).compactMap { word in
            guard (2...64).contains(word.count), word.allSatisfy({ $0 == "_" || $0.isNumber || ("a"..."z").contains($0) }),
                  word.contains(where: \.isLetter) else { return nil }
            return String(word)
        }
    }
}

extension Array where Element == ResourceLabel {
    /// Codes replaced by names in a text written with codes ("Add 2 × ram_gb" → "Add 2 × RAM"): whole
    /// words only, so `ram_gb` never matches inside `ram_gb_extra`.
    public func naming(_ text: String) -> String {
        var result = text
        for label in self where result.contains(label.code) {
            result = Self.replacingWord(label.code, with: label.name, in: result)
        }
        return result
    }

    static func replacingWord(_ word: String, with replacement: String, in text: String) -> String {
        func isWordCharacter(_ character: Character?) -> Bool {
            guard let character else { return false }
            return character.isLetter || character.isNumber || character == "_"
        }
        var output = ""
        var rest = Substring(text)
        while let range = rest.range(of: word) {
            let before = range.lowerBound == rest.startIndex ? output.last : rest[rest.index(before: range.lowerBound)]
            let after = range.upperBound == rest.endIndex ? nil : rest[range.upperBound]
            output += rest[..<range.lowerBound]
            output += isWordCharacter(before) || isWordCharacter(after) ? word : replacement
            rest = rest[range.upperBound...]
        }
        return output + rest
    }
}
