import Foundation

/// A JSON document written by hand, so it can hold what `JSONSerialization` cannot: numbers past
/// Int64 and Double (`1e400`, `2^63`, `99999999999999999999.99999`), NUL bytes, deep nesting.
indirect enum FuzzJSON: CustomStringConvertible {
    case object([(key: String, value: FuzzJSON)])
    case array([FuzzJSON])
    case string(String)
    /// A number, `true`, `false`, `null`, or any text written as it is.
    case literal(String)

    enum Key: CustomStringConvertible {
        case name(String)
        case index(Int)
        var description: String {
            switch self {
            case .name(let name): name
            case .index(let index): String(index)
            }
        }
    }

    var description: String {
        switch self {
        case .object(let pairs): "{" + pairs.map { Self.quote($0.key) + ":" + $0.value.description }.joined(separator: ",") + "}"
        case .array(let items): "[" + items.map(\.description).joined(separator: ",") + "]"
        case .string(let text): Self.quote(text)
        case .literal(let text): text
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Every place a value sits, parents before children; `[]` is the whole document.
    var paths: [[Key]] {
        var all: [[Key]] = [[]]
        switch self {
        case .object(let pairs):
            for pair in pairs { all += pair.value.paths.map { [.name(pair.key)] + $0 } }
        case .array(let items):
            for (index, item) in items.enumerated() { all += item.paths.map { [.index(index)] + $0 } }
        case .string, .literal: break
        }
        return all
    }

    /// This document with the value at `path` replaced (`nil`: the key removed).
    func replacing(_ path: ArraySlice<Key>, with value: FuzzJSON?) -> FuzzJSON? {
        guard let head = path.first else { return value }
        switch (self, head) {
        case (.object(let pairs), .name(let name)):
            return .object(pairs.compactMap { pair in
                guard pair.key == name else { return pair }
                return pair.value.replacing(path.dropFirst(), with: value).map { (pair.key, $0) }
            })
        case (.array(var items), .index(let index)) where index < items.count:
            if let replaced = items[index].replacing(path.dropFirst(), with: value) { items[index] = replaced } else { items.remove(at: index) }
            return .array(items)
        default:
            return self
        }
    }
}

/// The model-based test's SplitMix64: the same seed gives the same values on every platform.
typealias SeededRandom = EngineModelRNG

/// What the fuzzer sends: the fixed boundary values first, then seeded random ones.
enum FuzzValues {
    /// Numbers at and past every integer width, decimals past Double and past any money column.
    static let numbers = [
        "0", "-1", "1", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967296",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "1e400", "-1e400", "99999999999999999999.99999", "1.5", "-0.0001", "1E2", "-0",
        "123456789012345678901234567890123456789012345678901234567890",
    ]

    /// Texts that bound checks, parsers and templates stumble on.
    static let texts = [
        "", " ", "abc", "\u{0}", "a\u{0}b", "\u{1B}[31m", "line\nbreak", "Ünïcødé 💥 \u{202E}txet", "\u{FEFF}1", "١٢٣",
        "NaN", "Infinity", "-Infinity", "0x10", "+5", " 5 ", "1,5", "1_000", "12.345678901", "0.000000001",
        "9999-12-31", "0001-01-01", "2026-02-30", "2026-13-01", "99999-01-01", "2026-04-26T25:61:00Z",
        "<script>alert(1)</script>", "\"><svg/onload=alert(1)>@x.test", "' OR 1=1 -- ", "%00", "../../etc/passwd",
        String(repeating: "x", count: 70_000), String(repeating: "9", count: 5_000),
    ]

    /// JSON values of every other type than the field's, and nesting deep enough to exhaust a
    /// recursive decoder's stack.
    static let shapes: [FuzzJSON] = [
        .literal("null"), .literal("true"), .literal("false"), .array([]), .object([]), .array([.literal("1")]),
        .object([(key: "amount", value: .string("1")), (key: "currency", value: .string("ZZZ"))]),
        .literal(String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)),
        .literal(String(repeating: "{\"a\":", count: 3_000) + "1" + String(repeating: "}", count: 3_000)),
    ]

    /// Every fixed value as JSON: numbers as numbers and as strings, texts, other shapes.
    static var json: [FuzzJSON] {
        numbers.map(FuzzJSON.literal) + numbers.map(FuzzJSON.string) + texts.map(FuzzJSON.string) + shapes
    }

    /// Every fixed value as query or form text.
    static var text: [String] { numbers + texts }

    /// The edges every input gets on every run (the rest of `numbers`, `texts` and `shapes` are
    /// drawn at random, more of them with FUZZ_ITERATIONS): Int64 and Int32 edges, 2^63, `1e400`,
    /// a decimal past any column, -1, 0, empty, NUL, unicode, 70,000 characters, calendar ends.
    static let coreNumbers = ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "2147483648", "-2147483649",
                              "1e400", "99999999999999999999.99999", "-1", "0"]
    static let coreTexts = ["", "a\u{0}b", "Ünïcødé 💥 \u{202E}txet", String(repeating: "x", count: 70_000), "9999-12-31", "0001-01-01", "abc"]

    static var coreJSON: [FuzzJSON] {
        coreNumbers.map(FuzzJSON.literal) + ["9223372036854775807", "-9223372036854775808", "99999999999999999999.99999", "1e400", "-1"].map(FuzzJSON.string)
            + coreTexts.map(FuzzJSON.string) + [.literal("null"), .literal("true"), .array([]), .object([]), shapes[7]]
    }

    static var coreText: [String] { coreNumbers + coreTexts }

    /// A random value: an integer of any width, a long decimal, a date-like text, or random characters.
    static func random(_ random: inout SeededRandom) -> String {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return String(Int64.random(in: .min ... .max, using: &random))
        case 1: return String(Int64.random(in: -100_000...100_000, using: &random))
        case 2:
            let digits = (0..<Int.random(in: 1...40, using: &random)).map { _ in String(Int.random(in: 0...9, using: &random)) }.joined()
            let decimals = (0..<Int.random(in: 0...12, using: &random)).map { _ in String(Int.random(in: 0...9, using: &random)) }.joined()
            return (Bool.random(using: &random) ? "-" : "") + digits + (decimals.isEmpty ? "" : "." + decimals)
        case 3:
            return String(format: "%04d-%02d-%02d", Int.random(in: -1...99_999, using: &random), Int.random(in: -1...99, using: &random),
                          Int.random(in: -1...99, using: &random))
        default:
            var text = ""
            for _ in 0..<Int.random(in: 0...24, using: &random) {
                let ranges: [ClosedRange<UInt32>] = [0...0x1F, 0x20...0x7E, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFD, 0x1F300...0x1F64F]
                let range = ranges[Int.random(in: 0..<ranges.count, using: &random)]
                if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &random)) { text.unicodeScalars.append(scalar) }
            }
            return text
        }
    }

    /// A random JSON value: a random text as a number when it reads as one, else as a string.
    static func randomJSON(_ random: inout SeededRandom) -> FuzzJSON {
        let text = Self.random(&random)
        let numeric = !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == ".") } && text.first != "." && !text.dropFirst().contains("-")
        return numeric && Bool.random(using: &random) ? .literal(text) : .string(text)
    }
}
