import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// Submit → completed latency through the API, with the provisioning worker inside the app as in
/// `console serve`, printed for the record (`swift test --filter OrderLatencyTests`). Each order's
/// outcome is checked.
final class OrderLatencyTests: XCTestCase {
    func testTwoHundredChangeOrdersFromSubmitToCompleted() async throws {
        try await withQuoteWorld { w, id in
            var paid: [Duration] = []
            var refunded: [Duration] = []
            for i in 0..<200 {
                let upgrade = i % 2 == 0
                let started = ContinuousClock.now
                let order = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                                 json: #"{"resources":[{"resource_code":"ram_gb","additional":\#(upgrade ? 3 : 2)}]}"#)
                XCTAssertEqual(order.status, .created, order.text)
                if upgrade {
                    let payment = try await w.api.call(.post, "/api/v1/invoices/\(order.json["invoice_id"] as! Int)/payments", token: w.customer,
                                                       json: #"{"method":"card","card_number":"4242424242424242"}"#)
                    XCTAssertEqual(payment.status, .created)
                }
                var status = ""
                while status != "completed" {
                    status = try await w.api.call(.get, "/api/v1/orders/\(order.json["id"] as! Int)", token: w.customer).json["status"] as? String ?? ""
                    XCTAssertTrue(["awaiting_payment", "provisioning", "completed"].contains(status), status)
                    if status != "completed" { try await Task.sleep(for: .milliseconds(1)) }
                }
                if upgrade { paid.append(ContinuousClock.now - started) } else { refunded.append(ContinuousClock.now - started) }
            }
            let ms = { (d: Duration) in Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000 }
            for (name, values) in [("paid by card (submit, pay, provision)", paid), ("refund to credit (submit, provision)", refunded)] {
                let sorted = values.sorted()
                print("ORDER LATENCY \(name): median=\(String(format: "%.1f", ms(sorted[sorted.count / 2]))) ms p99=\(String(format: "%.1f", ms(sorted[sorted.count * 99 / 100]))) ms over \(sorted.count)")
                XCTAssertLessThan(ms(sorted[sorted.count * 99 / 100]), 2000)
            }
        }
    }
}
