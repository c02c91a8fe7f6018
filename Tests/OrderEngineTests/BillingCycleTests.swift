import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// The billing cycle played with the test clock (DOMAIN.md 3, 6, 7). Silver: 20.00 a month,
/// 200.00 a year; Customer One holds ram_gb additional 2 (2.50 a month each) and support_basic 1
/// (5.00 a month), tax 0.20: a month renews at 20 + 5 + 5 = 30.00, tax 6.00, 36.00.
final class BillingCycleTests: XCTestCase {
    func runBilling(_ w: EngineWorld, on day: String) async throws -> BillingRunResult {
        try await w.clock.set(Timestamps.date("\(day)T06:00:00Z"), by: w.provider)
        return try await BillingRun(database: w.database, clock: w.clock, logger: TestDatabase.logger("billing")).run()
    }

    func renewals(_ w: EngineWorld, _ subscription: Int64? = nil) async throws -> [Order] {
        try await OrderStore(database: w.database).list(in: w.provider.scope, filter: .init(subscriptionID: subscription ?? w.subscription.id, kind: .renewal),
                                                        page: PageRequest(limit: 200)).items.reversed()
    }

    func assertNothingChanges(_ result: BillingRunResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual([result.renewalOrders, result.invoices, result.suspended, result.reactivated, result.rolledOver, result.trialsEnded, result.cancelled, result.errors],
                       [0, 0, 0, 0, 0, 0, 0, 0], "a second run the same day changes nothing", file: file, line: line)
    }

    /// Prepaid monthly for a year: each renewal invoiced 7 days ahead, exactly once, at 36.00; the
    /// period rolls over on its end once paid; a second run the same day is a no-op.
    func testPrepaidMonthlyForAYear() async throws {
        let w = try await EngineWorld.make()
        var end = BusinessDate("2026-05-11")!
        for month in 0..<12 {
            let due = try await runBilling(w, on: end.adding(days: -7).description)
            XCTAssertEqual(due.renewalOrders, 1, "month \(month)")
            assertNothingChanges(try await runBilling(w, on: end.adding(days: -7).description))
            let awaited1 = try await renewals(w).last
            let renewal = try XCTUnwrap(awaited1)
            XCTAssertEqual(renewal.totals, Order.Totals(subtotal: 3000, discount: 0, tax: 600, total: 3600))
            XCTAssertEqual(renewal.summary, "Renewal \(end) → \(end.addingMonths(1, anchorDay: 11))")
            _ = try await w.pay(renewal)
            try await w.provisionAll()
            let before = try await w.current()
            XCTAssertEqual(before.period.end, end, "paid ahead: the period rolls over on its end, not before")
            let rolled = try await runBilling(w, on: end.description)
            XCTAssertEqual(rolled.rolledOver, 1)
            let after = try await w.current()
            XCTAssertEqual(after.period.start, end)
            end = after.period.end
        }
        let all = try await renewals(w)
        XCTAssertEqual(all.count, 12, "each period invoiced exactly once")
        XCTAssertEqual(Set(all.map(\.changeRequest)).count, 12)
        let observed1 = try await w.count("SELECT COUNT(*) AS n FROM invoices")
        XCTAssertEqual(observed1, 12)
        let observed2 = try await w.current().period.start
        XCTAssertEqual(observed2, BusinessDate("2027-04-11")!)
    }

    /// Prepaid annual: 200.00 + 2 × 2.50 × 12 + 5.00 × 12 = 320.00, tax 64.00.
    func testPrepaidAnnualRenewsOnceAYear() async throws {
        let w = try await EngineWorld.make()
        let yearly = try await SubscriptionStore(database: w.database).importSubscription(SubscriptionImport(
            customerID: w.fixture.c1.id, planID: w.plans["Silver"]!.id, periodMonths: 12, periodStart: "2026-04-11", status: "active",
            resources: [("ram_gb", 2, 0), ("support_basic", 1, 0)]), in: w.reseller.scope, clock: w.clock)
        for day in ["2026-06-01", "2026-12-31", "2027-04-03"] {
            _ = try await runBilling(w, on: day)
            let none = try await renewals(w, yearly.id)
            XCTAssertEqual(none.count, 0, "\(day): nothing due for the yearly one yet")
        }
        _ = try await runBilling(w, on: "2027-04-04")
        let awaited2 = try await renewals(w, yearly.id).first
        let renewal = try XCTUnwrap(awaited2)
        XCTAssertEqual(renewal.totals.total, 38_400)
        _ = try await w.pay(renewal)
        try await w.provisionAll()
        _ = try await runBilling(w, on: "2027-04-11")
        let observed3 = try await w.current(yearly.id).period
        XCTAssertEqual(observed3, BillingPeriod(start: BusinessDate("2027-04-11")!, end: BusinessDate("2028-04-11")!, months: 12))
        let observed4 = try await renewals(w, yearly.id).count
        XCTAssertEqual(observed4, 1)
    }

    /// Postpaid for a year: at each period end the period rolls over and its invoice is issued,
    /// once, with the changes made during it.
    func testPostpaidIsInvoicedAtEachPeriodEndWithItsChanges() async throws {
        let w = try await EngineWorld.make(billing: .postpaid)
        // In the first period (R 15 of 30): +1 GB = 1.25 and setup 1.00, tax 0.45: 2.70 on the period's invoice.
        let change = try await w.ram(3)
        XCTAssertEqual(change.status, .provisioning)
        try await w.provisionAll()
        var end = BusinessDate("2026-05-11")!
        var totals: [Int64] = []
        for month in 0..<12 {
            let result = try await runBilling(w, on: end.description)
            XCTAssertEqual(result.invoices, 1, "month \(month)")
            XCTAssertEqual(result.rolledOver, 1)
            assertNothingChanges(try await runBilling(w, on: end.description))
            let awaited3 = try await InvoiceStore(database: w.database).list(in: w.provider.scope, filter: .init(subscriptionID: w.subscription.id)).items.first
            let invoice = try XCTUnwrap(awaited3)
            totals.append(invoice.total)
            XCTAssertEqual(invoice.total, invoice.lines.map { $0.amount - $0.discount }.reduce(0, +) + invoice.tax)
            end = try await w.current().period.end
        }
        // First period: 20 + 2 × 2.50 + 5 = 30.00 + 6.00 = 36.00, plus the change 2.70; then 20 + 3 × 2.50 + 5 = 32.50 + 6.50 = 39.00.
        XCTAssertEqual(totals, [3870] + Array(repeating: 3900, count: 11))
        let observed5 = try await w.count("SELECT COUNT(*) AS n FROM orders WHERE billed_invoice_id IS NULL AND status = 'completed'")
        XCTAssertEqual(observed5, 0)
    }

    /// A trial, then paid: the trial's end is the renewal of its first paid period; paid, the subscription becomes active.
    func testATrialTurnsIntoAPaidPeriod() async throws {
        let w = try await EngineWorld.make()
        let codes = try await ResourceStore(database: w.database).codes()
        let ram = codes.first { $0.value == "ram_gb" }!.key
        let trial = try await PlanStore(database: w.database).create(PlanDraft(
            name: "Trial", currency: "USD", billingType: "prepaid", trialDays: 14, changesInTrial: false, periods: [(1, "10")],
            resources: [.init(resourceID: ram, included: 1, minUnits: 1, maxUnits: 8, setupFee: "1", recurringFee: "2")]),
            in: w.provider.scope, effective: Timestamps.date("2026-01-01T00:00:00Z"))
        try await PlanStore(database: w.database).delegate(trial.id, to: w.fixture.r1.id, in: w.provider.scope)
        let sale = try await w.orders.submitSale(SaleRequest(customerID: w.fixture.c1.id, planID: trial.id, periodMonths: 1, additional: ["ram_gb": 1]),
                                                 idempotencyKey: nil, in: w.customer.scope).order
        XCTAssertEqual(sale.totals.total, 0, "nothing to pay for a trial")
        try await w.provisionAll()
        let awaited4 = try await w.order(sale.id).subscriptionID
        let created = try XCTUnwrap(awaited4)
        let subscription = try await w.current(created)
        XCTAssertEqual(subscription.status, .trial)
        XCTAssertEqual(subscription.period.end, BusinessDate("2026-05-10")!, "14 days from 2026-04-26")
        _ = try await runBilling(w, on: "2026-05-03")
        let awaited5 = try await renewals(w, created).first
        let first = try XCTUnwrap(awaited5)
        XCTAssertEqual(first.totals.subtotal, 1200, "10.00 + 1 × 2.00")
        _ = try await w.pay(first)
        try await w.provisionAll()
        let ended = try await runBilling(w, on: "2026-05-10")
        XCTAssertEqual(ended.trialsEnded, 1)
        let paid = try await w.current(created)
        XCTAssertEqual(paid.status, .active)
        XCTAssertEqual(paid.period, BillingPeriod(start: BusinessDate("2026-05-10")!, end: BusinessDate("2026-06-10")!, months: 1))
    }

    /// Monthly commitment: a reduction is refused during the term, scheduled for the renewal,
    /// priced into it, and applied when the next period starts.
    func testACommitmentReductionIsScheduledForTheRenewal() async throws {
        let w = try await EngineWorld.make(billing: .monthlyCommitment)
        _ = try await SubscriptionStore(database: w.database).setUsage(w.subscription.id, ["ram_gb": 0], in: w.reseller.scope)
        do {
            _ = try await w.ram(0)
            XCTFail("reductions wait for the end of the term")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.first.code, .commitmentReduction)
        }
        let scheduled = try await w.orders.schedule(["ram_gb": 0], subscription: w.subscription.id, in: w.customer.scope)
        XCTAssertNotNil(scheduled.scheduledChange)
        XCTAssertEqual(scheduled.line("ram_gb")?.additional, 2, "nothing changes during the term")
        _ = try await runBilling(w, on: "2026-05-04")
        let awaited6 = try await renewals(w).first
        let renewal = try XCTUnwrap(awaited6)
        XCTAssertEqual(renewal.totals.subtotal, 2500, "20 + 0 × 2.50 + 5: the scheduled quantities")
        _ = try await w.pay(renewal)
        try await w.provisionAll()
        _ = try await runBilling(w, on: "2026-05-11")
        let after = try await w.current()
        XCTAssertEqual(after.line("ram_gb")?.additional, 0)
        XCTAssertNil(after.scheduledChange)
    }

    /// Started on the 31st: the period keeps its day, clamped to short months.
    func testASubscriptionStartedOnThe31stKeepsItsDay() async throws {
        let w = try await EngineWorld.make()
        try await w.clock.set(Timestamps.date("2026-01-31T09:00:00Z"), by: w.provider)
        let sub = try await SubscriptionStore(database: w.database).importSubscription(SubscriptionImport(
            customerID: w.fixture.c1.id, planID: w.plans["Silver"]!.id, periodMonths: 1, periodStart: "2026-01-31", status: "active",
            resources: []), in: w.reseller.scope, clock: w.clock)
        var ends: [String] = []
        var end = try await w.current(sub.id).period.end
        for _ in 0..<5 {
            ends.append(end.description)
            _ = try await runBilling(w, on: end.adding(days: -7).description)
            let awaited7 = try await renewals(w, sub.id).last
            let renewal = try XCTUnwrap(awaited7)
            _ = try await w.pay(renewal, .bankTransfer(reference: nil), as: w.reseller)
            try await w.provisionAll()
            _ = try await runBilling(w, on: end.description)
            end = try await w.current(sub.id).period.end
        }
        XCTAssertEqual(ends, ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"])
    }

    /// An unpaid renewal suspends the subscription past the grace period; paying reactivates it at once.
    func testAnUnpaidRenewalSuspendsAndAPaymentReactivates() async throws {
        let w = try await EngineWorld.make()
        _ = try await runBilling(w, on: "2026-05-04")
        let awaited8 = try await renewals(w).first
        let renewal = try XCTUnwrap(awaited8)
        let atEnd = try await runBilling(w, on: "2026-05-11")
        XCTAssertEqual(atEnd.rolledOver, 0, "not paid: no rollover")
        XCTAssertEqual(atEnd.suspended, 0, "still in the grace period")
        let late = try await runBilling(w, on: "2026-05-18")
        XCTAssertEqual(late.suspended, 1)
        let observed6 = try await w.current().status
        XCTAssertEqual(observed6, .suspended)
        assertNothingChanges(try await runBilling(w, on: "2026-05-18"))
        _ = try await w.pay(renewal)
        try await w.provisionAll()
        let back = try await w.current()
        XCTAssertEqual(back.status, .active, "paying reactivates")
        XCTAssertEqual(back.period.start, BusinessDate("2026-05-11")!, "and rolls into the paid period")
        assertNothingChanges(try await runBilling(w, on: "2026-05-18"))
    }

    /// Two nodes running the billing run at once don't double anything.
    func testConcurrentBillingRunsIssueOneRenewal() async throws {
        let w = try await EngineWorld.make()
        try await w.clock.set(Timestamps.date("2026-05-04T06:00:00Z"), by: w.provider)
        let results = try await withThrowingTaskGroup(of: BillingRunResult.self) { group in
            for node in 0..<4 {
                group.addTask { try await BillingRun(database: w.database, clock: w.clock, logger: TestDatabase.logger("billing")).run(node: "node-\(node)") }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.map(\.renewalOrders).reduce(0, +), 1)
        XCTAssertEqual(results.map(\.errors).reduce(0, +), 0)
        let observed7 = try await renewals(w).count
        XCTAssertEqual(observed7, 1)
        let observed8 = try await w.count("SELECT COUNT(*) AS n FROM invoices")
        XCTAssertEqual(observed8, 1)
    }

    /// An immediate cancellation refunds exactly the unused part: at R 15 of 30, 20.00 / 2 + 2 × 2.50 / 2
    /// + 5.00 / 2 = 15.00, tax 3.00: 18.00 to credit. A non-refundable plan refunds nothing.
    func testAnImmediateCancellationRefundsTheUnusedPartAndNonRefundNothing() async throws {
        let w = try await EngineWorld.make()
        let preview = try await w.orders.quoteCancellation(subscription: w.subscription.id, in: w.customer.scope)
        XCTAssertEqual(preview.quote.charged.total, -1800)
        let order = try await w.orders.cancelNow(subscription: w.subscription.id, in: w.customer.scope)
        XCTAssertEqual(order.kind, .cancellation)
        XCTAssertEqual(order.totals.total, -1800)
        try await w.provisionAll()
        let observed9 = try await w.current().status
        XCTAssertEqual(observed9, .cancelled)
        let observed10 = try await w.credit()
        XCTAssertEqual(observed10, 1800)
        do {
            _ = try await w.ram(3)
            XCTFail("cancelled subscriptions are read-only")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.first.code, .subscriptionNotActive)
        }
        assertNothingChanges(try await runBilling(w, on: "2026-05-04"))

        let nonRefund = try await EngineWorld.make(billing: .nonRefund)
        let none = try await nonRefund.orders.cancelNow(subscription: nonRefund.subscription.id, in: nonRefund.customer.scope)
        XCTAssertEqual(none.totals.total, 0)
        try await nonRefund.provisionAll()
        let observed11 = try await nonRefund.current().status
        XCTAssertEqual(observed11, .cancelled)
        let observed12 = try await nonRefund.credit()
        XCTAssertEqual(observed12, 0)
    }

    /// Cancelled at the period end: no renewal, the subscription ends with its period, no refund.
    func testACancellationAtThePeriodEndEndsItWithoutRenewal() async throws {
        let w = try await EngineWorld.make()
        let flagged = try await w.orders.cancelAtPeriodEnd(subscription: w.subscription.id, true, in: w.customer.scope)
        XCTAssertTrue(flagged.cancelAtPeriodEnd)
        assertNothingChanges(try await runBilling(w, on: "2026-05-04"))
        let ended = try await runBilling(w, on: "2026-05-11")
        XCTAssertEqual(ended.cancelled, 1)
        let observed13 = try await w.current().status
        XCTAssertEqual(observed13, .cancelled)
        let observed14 = try await renewals(w).count
        XCTAssertEqual(observed14, 0)
        let observed15 = try await w.credit()
        XCTAssertEqual(observed15, 0)
    }

    /// A sales order: setup of 2 added GB (2.00), the first month (20.00 + 2 × 2.50), tax 5.40: 32.40;
    /// paid, provisioning creates the subscription from today.
    func testASalesOrderIsPaidAndCreatesTheSubscription() async throws {
        let w = try await EngineWorld.make()
        let sale = SaleRequest(customerID: w.fixture.c1.id, planID: w.plans["Silver"]!.id, periodMonths: 1, additional: ["ram_gb": 2])
        let order = try await w.orders.submitSale(sale, idempotencyKey: "buy-1", in: w.customer.scope)
        XCTAssertEqual(order.order.kind, .sales)
        XCTAssertEqual(order.order.totals.total, 3240)
        XCTAssertNil(order.order.subscriptionID)
        let again = try await w.orders.submitSale(sale, idempotencyKey: "buy-1", in: w.customer.scope)
        XCTAssertTrue(again.replayed)
        _ = try await w.pay(order.order)
        try await w.provisionAll()
        let done = try await w.order(order.order.id)
        XCTAssertEqual(done.status, .completed)
        let created = try await w.current(try XCTUnwrap(done.subscriptionID))
        XCTAssertEqual(created.status, .active)
        XCTAssertEqual(created.period, BillingPeriod(start: BusinessDate("2026-04-26")!, end: BusinessDate("2026-05-26")!, months: 1))
        XCTAssertEqual(created.line("ram_gb")?.additional, 2)
        do {
            _ = try await w.orders.submitSale(SaleRequest(customerID: w.fixture.c1.id, planID: w.plans["Silver"]!.id, periodMonths: 3, additional: [:]),
                                              idempotencyKey: nil, in: w.customer.scope)
            XCTFail("no 3-month period")
        } catch let error as StoreError {
            guard case .invalid(let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "period_months")
        }
        _ = try await RestrictionStore(database: w.database).restrict(account: w.fixture.c1.id, reason: "Overdue", in: w.reseller.scope)
        do {
            _ = try await w.orders.submitSale(sale, idempotencyKey: nil, in: w.customer.scope)
            XCTFail("restricted")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.first.code, .accountRestricted)
        }
    }

    /// A renewal that ends unpaid frees its period: cancelled with "cancel at the period end", it is
    /// issued again when that is taken back.
    func testACancelledRenewalIsIssuedAgain() async throws {
        let w = try await EngineWorld.make()
        _ = try await runBilling(w, on: "2026-05-04")
        _ = try await w.orders.cancelAtPeriodEnd(subscription: w.subscription.id, true, in: w.customer.scope)
        let first = try await renewals(w)
        XCTAssertEqual(first.map(\.status), [.cancelled], "flagged to end: the unpaid renewal is cancelled")
        _ = try await w.orders.cancelAtPeriodEnd(subscription: w.subscription.id, false, in: w.customer.scope)
        let again = try await runBilling(w, on: "2026-05-05")
        XCTAssertEqual(again.renewalOrders, 1, "kept after all: the period is renewed again")
        let all = try await renewals(w)
        XCTAssertEqual(all.map(\.status), [.cancelled, .awaitingPayment])
    }

    /// A change awaiting payment gives way to the renewal; while the next period is paid ahead,
    /// changes wait, and cancelling now gives the paid period back too.
    func testChangesWaitWhileTheNextPeriodIsPaidAndCancellingRefundsIt() async throws {
        let w = try await EngineWorld.make()
        let pending = try await w.ram(6)
        let due = try await runBilling(w, on: "2026-05-04")
        XCTAssertEqual(due.renewalOrders, 1)
        let observed1 = try await w.order(pending.id).status
        XCTAssertEqual(observed1, .cancelled, "the unpaid change gave way to the renewal")
        let awaited1 = try await renewals(w).first
        let renewal = try XCTUnwrap(awaited1)
        _ = try await w.pay(renewal)
        try await w.provisionAll()
        do {
            _ = try await w.ram(6)
            XCTFail("the next period is paid at today's quantities")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.first.code, .orderOpen)
            XCTAssertEqual(refused.first.details["paid_until"], "2026-06-11")
        }
        // On 2026-05-04, R = 7 of 30, one rounding per line: 20 × 7/30 = 4.67, 2 × 2.50 × 7/30 = 1.17, 5 × 7/30 = 1.17;
        // and the paid 30.00 of the next period: 37.01, tax 7.40.
        let cancelled = try await w.orders.cancelNow(subscription: w.subscription.id, in: w.customer.scope)
        XCTAssertEqual(cancelled.totals.subtotal, -3701)
        XCTAssertEqual(cancelled.totals.total, -4441)
    }

    func testAScheduledQuantityBeyondAnyPlanIsAFieldError() async throws {
        let w = try await EngineWorld.make(billing: .monthlyCommitment)
        do {
            _ = try await w.orders.schedule(["ram_gb": Int64.max], subscription: w.subscription.id, in: w.customer.scope)
            XCTFail("refused")
        } catch let errors as ValidationErrors {
            XCTAssertEqual(errors.fields.first?.field, "resources.ram_gb.additional")
        }
    }
}
