import Commerce
import Foundation
import Localization
import Storage

// What the pages show of money, days, moments and statuses, in the reader's language
// (`Language.current`): English keeps the console's look, Bengali its digits and words.

extension Money {
    /// `12.50 USD`; `১২.৫০US$` in Bengali.
    var shown: String { shown(in: Language.current) }

    func shown(in language: Language) -> String {
        Format.money(minor: minorUnits, exponent: currency.exponent, currency: currency.code, in: language)
    }
}

extension BusinessDate {
    /// `2026-12-03`; `৩ ডিসেম্বর, ২০২৬` in Bengali.
    var shown: String { Format.date(year: year, month: month, day: day) }
}

enum Shown {
    /// The UTC day of a moment.
    static func day(_ moment: Date) -> String {
        let parts = utc.dateComponents([.year, .month, .day], from: moment)
        return Format.date(year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    /// `2026-12-03 14:05 UTC`.
    static func moment(_ moment: Date) -> String { Format.dateTime(moment) }

    /// `2026-04-11 → 2026-05-10`, either end a day as stores hand it over (`YYYY-MM-DD`).
    static func period(_ start: any CustomStringConvertible, _ end: any CustomStringConvertible) -> String {
        Localization.text("common.period", ["start": .text(Format.date(start.description)), "end": .text(Format.date(end.description))])
    }

    /// A month as the stores write it (`2026-04`): `এপ্রিল ২০২৬` in Bengali; other text as it is.
    static func month(_ text: String) -> String {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let year = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month) else { return text }
        return Format.month(year: year, month: month)
    }

    /// A count: `1234`; `১,২৩৪` in Bengali.
    static func number(_ value: Int64) -> String { Format.number(value) }
    static func number(_ value: Int) -> String { Format.number(Int64(value)) }

    /// `3 month(s)`; `৩ মাস`.
    static func months(_ count: Int) -> String { Localization.text("common.months", ["count": .number(Int64(count))]) }

    /// A decimal written by the stores (a rate `0.912345`, an amount `12.50`): its digits in the reader's script.
    static func decimal(_ text: String) -> String { Format.digits(text) }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

extension SubscriptionStatus {
    var shown: String { Localization.text("common.subscription_status." + rawValue) }
}

extension OrderStatus {
    var shown: String { Localization.text("common.order_status." + rawValue) }
}

extension OrderKind {
    var shown: String { Localization.text("common.order_kind." + rawValue) }
}

extension InvoiceStatus {
    var shown: String { Localization.text("common.invoice_status." + rawValue) }
}

extension PaymentStatus {
    var shown: String { Localization.text("common.payment_status." + rawValue) }
}

extension PaymentMethod {
    var shown: String { Localization.text("common.payment_method." + rawValue) }
}

extension BillingType {
    var shown: String { Localization.text("common.billing_type." + rawValue) }
}

extension Role {
    var shown: String { Localization.text("common.role." + rawValue) }
}

extension AccountKind {
    /// The tier's name in the top bar.
    var shown: String { Localization.text("common.tier." + rawValue) }
}
