import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// The dashboards' numbers through their data endpoint (`GET /api/v1/reports/dashboard`) and the
/// page's tables, worked from known orders (docs/rules.md, Dashboards). QuoteWorld: Silver $20 a
/// month, Gold $30, ram_gb $2.50 a unit and month ($1 setup), support_basic $5; Customer One (tax
/// 0.20) under Reseller One holds Silver with 2 more GB and support_basic, renewing on the 11th.
final class DashboardTests: XCTestCase {
    typealias Chart = [String: Any]

    static func chart(_ dashboard: [String: Any], _ id: String) throws -> Chart {
        try XCTUnwrap((dashboard["charts"] as? [Chart])?.first { $0["id"] as? String == id }, "chart \(id)")
    }

    /// The values of the series with this label, as whole numbers.
    static func values(_ chart: Chart, _ label: String) throws -> [Int] {
        let series = try XCTUnwrap((chart["series"] as? [[String: Any]])?.first { $0["label"] as? String == label }, "series \(label) of \(chart["id"] ?? "")")
        return try XCTUnwrap(series["values"] as? [Int])
    }

    static func seriesLabels(_ chart: Chart) -> [String] { (chart["series"] as? [[String: Any]])?.compactMap { $0["label"] as? String } ?? [] }

    /// Twelve months ending in May 2026: ten empty ones, then April and May.
    static func aprilMay(_ april: Int, _ may: Int) -> [Int] { Array(repeating: 0, count: 10) + [april, may] }

    /// Reseller One sells Gold dearer than the provider: $36 a month, ram_gb $3.
    /// April 26: Customer One buys Gold with 2 more GB (setup 2 × 1.00 + 36.00 + 2 × 3.00 = 44.00, tax 8.80: 52.80),
    /// and orders Silver once more but cancels that order unpaid. May 4: the billing run invoices Silver's
    /// renewal for May 11 → June 11 (20 + 2 × 2.50 + 5 = 30.00, tax 6.00: 36.00), paid; May 11: it rolls over.
    func testEachTiersChartsAddUpTheOrdersOfTheWorkedExample() async throws {
        try await withQuoteWorld { w, silverID in
            let resources = try await w.api.call(.get, "/api/v1/resources?limit=200", token: w.provider).json["items"] as? [[String: Any]] ?? []
            func resource(_ code: String) -> Int { resources.first { $0["code"] as? String == code }?["id"] as? Int ?? 0 }
            let priceList = try await w.api.call(.put, "/api/v1/price-lists/\(w.fixture.r1.id)/\(w.plans["Gold"]!)", token: w.reseller, json: #"""
                {"periods":[{"months":1,"fee":"36"},{"months":12,"fee":"400"}],
                 "resources":[{"resource_id":\#(resource("ram_gb")),"recurring_fee":"3","setup_fee":"1"},
                              {"resource_id":\#(resource("support_basic")),"recurring_fee":"5","setup_fee":"0"},
                              {"resource_id":\#(resource("support_premium")),"recurring_fee":"15","setup_fee":"0"}]}
                """#)
            XCTAssertEqual(priceList.status, .ok, priceList.text)
            let gold = try await w.api.call(.post, "/api/v1/orders", token: w.customer,
                                            json: #"{"kind":"sales","customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Gold"]!),"period_months":1,"resources":[{"resource_code":"ram_gb","additional":2}]}"#)
            XCTAssertEqual((gold.json["total"] as? [String: Any])?["amount"] as? String, "52.80", gold.text)
            _ = try await w.api.call(.post, "/api/v1/invoices/\(gold.json["invoice_id"] as! Int)/payments", token: w.customer,
                                     json: #"{"method":"card","card_number":"4242424242424242"}"#)
            let goldSettled = try await OrderAPITests.settled(w, gold.json["id"] as! Int)
            XCTAssertEqual(goldSettled["status"] as? String, "completed")
            let dropped = try await w.api.call(.post, "/api/v1/orders", token: w.customer,
                                               json: #"{"kind":"sales","customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Silver"]!),"period_months":1}"#)
            XCTAssertEqual(dropped.status, .created, dropped.text)
            let cancelled = try await w.api.call(.post, "/api/v1/orders/\(dropped.json["id"] as! Int)/cancel", token: w.customer)
            XCTAssertEqual(cancelled.json["status"] as? String, "cancelled", cancelled.text)

            _ = try await w.api.call(.put, "/api/v1/clock", token: w.provider, json: #"{"now":"2026-05-04T06:00:00Z"}"#)
            _ = try await w.api.call(.post, "/api/v1/billing-runs", token: w.provider)
            let renewalOrders = try await w.api.call(.get, "/api/v1/orders?subscription_id=\(silverID)&kind=renewal", token: w.customer)
            let renewal = try XCTUnwrap((renewalOrders.json["items"] as? [[String: Any]])?.first)
            _ = try await w.api.call(.post, "/api/v1/invoices/\(renewal["invoice_id"] as! Int)/payments", token: w.customer,
                                     json: #"{"method":"card","card_number":"4242424242424242"}"#)
            let renewalSettled = try await OrderAPITests.settled(w, renewal["id"] as! Int)
            XCTAssertEqual(renewalSettled["status"] as? String, "completed")
            _ = try await w.api.call(.put, "/api/v1/clock", token: w.provider, json: #"{"now":"2026-05-11T06:00:00Z"}"#)
            _ = try await w.api.call(.post, "/api/v1/billing-runs", token: w.provider)

            // Provider.
            let provider = try await w.api.call(.get, "/api/v1/reports/dashboard", token: w.provider)
            XCTAssertEqual(provider.status, .ok, provider.text)
            XCTAssertEqual(provider.json["tier"] as? String, "provider")
            XCTAssertEqual((provider.json["months"] as? [String])?.first, "2025-06")
            XCTAssertEqual((provider.json["months"] as? [String])?.last, "2026-05")
            let mrr = try Self.chart(provider.json, "mrr")
            // April 30: Gold's period (Apr 26 → May 26) at 36.00 + 2 × 3.00; May 31: Silver's renewed period at 30.00.
            XCTAssertEqual(try Self.values(mrr, "USD"), Self.aprilMay(4200, 3000))
            XCTAssertEqual(Self.seriesLabels(mrr), ["USD"], "one series per currency, none for currencies without orders")
            let revenue = try Self.chart(provider.json, "revenue_by_reseller")
            XCTAssertEqual(revenue["labels"] as? [String], ["Reseller One"])
            // Net of tax: 44.00 + 30.00; the cancelled order's invoice is not revenue.
            XCTAssertEqual(try Self.values(revenue, "Invoiced (USD)"), [7400])
            XCTAssertEqual(try Self.values(revenue, "Paid (USD)"), [7400])
            let orders = try Self.chart(provider.json, "orders_by_outcome")
            XCTAssertEqual(try Self.values(orders, "Completed"), Self.aprilMay(1, 1), "Gold's sale in April, Silver's renewal in May")
            XCTAssertEqual(try Self.values(orders, "Cancelled"), Self.aprilMay(1, 0))
            XCTAssertEqual(try Self.values(orders, "Failed"), Self.aprilMay(0, 0))

            // Reseller One: its charges, sold against owed upstream.
            let reseller = try await w.api.call(.get, "/api/v1/reports/dashboard", token: w.reseller)
            XCTAssertEqual(reseller.json["tier"] as? String, "reseller")
            let margin = try Self.chart(reseller.json, "sales_and_margin")
            // April: sold Gold at 44.00, owes the provider's 2.00 + 30.00 + 5.00 = 37.00; May: Silver at the provider's prices.
            XCTAssertEqual(try Self.values(margin, "Sales (USD)"), Self.aprilMay(4400, 3000))
            XCTAssertEqual(try Self.values(margin, "Upstream cost (USD)"), Self.aprilMay(3700, 3000))
            XCTAssertEqual(try Self.values(margin, "Margin (USD)"), Self.aprilMay(700, 0))
            let plans = try Self.chart(reseller.json, "subscriptions_by_plan")
            XCTAssertEqual(plans["labels"] as? [String], ["Gold", "Silver"])
            XCTAssertEqual(try Self.values(plans, "Active"), [1, 1])
            XCTAssertEqual((reseller.json["charts"] as? [Chart])?.compactMap { $0["id"] as? String }, ["sales_and_margin", "subscriptions_by_plan"],
                           "the provider's charts are the provider's")

            // Customer One: what it was invoiced, and what renews.
            let customer = try await w.api.call(.get, "/api/v1/reports/dashboard", token: w.customer)
            XCTAssertEqual(customer.json["tier"] as? String, "customer")
            let spend = try Self.chart(customer.json, "spend")
            XCTAssertEqual(try Self.values(spend, "Invoiced (USD)"), Self.aprilMay(5280, 3600))
            XCTAssertEqual(try Self.values(spend, "Paid (USD)"), Self.aprilMay(5280, 3600))
            let renewals = try Self.chart(customer.json, "renewals")
            // Gold on May 26 (15 days): 36.00 + 6.00, tax 8.40; Silver on June 11 (31 days): 36.00.
            XCTAssertEqual(try Self.values(renewals, "USD"), [5040, 3600])
            let listed = try XCTUnwrap(customer.json["renewals"] as? [[String: Any]])
            XCTAssertEqual(listed.map { $0["renews_on"] as? String }, ["2026-05-26", "2026-06-11"])
            XCTAssertEqual(listed.map { $0["amount"] as? String }, ["50.40", "36.00"])
            XCTAssertEqual(listed.map { $0["plan"] as? String }, ["Gold", "Silver"])

            // The pages show the same numbers as tables, and load the charts' scripts.
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["p.admin"]!)
            let page = try await browser.get("/dashboard")
            XCTAssertTrue(page.text.contains(#"<script src="/vendor/chartjs/chart.min.js" defer></script>"#))
            XCTAssertTrue(page.text.contains(#"<script src="/assets/charts.js" defer></script>"#))
            XCTAssertTrue(page.text.contains(#"<canvas id="chart-mrr-canvas" data-chart="{&quot;"#), "the chart's data, HTML-escaped JSON in an attribute")
            XCTAssertFalse(page.text.contains("<script type=\"application/json\""), "no script element in the page")
            XCTAssertTrue(page.text.contains(#"<th scope="row" class="fw-normal">2026-04</th><td class="text-end">42.00 USD</td>"#), "the MRR table's April row")
            XCTAssertTrue(page.text.contains(#"<th scope="row" class="fw-normal">Reseller One</th><td class="text-end">74.00 USD</td><td class="text-end">74.00 USD</td>"#))
            let customerBrowser = Browser(w.api.client)
            _ = try await customerBrowser.signIn(w.fixture.users["c1.admin"]!)
            let customerPage = try await customerBrowser.get("/dashboard")
            XCTAssertTrue(customerPage.text.contains(#"<th scope="row" class="fw-normal">Within 30 days</th><td class="text-end">50.40 USD</td>"#))
            XCTAssertTrue(customerPage.text.contains(#"<td>2026-06-11</td><td class="text-end">36.00 USD</td>"#), "the renewals listed one by one")
        }
    }

    /// New subscriptions count by the moment they were recorded, cancellations by theirs (UTC), in the current month.
    func testNewAndCancelledSubscriptionsCountInTheMonthTheyHappened() async throws {
        try await withQuoteWorld { w, silverID in
            let now = Date()
            let iso = ISO8601DateFormatter().string(from: now)
            _ = try await w.api.call(.put, "/api/v1/clock", token: w.provider, json: #"{"now":"\#(iso)"}"#)
            let second = try await w.api.call(.post, "/api/v1/subscriptions", token: w.reseller, json: #"""
                {"customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Gold"]!),"period_months":1,"period_start":"\#(iso.prefix(10))","status":"active","resources":[]}
                """#)
            XCTAssertEqual(second.status, .created, second.text)
            let cancel = try await w.api.call(.post, "/api/v1/subscriptions/\(silverID)/cancel", token: w.customer, json: #"{"when":"now"}"#)
            XCTAssertEqual(cancel.status, .created, cancel.text)
            let cancelled = try await OrderAPITests.settled(w, cancel.json["id"] as! Int)
            XCTAssertEqual(cancelled["status"] as? String, "completed", "the cancellation order cancels the subscription as it provisions")
            let dashboard = try await w.api.call(.get, "/api/v1/reports/dashboard", token: w.provider).json
            let flow = try Self.chart(dashboard, "subscription_flow")
            let thisMonth = Array(repeating: 0, count: 11)
            XCTAssertEqual(try Self.values(flow, "New"), thisMonth + [2], "Silver and Gold, both recorded this month")
            XCTAssertEqual(try Self.values(flow, "Cancelled"), thisMonth + [1])
            // Reseller One's plans chart leaves the cancelled subscription out.
            let plans = try Self.chart(try await w.api.call(.get, "/api/v1/reports/dashboard", token: w.reseller).json, "subscriptions_by_plan")
            XCTAssertEqual(plans["labels"] as? [String], ["Gold"])
        }
    }

    /// Each tier reads its own subtree: Reseller Two and its customer see none of Reseller One's numbers.
    func testAnotherSubtreeSeesNoneOfTheNumbers() async throws {
        try await withQuoteWorld { w, _ in
            let gold = try await w.api.call(.post, "/api/v1/orders", token: w.customer,
                                            json: #"{"kind":"sales","customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Gold"]!),"period_months":1}"#)
            _ = try await w.api.call(.post, "/api/v1/invoices/\(gold.json["invoice_id"] as! Int)/payments", token: w.customer,
                                     json: #"{"method":"card","card_number":"4242424242424242"}"#)
            _ = try await OrderAPITests.settled(w, gold.json["id"] as! Int)
            let ownReseller = try Self.chart(try await w.api.call(.get, "/api/v1/reports/dashboard", token: w.reseller).json, "sales_and_margin")
            XCTAssertEqual(try Self.values(ownReseller, "Sales (USD)").last, 3000, "Reseller One sold Gold's month")
            let r2 = try await w.api.call(.get, "/api/v1/reports/dashboard", token: try await w.api.token(w.fixture.users["r2.admin"]!))
            XCTAssertEqual(r2.status, .ok)
            XCTAssertEqual(Self.seriesLabels(try Self.chart(r2.json, "sales_and_margin")), [], "no charges of its own")
            XCTAssertEqual(Self.seriesLabels(try Self.chart(r2.json, "subscriptions_by_plan")), [])
            XCTAssertFalse(r2.text.contains("Gold"))
            let c2 = try await w.api.call(.get, "/api/v1/reports/dashboard", token: try await w.api.token(w.fixture.users["c2.admin"]!))
            XCTAssertEqual(Self.seriesLabels(try Self.chart(c2.json, "spend")), [])
            XCTAssertEqual((c2.json["renewals"] as? [[String: Any]])?.count, 0)
            let viewer = try await w.api.call(.get, "/api/v1/reports/dashboard", token: try await w.api.token(w.fixture.users["c1.viewer"]!))
            XCTAssertEqual(Self.seriesLabels(try Self.chart(viewer.json, "spend")), ["Invoiced (USD)", "Paid (USD)"], "a viewer of the customer reads its numbers")
            let anonymous = try await w.api.call(.get, "/api/v1/reports/dashboard", token: nil)
            XCTAssertEqual(anonymous.status, .unauthorized)
        }
    }

    /// A reader whose language is Bengali gets the words from the catalog, Bengali month names and
    /// digits, and amounts with the currency's symbol, in the data and in the page's tables alike.
    func testABengaliReaderGetsBengaliWordsMonthsAndDigits() async throws {
        try await withQuoteWorld { w, _ in
            let locale = try await w.api.call(.put, "/api/v1/me", token: w.customer, json: #"{"locale":"bn"}"#)
            XCTAssertEqual(locale.status, .ok, locale.text)
            let dashboard = try await w.api.call(.get, "/api/v1/reports/dashboard", token: w.customer).json
            let spend = try Self.chart(dashboard, "spend")
            XCTAssertEqual(spend["title"] as? String, "মাস অনুযায়ী খরচ")
            XCTAssertEqual((spend["labels"] as? [String])?.last, "এপ্রিল ২০২৬", "April 2026, the business date's month")
            XCTAssertEqual((spend["keys"] as? [String])?.last, "2026-04", "keys stay machine-readable")
            let renewals = try Self.chart(dashboard, "renewals")
            XCTAssertEqual(renewals["labels"] as? [String], ["৩০ দিনের মধ্যে", "৩১–৬০ দিনের মধ্যে"])
            // Silver renews on May 11, 15 days on: 20 + 2 × 2.50 + 5 = 30.00, tax 6.00.
            let series = try XCTUnwrap((renewals["series"] as? [[String: Any]])?.first)
            XCTAssertEqual(series["display"] as? [String], ["৩৬.০০US$", "০.০০US$"])
            XCTAssertEqual(series["amounts"] as? [String], ["36.00", "0.00"], "the API's amounts stay decimal strings")
            let listed = try XCTUnwrap((dashboard["renewals"] as? [[String: Any]])?.first)
            XCTAssertEqual(listed["display_date"] as? String, "১১ মে, ২০২৬")

            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c1.admin"]!)
            let page = try await browser.get("/dashboard")
            XCTAssertTrue(page.text.contains("আগামী ৬০ দিনের নবায়ন"), "the renewals list's heading")
            XCTAssertTrue(page.text.contains(#"<td>১১ মে, ২০২৬</td><td class="text-end">৩৬.০০US$</td>"#))
        }
    }
}
