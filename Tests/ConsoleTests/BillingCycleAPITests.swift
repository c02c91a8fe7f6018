import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// The billing cycle through the API and the pages (issue "The billing cycle"): billing runs,
/// renewals, sales orders, cancellation, scheduled changes. QuoteTests' world: Silver renews at
/// 20 + 2 × 2.50 + 5 = 30.00, tax 6.00: 36.00.
final class BillingCycleAPITests: XCTestCase {
    private static func amount(_ value: Any?) -> String? { (value as? [String: Any])?["amount"] as? String }

    func testABillingRunRenewsAndRollsOverThroughTheAPI() async throws {
        try await withQuoteWorld { w, id in
            let byReseller = try await w.api.call(.post, "/api/v1/billing-runs", token: w.reseller)
            XCTAssertEqual(byReseller.status, .forbidden, "the run acts on every tenant: the provider's")
            _ = try await w.api.call(.put, "/api/v1/clock", token: w.provider, json: #"{"now":"2026-05-04T06:00:00Z"}"#)
            let run = try await w.api.call(.post, "/api/v1/billing-runs", token: w.provider)
            XCTAssertEqual(run.status, .created, run.text)
            XCTAssertEqual(run.json["renewal_orders"] as? Int, 1)
            XCTAssertEqual(run.json["invoices"] as? Int, 1)
            XCTAssertEqual(run.json["business_date"] as? String, "2026-05-04")
            let again = try await w.api.call(.post, "/api/v1/billing-runs", token: w.provider)
            XCTAssertEqual(again.json["renewal_orders"] as? Int, 0, "running twice for a day is a no-op")
            XCTAssertEqual(again.json["invoices"] as? Int, 0)
            let renewals = try await w.api.call(.get, "/api/v1/orders?subscription_id=\(id)&kind=renewal", token: w.customer).json["items"] as? [[String: Any]]
            XCTAssertEqual(renewals?.count, 1)
            let renewal = try XCTUnwrap(renewals?.first)
            XCTAssertEqual(Self.amount(renewal["total"]), "36.00")
            XCTAssertEqual(renewal["summary"] as? String, "Renewal 2026-05-11 → 2026-06-11")
            let paid = try await w.api.call(.post, "/api/v1/invoices/\(renewal["invoice_id"] as! Int)/payments", token: w.customer,
                                            json: #"{"method":"card","card_number":"4242424242424242"}"#)
            XCTAssertEqual(paid.status, .created)
            _ = try await OrderAPITests.settled(w, renewal["id"] as! Int)
            _ = try await w.api.call(.put, "/api/v1/clock", token: w.provider, json: #"{"now":"2026-05-11T06:00:00Z"}"#)
            let rolled = try await w.api.call(.post, "/api/v1/billing-runs", token: w.provider)
            XCTAssertEqual(rolled.json["rolled_over"] as? Int, 1)
            let subscription = try await w.api.call(.get, "/api/v1/subscriptions/\(id)", token: w.customer).json
            XCTAssertEqual(subscription["period_start"] as? String, "2026-05-11")
            XCTAssertEqual(subscription["paid_until"] as? String, "2026-06-11")
            let runs = try await w.api.call(.get, "/api/v1/billing-runs", token: w.provider).json["items"] as? [[String: Any]]
            XCTAssertEqual(runs?.count, 3)

            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["p.admin"]!)
            let page = try await browser.get("/billing-runs")
            XCTAssertTrue(page.text.contains(#"id="last-subscriptions">1<"#), "the last run saw one subscription due")
            let runNow = try await browser.post("/billing-runs", [:])
            XCTAssertEqual(runNow.headers[.location], "/billing-runs")
            let after = try await browser.get("/billing-runs")
            XCTAssertTrue(after.text.contains("Billing run for 2026-05-11: 0 renewal orders"))
        }
    }

    func testASalesOrderThroughTheAPIAndThePage() async throws {
        try await withQuoteWorld { w, _ in
            let body = #"{"kind":"sales","customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Gold"]!),"period_months":1,"resources":[{"resource_code":"ram_gb","additional":2}]}"#
            let order = try await w.api.call(.post, "/api/v1/orders", token: w.customer, json: body, idempotencyKey: "gold-1")
            XCTAssertEqual(order.status, .created, order.text)
            XCTAssertEqual(order.json["kind"] as? String, "sales")
            // Setup 2 × 1.00, Gold's month 30.00, 2 × 2.50: 37.00, tax 7.40.
            XCTAssertEqual(Self.amount(order.json["total"]), "44.40")
            let replay = try await w.api.call(.post, "/api/v1/orders", token: w.customer, json: body, idempotencyKey: "gold-1")
            XCTAssertEqual(replay.json["id"] as? Int, order.json["id"] as? Int)
            let bad = try await w.api.call(.post, "/api/v1/orders", token: w.customer,
                                           json: #"{"kind":"sales","customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Gold"]!),"period_months":3}"#)
            XCTAssertEqual((bad.json["error"] as? [String: Any])?["code"] as? String, "period_months")
            let foreign = try await w.api.call(.post, "/api/v1/orders", token: w.customer,
                                               json: #"{"kind":"sales","customer_id":\#(w.fixture.c2.id),"plan_id":\#(w.plans["Gold"]!),"period_months":1}"#)
            XCTAssertEqual(foreign.status, .notFound)
            _ = try await w.api.call(.post, "/api/v1/invoices/\(order.json["invoice_id"] as! Int)/payments", token: w.customer,
                                     json: #"{"method":"card","card_number":"4242424242424242"}"#)
            let settled = try await OrderAPITests.settled(w, order.json["id"] as! Int)
            XCTAssertEqual(settled["status"] as? String, "completed")
            let created = try XCTUnwrap(settled["subscription_id"] as? Int)
            let subscription = try await w.api.call(.get, "/api/v1/subscriptions/\(created)", token: w.customer).json
            XCTAssertEqual(subscription["plan_id"] as? Int, w.plans["Gold"])
            XCTAssertEqual(subscription["period_start"] as? String, "2026-04-26")

            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c1.admin"]!)
            let list = try await browser.get("/subscriptions")
            XCTAssertTrue(list.text.contains(#"id="order-new-service""#))
            let catalogue = try await browser.get("/subscriptions/new")
            XCTAssertTrue(catalogue.text.contains("Silver"))
            XCTAssertTrue(catalogue.text.contains("Gold"))
            let estimate = try await browser.get("/subscriptions/new?plan_id=\(w.plans["Silver"]!)&period_months=1&ram_gb=4&support_basic=0&support_premium=0&estimate=1")
            XCTAssertTrue(estimate.text.contains(#"id="estimate-total">32.40 USD"#), "setup 2.00 + 20.00 + 2 × 2.50, tax 5.40")
            let key = try XCTUnwrap(estimate.text.firstMatch(of: /name="idempotency_key" value="([^"]+)"/)?.1)
            let placed = try await browser.post("/subscriptions/new", ["customer_id": String(w.fixture.c1.id), "plan_id": String(w.plans["Silver"]!),
                                                                       "period_months": "1", "ram_gb": "4", "idempotency_key": String(key)])
            XCTAssertEqual(placed.status, .seeOther)
            XCTAssertTrue(placed.headers[.location]?.hasSuffix("/pay") == true, placed.headers[.location] ?? "")
        }
    }

    func testCancellationAndScheduledChangesThroughTheAPIAndThePage() async throws {
        try await withQuoteWorld { w, id in
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c1.admin"]!)
            let page = try await browser.get("/subscriptions/\(id)")
            XCTAssertTrue(page.text.contains("Renews on 2026-05-11 for 36.00 USD"), "the next renewal and its amount")
            XCTAssertTrue(page.text.contains("Now: refunds 18.00 USD to credit"), "20 × 15/30 + 2 × 2.50 × 15/30 + 5 × 15/30 = 15.00, tax 3.00")

            // Any reduction (here a prepaid one, ram 4 → 3) may wait for the renewal: the estimate offers both, now or at the renewal.
            let estimate = try await browser.get("/subscriptions/\(id)/estimate?ram_gb=3")
            XCTAssertTrue(estimate.text.contains("submit-order-form"), "submit now")
            XCTAssertTrue(estimate.text.contains("Schedule for the renewal on 2026-05-11"), "or schedule it")
            let increase = try await browser.get("/subscriptions/\(id)/estimate?ram_gb=6")
            XCTAssertFalse(increase.text.contains("schedule-form"), "an increase is simply ordered")
            let scheduled = try await w.api.call(.put, "/api/v1/subscriptions/\(id)/scheduled-change", token: w.customer,
                                                 json: #"{"resources":[{"resource_code":"ram_gb","additional":1}]}"#)
            XCTAssertEqual(scheduled.status, .ok, scheduled.text)
            XCTAssertEqual((scheduled.json["scheduled_resources"] as? [String: Any])?["ram_gb"] as? Int, 1)
            let tooLow = try await w.api.call(.put, "/api/v1/subscriptions/\(id)/scheduled-change", token: w.customer,
                                              json: #"{"resources":[{"resource_code":"ram_gb","additional":0}]}"#)
            XCTAssertEqual(tooLow.status, .unprocessableContent, "usage 3 stays")
            let cleared = try await w.api.call(.delete, "/api/v1/subscriptions/\(id)/scheduled-change", token: w.customer)
            XCTAssertNil(cleared.json["scheduled_resources"])

            let atEnd = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/cancel", token: w.customer, json: #"{"when":"period_end"}"#)
            XCTAssertEqual(atEnd.json["cancel_at_period_end"] as? Bool, true)
            let flagged = try await browser.get("/subscriptions/\(id)")
            XCTAssertTrue(flagged.text.contains("Ends on 2026-05-11: it won&#39;t renew."), "the page says it ends with its period")
            let kept = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/cancel", token: w.customer, json: #"{"when":"none"}"#)
            XCTAssertEqual(kept.json["cancel_at_period_end"] as? Bool, false)
            let wrong = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/cancel", token: w.customer, json: #"{"when":"later"}"#)
            XCTAssertEqual((wrong.json["error"] as? [String: Any])?["code"] as? String, "when")

            let now = try await browser.post("/subscriptions/\(id)/cancel", ["when": "now"])
            XCTAssertEqual(now.headers[.location], "/subscriptions/\(id)")
            try await BillingPagesTests.waitForSettled(w)
            let cancelled = try await browser.get("/subscriptions/\(id)")
            XCTAssertTrue(cancelled.text.contains("is refunded to credit"), String(cancelled.text.firstMatch(of: /id="flash">[^<]*/)?.0 ?? "no flash"))
            XCTAssertTrue(cancelled.text.contains(#"id="subscription-status">cancelled"#))
            XCTAssertFalse(cancelled.text.contains(#"id="cancel-card""#), "cancelled subscriptions are read-only")
            let credit = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.c1.id)/credit", token: w.customer).json
            XCTAssertEqual(Self.amount(credit["balance"]), "18.00")
            let twice = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/cancel", token: w.customer, json: #"{"when":"now"}"#)
            XCTAssertEqual((twice.json["error"] as? [String: Any])?["code"] as? String, "subscription_not_active")
        }
    }
}
