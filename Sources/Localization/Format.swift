import Foundation

/// Numbers, money and dates as the reader's language writes them. English keeps the console's
/// long-standing look (`1234`, `12.50 USD`, `2026-12-03`, `2026-12-03 14:05 UTC`); Bengali uses
/// Bengali digits, the Indian grouping of CLDR's `bn` (`১২,৩৪,৫৬৭`), month names, and the
/// currency's own symbol after the amount (`১,২৩৪.৫০৳`).
public enum Format {
    public static func number(_ value: Int64, in language: Language = Language.current) -> String {
        switch language {
        case .en: String(value)
        case .bn: bengaliDigits((value < 0 ? "-" : "") + indianGrouping(String(value.magnitude)))
        }
    }

    /// `minor` units of a currency with `exponent` minor digits.
    public static func money(minor: Int64, exponent: Int, currency: String, in language: Language = Language.current) -> String {
        let decimal = decimalText(minor, exponent: exponent)
        switch language {
        case .en:
            return "\(decimal) \(currency)"
        case .bn:
            let negative = decimal.hasPrefix("-")
            let digits = negative ? String(decimal.dropFirst()) : decimal
            let parts = digits.split(separator: ".", maxSplits: 1)
            let whole = indianGrouping(String(parts[0]))
            let grouped = parts.count > 1 ? whole + "." + parts[1] : whole
            return bengaliDigits((negative ? "-" : "") + grouped) + (symbols[currency] ?? "\u{00A0}" + currency)
        }
    }

    /// A decimal amount without currency (`12.50`; `১২.৫০` in bn, grouped).
    public static func amount(minor: Int64, exponent: Int, in language: Language = Language.current) -> String {
        let decimal = decimalText(minor, exponent: exponent)
        guard language == .bn else { return decimal }
        let negative = decimal.hasPrefix("-")
        let parts = (negative ? String(decimal.dropFirst()) : decimal).split(separator: ".", maxSplits: 1)
        let whole = indianGrouping(String(parts[0]))
        return bengaliDigits((negative ? "-" : "") + (parts.count > 1 ? whole + "." + parts[1] : whole))
    }

    /// A calendar day: `2026-12-03`, `৩ ডিসেম্বর, ২০২৬`.
    public static func date(year: Int, month: Int, day: Int, in language: Language = Language.current) -> String {
        switch language {
        case .en: return "\(four(year))-\(two(month))-\(two(day))"
        case .bn: return bengaliDigits(String(day)) + " " + monthName(month, in: .bn) + ", " + bengaliDigits(String(year))
        }
    }

    /// A month: `2026-12`, `ডিসেম্বর ২০২৬` (charts and monthly tables).
    public static func month(year: Int, month: Int, in language: Language = Language.current) -> String {
        switch language {
        case .en: return "\(four(year))-\(two(month))"
        case .bn: return monthName(month, in: .bn) + " " + bengaliDigits(String(year))
        }
    }

    /// A moment in UTC: `2026-12-03 14:05 UTC`, `৩ ডিসেম্বর, ২০২৬ ১৪:০৫ UTC`.
    public static func dateTime(_ moment: Date, in language: Language = Language.current) -> String {
        let parts = utc.dateComponents([.year, .month, .day, .hour, .minute], from: moment)
        let day = date(year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1, in: language)
        let time = "\(two(parts.hour ?? 0)):\(two(parts.minute ?? 0))"
        return day + " " + (language == .bn ? bengaliDigits(time) : time) + " UTC"
    }

    /// A day given as `YYYY-MM-DD` text (how the stores hand dates over); other text as it is.
    public static func date(_ text: String, in language: Language = Language.current) -> String {
        let parts = text.split(separator: "-")
        guard language != .en, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day) else { return text }
        return date(year: year, month: month, day: day, in: language)
    }

    public static func monthName(_ month: Int, in language: Language = Language.current) -> String {
        guard (1...12).contains(month) else { return String(month) }
        switch language {
        case .en: return englishMonths[month - 1]
        case .bn: return bengaliMonths[month - 1]
        }
    }

    /// ASCII digits turned into Bengali ones (`০`–`৯`); everything else as it is.
    public static func bengaliDigits(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            (48...57).contains(scalar.value) ? Unicode.Scalar(0x09E6 + scalar.value - 48)! : scalar
        }))
    }

    /// Digits in the language's own script (ids and codes stay ASCII: use this for counts only).
    public static func digits(_ text: String, in language: Language = Language.current) -> String {
        language == .bn ? bengaliDigits(text) : text
    }

    static func argument(_ argument: LocalizedText.Argument, in language: Language) -> String {
        switch argument {
        case .text(let text): text
        case .number(let value): number(value, in: language)
        case .amount(let minor, let exponent, let currency): money(minor: minor, exponent: exponent, currency: currency, in: language)
        case .date(let year, let month, let day): date(year: year, month: month, day: day, in: language)
        }
    }

    /// `123456789` → `12,34,56,789`: the last three digits, then groups of two.
    static func indianGrouping(_ digits: String) -> String {
        guard digits.count > 3 else { return digits }
        var head = Array(digits.dropLast(3))
        var groups: [String] = [String(digits.suffix(3))]
        while !head.isEmpty {
            groups.insert(String(head.suffix(2)), at: 0)
            head.removeLast(min(2, head.count))
        }
        return groups.joined(separator: ",")
    }

    static func decimalText(_ value: Int64, exponent: Int) -> String {
        let scale = max(0, min(exponent, 18))
        let magnitude = String(value.magnitude)
        let padded = magnitude.count <= scale ? String(repeating: "0", count: scale - magnitude.count + 1) + magnitude : magnitude
        let split = padded.index(padded.endIndex, offsetBy: -scale)
        let sign = value < 0 ? "-" : ""
        return scale == 0 ? sign + padded : sign + padded[..<split] + "." + padded[split...]
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
    private static func four(_ value: Int) -> String { String(repeating: "0", count: max(0, 4 - String(value).count)) + String(value) }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// CLDR's `bn` symbols; any other currency shows its code.
    static let symbols: [String: String] = ["BDT": "৳", "USD": "US$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "JP¥", "AUD": "A$", "CAD": "CA$"]
    private static let englishMonths = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    private static let bengaliMonths = ["জানুয়ারী", "ফেব্রুয়ারী", "মার্চ", "এপ্রিল", "মে", "জুন", "জুলাই", "আগস্ট", "সেপ্টেম্বর", "অক্টোবর", "নভেম্বর", "ডিসেম্বর"]
}
