import Commerce
import Foundation
import Localization

/// The dashboards' words (Locales/*/dashboard.catalog), numbers, amounts, months and dates in the
/// reader's language (`Language.current`): a Bengali reader gets Bengali digits and month names,
/// in the tables and on the charts' axes and tooltips alike.
enum DashboardText {
    static func number(_ value: Int64) -> String { Format.number(value) }
    static func money(_ money: Money) -> String { Format.money(minor: money.minorUnits, exponent: money.currency.exponent, currency: money.currency.code) }
    static func month(_ month: ReportMonth) -> String { Format.month(year: month.year, month: month.month) }
    static func date(_ date: BusinessDate) -> String { Format.date(year: date.year, month: date.month, day: date.day) }

    private static func text(_ key: String, currency: String? = nil) -> String {
        Localization.text("dashboard." + key, currency.map { ["currency": .text($0)] } ?? [:])
    }

    static var monthHeader: String { text("chart.month") }
    static var resellerHeader: String { text("chart.reseller") }
    static var planHeader: String { text("chart.plan") }
    static var whenHeader: String { text("chart.renews") }
    static var mrrTitle: String { text("chart.mrr") }
    static var revenueByResellerTitle: String { text("chart.revenue_by_reseller") }
    static var ordersTitle: String { text("chart.orders_by_outcome") }
    static var flowTitle: String { text("chart.subscription_flow") }
    static var marginTitle: String { text("chart.sales_and_margin") }
    static var plansTitle: String { text("chart.subscriptions_by_plan") }
    static var spendTitle: String { text("chart.spend") }
    static var renewalsTitle: String { text("chart.renewals") }
    static var directCustomers: String { text("series.direct_customers") }
    static var newSubscriptions: String { text("series.new") }
    static var cancelledSubscriptions: String { text("series.cancelled") }
    static var within30: String { text("series.within_30") }
    static var within60: String { text("series.within_60") }
    static func invoiced(_ currency: String) -> String { text("series.invoiced", currency: currency) }
    static func paid(_ currency: String) -> String { text("series.paid", currency: currency) }
    static func sales(_ currency: String) -> String { text("series.sales", currency: currency) }
    static func upstreamCost(_ currency: String) -> String { text("series.upstream_cost", currency: currency) }
    static func margin(_ currency: String) -> String { text("series.margin", currency: currency) }
    static func status(_ status: SubscriptionStatus) -> String { text("status." + status.rawValue) }

    /// The outcomes the orders chart stacks, each the statuses it counts.
    static var outcomes: [(label: String, statuses: Set<String>)] {
        [(text("outcome.completed"), ["completed"]), (text("outcome.failed"), ["provisioning_failed"]), (text("outcome.cancelled"), ["cancelled"]),
         (text("outcome.expired"), ["expired"]), (text("outcome.open"), ["awaiting_payment", "provisioning"])]
    }
}
