/// The languages the console speaks. English is the fallback for anything a catalog lacks.
public enum Language: String, CaseIterable, Sendable, Codable {
    case en, bn

    /// The language of the request being answered: set per request by the console (the user's
    /// choice, else the language cookie, else `Accept-Language`), read by every text and format.
    @TaskLocal public static var current: Language = .en

    /// The best supported language of an `Accept-Language` field (`bn-BD,bn;q=0.9,en;q=0.8`), or nil
    /// when it names none. Bounded: at most 1,000 characters and 32 entries are read.
    public static func preferred(acceptLanguage header: String?) -> Language? {
        guard let header else { return nil }
        var best: (language: Language, quality: Int)?
        for entry in header.utf8.prefix(1_000).split(separator: UInt8(ascii: ",")).prefix(32) {
            let parts = entry.split(separator: UInt8(ascii: ";"))
            guard let tag = parts.first.map({ String(decoding: $0, as: UTF8.self).trimmed.lowercased() }) else { continue }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            guard let language = Language(rawValue: primary) else { continue }
            var quality = 1_000
            for parameter in parts.dropFirst() {
                let text = String(decoding: parameter, as: UTF8.self).trimmed
                if text.hasPrefix("q=") { quality = Self.quality(text.dropFirst(2)) ?? 0 }
            }
            // Ties go to the earlier entry: the order the browser listed them in.
            if quality > 0, quality > (best?.quality ?? 0) { best = (language, quality) }
        }
        return best?.language
    }

    /// `0.8` → 800; nil for anything that is not a quality value (0 to 1, at most three decimals).
    private static func quality(_ text: Substring) -> Int? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, whole == "0" || whole == "1" else { return nil }
        let fraction = parts.count > 1 ? parts[1] : ""
        guard fraction.count <= 3, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let padded = String(fraction) + String(repeating: "0", count: 3 - fraction.count)
        let value = (whole == "1" ? 1_000 : 0) + (Int(padded) ?? 0)
        return value <= 1_000 ? value : nil
    }
}

extension String {
    var trimmed: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
