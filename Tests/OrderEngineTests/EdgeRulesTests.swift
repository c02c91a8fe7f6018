import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// The edges of DOMAIN.md 3, 5, 6 and 8 against MariaDB, each found wrong once (issue "Trust").
/// EngineWorld: Silver $20 a month ($200 a year), ram_gb additional 2 at 2.50, support_basic at 5.00,
/// tax 0.20, business date 2026-04-26 in the period 04-11 → 05-11 (R = 15, D = 30).
final class EdgeRulesTests: XCTestCase {
    func quote(_ w: EngineWorld, _ change: ChangeRequest, as actor: Actor? = nil) async throws -> PricedChange {
        try await QuoteService(database: w.database, clock: w.clock).quote(subscription: w.subscription.id, change: change, promoCode: nil,
                                                                           in: (actor ?? w.customer).scope)
    }

    /// DOMAIN.md 5 rule 9: a switch path to a plan the customer's seller doesn't sell is no offer.
    func testASwitchPathToAPlanTheSellerDoesNotSellIsNoSwitchPath() async throws {
        let w = try await EngineWorld.make()
        let plans = PlanStore(database: w.database)
        let foreign = try await plans.create(PlanDraft(name: "Foreign", currency: "USD", billingType: "prepaid", periods: [(1, "25")],
                                                       resources: []), in: w.provider.scope, effective: Timestamps.date("2026-01-01T00:00:00Z"))
        try await plans.addSwitchPath(from: w.plans["Silver"]!.id, to: foreign.id, in: w.provider.scope)
        let priced = try await quote(w, .plan(planID: foreign.id, periodMonths: 1))
        XCTAssertEqual(priced.refusals.map(\.code), [.noSwitchPath])
        do {
            _ = try await w.orders.submit(subscription: w.subscription.id, change: .plan(planID: foreign.id, periodMonths: 1), promoCode: nil,
                                          idempotencyKey: nil, in: w.customer.scope)
            XCTFail("a switch to a plan not sold must be refused")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.first.code, .noSwitchPath)
        }
        let offered = try await plans.switchTargets(of: w.plans["Silver"]!, soldBy: w.fixture.r1.id).map(\.name)
        XCTAssertEqual(offered, ["Gold"], "the change page lists only what the seller sells")
        let upstream = try await w.count("SELECT COUNT(*) AS n FROM orders")
        XCTAssertEqual(upstream, 0)
    }

    /// DOMAIN.md 6 Trial: +2 GB during a free trial is priced at zero, and provisions at once.
    func testAChangeDuringAFreeTrialIsPricedAtZero() async throws {
        let w = try await EngineWorld.make()
        try await w.database.query("UPDATE subscriptions SET status = 'trial' WHERE id = ?", [.int(w.subscription.id)])
        let priced = try await quote(w, .quantities(["ram_gb": 4]))
        XCTAssertEqual(priced.refusals, [])
        XCTAssertEqual(priced.quote.lines.map(\.amount), [0, 0], "the lines show, each 0.00")
        XCTAssertEqual(priced.quote.charged.total, 0, "was 5.60 before the rule")
        let order = try await w.ram(4)
        XCTAssertEqual(order.status, .provisioning, "nothing to pay")
        try await w.provisionAll()
        let after = try await w.current()
        XCTAssertEqual(after.line("ram_gb")?.additional, 4)
        let credit = try await w.credit()
        XCTAssertEqual(credit, 0, "and a trial reduction refunds nothing")
    }

    /// DOMAIN.md 6: changing only the billing period (monthly → yearly) needs no switch path. Credit
    /// −20 × 15/30 = −10.00, the year 200.00, RAM −2.50 + 60.00, support −2.50 + 60.00: 305.00, tax 61.00.
    func testChangingOnlyTheBillingPeriodIsPricedAsAPlanSwitch() async throws {
        let w = try await EngineWorld.make()
        let silver = w.plans["Silver"]!.id
        let priced = try await quote(w, .plan(planID: silver, periodMonths: 12))
        XCTAssertEqual(priced.refusals, [])
        XCTAssertEqual(priced.quote.lines.map(\.amount), [-1000, 20000, -250, 6000, -250, 6000])
        XCTAssertEqual(priced.quote.plan.total, 36600)
        let order = try await w.orders.submit(subscription: w.subscription.id, change: .plan(planID: silver, periodMonths: 12), promoCode: nil,
                                              idempotencyKey: nil, in: w.customer.scope).order
        _ = try await w.pay(order)
        try await w.provisionAll()
        let after = try await w.current()
        XCTAssertEqual(after.period, BillingPeriod(start: BusinessDate("2026-04-26")!, end: BusinessDate("2027-04-26")!, months: 12))
        XCTAssertEqual(after.planID, silver)
        XCTAssertEqual(after.pricedAt, Timestamps.date("2026-04-26T09:00:00Z"), "priced_at is business time, not the wall clock")
        let same = try await quote(w, .plan(planID: silver, periodMonths: 12))
        XCTAssertEqual(same.refusals.map(\.code), [.noSwitchPath], "nothing to change")
    }

    /// DOMAIN.md 6: a postpaid switch to a new period invoices the used part of the old one (15 of 30
    /// days: fee 10.00, RAM 2.50, support 2.50 = 15.00 + tax 3.00), and the next period's invoice is
    /// the new period's own (200 + 60 + 60 = 320.00 + 64.00), without the switch on it.
    func testAPostpaidSwitchToANewPeriodInvoicesTheUsedPart() async throws {
        let w = try await EngineWorld.make(billing: .postpaid)
        let silver = w.plans["Silver"]!.id
        let order = try await w.orders.submit(subscription: w.subscription.id, change: .plan(planID: silver, periodMonths: 12), promoCode: nil,
                                              idempotencyKey: nil, in: w.customer.scope).order
        XCTAssertEqual(order.lines.map(\.amount), [1000, 250, 250])
        XCTAssertEqual(order.totals.total, 1800)
        XCTAssertEqual(order.status, .provisioning)
        let invoices = try await w.database.rows("SELECT total, order_id FROM invoices ORDER BY id")
        XCTAssertEqual(try invoices.map { try $0.decode(column: "total", as: Int64.self) }, [1800], "the old period's used part is invoiced now")
        try await w.provisionAll()
        let switched = try await w.current()
        XCTAssertEqual(switched.period.start, BusinessDate("2026-04-26"))
        XCTAssertEqual(switched.period.months, 12)
        try await w.clock.set(Timestamps.date("2027-04-26T06:00:00Z"), by: w.provider)
        _ = try await BillingRun(database: w.database, clock: w.clock, logger: TestDatabase.logger("billing")).run()
        let totals = try await w.database.rows("SELECT total FROM invoices ORDER BY id").map { try $0.decode(column: "total", as: Int64.self) }
        XCTAssertEqual(totals, [1800, 38400], "the yearly period at Silver's yearly prices, once")
    }

    /// The same switch after a change in the period (found by attacking a running console, A10): +2 GB
    /// on 04-26 (2 × 2.50 × 15/30 = 2.50, setup 2.00), then monthly → yearly that day. The old period is
    /// invoiced as it began (20 + 5 + 5 = 30.00) with the change (4.50) and the switch's credit for the
    /// rest of it as it stands (−10.00 − 5.00 − 2.50): 17.00 + tax 3.40 = 20.40, what 15 days at the old
    /// quantities and a setup cost; the year then bills 200 + 4 × 2.50 × 12 + 60 = 380.00 + 76.00.
    func testAPostpaidSwitchAfterAChangeInvoicesThePeriodAsItBeganWithItsChanges() async throws {
        let w = try await EngineWorld.make(billing: .postpaid)
        let silver = w.plans["Silver"]!.id
        let added = try await w.ram(4)
        XCTAssertEqual(added.lines.map(\.amount), [250, 200])
        try await w.provisionAll()
        let order = try await w.orders.submit(subscription: w.subscription.id, change: .plan(planID: silver, periodMonths: 12), promoCode: nil,
                                              idempotencyKey: nil, in: w.customer.scope).order
        XCTAssertEqual(order.lines.map(\.amount), [-1000, -500, -250])
        try await w.provisionAll()
        let first = try await w.database.rows("SELECT total FROM invoices ORDER BY id").map { try $0.decode(column: "total", as: Int64.self) }
        XCTAssertEqual(first, [2040], "the old period, once")
        let unbilled = try await w.count("SELECT COUNT(*) AS n FROM orders WHERE billing_type = 'postpaid' AND billed_invoice_id IS NULL")
        XCTAssertEqual(unbilled, 0, "the change and the switch are on it")
        try await w.clock.set(Timestamps.date("2027-04-26T06:00:00Z"), by: w.provider)
        _ = try await BillingRun(database: w.database, clock: w.clock, logger: TestDatabase.logger("billing")).run()
        let totals = try await w.database.rows("SELECT total FROM invoices ORDER BY id").map { try $0.decode(column: "total", as: Int64.self) }
        XCTAssertEqual(totals, [2040, 45600])
    }

    /// DOMAIN.md 3: a resource added to a fixed-price plan after the subscription was ordered is
    /// charged at the prices of the moment it was added, not the order-time prices (none) or today's.
    func testAResourceAddedToAFixedPricePlanLaterIsPricedAtItsMoment() async throws {
        let w = try await EngineWorld.make()
        let plans = PlanStore(database: w.database)
        let ram = w.plans["Silver"]!.resources[0].resourceID
        let premium = w.plans["Silver"]!.resources[2].resourceID
        func draft(premiumFee: String?) -> PlanDraft {
            PlanDraft(name: "Fixed", currency: "USD", billingType: "prepaid", fixedPrice: true, periods: [(1, "20")],
                      resources: [.init(resourceID: ram, included: 2, minUnits: 1, maxUnits: 64, setupFee: "0", recurringFee: "2.50")]
                        + (premiumFee.map { [.init(resourceID: premium, included: 0, minUnits: 0, maxUnits: 1, setupFee: "0", recurringFee: $0)] } ?? []))
        }
        let fixed = try await plans.create(draft(premiumFee: nil), in: w.provider.scope, effective: Timestamps.date("2026-01-01T00:00:00Z"))
        try await plans.delegate(fixed.id, to: w.fixture.r1.id, in: w.provider.scope)
        let subscription = try await SubscriptionStore(database: w.database).importSubscription(SubscriptionImport(
            customerID: w.fixture.c1.id, planID: fixed.id, periodMonths: 1, periodStart: "2026-04-11", status: "active",
            resources: [("ram_gb", 0, 0)]), in: w.reseller.scope, clock: w.clock)
        // Imported on 04-26 (business time); premium joins the plan on 04-27 at 15.00 and costs 99.00 from 04-28.
        _ = try await plans.update(fixed.id, draft(premiumFee: "15"), in: w.provider.scope, effective: Timestamps.date("2026-04-27T00:00:00Z"))
        _ = try await plans.update(fixed.id, draft(premiumFee: "99"), in: w.provider.scope, effective: Timestamps.date("2026-04-28T00:00:00Z"))
        try await w.clock.set(Timestamps.date("2026-04-29T09:00:00Z"), by: w.provider)
        try await w.database.query("INSERT INTO subscription_resources (subscription_id, resource_id, included, additional, usage_units) VALUES (?, ?, 0, 0, 0)",
                                   [.int(subscription.id), .int(premium)])
        let priced = try await QuoteService(database: w.database, clock: w.clock).quote(
            subscription: subscription.id, change: .quantities(["support_premium": 1]), promoCode: nil, in: w.customer.scope)
        // On 04-29 (R = 12 of 30): 1 × 15.00 × 12/30 = 6.00, the price of the moment it was added; not 0 (it had no
        // price when the subscription was ordered) nor today's 99.00 (39.60).
        XCTAssertEqual(priced.quote.lines.map(\.amount), [600])
    }

    /// White label (DOMAIN.md 1 and 8): a customer is told only that its seller restricts changes;
    /// the reseller's staff see the reason and who restricted.
    func testACustomerSeesANeutralRestrictionMessage() async throws {
        let w = try await EngineWorld.make()
        _ = try await RestrictionStore(database: w.database).restrict(account: w.fixture.r1.id, reason: "Unpaid provider invoice 4711", in: w.provider.scope)
        let customerView = try await quote(w, .quantities(["ram_gb": 4]))
        let refusal = try XCTUnwrap(customerView.refusals.first)
        XCTAssertEqual(refusal.code, .accountRestricted)
        XCTAssertFalse(refusal.message.contains("4711"), refusal.message)
        XCTAssertFalse(refusal.message.contains("Provider"), refusal.message)
        XCTAssertEqual(refusal.details, [:])
        let resellerView = try await quote(w, .quantities(["ram_gb": 4]), as: w.reseller)
        XCTAssertTrue(resellerView.refusals.first?.message.contains("4711") == true)
    }

    /// White label: a restriction the provider imposed on a sub-reseller shows, to that sub-reseller's
    /// staff, as imposed by its own seller (Reseller One), never by the provider or its admin's email.
    func testARestrictionFromAboveShowsAsTheViewersSeller() async throws {
        let w = try await EngineWorld.make()
        let restrictions = RestrictionStore(database: w.database)
        let imposed = try await restrictions.restrict(account: w.fixture.r1a.id, reason: "Audit pending", in: w.provider.scope)
        XCTAssertEqual(imposed.restrictingAccountName, "Provider", "the provider sees itself")
        let userID = try await Bootstrap.user(on: w.database, account: w.fixture.r1a, email: "admin@r1a.test", name: "", role: .admin, passwordHash: "x")
        let found = try await UserStore(database: w.database).actor(userID: userID, address: "127.0.0.1")
        let subReseller = try XCTUnwrap(found)
        let seen = try await restrictions.list(in: subReseller.scope).items
        XCTAssertEqual(seen.map(\.restrictingAccountName), ["Reseller One"])
        XCTAssertEqual(seen.map(\.createdBy), ["Reseller One"])
        XCTAssertEqual(seen.map(\.reason), ["Audit pending"], "its own staff see why (DOMAIN.md 8)")
        let byReseller = try await restrictions.list(in: w.reseller.scope).items
        XCTAssertEqual(byReseller.map(\.restrictingAccountName), ["Provider"], "Reseller One's seller is the provider")
    }
}
