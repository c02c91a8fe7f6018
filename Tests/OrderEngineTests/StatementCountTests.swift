import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// The SQL one change order costs from submit to completed, counted on the handle the engine uses
/// (not the server's global `Questions`, which counts every other client too), printed for the
/// record (`swift test --filter StatementCountTests`).
final class StatementCountTests: XCTestCase {
    func testStatementsPerChangeOrder() async throws {
        let w = try await EngineWorld.make()
        let (db, counter) = StatementCounter.counting(w.database)
        let clock = BusinessClock(database: db, testMode: true)
        let orders = OrderService(database: db, clock: clock)
        let provisioner = Provisioner(database: db, connectors: .standard(database: db), clock: clock, logger: TestDatabase.logger("provisioner"))
        var submit = 0, pay = 0, provision = 0
        let rounds = 50
        for i in 0..<rounds {
            _ = counter.take()
            let order = try await orders.submit(subscription: w.subscription.id, change: .quantities(["ram_gb": i % 2 == 0 ? 3 : 4]),  // +1 GB each time: an invoice to pay
                                                promoCode: nil, idempotencyKey: "round \(i)", in: w.customer.scope).order
            let submitted = counter.take()
            _ = try await orders.pay(invoice: order.invoiceID!, .card(number: TestGateway.approved), in: w.customer.scope)
            let paid = counter.take()
            let finished = try await provisioner.runOnce()
            let provisioned = counter.take()
            submit += submitted.count
            pay += paid.count
            provision += provisioned.count
            if i == 0, ProcessInfo.processInfo.environment["PRINT_STATEMENTS"] != nil {
                for (step, sql) in [("submit", submitted), ("pay", paid), ("provision", provisioned)] {
                    print("-- \(step): \(sql.count)\n" + sql.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n"))
                }
            }
            XCTAssertEqual(finished, 1)
            let done = try await w.order(order.id)
            XCTAssertEqual(done.status, .completed)
            // Back down for the next round: a refund order, completed at once.
            _ = try await w.ram(2)
            try await w.provisionAll()
        }
        print("STATEMENTS per prepaid change order: submit \(submit / rounds), card payment \(pay / rounds), provisioning \(provision / rounds), total \((submit + pay + provision) / rounds) (BEGIN and COMMIT included)")
        XCTAssertLessThan((submit + pay + provision) / rounds, 120)
    }

    /// DOMAIN.md 9 and issue 13: gapless per-seller numbers serialize a seller's orders on its
    /// counter row, so a submit takes the number last: after the counter, only the invoice's own
    /// update and the commit; and every committed invoice has its number.
    func testASubmitTakesTheInvoiceNumberLastJustBeforeItCommits() async throws {
        let w = try await EngineWorld.make()
        let (db, counter) = StatementCounter.counting(w.database)
        let orders = OrderService(database: db, clock: BusinessClock(database: db, testMode: true))
        _ = counter.take()
        let order = try await orders.submit(subscription: w.subscription.id, change: .quantities(["ram_gb": 3]), promoCode: nil,
                                            idempotencyKey: "number last", in: w.customer.scope).order
        let statements = counter.take()
        let counterAt = try XCTUnwrap(statements.firstIndex { $0.contains("invoice_counters") }, statements.joined(separator: "\n"))
        XCTAssertEqual(statements.count - counterAt, 3, "the counter, the invoice's number, COMMIT:\n\(statements[counterAt...].joined(separator: "\n"))")
        XCTAssertEqual(statements.last, "COMMIT")
        let invoice = try await w.invoice(try XCTUnwrap(order.invoiceID))
        XCTAssertEqual(invoice.number, 1)
        XCTAssertEqual(invoice.orderID, order.id)
        let unnumbered = try await w.count("SELECT COUNT(*) AS n FROM invoices WHERE number IS NULL")
        XCTAssertEqual(unnumbered, 0)
    }
}
