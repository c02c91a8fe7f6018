import Commerce
import Foundation
import Mustache
import OrderEngine
import Storage

/// One chart of a dashboard, as the data endpoint answers it and as the page embeds it for
/// Assets/charts.js (`<script type="application/json">`): x labels, and series of whole numbers
/// (counts, or minor units of one currency with its exponent), each value also as display text.
struct DashboardChart: Encodable, Sendable {
    struct Series: Encodable, Sendable {
        let label: String
        /// Set for money: every value is minor units of this currency.
        let currency: String?
        let exponent: Int?
        let values: [Int64]
        /// Money as the API writes amounts ("35.00"); nil for counts.
        let amounts: [String]?
        /// Each value as the page shows it, in the page's language.
        let display: [String]

        enum CodingKeys: String, CodingKey { case label, currency, exponent, values, amounts, display }
    }

    let id: String
    let title: String
    /// Chart.js's type: `line` or `bar`.
    let type: String
    let stacked: Bool
    /// The labels' kind for the table's first column header ("Month", "Reseller", …).
    let labelHeader: String
    /// Month keys (`2026-04`) where the labels are months, else the labels' ids.
    let keys: [String]
    let labels: [String]
    let series: [Series]

    enum CodingKeys: String, CodingKey { case id, title, type, stacked, labelHeader = "label_header", keys, labels, series }

    static func count(_ label: String, _ values: [Int64]) -> Series {
        Series(label: label, currency: nil, exponent: nil, values: values, amounts: nil, display: values.map(DashboardText.number))
    }

    static func money(_ label: String, _ currency: Currency, _ values: [Int64]) -> Series {
        Series(label: label, currency: currency.code, exponent: currency.exponent, values: values,
               amounts: values.map { Money(minorUnits: $0, currency: currency).amountText },
               display: values.map { DashboardText.money(Money(minorUnits: $0, currency: currency)) })
    }
}

/// A tier's dashboard: the charts and, for a customer, its renewals one by one.
struct DashboardData: Encodable, Sendable {
    struct Renewal: Encodable, Sendable {
        let subscriptionId: Int64
        let plan: String
        let renewsOn: String
        let amount: String
        let currency: String
        let display: String
        let displayDate: String
        enum CodingKeys: String, CodingKey { case subscriptionId = "subscription_id", plan, renewsOn = "renews_on", amount, currency, display, displayDate = "display_date" }
    }

    let tier: String
    let today: String
    let months: [String]
    let charts: [DashboardChart]
    let renewals: [Renewal]?

    /// Builds the acting account's dashboard from its tenant scope.
    static func build(for scope: TenantScope, services: ConsoleServices) async throws -> DashboardData {
        let today = try await services.clock.today()
        let window = ReportWindow(endingOn: today)
        let reports = DashboardReports(database: services.database)
        let monthLabels = window.months.map(DashboardText.month)
        let monthKeys = window.months.map(\.key)
        func byMonth<Row>(_ rows: [Row], month: (Row) -> ReportMonth, value: (Row) -> Int64) -> [Int64] {
            var sums = [ReportMonth: Int64]()
            for row in rows { sums[month(row), default: 0] += value(row) }
            return window.months.map { sums[$0] ?? 0 }
        }
        func currencies<Row>(_ rows: [Row], _ currency: (Row) -> Currency) -> [Currency] {
            Array(Set(rows.map(currency))).sorted { $0.code < $1.code }
        }
        func monthChart(_ id: String, _ title: String, type: String, stacked: Bool = false, _ series: [DashboardChart.Series]) -> DashboardChart {
            DashboardChart(id: id, title: title, type: type, stacked: stacked, labelHeader: DashboardText.monthHeader, keys: monthKeys, labels: monthLabels, series: series)
        }
        var charts: [DashboardChart] = []
        var renewals: [Renewal]?
        switch scope.actor.accountKind {
        case .provider:
            let mrr = try await reports.monthlyRecurringRevenue(in: scope, window: window)
            charts.append(monthChart("mrr", DashboardText.mrrTitle, type: "line", currencies(mrr, \.currency).map { currency in
                DashboardChart.money(currency.code, currency, byMonth(mrr.filter { $0.currency == currency }, month: \.month, value: \.minorUnits))
            }))
            let revenue = try await reports.revenueByReseller(in: scope, window: window)
            var names: [(id: Int64?, name: String)] = []
            for row in revenue where !names.contains(where: { $0.id == row.resellerID }) {
                names.append((row.resellerID, row.resellerName ?? DashboardText.directCustomers))
            }
            let revenueSeries = currencies(revenue, \.currency).flatMap { currency -> [DashboardChart.Series] in
                let rows = revenue.filter { $0.currency == currency }
                func values(_ pick: (DashboardReports.ResellerRevenue) -> Int64) -> [Int64] {
                    names.map { name in rows.first { $0.resellerID == name.id }.map(pick) ?? 0 }
                }
                return [DashboardChart.money(DashboardText.invoiced(currency.code), currency, values(\.invoiced)),
                        DashboardChart.money(DashboardText.paid(currency.code), currency, values(\.paid))]
            }
            charts.append(DashboardChart(id: "revenue_by_reseller", title: DashboardText.revenueByResellerTitle, type: "bar", stacked: false,
                                         labelHeader: DashboardText.resellerHeader, keys: names.map { $0.id.map(String.init) ?? "direct" },
                                         labels: names.map(\.name), series: revenueSeries))
            let orders = try await reports.ordersByOutcome(in: scope, window: window)
            charts.append(monthChart("orders_by_outcome", DashboardText.ordersTitle, type: "bar", stacked: true, DashboardText.outcomes.map { outcome in
                DashboardChart.count(outcome.label, byMonth(orders.filter { outcome.statuses.contains($0.category) }, month: \.month, value: \.count))
            }))
            let flow = try await reports.subscriptionFlow(in: scope, window: window)
            charts.append(monthChart("subscription_flow", DashboardText.flowTitle, type: "bar", [
                DashboardChart.count(DashboardText.newSubscriptions, byMonth(flow.filter { $0.category == "new" }, month: \.month, value: \.count)),
                DashboardChart.count(DashboardText.cancelledSubscriptions, byMonth(flow.filter { $0.category == "cancelled" }, month: \.month, value: \.count)),
            ]))
        case .reseller:
            let margins = try await reports.resellerMargins(in: scope, window: window)
            charts.append(monthChart("sales_and_margin", DashboardText.marginTitle, type: "bar", currencies(margins, \.currency).flatMap { currency in
                let rows = margins.filter { $0.currency == currency }
                return [DashboardChart.money(DashboardText.sales(currency.code), currency, byMonth(rows, month: \.month, value: \.sold)),
                        DashboardChart.money(DashboardText.upstreamCost(currency.code), currency, byMonth(rows, month: \.month, value: \.cost)),
                        DashboardChart.money(DashboardText.margin(currency.code), currency, byMonth(rows, month: \.month, value: \.margin))]
            }))
            let plans = try await reports.subscriptionsByPlan(in: scope)
            var planIDs: [(id: Int64, name: String)] = []
            for row in plans where !planIDs.contains(where: { $0.id == row.planID }) { planIDs.append((row.planID, row.planName)) }
            let statuses = SubscriptionStatus.allCases.filter { status in status != .cancelled && plans.contains { $0.status == status } }
            charts.append(DashboardChart(id: "subscriptions_by_plan", title: DashboardText.plansTitle, type: "bar", stacked: true,
                                         labelHeader: DashboardText.planHeader, keys: planIDs.map { String($0.id) }, labels: planIDs.map(\.name),
                                         series: statuses.map { status in
                                             DashboardChart.count(DashboardText.status(status), planIDs.map { plan in
                                                 plans.first { $0.planID == plan.id && $0.status == status }?.count ?? 0
                                             })
                                         }))
        case .customer:
            let spend = try await reports.spend(in: scope, window: window)
            charts.append(monthChart("spend", DashboardText.spendTitle, type: "bar", currencies(spend, \.currency).flatMap { currency in
                let rows = spend.filter { $0.currency == currency }
                return [DashboardChart.money(DashboardText.invoiced(currency.code), currency, byMonth(rows, month: \.month, value: \.invoiced)),
                        DashboardChart.money(DashboardText.paid(currency.code), currency, byMonth(rows, month: \.month, value: \.paid))]
            }))
            let due = try await upcoming(scope: scope, today: today, services: services)
            renewals = due.map { item in
                Renewal(subscriptionId: item.subscription.id, plan: item.plan, renewsOn: item.date.description, amount: item.total.amountText,
                        currency: item.total.currency.code, display: DashboardText.money(item.total), displayDate: DashboardText.date(item.date))
            }
            let buckets = [(DashboardText.within30, 0..<30), (DashboardText.within60, 30..<60)]
            charts.append(DashboardChart(id: "renewals", title: DashboardText.renewalsTitle, type: "bar", stacked: false,
                                         labelHeader: DashboardText.whenHeader, keys: ["0-29", "30-59"], labels: buckets.map(\.0),
                                         series: currencies(due, \.total.currency).map { currency in
                                             DashboardChart.money(currency.code, currency, buckets.map { bucket in
                                                 due.filter { $0.total.currency == currency && bucket.1.contains(BusinessDate.days(from: today, to: $0.date)) }
                                                     .reduce(0) { $0 + $1.total.minorUnits }
                                             })
                                         }))
        }
        return DashboardData(tier: scope.actor.accountKind.rawValue, today: today.description, months: monthKeys, charts: charts, renewals: renewals)
    }

    /// The customer's renewals of the next 60 days, priced as the billing run will invoice them at today's prices.
    private static func upcoming(scope: TenantScope, today: BusinessDate, services: ConsoleServices) async throws
        -> [(subscription: Subscription, plan: String, date: BusinessDate, total: Money)] {
        let due = try await DashboardReports(database: services.database).dueRenewals(in: scope, from: today, until: today.adding(days: 60))
        guard !due.isEmpty else { return [] }
        let customer = try await AccountStore(database: services.database).account(scope.actor.accountID, in: scope)
        let previews = try await services.orders.renewalPreviews(of: due, customer: customer)
        var found: [(Subscription, String, BusinessDate, Money)] = []
        for subscription in due {
            guard let preview = previews[subscription.id] else { continue }
            found.append((subscription, preview.plan, preview.period.start, preview.total))
        }
        return found
    }
}
