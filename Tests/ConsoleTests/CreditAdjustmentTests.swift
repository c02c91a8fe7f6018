import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// Credit by hand (DOMAIN.md 9, issue 15): staff admins of an ancestor post an adjustment, positive
/// or negative, with a reason; it is a credit log entry like any other, audited, and it can't take
/// a balance below zero unless they say so explicitly.
final class CreditAdjustmentTests: XCTestCase {
    private static func balance(_ api: APIClient, _ customer: Int64, _ token: String) async throws -> String? {
        (try await api.call(.get, "/api/v1/accounts/\(customer)/credit", token: token).json["balance"] as? [String: Any])?["amount"] as? String
    }

    private static func amount(_ value: Any?) -> String? { (value as? [String: Any])?["amount"] as? String }

    func testPlusTenThenMinusFourLeavesSixAndMinusSevenNeedsTheExplicitFlag() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            let reseller = try await api.token(fixture.users["r1.admin"]!)
            let c1 = fixture.c1.id
            let path = "/api/v1/accounts/\(c1)/credit-adjustments"

            let plus = try await api.call(.post, path, token: reseller, json: #"{"amount":"10.00","reason":"Goodwill for the outage"}"#)
            XCTAssertEqual(plus.status, .created, plus.text)
            XCTAssertEqual(Self.amount(plus.json["amount"]), "10.00")
            XCTAssertEqual(plus.json["reason"] as? String, "Goodwill for the outage")
            XCTAssertEqual(plus.json["actor"] as? String, "admin@r1.test")
            let minus = try await api.call(.post, path, token: reseller, json: #"{"amount":{"amount":"-4","currency":"USD"},"reason":"Wrong posting corrected"}"#)
            XCTAssertEqual(minus.status, .created, minus.text)
            XCTAssertEqual(Self.amount(minus.json["amount"]), "-4.00")

            let credit = try await api.call(.get, "/api/v1/accounts/\(c1)/credit", token: reseller)
            XCTAssertEqual(Self.amount(credit.json["balance"]), "6.00", "10.00 - 4.00")
            let entries = credit.json["entries"] as? [[String: Any]]
            XCTAssertEqual(entries?.map { Self.amount($0["amount"]) }, ["-4.00", "10.00"], "two log entries, newest first")
            XCTAssertEqual(entries?.map { $0["reason"] as? String }, ["Wrong posting corrected", "Goodwill for the outage"])

            // -7.00 would leave -1.00: refused without the flag, nothing posted; allowed with it.
            let refused = try await api.call(.post, path, token: reseller, json: #"{"amount":"-7.00","reason":"Chargeback"}"#)
            XCTAssertEqual(refused.status, .unprocessableContent)
            XCTAssertEqual(refused.errorCode, "balance_below_zero")
            let balanceAfterRefusal = try await Self.balance(api, c1, reseller)
            XCTAssertEqual(balanceAfterRefusal, "6.00")
            let unflagged = try await api.call(.post, path, token: reseller, json: #"{"amount":"-7.00","reason":"Chargeback","allow_negative_balance":false}"#)
            XCTAssertEqual(unflagged.errorCode, "balance_below_zero")
            let allowed = try await api.call(.post, path, token: reseller, json: #"{"amount":"-7.00","reason":"Chargeback","allow_negative_balance":true}"#)
            XCTAssertEqual(allowed.status, .created, allowed.text)
            let balanceAfterFlagged = try await Self.balance(api, c1, reseller)
            XCTAssertEqual(balanceAfterFlagged, "-1.00")

            // Audited, each with the balance before and after.
            let audits = try await database.rows("SELECT after_state FROM audit_log WHERE object_type = 'credit_entry' AND action = 'adjust' AND account_id = ? ORDER BY id",
                                                 [.int(c1)]).map { try $0.decode(column: "after_state", as: String.self) }
            XCTAssertEqual(audits.count, 3)
            XCTAssertTrue(audits.last?.contains(#""balance_after":"-1.00 USD""#) == true, audits.last ?? "")
            XCTAssertTrue(audits.last?.contains(#""balance_before":"6.00 USD""#) == true, audits.last ?? "")
            XCTAssertTrue(audits.last?.contains(#""allow_negative_balance":true"#) == true, audits.last ?? "")

            // Bounded input, 422 naming the field.
            for (body, field) in [
                (#"{"amount":"0","reason":"Nothing"}"#, "amount"), (#"{"amount":"abc","reason":"x"}"#, "amount"),
                (#"{"amount":"1.234","reason":"x"}"#, "amount"), (#"{"amount":"1000000001","reason":"x"}"#, "amount"),
                (#"{"amount":{"amount":"5","currency":"EUR"},"reason":"x"}"#, "amount"), (#"{"amount":"5","reason":" "}"#, "reason"),
                (#"{"amount":"5","reason":"\#(String(repeating: "r", count: 501))"}"#, "reason"), (#"{"amount":"5"}"#, "reason"),
                (#"{"amount":"5","reason":"x","allow_negative_balance":"yes"}"#, "allow_negative_balance"),
            ] {
                let bad = try await api.call(.post, path, token: reseller, json: body)
                XCTAssertEqual(bad.status, .unprocessableContent, body)
                XCTAssertEqual(bad.errorCode, field, body)
            }
            let balanceAfterBadInput = try await Self.balance(api, c1, reseller)
            XCTAssertEqual(balanceAfterBadInput, "-1.00")
            let ofReseller = try await api.call(.post, "/api/v1/accounts/\(fixture.r1a.id)/credit-adjustments", token: reseller, json: #"{"amount":"5","reason":"x"}"#)
            XCTAssertEqual(ofReseller.errorCode, "id", "credit belongs to customers")

            // Staff admins of an ancestor only; another reseller's customer is not there.
            let foreign = try await api.call(.post, "/api/v1/accounts/\(fixture.c2.id)/credit-adjustments", token: reseller, json: #"{"amount":"5","reason":"x"}"#)
            XCTAssertEqual(foreign.status, .notFound)
            for key in ["r1.operator", "r1.viewer", "p.operator", "p.viewer", "c1.admin", "c1.operator"] {
                let forbidden = try await api.call(.post, path, token: try await api.token(fixture.users[key]!), json: #"{"amount":"5","reason":"x"}"#)
                XCTAssertEqual(forbidden.status, .forbidden, key)
            }
            let byProvider = try await api.call(.post, path, token: try await api.token(fixture.users["p.admin"]!), json: #"{"amount":"7","reason":"Provider goodwill"}"#)
            XCTAssertEqual(byProvider.status, .created)
            let balanceAfterProvider = try await Self.balance(api, c1, reseller)
            XCTAssertEqual(balanceAfterProvider, "6.00")
            let seenByCustomer = try await api.call(.get, "/api/v1/accounts/\(c1)/credit", token: try await api.token(fixture.users["c1.admin"]!))
            XCTAssertEqual((seenByCustomer.json["entries"] as? [[String: Any]])?.first?["actor"] as? String, "Reseller One",
                           "the customer sees the provider's adjustment as its seller's (white label)")
        }
    }

    func testTheCreditPageFormKeepsWhatWasTypedAndTheCustomerSeesItsBalanceInTheTopBar() async throws {
        try await withConsole { client, fixture, _ in
            let staff = Browser(client)
            _ = try await staff.signIn(fixture.users["r1.admin"]!)
            let page = try await staff.get("/accounts/\(fixture.c1.id)/credit")
            XCTAssertTrue(page.text.contains(#"id="credit-adjust-form""#))
            let posted = try await staff.post("/accounts/\(fixture.c1.id)/credit-adjustments", ["amount": "12.50", "reason": "Goodwill"])
            XCTAssertEqual(posted.status, .seeOther)
            let below = try await staff.post("/accounts/\(fixture.c1.id)/credit-adjustments", ["amount": "-20", "reason": "Reversal"])
            XCTAssertEqual(below.status, .unprocessableContent)
            XCTAssertTrue(below.text.contains(#"id="adjust-amount-error""#), "the amount is marked")
            XCTAssertTrue(below.text.contains("from 12.50 USD to -7.50 USD"), below.text)
            XCTAssertTrue(below.text.contains(#"value="-20""#) && below.text.contains(#"value="Reversal""#), "what was typed is kept")
            let bounded = try await staff.post("/accounts/\(fixture.c1.id)/credit-adjustments", ["amount": "1.001", "reason": ""])
            XCTAssertEqual(bounded.status, .unprocessableContent)
            XCTAssertTrue(bounded.text.contains(#"id="adjust-reason-error""#))

            let customer = Browser(client)
            _ = try await customer.signIn(fixture.users["c1.admin"]!)
            let own = try await customer.get("/subscriptions")
            XCTAssertTrue(own.text.contains(#"id="available-credit">Available credit <strong>12.50 USD</strong>"#), "the top bar shows the balance")
            let log = try await customer.get("/accounts/\(fixture.c1.id)/credit")
            XCTAssertTrue(log.text.contains("Goodwill"))
            XCTAssertFalse(log.text.contains(#"id="credit-adjust-form""#), "customers don't adjust their own credit")
            let refused = try await customer.post("/accounts/\(fixture.c1.id)/credit-adjustments", ["amount": "100", "reason": "Free money"])
            XCTAssertEqual(refused.status, .forbidden)
        }
    }
}
