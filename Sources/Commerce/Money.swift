import Localization

/// Amounts are integers in a currency's minor unit (ISO 4217 exponent: USD 2, JPY 0, BHD 3).
/// Unit prices carry `UnitPrice.extraDigits` more digits than their currency; rates carry 6.
/// Nothing here touches floating point.
public struct Currency: Sendable, Hashable, Codable {
    public var code: String
    /// Digits after the decimal point of the minor unit: 0, 2 or 3.
    public var exponent: Int

    public init(code: String, exponent: Int) {
        self.code = code
        self.exponent = exponent
    }

    /// Three ASCII letters, upper case.
    public static func isValidCode(_ code: String) -> Bool {
        code.count == 3 && code.allSatisfy { $0.isASCII && $0.isUppercase && $0.isLetter }
    }

    public static let allowedExponents: Set<Int> = [0, 2, 3]
}

/// An amount of a currency, in minor units.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    public var minorUnits: Int64
    public var currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// `"12.50"`, `"1200"`, `"-4.000"`: exactly the currency's digits.
    public var amountText: String { DecimalText.format(minorUnits, scale: currency.exponent) }

    /// `"12.50 USD"`.
    public var description: String { "\(amountText) \(currency.code)" }

    /// Parses an amount typed by a person (`"12.5"`, `"12.50"`, `"0"`); at most the currency's digits.
    public static func parse(_ text: String, currency: Currency, allowNegative: Bool = false) throws(AmountError) -> Money {
        Money(minorUnits: try DecimalText.parse(text, scale: currency.exponent, allowNegative: allowNegative), currency: currency)
    }
}

/// A price per unit: the currency's digits plus four more, rounded only on the line it prices.
public struct UnitPrice: Sendable, Hashable, Codable {
    public static let extraDigits = 4

    /// The price in units of 10^-(exponent + 4) of the currency.
    public var scaled: Int64
    public var currency: Currency

    public init(scaled: Int64, currency: Currency) {
        self.scaled = scaled
        self.currency = currency
    }

    public var scale: Int { currency.exponent + Self.extraDigits }

    /// `"12.50"`, `"0.1234"`: at least the currency's digits, trailing zeros beyond them dropped.
    public var amountText: String { DecimalText.format(scaled, scale: scale, minimumDigits: currency.exponent) }

    public static func parse(_ text: String, currency: Currency) throws(AmountError) -> UnitPrice {
        UnitPrice(scaled: try DecimalText.parse(text, scale: currency.exponent + extraDigits, allowNegative: false), currency: currency)
    }
}

/// `1 FROM = rate TO`, to 6 decimals, as a scaled integer.
public struct RateValue: Sendable, Hashable, Codable {
    public static let scale = 6
    public var scaled: Int64

    public init(scaled: Int64) { self.scaled = scaled }

    public var text: String { DecimalText.format(scaled, scale: Self.scale) }

    /// Positive, at most 6 decimals.
    public static func parse(_ text: String) throws(AmountError) -> RateValue {
        let value = try DecimalText.parse(text, scale: scale, allowNegative: false)
        guard value > 0 else { throw .notPositive }
        return RateValue(scaled: value)
    }
}

/// Why typed amount text was refused, with a message naming the rule.
public enum AmountError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedMessage {
    case empty
    case notANumber
    case tooManyDecimals(maximum: Int)
    case negative
    case notPositive
    case tooLarge

    /// In the reader's language (`Locales/*/errors.catalog`).
    public var description: String { localized.description }

    public var localized: LocalizedText {
        switch self {
        case .empty: LocalizedText("error.amount.empty")
        case .notANumber: LocalizedText("error.amount.not_number")
        case .tooManyDecimals(let maximum): maximum == 0 ? LocalizedText("error.amount.whole_units") : LocalizedText("error.amount.decimals", ["max": .number(Int64(maximum))])
        case .negative: LocalizedText("error.amount.negative")
        case .notPositive: LocalizedText("error.amount.not_positive")
        case .tooLarge: LocalizedText("error.amount.too_large")
        }
    }
}

/// Exact conversion between decimal text and scaled integers.
public enum DecimalText {
    /// `"12.5"` at scale 2 → 1250. Accepts an optional sign, digits, and at most `scale` decimals.
    public static func parse(_ raw: String, scale: Int, allowNegative: Bool) throws(AmountError) -> Int64 {
        var text = Substring(raw).drop(while: { $0 == " " })
        while text.last == " " { text = text.dropLast() }
        guard !text.isEmpty else { throw .empty }
        var negative = false
        if text.first == "-" || text.first == "+" {
            negative = text.first == "-"
            text = text.dropFirst()
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty),
              whole.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
              !(parts.count > 1 && fraction.isEmpty)
        else { throw .notANumber }
        guard fraction.count <= scale else { throw .tooManyDecimals(maximum: scale) }
        var value: Int64 = 0
        for digit in whole + fraction + String(repeating: "0", count: scale - fraction.count) {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (plus, overflow2) = times.addingReportingOverflow(Int64(digit.wholeNumberValue!))
            guard !overflow1, !overflow2 else { throw .tooLarge }
            value = plus
        }
        if negative && value != 0 {
            guard allowNegative else { throw .negative }
            value = -value
        }
        return value
    }

    /// 1250 at scale 2 → `"12.50"`; with `minimumDigits`, trailing zeros past that many are dropped.
    public static func format(_ value: Int64, scale: Int, minimumDigits: Int? = nil) -> String {
        let magnitude = String(value.magnitude)
        let padded = magnitude.count <= scale ? String(repeating: "0", count: scale - magnitude.count + 1) + magnitude : magnitude
        let split = padded.index(padded.endIndex, offsetBy: -scale)
        var fraction = String(padded[split...])
        if let minimumDigits {
            while fraction.count > minimumDigits && fraction.hasSuffix("0") { fraction.removeLast() }
        }
        let sign = value < 0 ? "-" : ""
        return fraction.isEmpty ? sign + padded[..<split] : sign + padded[..<split] + "." + fraction
    }
}
