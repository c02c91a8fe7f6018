import Localization

/// The bounds of everything that enters the console from outside (DOMAIN.md 10): API bodies, page
/// forms, query strings and the command line parse their numbers, dates and texts through these
/// types, so a value past a bound is refused at the edge with the field named, and arithmetic on
/// what is accepted can't overflow.

/// Why a value from outside was refused, as a person reads it.
public enum BoundsError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedMessage {
    case empty
    case notAWholeNumber
    case outOfRange(minimum: Int64, maximum: Int64)
    case notOneOf([Int64])
    case notADate
    case dateOutOfRange(earliest: BusinessDate, latest: BusinessDate)
    case notADecimal(maximumDecimals: Int)
    case controlCharacter
    case tooLong(maximum: Int)
    case notAnEmail

    /// In the reader's language (`Locales/*/errors.catalog`).
    public var description: String { localized.description }

    public var localized: LocalizedText {
        switch self {
        case .empty: LocalizedText("error.bounds.empty")
        case .notAWholeNumber: LocalizedText("error.bounds.not_whole")
        case .outOfRange(let minimum, let maximum):
            maximum == Int64.max ? LocalizedText("error.bounds.at_least", ["min": .number(minimum)])
                : LocalizedText("error.bounds.out_of_range", ["min": .number(minimum), "max": .number(maximum)])
        case .notOneOf(let allowed): LocalizedText("error.bounds.not_one_of", ["allowed": .text(allowed.map { Format.number($0) }.joined(separator: ", "))])
        case .notADate: LocalizedText("error.bounds.not_a_date")
        case .dateOutOfRange(let earliest, let latest): LocalizedText("error.bounds.date_range", ["earliest": .text("\(earliest)"), "latest": .text("\(latest)")])
        case .notADecimal(let maximumDecimals): LocalizedText("error.bounds.not_decimal", ["decimals": .number(Int64(maximumDecimals))])
        case .controlCharacter: LocalizedText("error.bounds.control")
        case .tooLong(let maximum): LocalizedText("error.bounds.too_long", ["max": .number(Int64(maximum))])
        case .notAnEmail: LocalizedText("error.bounds.not_email")
        }
    }
}

// MARK: Whole numbers

/// A whole number within a closed range, parsed from text or checked from a decoded integer.
public protocol BoundedInteger: Sendable, Hashable, Comparable, CustomStringConvertible {
    static var range: ClosedRange<Int64> { get }
    var value: Int64 { get }
    /// Only for values already inside `range`; everything from outside goes through `init?` or `parse`.
    init(inRange value: Int64)
}

extension BoundedInteger {
    /// nil outside `range`.
    public init?(_ value: some BinaryInteger) {
        guard let exact = Int64(exactly: value), Self.range.contains(exact) else { return nil }
        self.init(inRange: exact)
    }

    /// The value, or why it is refused.
    public static func checked(_ value: some BinaryInteger) throws(BoundsError) -> Self {
        guard let bounded = Self(value) else { throw .outOfRange(minimum: range.lowerBound, maximum: range.upperBound) }
        return bounded
    }

    /// Digits with an optional sign, spaces around allowed; nothing else.
    public static func parse(_ raw: String) throws(BoundsError) -> Self {
        var text = Substring(raw).drop(while: { $0 == " " || $0 == "\t" })
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        guard !text.isEmpty else { throw .empty }
        var negative = false
        if let sign = text.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            text = text.dropFirst()
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw .notAWholeNumber }
        // Accumulated negative so Int64.min itself parses; any overflow is simply out of range.
        var value: Int64 = 0
        for digit in text.utf8 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times.subtractingReportingOverflow(Int64(digit - 0x30))
            guard !overflow1, !overflow2 else { throw .outOfRange(minimum: range.lowerBound, maximum: range.upperBound) }
            value = next
        }
        if !negative {
            guard value != Int64.min else { throw .outOfRange(minimum: range.lowerBound, maximum: range.upperBound) }
            value = -value
        }
        return try checked(value)
    }

    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
    public var description: String { String(value) }
}

/// Units of a resource: quantities, included units, limits, additional units, usage, totals.
/// ±10^9 is more than any plan sells and keeps every product with a price inside Int128.
public struct Units: BoundedInteger {
    public static let maximum: Int64 = 1_000_000_000
    public static let range: ClosedRange<Int64> = -maximum...maximum
    public let value: Int64
    public init(inRange value: Int64) { self.value = value }

    /// The sum, or nil when it leaves the bounds.
    public func adding(_ other: Units) -> Units? { Units(value + other.value) }
    /// The difference, or nil when it leaves the bounds.
    public func subtracting(_ other: Units) -> Units? { Units(value - other.value) }
}

/// Days: trials and other terms, up to ten years.
public struct Days: BoundedInteger {
    public static let range: ClosedRange<Int64> = 0...3650
    public let value: Int64
    public init(inRange value: Int64) { self.value = value }
    public var int: Int { Int(value) }
}

/// A row id: positive.
public struct RecordID: BoundedInteger {
    public static let range: ClosedRange<Int64> = 1...Int64.max
    public let value: Int64
    public init(inRange value: Int64) { self.value = value }
}

/// How many rows a list answers at once (API.md: above 200 is refused).
public struct PageLimit: BoundedInteger {
    public static let range: ClosedRange<Int64> = 1...200
    public let value: Int64
    public init(inRange value: Int64) { self.value = value }
    public var int: Int { Int(value) }
}

/// A billing period's length: 1, 3, 6 or 12 months (DOMAIN.md 3).
public struct PeriodMonths: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let allowed: [Int64] = [1, 3, 6, 12]
    public let value: Int

    public init?(_ value: some BinaryInteger) {
        guard let exact = Int64(exactly: value), Self.allowed.contains(exact) else { return nil }
        self.value = Int(exact)
    }

    public static func checked(_ value: some BinaryInteger) throws(BoundsError) -> PeriodMonths {
        guard let months = PeriodMonths(value) else { throw .notOneOf(allowed) }
        return months
    }

    public static func parse(_ text: String) throws(BoundsError) -> PeriodMonths {
        let number: Units
        do { number = try Units.parse(text) } catch .empty { throw .empty } catch { throw .notOneOf(allowed) }
        return try checked(number.value)
    }

    public static func < (a: PeriodMonths, b: PeriodMonths) -> Bool { a.value < b.value }
    public var description: String { String(value) }
}

// MARK: Dates

extension BusinessDate {
    /// Dates a person or an integration may give: periods, validity, the clock.
    public static let acceptedRange = BusinessDate(year: 2000, month: 1, day: 1)...BusinessDate(year: 2199, month: 12, day: 31)

    /// `YYYY-MM-DD` within `acceptedRange`.
    public static func parse(_ text: String) throws(BoundsError) -> BusinessDate {
        guard let date = BusinessDate(text.trimmingSpaces) else { throw .notADate }
        guard acceptedRange.contains(date) else { throw .dateOutOfRange(earliest: acceptedRange.lowerBound, latest: acceptedRange.upperBound) }
        return date
    }
}

// MARK: Decimals

/// A percentage from 0 to 100 with up to 4 decimals, kept as typed (trimmed).
public struct Percent: Sendable, Hashable, CustomStringConvertible {
    public static let decimals = 4
    /// Hundredths of a basis point: 100 % is 1_000_000.
    public let scaled: Int64
    public let text: String

    public static func parse(_ raw: String) throws(BoundsError) -> Percent {
        let text = raw.trimmingSpaces
        guard !text.isEmpty else { throw .empty }
        let scaled: Int64
        do { scaled = try DecimalText.parse(text, scale: decimals, allowNegative: true) } catch { throw .notADecimal(maximumDecimals: decimals) }
        guard (0...100 * 10_000).contains(scaled) else { throw .outOfRange(minimum: 0, maximum: 100) }
        return Percent(scaled: scaled, text: text)
    }

    /// The fraction it takes of an amount: 12.5 → 1/8.
    public var fraction: Rational { Rational(Int128(scaled), 1_000_000) }
    public var description: String { text }
}

/// Money from outside: exact (DecimalText), and at most a billion of the currency's major unit
/// either way, so prices times `Units` stay far inside Int128 and every line inside Int64.
public enum MoneyBounds {
    public static let maximumMajorUnits: Int64 = 1_000_000_000

    /// The largest scaled value at `scale` digits.
    public static func maximum(scale: Int) -> Int64 {
        var value = maximumMajorUnits
        for _ in 0..<scale { value *= 10 }
        return value
    }

    static func check(_ scaled: Int64, scale: Int) throws(AmountError) {
        guard scaled.magnitude <= UInt64(maximum(scale: scale)) else { throw .tooLarge }
    }
}

extension Money {
    /// `parse`, refusing amounts beyond `MoneyBounds`.
    public static func parseBounded(_ text: String, currency: Currency, allowNegative: Bool = false) throws(AmountError) -> Money {
        let money = try parse(text, currency: currency, allowNegative: allowNegative)
        try MoneyBounds.check(money.minorUnits, scale: currency.exponent)
        return money
    }
}

extension UnitPrice {
    /// `parse`, refusing prices beyond `MoneyBounds`.
    public static func parseBounded(_ text: String, currency: Currency) throws(AmountError) -> UnitPrice {
        let price = try parse(text, currency: currency)
        try MoneyBounds.check(price.scaled, scale: price.scale)
        return price
    }
}

extension RateValue {
    /// `parse`, refusing rates above a billion (`DECIMAL(18,6)` holds 12 digits before the point).
    public static func parseBounded(_ text: String) throws(AmountError) -> RateValue {
        let rate = try parse(text)
        try MoneyBounds.check(rate.scaled, scale: scale)
        return rate
    }
}

// MARK: Text

/// Text from outside: trimmed, without control characters, within a length.
public enum PlainText {
    /// Trims spaces (and, for one line, line breaks at the ends); refuses C0 controls (NUL, ESC …),
    /// DEL and C1 controls, except tab and line breaks in multi-line text; at most `maximumLength`
    /// code points.
    public static func parse(_ raw: String, maximumLength: Int, multiLine: Bool = false) throws(BoundsError) -> String {
        let text = multiLine ? raw.trimmingSpaces : raw.trimmingWhitespace
        for scalar in text.unicodeScalars where isControl(scalar) {
            if multiLine && (scalar == "\t" || scalar == "\n" || scalar == "\r") { continue }
            throw .controlCharacter
        }
        // Counted as MariaDB counts a VARCHAR: in code points, not grapheme clusters.
        guard text.unicodeScalars.count <= maximumLength else { throw .tooLong(maximum: maximumLength) }
        return text
    }

    /// Like `parse`, and not empty.
    public static func required(_ raw: String, maximumLength: Int, multiLine: Bool = false) throws(BoundsError) -> String {
        let text = try parse(raw, maximumLength: maximumLength, multiLine: multiLine)
        guard !text.isEmpty else { throw .empty }
        return text
    }

    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

/// An email address as people and integrations use them: `local@domain.tld`, ASCII, the local
/// part a dot-atom of RFC 5322 (no quotes, brackets, spaces or angle brackets), the domain
/// hostname labels with an alphabetic top level; at most 254 characters. Lower-cased.
public enum EmailAddress {
    public static let maximumLength = 254
    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-".utf8)

    public static func parse(_ raw: String) throws(BoundsError) -> String {
        let text = raw.trimmingWhitespace.lowercased()
        guard !text.isEmpty else { throw .empty }
        guard isValid(text) else { throw .notAnEmail }
        return text
    }

    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumLength, bytes.allSatisfy({ $0 < 0x80 }) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard (1...64).contains(local.utf8.count), domain.utf8.count <= 253 else { return false }
        let atoms = local.split(separator: ".", omittingEmptySubsequences: false)
        guard atoms.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(atext.contains) }) else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            let utf8 = Array(label.utf8)
            guard (1...63).contains(utf8.count), utf8.first != UInt8(ascii: "-"), utf8.last != UInt8(ascii: "-"),
                  utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return false }
        }
        let top = Array(labels.last!.utf8)
        return top.count >= 2 && (top.allSatisfy(isLetter) || top.starts(with: Array("xn--".utf8)))
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x41...0x5A).contains(byte) }
    private static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || (0x30...0x39).contains(byte) }
}

extension String {
    /// Without the spaces and tabs around it.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    /// Without spaces, tabs and line breaks around it.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        let blank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = scalars.firstIndex(where: { !blank($0) }), let last = scalars.lastIndex(where: { !blank($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
