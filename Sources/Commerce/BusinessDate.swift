/// A UTC calendar date of the console clock (DOMAIN.md 2), with the period arithmetic of DOMAIN.md 3.
public struct BusinessDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD`; nil for anything else, or a day the month doesn't have.
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= BusinessDate.daysIn(year: y, month: m) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var description: String {
        let y = String(year), m = month < 10 ? "0\(month)" : String(month), d = day < 10 ? "0\(day)" : String(day)
        return "\(String(repeating: "0", count: max(0, 4 - y.count)))\(y)-\(m)-\(d)"
    }

    public static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01.
    public var ordinal: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        return era * 146_097 + (yoe * 365 + yoe / 4 - yoe / 100 + doy) - 719_468
    }

    public init(ordinal: Int) {
        let z = ordinal + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: doy - (153 * mp + 2) / 5 + 1)
    }

    public func adding(days: Int) -> BusinessDate { BusinessDate(ordinal: ordinal + days) }

    public static func days(from a: BusinessDate, to b: BusinessDate) -> Int { b.ordinal - a.ordinal }

    /// `months` later, on `anchorDay` clamped to that month's last day: a subscription started on
    /// Jan 31 renews on Feb 28 (29), then Mar 31.
    public func addingMonths(_ months: Int, anchorDay: Int) -> BusinessDate {
        let index = year * 12 + (month - 1) + months
        let y = index / 12, m = index % 12 + 1
        return BusinessDate(year: y, month: m, day: min(anchorDay, BusinessDate.daysIn(year: y, month: m)))
    }

    public static func < (a: BusinessDate, b: BusinessDate) -> Bool { a.ordinal < b.ordinal }
}

/// A billing period `[start, end)` of `months` months, keeping the subscription's day of month.
public struct BillingPeriod: Sendable, Hashable, Codable {
    public var start: BusinessDate
    public var end: BusinessDate
    public var months: Int

    public init(start: BusinessDate, end: BusinessDate, months: Int) {
        self.start = start
        self.end = end
        self.months = months
    }

    /// The period that starts on `start` for a subscription anchored on `anchorDay`.
    public init(starting start: BusinessDate, months: Int, anchorDay: Int) {
        self.init(start: start, end: start.addingMonths(months, anchorDay: anchorDay), months: months)
    }

    /// D: the days in the period.
    public var days: Int { BusinessDate.days(from: start, to: end) }

    /// R: days from `t` to the end, `t` counted (on `start`, R = D; on the last day, R = 1).
    public func daysRemaining(at t: BusinessDate) -> Int { BusinessDate.days(from: t, to: end) }

    public func contains(_ t: BusinessDate) -> Bool { start <= t && t < end }
}
