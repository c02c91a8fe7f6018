import Commerce
import XCTest

/// The dashboards' months and the recurring revenue's one rounding (docs/rules.md, Dashboards), pure.
final class DashboardMonthsTests: XCTestCase {
    func testTheWindowIsTheTwelveCalendarMonthsEndingWithTheBusinessDatesMonth() {
        let window = ReportWindow(endingOn: BusinessDate(year: 2026, month: 2, day: 28))
        XCTAssertEqual(window.months.map(\.key), ["2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08",
                                                  "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"])
        XCTAssertEqual(window.start, BusinessDate(year: 2025, month: 3, day: 1))
        XCTAssertEqual(window.end, BusinessDate(year: 2026, month: 3, day: 1), "exclusive: the day after February")
        XCTAssertEqual(ReportMonth(year: 2028, month: 2).lastDay, BusinessDate(year: 2028, month: 2, day: 29), "a leap February ends on the 29th")
        XCTAssertEqual(ReportMonth(key: "2026-13"), nil)
    }

    /// A year's period of 100.00 counts 8.33 a month (100.00 / 12 = 8.333…); a quarter's 100.00 counts
    /// 33.33; a month's 100.00 counts 100.00; summed first, rounded once, half away from zero.
    func testMonthlyRecurringRevenueIsRoundedOnceFromTwelfths() {
        XCTAssertEqual(RecurringRevenue.monthly(twelfths: 10_000 * 1), 833)
        XCTAssertEqual(RecurringRevenue.monthly(twelfths: 10_000 * 4), 3333)
        XCTAssertEqual(RecurringRevenue.monthly(twelfths: 10_000 * 12), 10_000)
        // Two yearly periods of 1.00 each: 2 × 1.00 / 12 = 0.1666… → 0.17 (not 0.08 + 0.08 = 0.16).
        XCTAssertEqual(RecurringRevenue.monthly(twelfths: 100 + 100), 17)
        XCTAssertEqual(RecurringRevenue.monthly(twelfths: 6), 1, "half a minor unit rounds away from zero")
        XCTAssertEqual(RecurringRevenue.monthly(twelfths: -6), -1)
        XCTAssertEqual(RecurringRevenue.monthly(twelfths: 5), 0)
    }
}
