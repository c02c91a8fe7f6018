import Foundation
import Localization

/// A brand's primary colour, `#RRGGBB`, kept lower-case, and the text that reads on it.
public struct BrandColor: Sendable, Equatable, CustomStringConvertible {
    /// `#rrggbb`.
    public let hex: String

    /// The colour of the top bar when no reseller's brand applies: Bootstrap's dark.
    public static let standard = BrandColor(checked: "#212529")

    private init(checked hex: String) { self.hex = hex }

    public enum Refusal: Error, Equatable, CustomStringConvertible, LocalizedMessage {
        case notAColor
        public var description: String { localized.description }
        public var localized: LocalizedText { LocalizedText("error.brand.color") }
    }

    /// `#1F6FEB` or `#1f6feb`, nothing else (no `#fff`, no names, no spaces inside).
    public static func parse(_ raw: String) throws(Refusal) -> BrandColor {
        let text = raw.trimmingWhitespace.lowercased()
        let digits = text.utf8.dropFirst()
        guard text.utf8.count == 7, text.utf8.first == UInt8(ascii: "#"), digits.allSatisfy(Self.isHexDigit) else { throw .notAColor }
        return BrandColor(checked: text)
    }

    public var description: String { hex }

    /// The six digits without `#`, as the theme stylesheet's name carries them.
    public var digits: String { String(hex.dropFirst()) }

    /// WCAG 2 relative luminance, 0 (black) to 1 (white).
    public var luminance: Double {
        let bytes = Array(digits.utf8)
        func channel(_ index: Int) -> Double {
            let value = Double(Self.nibble(bytes[index]) * 16 + Self.nibble(bytes[index + 1])) / 255
            return value <= 0.04045 ? value / 12.92 : Foundation.pow((value + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }

    /// Text on this colour: white or black, whichever contrasts more (WCAG ratio). One of them always
    /// reads at 4.58:1 or more, past WCAG AA's 4.5:1; with Bootstrap's #212529 as the dark a mid-tone
    /// such as #808080 had neither (3.95:1 and 3.9:1).
    public var text: TextTone {
        contrast(with: .light) >= contrast(with: .dark) ? .light : .dark
    }

    /// The WCAG 2 contrast ratio of the tone's text on this colour, 1 to 21.
    public func contrast(with tone: TextTone) -> Double {
        switch tone {
        case .light: 1.05 / (luminance + 0.05)
        case .dark: (luminance + 0.05) / 0.05
        }
    }

    public enum TextTone: String, Sendable {
        /// White text, for dark backgrounds.
        case light
        /// Black text, for light backgrounds.
        case dark
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func nibble(_ byte: UInt8) -> Int {
        byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : Int(byte - UInt8(ascii: "a")) + 10
    }
}

/// The name in a brand's sign-in link, `/signin?brand=<slug>`: 1 to 63 of `a-z`, `0-9` and `-`,
/// starting and ending with a letter or digit.
public enum BrandSlug {
    public static let maximumLength = 63

    public enum Refusal: Error, Equatable, CustomStringConvertible, LocalizedMessage {
        case notASlug
        public var description: String { localized.description }
        public var localized: LocalizedText { LocalizedText("error.brand.slug") }
    }

    public static func parse(_ raw: String) throws(Refusal) -> String {
        let text = raw.trimmingWhitespace
        guard isValid(text) else { throw .notASlug }
        return text
    }

    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard (1...maximumLength).contains(bytes.count), alphanumeric(bytes.first!), alphanumeric(bytes.last!) else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// A slug made from a brand's name when none is given: `Northwind Hosting` → `northwind-hosting`.
    public static func suggested(from name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        return String(slug.prefix(maximumLength)).trimmingTrailingHyphens
    }
}

private extension String {
    var trimmingTrailingHyphens: String {
        var text = self
        while text.hasSuffix("-") { text.removeLast() }
        return text
    }
}
