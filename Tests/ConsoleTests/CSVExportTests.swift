@testable import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// CSV export of every list (issue 16, item 2): `Accept: text/csv` on the API's lists and "Export
/// CSV" on the pages, with the list's filters and tenant scope, a header row, RFC 4180 quoting and
/// formula cells neutralised.
final class CSVExportTests: XCTestCase {
    // MARK: Every list, with its filters and a worked row

    func testEveryListAnswersCSVWithTheListsFiltersAndAWorkedRow() async throws {
        try await withQuoteWorld { w, id in
            let (orderID, invoiceID) = try await Self.upgradeAndPay(w, id)
            let c1 = w.fixture.c1.id

            // Subscriptions: the active ones, with their customer, plan and resources (included + additional).
            let subscriptions = try await Self.csv(w, "/api/v1/subscriptions?status=active", token: w.reseller)
            XCTAssertEqual(subscriptions.response.headers[.contentType], "text/csv; charset=utf-8; header=present")
            let disposition = try XCTUnwrap(subscriptions.response.headers[.contentDisposition])
            XCTAssertNotNil(disposition.wholeMatch(of: /attachment; filename="subscriptions-\d{4}-\d{2}-\d{2}\.csv"/), disposition)
            XCTAssertEqual(subscriptions.header, ["id", "customer_id", "customer_name", "plan_id", "plan_name", "status", "period_months", "period_start",
                                                  "period_end", "paid_until", "cancel_at_period_end", "individual_prices", "resources", "cancelled_at"])
            let subscription = try XCTUnwrap(subscriptions.rows.only)
            XCTAssertEqual(subscription["id"], "\(id)")
            XCTAssertEqual(subscription["customer_id"], "\(c1)")
            XCTAssertEqual(subscription["customer_name"], "Customer One")
            XCTAssertEqual(subscription["plan_name"], "Silver")
            XCTAssertEqual(subscription["status"], "active")
            XCTAssertEqual(subscription["period_start"], "2026-04-11")
            XCTAssertEqual(subscription["period_end"], "2026-05-11")
            XCTAssertEqual(subscription["resources"], "ram_gb=8;support_basic=1;support_premium=0", "2 included + 6 additional after the upgrade")
            let answer1 = try await Self.csv(w, "/api/v1/subscriptions?status=suspended", token: w.reseller)
            XCTAssertEqual(answer1.rows.count, 0, "the filter applies")

            // Orders: the completed change, its money in the currency's minor digits beside the currency.
            let orders = try await Self.csv(w, "/api/v1/orders?kind=change&status=completed", token: w.reseller)
            let order = try XCTUnwrap(orders.rows.only)
            XCTAssertEqual(order["id"], "\(orderID)")
            XCTAssertEqual([order["subtotal"], order["tax"], order["total"], order["currency"]], ["9.00", "1.80", "10.80", "USD"])
            XCTAssertEqual(order["customer_name"], "Customer One")
            XCTAssertNotNil(order["created_at"]?.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/), "UTC ISO 8601")
            let answer2 = try await Self.csv(w, "/api/v1/orders?status=cancelled", token: w.reseller)
            XCTAssertEqual(answer2.rows.count, 0)

            // Invoices and payments.
            let answer3 = try await Self.csv(w, "/api/v1/invoices?status=paid", token: w.customer)
            let invoice = try XCTUnwrap(answer3.rows.only)
            XCTAssertEqual(invoice["id"], "\(invoiceID)")
            XCTAssertEqual(invoice["display_number"], "INV-\(w.fixture.r1.id)-000001")
            XCTAssertEqual([invoice["total"], invoice["paid"], invoice["due"]], ["10.80", "10.80", "0.00"])
            let answer4 = try await Self.csv(w, "/api/v1/payments?invoice_id=\(invoiceID)&status=succeeded", token: w.customer)
            let payment = try XCTUnwrap(answer4.rows.only)
            XCTAssertEqual([payment["method"], payment["amount"], payment["currency"], payment["card_last4"]], ["card", "10.80", "USD", "4242"])

            // The credit log: an adjustment by the reseller, and a negative one (a plain decimal, not a formula).
            for (amount, reason) in [("12.50", "Goodwill"), ("-3.00", "=cmd|' /C calc'!A0")] {
                let posted = try await w.api.call(.post, "/api/v1/accounts/\(c1)/credit-adjustments", token: w.reseller,
                                                  json: #"{"amount":"\#(amount)","reason":"\#(reason)"}"#)
                XCTAssertEqual(posted.status, .created, posted.text)
            }
            let credit = try await Self.csv(w, "/api/v1/accounts/\(c1)/credit", token: w.customer)
            XCTAssertEqual(credit.header, ["id", "customer_id", "amount", "currency", "reason", "order_id", "invoice_id", "payment_id", "actor", "created_at"])
            XCTAssertEqual(credit.rows.map { $0["amount"] }, ["-3.00", "12.50"], "newest first; -3.00 stays a number")
            XCTAssertEqual(credit.rows.first?["reason"], "'=cmd|' /C calc'!A0", "a formula is shown, never run")

            // Reseller charges of Reseller One, as its JSON list says them.
            let chargesJSON = try await w.api.call(.get, "/api/v1/accounts/\(w.fixture.r1.id)/reseller-charges", token: w.provider).json["items"] as? [[String: Any]]
            let charges = try await Self.csv(w, "/api/v1/accounts/\(w.fixture.r1.id)/reseller-charges", token: w.provider)
            XCTAssertEqual(charges.rows.count, chargesJSON?.count)
            let charge = try XCTUnwrap(charges.rows.first)
            XCTAssertEqual(charge["net_cost"], (chargesJSON?.first?["net_cost"] as? [String: Any])?["amount"] as? String)
            XCTAssertEqual(charge["sold"], (chargesJSON?.first?["sold"] as? [String: Any])?["amount"] as? String)
            XCTAssertEqual(charge["margin"], (chargesJSON?.first?["margin"] as? [String: Any])?["amount"] as? String)
            XCTAssertEqual(charge["reseller_name"], "Reseller One")

            // The audit log, filtered by object type: the same entries as the JSON list, in order.
            let auditJSON = try await w.api.call(.get, "/api/v1/audit?object_type=subscription&limit=200", token: w.reseller).json["items"] as? [[String: Any]]
            let audit = try await Self.csv(w, "/api/v1/audit?object_type=subscription", token: w.reseller)
            XCTAssertEqual(audit.rows.map { $0["id"] }, auditJSON?.map { "\($0["id"] as? Int ?? 0)" })
            XCTAssertEqual(Set(audit.rows.map { $0["object_type"] }), ["subscription"])
            XCTAssertTrue(audit.rows.contains { $0["after"]?.contains(#""status":"#) == true }, "the states' JSON, quoted whole")

            // Accounts, filtered by kind and search.
            let accounts = try await Self.csv(w, "/api/v1/accounts?kind=customer&q=One", token: w.reseller)
            XCTAssertEqual(accounts.rows.map { $0["name"] }, ["Customer One"])
            XCTAssertEqual(accounts.rows.first?["parent_id"], "\(w.fixture.r1.id)")

            // Other Accept values keep the JSON answer; JSON preferred over CSV is JSON.
            for accept in ["application/json", "*/*", "text/csv;q=0.5, application/json", "text/csv;q=0"] {
                let answer = try await w.api.client.execute(uri: "/api/v1/subscriptions", method: .get,
                                                            headers: [.authorization: "Bearer \(w.reseller)", .accept: accept], body: nil)
                XCTAssertEqual(answer.headers[.contentType]?.hasPrefix("application/json"), true, accept)
            }
            // A filter out of bounds is 422 before any row, as for JSON.
            let bad = try await w.api.client.execute(uri: "/api/v1/orders?status=nonsense", method: .get,
                                                     headers: [.authorization: "Bearer \(w.reseller)", .accept: "text/csv"], body: nil)
            XCTAssertEqual(bad.status, .unprocessableContent)
        }
    }

    // MARK: Quoting and formulas, end to end

    func testNamesWithFormulasCommasQuotesAndLineBreaksComeBackIntact() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let reseller = try await api.token(fixture.users["r1.admin"]!)
            let names = [#"=HYPERLINK("http://evil.example","click")"#, #"Smith, "Quotes" & Sons"#, "@SUM(A1:A9)", "+1 555 0100", "-2+3"]
            for name in names {
                let body = try JSONSerialization.data(withJSONObject: ["kind": "customer", "parent_id": fixture.r1.id, "name": name, "currency": "USD",
                                                                       "tax_rate": "0.20", "address": "Line one, \"A\"\nLine two"])
                let created = try await api.call(.post, "/api/v1/accounts", token: reseller, json: String(decoding: body, as: UTF8.self))
                XCTAssertEqual(created.status, .created, created.text)
            }
            let answer = try await client.execute(uri: "/api/v1/accounts?kind=customer", method: .get,
                                                  headers: [.authorization: "Bearer \(reseller)", .accept: "text/csv"], body: nil)
            let text = answer.text
            XCTAssertTrue(text.contains(#""'=HYPERLINK(""http://evil.example"",""click"")""#), "neutralised, then quoted with quotes doubled")
            XCTAssertTrue(text.contains(#""Smith, ""Quotes"" & Sons""#))
            XCTAssertTrue(text.contains("\"Line one, \"\"A\"\"\nLine two\""), "a line break inside a quoted field")
            let table = try XCTUnwrap(CSVTable(text))
            let shown = Set(table.rows.compactMap { $0["name"] })
            XCTAssertEqual(shown, ["'" + names[0], names[1], "'@SUM(A1:A9)", "'+1 555 0100", "'-2+3", "Customer One"])
            XCTAssertTrue(table.rows.allSatisfy { $0["address"] == "Line one, \"A\"\nLine two" || $0["name"] == "Customer One" })
        }
    }

    // MARK: Tenant scope

    func testAnExportHoldsOnlyTheCallersSubtree() async throws {
        try await withQuoteWorld { w, id in
            _ = try await Self.upgradeAndPay(w, id)
            let r2 = try await w.api.token(w.fixture.users["r2.admin"]!)
            let foreign: Set<String> = ["\(w.fixture.c1.id)", "\(w.fixture.r1.id)", "\(w.fixture.r1a.id)"]
            // The provider sees Customer One's rows; Reseller Two sees none of them.
            let answer5 = try await Self.csv(w, "/api/v1/subscriptions", token: w.provider)
            XCTAssertEqual(answer5.rows.count, 1)
            for path in ["/api/v1/subscriptions", "/api/v1/orders", "/api/v1/invoices", "/api/v1/payments", "/api/v1/subscriptions?customer_id=\(w.fixture.c1.id)"] {
                let answer6 = try await Self.csv(w, path, token: r2)
                XCTAssertEqual(answer6.rows.count, 0, path)
            }
            let accounts = try await Self.csv(w, "/api/v1/accounts", token: r2)
            XCTAssertEqual(accounts.rows.map { $0["id"] }, ["\(w.fixture.c2.id)"])
            let audit = try await Self.csv(w, "/api/v1/audit", token: r2)
            XCTAssertTrue(audit.rows.allSatisfy { !foreign.contains($0["account_id"] ?? "") }, "\(audit.rows.map { $0["account_id"] })")
            // Another tenant's credit log and reseller charges are 404, as in JSON; a customer's charges 403.
            for (path, token, status) in [("/api/v1/accounts/\(w.fixture.c1.id)/credit", r2, 404),
                                          ("/api/v1/accounts/\(w.fixture.r1.id)/reseller-charges", r2, 404),
                                          ("/api/v1/audit?account_id=\(w.fixture.c1.id)", r2, 404)] {
                let answer = try await w.api.client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)", .accept: "text/csv"], body: nil)
                XCTAssertEqual(answer.status.code, status, path)
            }
            // The customer's own export: its own rows only.
            let mine = try await Self.csv(w, "/api/v1/orders", token: w.customer)
            XCTAssertEqual(Set(mine.rows.map { $0["customer_id"] }), ["\(w.fixture.c1.id)"])
        }
    }

    // MARK: The pages' "Export CSV"

    func testEachListPagesExportLinkCarriesItsFiltersAndAnswersCSV() async throws {
        try await withQuoteWorld { w, id in
            _ = try await Self.upgradeAndPay(w, id)
            let silver = w.plans["Silver"]!
            let staff = Browser(w.api.client)
            _ = try await staff.signIn(w.fixture.users["r1.admin"]!)
            let c1 = w.fixture.c1.id
            let expected: [(page: String, link: String, rows: Int)] = [
                ("/subscriptions?status=active&plan_id=\(silver)&cursor=999999", "/subscriptions/export?status=active&plan_id=\(silver)", 1),
                ("/subscriptions?status=suspended", "/subscriptions/export?status=suspended", 0),
                ("/accounts?kind=customer&q=One", "/accounts/export?kind=customer&q=One", 1),
                ("/orders?status=completed&subscription_id=\(id)", "/orders/export?status=completed&subscription_id=\(id)", 1),
                ("/invoices?status=paid", "/invoices/export?status=paid", 1),
                ("/payments", "/payments/export", 1),
                ("/accounts/\(c1)/credit", "/accounts/\(c1)/credit/export", 0),
                ("/reseller-charges", "/reseller-charges/export", 1),
                ("/audit?object_type=order&from=2000-01-01", "/audit/export?object_type=order&from=2000-01-01", -1),
            ]
            for (page, link, rows) in expected {
                let html = try await staff.get(page)
                XCTAssertEqual(html.status, .ok, page)
                let href = try XCTUnwrap(html.text.firstMatch(of: /href="([^"]+)" id="export-csv"/)?.1, page)
                XCTAssertEqual(String(href).replacingOccurrences(of: "&amp;", with: "&"), link, page)
                let file = try await staff.get(link)
                XCTAssertEqual(file.status, .ok, link)
                XCTAssertEqual(file.headers[.contentType], "text/csv; charset=utf-8; header=present", link)
                let table = try XCTUnwrap(CSVTable(file.text), link)
                if rows >= 0 { XCTAssertEqual(table.rows.count, rows, link) } else { XCTAssertGreaterThan(table.rows.count, 0, link) }
            }
            // The page's filters hold in the file: only completed orders of that subscription.
            let completed = try await staff.get("/orders/export?status=completed")
            let orders = try XCTUnwrap(CSVTable(completed.text))
            XCTAssertEqual(Set(orders.rows.map { $0["status"] }), ["completed"])
            // A customer's user reaches its own pages' exports, not the staff's.
            let customer = Browser(w.api.client)
            _ = try await customer.signIn(w.fixture.users["c1.admin"]!)
            let answer7 = try await customer.get("/accounts/\(c1)/credit/export")
            XCTAssertEqual(answer7.status, .ok)
            let answer8 = try await customer.get("/reseller-charges/export")
            XCTAssertEqual(answer8.status, .forbidden)
            let answer9 = try await customer.get("/accounts/\(w.fixture.c2.id)/credit/export")
            XCTAssertEqual(answer9.status, .notFound)
        }
    }

    // MARK: Helpers

    /// An upgrade of Customer One's subscription (ram_gb additional 6: 9.00 + 1.80 tax), paid by card and completed.
    static func upgradeAndPay(_ w: QuoteWorld, _ id: Int) async throws -> (order: Int, invoice: Int) {
        let submitted = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                             json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#, idempotencyKey: "csv-up")
        XCTAssertEqual(submitted.status, .created, submitted.text)
        let orderID = try XCTUnwrap(submitted.json["id"] as? Int)
        let invoiceID = try XCTUnwrap(submitted.json["invoice_id"] as? Int)
        let paid = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer, json: #"{"method":"card","card_number":"4242424242424242"}"#)
        XCTAssertEqual(paid.status, .created, paid.text)
        let settled = try await OrderAPITests.settled(w, orderID)
        XCTAssertEqual(settled["status"] as? String, "completed")
        return (orderID, invoiceID)
    }

    struct Answer {
        let response: TestResponse
        let table: CSVTable
        var header: [String] { table.header }
        var rows: [[String: String]] { table.rows }
    }

    /// An API list with `Accept: text/csv`, parsed strictly (a file that is not RFC 4180 fails).
    static func csv(_ w: QuoteWorld, _ uri: String, token: String) async throws -> Answer {
        let response = try await w.api.client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)", .accept: "text/csv"], body: nil)
        XCTAssertEqual(response.status, .ok, "\(uri): \(response.text)")
        let table = try XCTUnwrap(CSVTable(response.text), "\(uri) is not RFC 4180: \(response.text.prefix(300))")
        return Answer(response: response, table: table)
    }
}

/// A CSV file read strictly (RFC 4180: CRLF records, quoted fields with doubled quotes, one header
/// row, every record as long as the header).
struct CSVTable {
    let header: [String]
    let rows: [[String: String]]
    let records: [[String]]

    init?(_ text: String) {
        guard let records = Self.parse(text), let header = records.first, records.allSatisfy({ $0.count == header.count }) else { return nil }
        self.header = header
        self.records = Array(records.dropFirst())
        rows = self.records.map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    static func parse(_ text: String) -> [[String]]? {
        let scalars = Array(text.unicodeScalars)
        var records: [[String]] = []
        var index = 0
        while index < scalars.count {
            var record: [String] = []
            while true {
                var field = String.UnicodeScalarView()
                if index < scalars.count, scalars[index] == "\"" {
                    index += 1
                    while true {
                        guard index < scalars.count else { return nil }
                        if scalars[index] == "\"" {
                            if index + 1 < scalars.count, scalars[index + 1] == "\"" { field.append("\""); index += 2; continue }
                            index += 1
                            break
                        }
                        field.append(scalars[index])
                        index += 1
                    }
                } else {
                    while index < scalars.count, scalars[index] != ",", scalars[index] != "\r" {
                        if scalars[index] == "\"" || scalars[index] == "\n" { return nil }
                        field.append(scalars[index])
                        index += 1
                    }
                }
                record.append(String(field))
                guard index < scalars.count else { return nil }
                if scalars[index] == "," { index += 1; continue }
                guard scalars[index] == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" else { return nil }
                index += 2
                break
            }
            records.append(record)
        }
        return records
    }
}

extension Array {
    /// The one element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
