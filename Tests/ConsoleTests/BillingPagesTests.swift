import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// The HTML a person sees of the order flow (issue "Orders"): Submit on the estimate, the checkout,
/// the invoice, the credit log and the top bar's "Available credit".
final class BillingPagesTests: XCTestCase {
    static func waitForSettled(_ w: QuoteWorld) async throws {
        for _ in 0..<250 {
            let open = try await w.api.call(.get, "/api/v1/orders?status=provisioning", token: w.reseller).json["items"] as? [Any]
            if open?.isEmpty == true { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("provisioning did not finish")
    }

    func testACustomerSubmitsFromTheEstimatePaysByCardAndSeesTheNewQuantity() async throws {
        try await withQuoteWorld { w, id in
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c1.admin"]!)
            let estimate = try await browser.get("/subscriptions/\(id)/estimate?ram_gb=8")
            XCTAssertEqual(estimate.status, .ok)
            XCTAssertTrue(estimate.text.contains(#"id="submit-order""#), "a clean estimate offers Submit")
            XCTAssertTrue(estimate.text.contains(#"name="ram_gb" value="8""#), "Submit carries what was estimated")
            XCTAssertTrue(estimate.text.contains("Available credit <strong>0.00 USD</strong>"))
            let key = try XCTUnwrap(estimate.text.firstMatch(of: /name="idempotency_key" value="([^"]+)"/)?.1)

            let submitted = try await browser.post("/subscriptions/\(id)/orders", ["ram_gb": "8", "idempotency_key": String(key)])
            XCTAssertEqual(submitted.status, .seeOther)
            let checkoutPath = try XCTUnwrap(submitted.headers[.location])
            XCTAssertTrue(checkoutPath.hasSuffix("/pay"), checkoutPath)
            // A double click (the same form again) makes no second order.
            let double = try await browser.post("/subscriptions/\(id)/orders", ["ram_gb": "8", "idempotency_key": String(key)])
            XCTAssertEqual(double.headers[.location], checkoutPath)

            let checkout = try await browser.get(checkoutPath)
            XCTAssertEqual(checkout.status, .ok)
            XCTAssertTrue(checkout.text.contains("Pay 10.80 USD"))
            XCTAssertTrue(checkout.text.contains(#"id="method-credit" value="credit" disabled"#), "no credit to pay with")
            XCTAssertFalse(checkout.text.contains("method-bank"), "bank transfers are for staff to record")

            let paymentsPath = checkoutPath.replacingOccurrences(of: "/pay", with: "/payments")
            let declined = try await browser.post(paymentsPath, ["method": "card", "card_number": "4000 0000 0000 0002"])
            XCTAssertEqual(declined.status.code, 402)
            XCTAssertTrue(declined.text.contains("The card was declined"))
            XCTAssertTrue(declined.text.contains(#"value="4000 0000 0000 0002""#), "what was typed is kept")

            let paid = try await browser.post(paymentsPath, ["method": "card", "card_number": "4242 4242 4242 4242"])
            XCTAssertEqual(paid.status, .seeOther)
            XCTAssertEqual(paid.headers[.location], "/subscriptions/\(id)")
            try await Self.waitForSettled(w)
            let page = try await browser.get("/subscriptions/\(id)")
            XCTAssertTrue(page.text.contains("is paid (10.80 USD)"), "the flash says so")
            let ramRow = try XCTUnwrap(page.text.firstMatch(of: /<tr id="resource-ram_gb">.*?<\/tr>/)?.0)
            XCTAssertTrue(ramRow.contains(#"<td class="text-end total">8</td>"#), String(ramRow))
            XCTAssertTrue(page.text.contains("Completed"), "the subscription's orders show the completed one")

            let invoicePath = checkoutPath.replacingOccurrences(of: "/pay", with: "")
            let invoice = try await browser.get(invoicePath)
            XCTAssertTrue(invoice.text.contains("Invoice INV-\(w.fixture.r1.id)-000001"))
            XCTAssertTrue(invoice.text.contains("Reseller One"), "the seller issues it")
            XCTAssertTrue(invoice.text.contains(#"id="invoice-total">10.80 USD"#))
            XCTAssertTrue(invoice.text.contains("card ending 4242"))
            XCTAssertFalse(invoice.text.contains(#"id="invoice-pay""#), "nothing to pay any more")
            let orders = try await browser.get("/orders")
            XCTAssertTrue(orders.text.contains("ram_gb 4 → 8"))
        }
    }

    func testADowngradeShowsTheRefundAndTheCreditLog() async throws {
        try await withQuoteWorld { w, id in
            _ = try await w.api.call(.put, "/api/v1/subscriptions/\(id)/usage", token: w.reseller, json: #"{"ram_gb":0}"#)
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c1.admin"]!)
            let estimate = try await browser.get("/subscriptions/\(id)/estimate?ram_gb=3")
            XCTAssertTrue(estimate.text.contains("Refund to your credit"))
            XCTAssertTrue(estimate.text.contains(#"id="estimate-total">1.50 USD"#))
            let submitted = try await browser.post("/subscriptions/\(id)/orders", ["ram_gb": "3", "idempotency_key": "down-1"])
            XCTAssertEqual(submitted.headers[.location], "/subscriptions/\(id)")
            try await Self.waitForSettled(w)
            let page = try await browser.get("/subscriptions/\(id)")
            XCTAssertTrue(page.text.contains("1.50 USD will be refunded to your credit"))
            XCTAssertTrue(page.text.contains("Available credit <strong>1.50 USD</strong>"))
            let credit = try await browser.get("/accounts/\(w.fixture.c1.id)/credit")
            XCTAssertEqual(credit.status, .ok)
            XCTAssertTrue(credit.text.contains(#"id="credit-balance">1.50 USD"#))
            XCTAssertTrue(credit.text.contains("Refund of order #"))
            // A refused submit keeps the person on the estimate with the reason.
            let refused = try await browser.post("/subscriptions/\(id)/orders", ["ram_gb": "30", "idempotency_key": "too-much"])
            XCTAssertEqual(refused.status, .seeOther)
            XCTAssertTrue(refused.headers[.location]?.contains("/estimate?") == true)
            let back = try await browser.get(try XCTUnwrap(refused.headers[.location]))
            XCTAssertTrue(back.text.contains("The order was not placed"))
        }
    }

    func testStaffRecordABankTransferAndCancelAnotherOrder() async throws {
        try await withQuoteWorld { w, id in
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["r1.admin"]!)
            let submitted = try await browser.post("/subscriptions/\(id)/orders", ["plan_id": String(w.plans["Gold"]!), "period_months": "1", "idempotency_key": "gold"])
            let checkoutPath = try XCTUnwrap(submitted.headers[.location])
            let checkout = try await browser.get(checkoutPath)
            XCTAssertTrue(checkout.text.contains("method-bank"), "staff may record a bank transfer")
            XCTAssertTrue(checkout.text.contains("Pay 6.00 USD"), "−10.00 + 15.00, tax 1.00")
            let paid = try await browser.post(checkoutPath.replacingOccurrences(of: "/pay", with: "/payments"), ["method": "bank_transfer", "reference": "WIRE-2026-04"])
            XCTAssertEqual(paid.headers[.location], "/subscriptions/\(id)")
            try await Self.waitForSettled(w)
            let page = try await browser.get("/subscriptions/\(id)")
            XCTAssertTrue(page.text.contains(#"id="subscription-heading">Gold"#))

            // Another order, left unpaid, then cancelled by staff from its page.
            let second = try await browser.post("/subscriptions/\(id)/orders", ["ram_gb": "6", "idempotency_key": "ram"])
            let invoicePath = try XCTUnwrap(second.headers[.location]).replacingOccurrences(of: "/pay", with: "")
            let invoice = try await browser.get(invoicePath)
            let orderPath = try XCTUnwrap(invoice.text.firstMatch(of: /href="(\/orders\/\d+)" id="invoice-order"/)?.1)
            let order = try await browser.get(String(orderPath))
            XCTAssertTrue(order.text.contains(#"id="order-cancel""#))
            let cancelled = try await browser.post(String(orderPath) + "/cancel", [:])
            XCTAssertEqual(cancelled.headers[.location], String(orderPath))
            let after = try await browser.get(String(orderPath))
            XCTAssertTrue(after.text.contains(#"data-status="cancelled""#))
            let list = try await browser.get("/orders?status=cancelled")
            XCTAssertTrue(list.text.contains("ram_gb"))
            XCTAssertFalse(list.text.contains("Silver → Gold"), "filtered by status")
            let payments = try await browser.get("/payments")
            XCTAssertTrue(payments.text.contains("WIRE-2026-04"))
        }
    }
}
