import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// Every transition of the order state machine (DOMAIN.md 7), against MariaDB. Figures: Silver at
/// $20 a month, ram_gb at 2.50 a month with a 1.00 setup fee, R = 15 of D = 30, tax 0.20 added.
final class OrderLifecycleTests: XCTestCase {
    /// awaiting_payment → (card) → provisioning → completed: +4 GB = 5.00 prorated + 4.00 setup, tax 1.80.
    func testAPrepaidUpgradeIsInvoicedPaidByCardAndCompleted() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        XCTAssertEqual(order.status, .awaitingPayment)
        XCTAssertEqual(order.kind, .change)
        XCTAssertEqual(order.lines.map(\.amount), [500, 400])
        XCTAssertEqual(order.totals, Order.Totals(subtotal: 900, discount: 0, tax: 180, total: 1080))
        XCTAssertEqual(order.summary, "ram_gb 4 → 8")
        let invoice = try await w.invoice(try XCTUnwrap(order.invoiceID))
        XCTAssertEqual(invoice.status, .unpaid)
        XCTAssertEqual(invoice.number, 1, "the seller's first invoice")
        XCTAssertEqual(invoice.sellerID, w.fixture.r1.id)
        XCTAssertEqual(invoice.total, 1080)
        XCTAssertEqual(invoice.lines.map(\.amount), [500, 400])
        let unchanged = try await w.current()
        XCTAssertEqual(unchanged.line("ram_gb")?.additional, 2, "nothing changes before payment")

        let paid = try await w.pay(order)
        XCTAssertEqual(paid.payment.status, .succeeded)
        XCTAssertEqual(paid.payment.amount.minorUnits, 1080)
        XCTAssertEqual(paid.payment.cardLast4, "4242")
        XCTAssertEqual(paid.invoice.status, .paid)
        XCTAssertEqual(paid.order?.status, .provisioning)
        let observed1 = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(observed1, 2, "provisioning has not run yet")

        let observed2 = try await w.provisioner.runOnce()
        XCTAssertEqual(observed2, 1)
        let done = try await w.order(order.id)
        XCTAssertEqual(done.status, .completed)
        XCTAssertNotNil(done.completedAt)
        let observed3 = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(observed3, 6)
        let observed4 = try await w.provisioner.runOnce()
        XCTAssertEqual(observed4, 0, "a completed order is not provisioned again")
        let observed5 = try await w.count("SELECT COUNT(*) AS n FROM test_connector_applied")
        XCTAssertEqual(observed5, 1)
    }

    /// A declined card (402) and a gateway error (502) record only the attempt: the invoice stays unpaid.
    func testDeclinedCardAndGatewayErrorRecordNothingButTheAttempt() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        for (card, isGatewayError) in [(TestGateway.declined, false), (TestGateway.failing, true)] {
            do {
                _ = try await w.pay(order, .card(number: card))
                XCTFail("\(card) must not pay")
            } catch let failure as OrderService.PaymentFailed {
                XCTAssertEqual(failure.gatewayError, isGatewayError)
                XCTAssertEqual(failure.payment.status, isGatewayError ? .failed : .declined)
            }
        }
        let invoice = try await w.invoice(order.invoiceID!)
        XCTAssertEqual(invoice.status, .unpaid)
        XCTAssertEqual(invoice.paid, 0)
        let observed6 = try await w.order(order.id).status
        XCTAssertEqual(observed6, .awaitingPayment)
        let observed7 = try await w.count("SELECT COUNT(*) AS n FROM payments WHERE status <> 'succeeded'")
        XCTAssertEqual(observed7, 2, "both attempts are on record")
        let observed8 = try await w.creditLog().count
        XCTAssertEqual(observed8, 0)
        // The good card still pays it.
        let paid = try await w.pay(order)
        XCTAssertEqual(paid.invoice.status, .paid)
    }

    /// A reduction has a negative total: no invoice, no payment; provisioning at once, the refund to credit.
    /// −1 GB × 2.50 × 15/30 = −1.25, tax −0.25: a refund of 1.50.
    func testANegativeTotalProvisionsAtOnceAndRefundsToCredit() async throws {
        let w = try await EngineWorld.make()
        _ = try await SubscriptionStore(database: w.database).setUsage(w.subscription.id, ["ram_gb": 1], in: w.reseller.scope)
        let order = try await w.ram(1)
        XCTAssertEqual(order.status, .provisioning)
        XCTAssertNil(order.invoiceID)
        XCTAssertEqual(order.totals.total, -150)
        let observed9 = try await w.credit()
        XCTAssertEqual(observed9, 0, "the refund waits for provisioning")
        try await w.provisionAll()
        let observed10 = try await w.order(order.id).status
        XCTAssertEqual(observed10, .completed)
        let observed11 = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(observed11, 1)
        let observed12 = try await w.credit()
        XCTAssertEqual(observed12, 150)
        let log = try await w.creditLog()
        XCTAssertEqual(log.map(\.amount.minorUnits), [150])
        XCTAssertEqual(log.first?.orderID, order.id)
    }

    /// A total of exactly zero (a 100 % promo code) needs no payment and posts no credit.
    func testAZeroTotalNeedsNoPayment() async throws {
        let w = try await EngineWorld.make()
        _ = try await PromoCodeStore(database: w.database).create(code: "FREE", percent: "100", validUntil: "2026-12-31", in: w.reseller.scope)
        let order = try await w.ram(3, promo: "FREE")
        XCTAssertEqual(order.totals.discount, order.totals.subtotal)
        XCTAssertEqual(order.totals.total, 0)
        XCTAssertEqual(order.status, .provisioning)
        XCTAssertNil(order.invoiceID)
        try await w.provisionAll()
        let observed13 = try await w.order(order.id).status
        XCTAssertEqual(observed13, .completed)
        let observed14 = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(observed14, 3)
        let observed15 = try await w.creditLog().count
        XCTAssertEqual(observed15, 0)
    }

    /// Postpaid: provisioning right after submit, no invoice now; the amount waits for the period's invoice.
    func testPostpaidProvisionsRightAfterSubmit() async throws {
        let w = try await EngineWorld.make(billing: .postpaid)
        let order = try await w.ram(6)
        XCTAssertEqual(order.status, .provisioning)
        XCTAssertNil(order.invoiceID)
        XCTAssertEqual(order.totals.total, 1080, "the amount is kept on the order")
        try await w.provisionAll()
        let observed16 = try await w.order(order.id).status
        XCTAssertEqual(observed16, .completed)
        let observed17 = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(observed17, 6)
        let observed18 = try await w.count("SELECT COUNT(*) AS n FROM invoices")
        XCTAssertEqual(observed18, 0)
        let observed19 = try await w.creditLog().count
        XCTAssertEqual(observed19, 0)
    }

    /// Credit pays part, the card the rest; then provisioning fails and all of it comes back as credit.
    func testCreditPaysPartlyAndAFailedProvisioningReturnsEverythingAsCredit() async throws {
        let w = try await EngineWorld.make()
        _ = try await SubscriptionStore(database: w.database).setUsage(w.subscription.id, ["ram_gb": 1], in: w.reseller.scope)
        _ = try await w.ram(1)
        try await w.provisionAll()
        let observed20 = try await w.credit()
        XCTAssertEqual(observed20, 150)

        let order = try await w.ram(5)  // +4 GB from additional 1: 5.00 + 4.00 setup, tax 1.80
        XCTAssertEqual(order.totals.total, 1080)
        let partly = try await w.pay(order, .credit)
        XCTAssertEqual(partly.payment.amount.minorUnits, 150, "credit pays what it can")
        XCTAssertEqual(partly.invoice.status, .unpaid)
        XCTAssertEqual(partly.invoice.due, 930)
        XCTAssertEqual(partly.order?.status, .awaitingPayment)
        let observed21 = try await w.credit()
        XCTAssertEqual(observed21, 0)
        do {
            _ = try await w.pay(order, .credit)
            XCTFail("no credit is left")
        } catch let error as StoreError {
            guard case .invalid(let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "method")
        }
        try await w.failProvisioning("ram_gb")
        let rest = try await w.pay(order)
        XCTAssertEqual(rest.payment.amount.minorUnits, 930)
        XCTAssertEqual(rest.invoice.status, .paid)
        try await w.provisionAll()
        let failed = try await w.order(order.id)
        XCTAssertEqual(failed.status, .provisioningFailed)
        XCTAssertEqual(failed.failureReason, "the test connector is set to fail provisioning of ram_gb")
        let observed22 = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(observed22, 1, "the subscription is untouched")
        let observed23 = try await w.credit()
        XCTAssertEqual(observed23, 1080, "credit and card payments both come back as credit")
        let log = try await w.creditLog()
        XCTAssertEqual(log.map(\.amount.minorUnits), [1080, -150, 150])
        XCTAssertEqual(log.first?.invoiceID, order.invoiceID)
        // The subscription is free for the next order.
        try await w.failProvisioning("ram_gb", false)
        let next = try await w.ram(5)
        XCTAssertEqual(next.status, .awaitingPayment)
        let paidFromCredit = try await w.pay(next, .credit)
        XCTAssertEqual(paidFromCredit.invoice.status, .paid, "1080 of credit pays 1080")
        try await w.provisionAll()
        let observed24 = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(observed24, 5)
        let observed25 = try await w.credit()
        XCTAssertEqual(observed25, 0)
    }

    /// order_open: while an order awaits payment, a second submit is refused; cancelling frees the
    /// subscription, cancels the invoice and returns what was paid.
    func testOrderOpenAndCancellation() async throws {
        let w = try await EngineWorld.make()
        let first = try await w.ram(6)
        do {
            _ = try await w.ram(7)
            XCTFail("a second order while one awaits payment")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.first.code, .orderOpen)
            XCTAssertEqual(refused.first.details["order_id"], String(first.id))
        }
        let quote = try await QuoteService(database: w.database, clock: w.clock).quote(subscription: w.subscription.id, change: .quantities(["ram_gb": 7]),
                                                                                        promoCode: nil, in: w.customer.scope)
        XCTAssertEqual(quote.refusals.map(\.code), [.orderOpen], "the quote lists it too")
        do {
            _ = try await w.orders.cancel(order: first.id, in: w.customerViewer.scope)
            XCTFail("viewers don't cancel")
        } catch let error as StoreError {
            guard case .forbidden = error else { return XCTFail("\(error)") }
        }
        let cancelled = try await w.orders.cancel(order: first.id, in: w.reseller.scope)
        XCTAssertEqual(cancelled.status, .cancelled)
        let observed26 = try await w.invoice(first.invoiceID!).status
        XCTAssertEqual(observed26, .cancelled)
        do {
            _ = try await w.pay(first)
            XCTFail("a cancelled invoice can't be paid")
        } catch let error as StoreError {
            guard case .invalid(let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "invoice")
        }
        do {
            _ = try await w.orders.cancel(order: first.id, in: w.reseller.scope)
            XCTFail("cancelling twice")
        } catch let error as StoreError {
            guard case .invalid(let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "status")
        }
        let second = try await w.ram(7)
        XCTAssertEqual(second.status, .awaitingPayment)
        let secondInvoice = try await w.invoice(second.invoiceID!)
        XCTAssertEqual(secondInvoice.number, 2, "numbers are not reused, and none is skipped")
        let observed27 = try await w.provisioner.runOnce()
        XCTAssertEqual(observed27, 0, "cancelled and unpaid orders are never provisioned")
    }

    /// A refused submit answers with the first reason and all of them, and writes nothing.
    func testARefusedSubmitWritesNothing() async throws {
        let w = try await EngineWorld.make()
        _ = try await SubscriptionStore(database: w.database).setStatus(w.subscription.id, "suspended", in: w.reseller.scope)
        do {
            _ = try await w.ram(0, promo: "NOPE")  // suspended, below usage 3, unknown promo
            XCTFail("refused")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.refusals.map(\.code), [.subscriptionNotActive, .belowUsage, .promoInvalid])
        }
        let observed28 = try await w.count("SELECT COUNT(*) AS n FROM orders")
        XCTAssertEqual(observed28, 0)
        let observed29 = try await w.count("SELECT COUNT(*) AS n FROM invoices")
        XCTAssertEqual(observed29, 0)
        let observed30 = try await w.count("SELECT COUNT(*) AS n FROM invoice_counters")
        XCTAssertEqual(observed30, 0)
    }

    /// A plan switch (DOMAIN.md 6's example: credit −10.00, debit +15.00) completes onto Gold, period kept;
    /// a switch to the yearly period starts a new period on the day of the switch.
    func testAPlanSwitchCompletesOntoTheNewPlan() async throws {
        let w = try await EngineWorld.make()
        let gold = w.plans["Gold"]!
        let order = try await w.orders.submit(subscription: w.subscription.id, change: .plan(planID: gold.id, periodMonths: 1), promoCode: nil,
                                              idempotencyKey: nil, in: w.reseller.scope).order
        XCTAssertEqual(order.kind, .planSwitch)
        XCTAssertEqual(Array(order.lines.map(\.amount).prefix(2)), [-1000, 1500])
        XCTAssertEqual(order.summary, "Silver → Gold")
        _ = try await w.pay(order, .bankTransfer(reference: "WIRE-7"), as: w.reseller)
        try await w.provisionAll()
        let switched = try await w.current()
        XCTAssertEqual(switched.planID, gold.id)
        XCTAssertEqual(switched.period, w.subscription.period, "the period end doesn't move")
        XCTAssertEqual(switched.line("ram_gb")?.additional, 2)

        // Back to Silver, yearly: credit the rest of Gold's month, debit a full year, new period from today.
        let silver = w.plans["Silver"]!
        try await PlanStore(database: w.database).addSwitchPath(from: gold.id, to: silver.id, in: w.provider.scope)
        let yearly = try await w.orders.submit(subscription: w.subscription.id, change: .plan(planID: silver.id, periodMonths: 12), promoCode: nil,
                                               idempotencyKey: nil, in: w.reseller.scope).order
        XCTAssertEqual(yearly.lines.first?.amount, -1500, "Gold 30.00 × 15/30 back")
        XCTAssertEqual(yearly.lines.dropFirst().first?.amount, 20000, "a full year of Silver")
        _ = try await w.pay(yearly, .bankTransfer(reference: nil), as: w.reseller)
        try await w.provisionAll()
        let renewed = try await w.current()
        XCTAssertEqual(renewed.planID, silver.id)
        XCTAssertEqual(renewed.period, BillingPeriod(start: BusinessDate("2026-04-26")!, end: BusinessDate("2027-04-26")!, months: 12))
    }

    /// Bank transfers are recorded by staff only; viewers pay nothing.
    func testWhoMayPayHow() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        for (actor, request) in [(w.customer, OrderService.PaymentRequest.bankTransfer(reference: nil)), (w.customerViewer, .card(number: TestGateway.approved))] {
            do {
                _ = try await w.pay(order, request, as: actor)
                XCTFail("\(actor.email) may not pay by \(request)")
            } catch let error as StoreError {
                guard case .forbidden = error else { return XCTFail("\(error)") }
            }
        }
        do {
            _ = try await w.pay(order, .card(number: "1234 5678"))
            XCTFail("not a test card")
        } catch let error as StoreError {
            guard case .invalid(let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "card_number")
        }
        // Another tenant's invoice does not exist for Reseller Two.
        let r2 = try await UserStore(database: w.database).actor(userID: w.fixture.userIDs["r2.admin"]!, address: "127.0.0.1")!
        do {
            _ = try await w.pay(order, .bankTransfer(reference: nil), as: r2)
            XCTFail("foreign invoice")
        } catch let error as StoreError {
            guard case .notFound = error else { return XCTFail("\(error)") }
        }
        let observed31 = try await w.count("SELECT COUNT(*) AS n FROM payments")
        XCTAssertEqual(observed31, 0)
        let paid = try await w.pay(order, .bankTransfer(reference: "WIRE-1"), as: w.reseller)
        XCTAssertEqual(paid.payment.reference, "WIRE-1")
        XCTAssertEqual(paid.payment.method, .bankTransfer)
    }

    /// A repeated connector call (a worker that died after calling it) does nothing twice.
    func testAClaimThatExpiresIsTakenOverAndTheConnectorAnswersTheSame() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        _ = try await w.pay(order)
        // A worker claims the order and calls the connector, then dies before committing.
        let connector = TestConnector(database: w.database)
        let subscription = try await w.current()
        try await w.database.query("UPDATE orders SET claim_token = 'dead-worker', claimed_until = UTC_TIMESTAMP(6) + INTERVAL 60 SECOND, attempts = 1 WHERE id = ?",
                                   [.int(order.id)])
        let first = try await connector.provision(ProvisioningRequest(orderID: order.id, subscriptionID: subscription.id, planID: subscription.planID,
                                                                      change: .quantities(["ram_gb": 6]), touchedResources: ["ram_gb"]))
        XCTAssertEqual(first, .done)
        let observed32 = try await w.provisioner.runOnce()
        XCTAssertEqual(observed32, 0, "a live claim is left alone")
        // The rule changes meanwhile; the vendor remembers its first answer for this order.
        try await w.failProvisioning("ram_gb")
        try await w.database.query("UPDATE orders SET claimed_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = ?", [.int(order.id)])
        let observed33 = try await w.provisioner.runOnce()
        XCTAssertEqual(observed33, 1)
        let observed34 = try await w.order(order.id).status
        XCTAssertEqual(observed34, .completed)
        let observed35 = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(observed35, 6)
        let observed36 = try await w.count("SELECT COUNT(*) AS n FROM test_connector_applied")
        XCTAssertEqual(observed36, 1)
    }
}
