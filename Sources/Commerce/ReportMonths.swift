/// A calendar month of the reports (dashboards): `2026-04`.
public struct ReportMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    public init(_ date: BusinessDate) { self.init(year: date.year, month: date.month) }

    /// `2026-04`, as the queries group by (`DATE_FORMAT(…, '%Y-%m')`).
    public init?(key: String) {
        let parts = key.split(separator: "-")
        guard parts.count == 2, let year = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month) else { return nil }
        self.init(year: year, month: month)
    }

    public var key: String {
        let y = String(year), m = String(month)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + (m.count < 2 ? "0" + m : m)
    }
    public var description: String { key }
    public var firstDay: BusinessDate { BusinessDate(year: year, month: month, day: 1) }
    public var lastDay: BusinessDate { BusinessDate(year: year, month: month, day: BusinessDate.daysIn(year: year, month: month)) }

    public func adding(months: Int) -> ReportMonth {
        let index = year * 12 + (month - 1) + months
        return ReportMonth(year: index / 12, month: index % 12 + 1)
    }

    public static func < (a: ReportMonth, b: ReportMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }
}

/// The months a dashboard shows: the `count` calendar months ending with the business date's month.
public struct ReportWindow: Sendable, Equatable {
    public let months: [ReportMonth]

    public init(endingOn today: BusinessDate, count: Int = 12) {
        let last = ReportMonth(today)
        months = (0..<max(count, 1)).map { last.adding(months: $0 - (max(count, 1) - 1)) }
    }

    /// The first day of the first month.
    public var start: BusinessDate { months[0].firstDay }
    /// The first day after the last month (exclusive end).
    public var end: BusinessDate { months[months.count - 1].adding(months: 1).firstDay }
}

/// Monthly recurring revenue (docs/rules.md, Dashboards): a period's recurring charge counts
/// `1/months` of itself in each month its period covers. Periods are 1, 3, 6 or 12 months, so the
/// queries sum `charge × 12 / months` exactly ("twelfths") and the month's figure is rounded once,
/// half away from zero, to the currency's minor unit.
public enum RecurringRevenue {
    public static func monthly(twelfths: Int64) -> Int64 {
        let (quotient, remainder) = twelfths.quotientAndRemainder(dividingBy: 12)
        if remainder >= 6 { return quotient + 1 }
        if remainder <= -6 { return quotient - 1 }
        return quotient
    }

    /// The months of a period, as the queries spell it: 12 / months is whole for every period the plans allow.
    public static let periodsDividingAYear: Set<Int> = [1, 2, 3, 4, 6, 12]
}
