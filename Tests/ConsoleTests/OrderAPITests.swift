import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// Orders, invoices, payments and credit through the API (API.md), with the provisioning worker
/// running inside the app as it does in `console serve`. The world is QuoteTests': Silver at
/// $20, ram_gb 2.50 a month (setup 1.00), 2026-04-26 in a period from 2026-04-11 (R 15, D 30), tax 0.20.
final class OrderAPITests: XCTestCase {
    private static func amount(_ value: Any?) -> String? { (value as? [String: Any])?["amount"] as? String }

    /// Polls an order until it leaves awaiting payment and provisioning (the worker runs beside the test).
    static func settled(_ w: QuoteWorld, _ id: Int, token: String? = nil) async throws -> [String: Any] {
        for _ in 0..<250 {
            let order = try await w.api.call(.get, "/api/v1/orders/\(id)", token: token ?? w.customer).json
            if let status = order["status"] as? String, !["awaiting_payment", "provisioning"].contains(status) { return order }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("order \(id) did not settle within 5 s")
        return [:]
    }

    func testAnUpgradeIsOrderedInvoicedPaidByCardAndProvisioned() async throws {
        try await withQuoteWorld { w, id in
            let body = #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#
            let submitted = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer, json: body, idempotencyKey: "up-1")
            XCTAssertEqual(submitted.status, .created, submitted.text)
            let order = submitted.json
            XCTAssertEqual(order["status"] as? String, "awaiting_payment")
            XCTAssertEqual(order["kind"] as? String, "change")
            XCTAssertEqual((order["lines"] as? [[String: Any]])?.map { Self.amount($0["amount"]) }, ["5.00", "4.00"])
            XCTAssertEqual(Self.amount(order["total"]), "10.80")
            let orderID = try XCTUnwrap(order["id"] as? Int)
            let invoiceID = try XCTUnwrap(order["invoice_id"] as? Int)

            // The same key and body: the same order, nothing new. Another body: 409.
            let again = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer, json: body, idempotencyKey: "up-1")
            XCTAssertEqual(again.status, .created)
            XCTAssertEqual(again.json["id"] as? Int, orderID)
            XCTAssertEqual(again.headers[HTTPField.Name("Idempotent-Replayed")!], "true")
            let other = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                             json: #"{"resources":[{"resource_code":"ram_gb","additional":7}]}"#, idempotencyKey: "up-1")
            XCTAssertEqual(other.status, .conflict, other.text)
            XCTAssertEqual((other.json["error"] as? [String: Any])?["code"] as? String, "idempotency_key_reused")

            let invoice = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)", token: w.customer).json
            XCTAssertEqual(invoice["status"] as? String, "unpaid")
            XCTAssertEqual(Self.amount(invoice["total"]), "10.80")
            XCTAssertEqual(Self.amount(invoice["due"]), "10.80")
            XCTAssertEqual(invoice["display_number"] as? String, "INV-\(w.fixture.r1.id)-000001")

            // Declined: 402 card_declined; gateway error: 502 gateway_error. Only the attempts are recorded.
            let declined = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer,
                                                json: #"{"method":"card","card_number":"4000000000000002"}"#)
            XCTAssertEqual(declined.status.code, 402, declined.text)
            XCTAssertEqual((declined.json["error"] as? [String: Any])?["code"] as? String, "card_declined")
            let failing = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer,
                                               json: #"{"method":"card","card_number":"4000000000009995"}"#)
            XCTAssertEqual(failing.status, .badGateway, failing.text)
            XCTAssertEqual((failing.json["error"] as? [String: Any])?["code"] as? String, "gateway_error")
            let stillUnpaid = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)", token: w.customer).json
            XCTAssertEqual(stillUnpaid["status"] as? String, "unpaid")
            let attempts = try await w.api.call(.get, "/api/v1/payments?invoice_id=\(invoiceID)", token: w.customer).json["items"] as? [[String: Any]]
            XCTAssertEqual(attempts?.compactMap { $0["status"] as? String }, ["failed", "declined"])

            let paid = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer,
                                            json: #"{"method":"card","card_number":"4242 4242 4242 4242"}"#)
            XCTAssertEqual(paid.status, .created, paid.text)
            XCTAssertEqual(paid.json["status"] as? String, "succeeded")
            XCTAssertEqual(paid.json["invoice_status"] as? String, "paid")
            XCTAssertEqual(Self.amount(paid.json["amount"]), "10.80")
            let settled = try await Self.settled(w, orderID)
            XCTAssertEqual(settled["status"] as? String, "completed")
            let subscription = try await w.api.call(.get, "/api/v1/subscriptions/\(id)", token: w.customer).json
            let ram = (subscription["resources"] as? [[String: Any]])?.first { $0["resource_code"] as? String == "ram_gb" }
            XCTAssertEqual(ram?["additional"] as? Int, 6)
            XCTAssertEqual(ram?["total"] as? Int, 8)
            // Paying a paid invoice is refused, naming the invoice.
            let twice = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer, json: #"{"method":"credit"}"#)
            XCTAssertEqual(twice.status, .unprocessableContent)
            XCTAssertEqual((twice.json["error"] as? [String: Any])?["code"] as? String, "invoice")
        }
    }

    func testARefusedSubmitAnswers422WithEveryReasonAndCreatesNothing() async throws {
        try await withQuoteWorld { w, id in
            let refused = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                               json: #"{"resources":[{"resource_code":"ram_gb","additional":0}],"promo_code":"NOPE"}"#)
            XCTAssertEqual(refused.status, .unprocessableContent, refused.text)
            let error = refused.json["error"] as? [String: Any]
            XCTAssertEqual(error?["code"] as? String, "below_usage")
            let reasons = (error?["details"] as? [String: Any])?["reasons"] as? [[String: Any]]
            XCTAssertEqual(reasons?.compactMap { $0["code"] as? String }, ["below_usage", "promo_invalid"])
            let nothing = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                               json: #"{"resources":[{"resource_code":"ram_gb","additional":2}]}"#)
            XCTAssertEqual(nothing.status, .unprocessableContent)
            XCTAssertEqual((nothing.json["error"] as? [String: Any])?["code"] as? String, "resources", "the quantities it has now: nothing to order")
            let viewer = try await w.api.token(w.fixture.users["c1.viewer"]!)
            let byViewer = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: viewer,
                                                json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#)
            XCTAssertEqual(byViewer.status, .forbidden)
            let orders = try await w.api.call(.get, "/api/v1/orders", token: w.customer).json["items"] as? [Any]
            XCTAssertEqual(orders?.count, 0)
        }
    }

    /// A downgrade refunds to credit (−1.25, tax −0.25: 1.50); credit then pays part of an upgrade and the card the rest.
    func testADowngradeRefundsToCreditAndCreditPaysPartOfTheNextInvoice() async throws {
        try await withQuoteWorld { w, id in
            let usage = try await w.api.call(.put, "/api/v1/subscriptions/\(id)/usage", token: w.reseller, json: #"{"ram_gb":0}"#)
            XCTAssertEqual(usage.status, .ok, usage.text)
            let down = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                            json: #"{"resources":[{"resource_code":"ram_gb","additional":1}]}"#)
            XCTAssertEqual(down.status, .created, down.text)
            XCTAssertEqual(Self.amount(down.json["total"]), "-1.50")
            XCTAssertTrue(down.json["invoice_id"] is NSNull || down.json["invoice_id"] == nil, "no payment, no invoice")
            let settled = try await Self.settled(w, try XCTUnwrap(down.json["id"] as? Int))
            XCTAssertEqual(settled["status"] as? String, "completed")
            let credit = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.c1.id)/credit", token: w.customer).json
            XCTAssertEqual(Self.amount(credit["balance"]), "1.50")
            let entries = credit["entries"] as? [[String: Any]]
            XCTAssertEqual(entries?.compactMap { Self.amount($0["amount"]) }, ["1.50"])
            XCTAssertEqual(entries?.first?["order_id"] as? Int, down.json["id"] as? Int)

            // +2 GB from 1: 2 × 2.50 × 15/30 = 2.50, setup 2.00, tax 0.90: 5.40.
            let up = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                          json: #"{"resources":[{"resource_code":"ram_gb","additional":3}]}"#)
            XCTAssertEqual(Self.amount(up.json["total"]), "5.40")
            let invoiceID = try XCTUnwrap(up.json["invoice_id"] as? Int)
            let fromCredit = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer, json: #"{"method":"credit"}"#)
            XCTAssertEqual(fromCredit.status, .created, fromCredit.text)
            XCTAssertEqual(Self.amount(fromCredit.json["amount"]), "1.50")
            XCTAssertEqual(fromCredit.json["invoice_status"] as? String, "unpaid")
            let invoice = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)", token: w.customer).json
            XCTAssertEqual(Self.amount(invoice["due"]), "3.90")
            let noCredit = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer, json: #"{"method":"credit"}"#)
            XCTAssertEqual(noCredit.status, .unprocessableContent)
            XCTAssertEqual((noCredit.json["error"] as? [String: Any])?["code"] as? String, "method")
            let bankByCustomer = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer, json: #"{"method":"bank_transfer"}"#)
            XCTAssertEqual(bankByCustomer.status, .forbidden, "customers don't record bank transfers")
            let bank = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.reseller, json: #"{"method":"bank_transfer","reference":"WIRE 1"}"#)
            XCTAssertEqual(bank.status, .created, bank.text)
            XCTAssertEqual(Self.amount(bank.json["amount"]), "3.90")
            XCTAssertEqual(bank.json["order_status"] as? String, "provisioning")
            let done = try await Self.settled(w, try XCTUnwrap(up.json["id"] as? Int))
            XCTAssertEqual(done["status"] as? String, "completed")
            let after = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.c1.id)/credit", token: w.reseller).json
            XCTAssertEqual(Self.amount(after["balance"]), "0.00")
            XCTAssertEqual((after["entries"] as? [[String: Any]])?.count, 2)
        }
    }

    /// Staff cancel an unpaid order (its invoice is cancelled); lists filter by status; the credit of a reseller is not a thing.
    func testCancellingAnUnpaidOrderAndListingByStatus() async throws {
        try await withQuoteWorld { w, id in
            let order = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                             json: #"{"switch":{"from_resource_code":"support_basic","to_resource_code":"support_premium"}}"#)
            XCTAssertEqual(order.status, .created, order.text)
            let orderID = try XCTUnwrap(order.json["id"] as? Int)
            let second = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                              json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#)
            XCTAssertEqual((second.json["error"] as? [String: Any])?["code"] as? String, "order_open")
            let viewer = try await w.api.token(w.fixture.users["c1.viewer"]!)
            let byViewer = try await w.api.call(.post, "/api/v1/orders/\(orderID)/cancel", token: viewer)
            XCTAssertEqual(byViewer.status, .forbidden)
            let cancelled = try await w.api.call(.post, "/api/v1/orders/\(orderID)/cancel", token: w.reseller)
            XCTAssertEqual(cancelled.status, .ok, cancelled.text)
            XCTAssertEqual(cancelled.json["status"] as? String, "cancelled")
            let invoice = try await w.api.call(.get, "/api/v1/invoices/\(try XCTUnwrap(order.json["invoice_id"] as? Int))", token: w.customer).json
            XCTAssertEqual(invoice["status"] as? String, "cancelled")
            let listed = try await w.api.call(.get, "/api/v1/orders?status=cancelled&subscription_id=\(id)", token: w.reseller).json["items"] as? [[String: Any]]
            XCTAssertEqual(listed?.compactMap { $0["id"] as? Int }, [orderID])
            let none = try await w.api.call(.get, "/api/v1/orders?status=completed", token: w.reseller).json["items"] as? [Any]
            XCTAssertEqual(none?.count, 0)
            let bad = try await w.api.call(.get, "/api/v1/orders?status=done", token: w.reseller)
            XCTAssertEqual(bad.status, .unprocessableContent)
            XCTAssertEqual((bad.json["error"] as? [String: Any])?["code"] as? String, "status")
            let resellerCredit = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.r1.id)/credit", token: w.reseller)
            XCTAssertEqual(resellerCredit.status, .unprocessableContent)
        }
    }

    /// The test connector told to fail: provisioning_failed, the subscription untouched, the payment back as credit.
    func testAFailingConnectorReturnsThePaymentAsCredit() async throws {
        try await withQuoteWorld { w, id in
            let byReseller = try await w.api.call(.put, "/api/v1/connectors/test/rules", token: w.reseller, json: #"{"resource_code":"ram_gb","fail_provisioning":true}"#)
            XCTAssertEqual(byReseller.status, .notFound, "the test connector is the provider's")
            let unknown = try await w.api.call(.put, "/api/v1/connectors/test/rules", token: w.provider, json: #"{"resource_code":"nope","fail_provisioning":true}"#)
            XCTAssertEqual(unknown.status, .unprocessableContent)
            let rule = try await w.api.call(.put, "/api/v1/connectors/test/rules", token: w.provider, json: #"{"resource_code":"ram_gb","fail_provisioning":true}"#)
            XCTAssertEqual(rule.status, .ok, rule.text)
            XCTAssertEqual(rule.json["fail_provisioning"] as? Bool, true)
            XCTAssertEqual(rule.json["reductions_allowed"] as? Bool, true)
            let order = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                             json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#)
            let paid = try await w.api.call(.post, "/api/v1/invoices/\(try XCTUnwrap(order.json["invoice_id"] as? Int))/payments", token: w.customer,
                                            json: #"{"method":"card","card_number":"4242424242424242"}"#)
            XCTAssertEqual(paid.status, .created)
            let settled = try await Self.settled(w, try XCTUnwrap(order.json["id"] as? Int))
            XCTAssertEqual(settled["status"] as? String, "provisioning_failed")
            XCTAssertEqual(settled["failure_reason"] as? String, "the test connector is set to fail provisioning of ram_gb")
            let subscription = try await w.api.call(.get, "/api/v1/subscriptions/\(id)", token: w.customer).json
            let ram = (subscription["resources"] as? [[String: Any]])?.first { $0["resource_code"] as? String == "ram_gb" }
            XCTAssertEqual(ram?["additional"] as? Int, 2, "untouched")
            let credit = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.c1.id)/credit", token: w.customer).json
            XCTAssertEqual(Self.amount(credit["balance"]), "10.80")
        }
    }
}
