import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// DOMAIN.md 8 (restrictions) and the vendor check, commitment expiry, fixed and individual prices
/// of DOMAIN.md 4, 5 and 7, each rule by name, against MariaDB.
final class RestrictionsAndVendorTests: XCTestCase {
    private func refusal(_ body: () async throws -> Order) async throws -> RefusalCode? {
        do {
            _ = try await body()
            return nil
        } catch let refused as OrderRefused {
            return refused.first.code
        }
    }

    /// A restriction on a reseller covers its customer; the restricting account's exceptions list
    /// keeps a plan changeable; lifting restores changes. It binds everyone, its own staff included.
    func testARestrictedResellersCustomerCantUpgradeUnlessThePlanIsExceptedOrTheRestrictionIsLifted() async throws {
        let w = try await EngineWorld.make()
        let restrictions = RestrictionStore(database: w.database)
        let restriction = try await restrictions.restrict(account: w.fixture.r1.id, reason: "Reseller invoices overdue", in: w.provider.scope)
        XCTAssertEqual(restriction.restrictingAccountName, "Provider")
        do {
            _ = try await w.ram(6, as: w.reseller)
            XCTFail("restricted")
        } catch let refused as OrderRefused {
            // The restricted reseller's staff see who restricted it and why (DOMAIN.md 8).
            XCTAssertEqual(refused.first.code, .accountRestricted)
            XCTAssertEqual(refused.first.details["reason"], "Reseller invoices overdue")
            XCTAssertTrue(refused.first.message.contains("Reseller One, which Customer One is under, is restricted by Provider"), refused.first.message)
        }
        do {
            _ = try await w.ram(6)
            XCTFail("restricted")
        } catch let refused as OrderRefused {
            // Its customer learns only that its seller restricts changes (white label).
            XCTAssertEqual(refused.first.code, .accountRestricted)
            XCTAssertNil(refused.first.details["reason"])
            XCTAssertFalse(refused.first.message.contains("Provider"), refused.first.message)
        }
        let byProviderStaff = try await refusal { try await w.ram(6, as: w.provider) }
        XCTAssertEqual(byProviderStaff, .accountRestricted, "it binds the restricting account's own staff too")
        let quote = try await QuoteService(database: w.database, clock: w.clock).quote(subscription: w.subscription.id, change: .quantities(["ram_gb": 6]),
                                                                                        promoCode: nil, in: w.customer.scope)
        XCTAssertEqual(quote.refusals.map(\.code), [.accountRestricted], "the quote lists it with the reason")
        do {
            _ = try await restrictions.lift(restriction.id, in: w.reseller.scope)
            XCTFail("the restricted reseller can't lift the provider's restriction")
        } catch let error as StoreError {
            guard case .forbidden = error else { return XCTFail("\(error)") }
        }

        // Silver on the provider's exceptions list: Silver subscriptions change again.
        let exception = try await restrictions.addException(plan: w.plans["Silver"]!.id, in: w.provider.scope)
        let allowed = try await w.ram(6)
        XCTAssertEqual(allowed.status, .awaitingPayment)
        _ = try await w.orders.cancel(order: allowed.id, in: w.customer.scope)
        // A switch to Gold needs Gold on the list too.
        let toGold = try await refusal {
            try await w.orders.submit(subscription: w.subscription.id, change: .plan(planID: w.plans["Gold"]!.id, periodMonths: 1), promoCode: nil,
                                      idempotencyKey: nil, in: w.customer.scope).order
        }
        XCTAssertEqual(toGold, .accountRestricted)
        // Reseller One's own restriction of its customer uses Reseller One's list, which is empty.
        let own = try await restrictions.restrict(account: w.fixture.c1.id, reason: "Card expired", in: w.reseller.scope)
        let underBoth = try await refusal { try await w.ram(6) }
        XCTAssertEqual(underBoth, .accountRestricted)
        _ = try await restrictions.lift(own.id, in: w.reseller.scope)

        try await restrictions.removeException(exception.id, in: w.provider.scope)
        let again = try await refusal { try await w.ram(6) }
        XCTAssertEqual(again, .accountRestricted)
        let lifted = try await restrictions.lift(restriction.id, in: w.provider.scope)
        XCTAssertNotNil(lifted.liftedAt)
        XCTAssertEqual(lifted.liftedBy, w.provider.email, "lifting is recorded with who")
        let free = try await w.ram(6)
        XCTAssertEqual(free.status, .awaitingPayment, "lifting the restriction restores changes")
        let history = try await restrictions.list(in: w.provider.scope).items
        XCTAssertEqual(history.map(\.isActive), [false, false], "both restrictions are kept, lifted")
    }

    func testWhoMayRestrict() async throws {
        let w = try await EngineWorld.make()
        let restrictions = RestrictionStore(database: w.database)
        for (actor, account) in [(w.customer, w.fixture.c1.id), (w.reseller, w.fixture.r1.id)] {
            do {
                _ = try await restrictions.restrict(account: account, reason: "x", in: actor.scope)
                XCTFail("\(actor.email) may not restrict \(account)")
            } catch let error as StoreError {
                switch error {
                case .forbidden, .invalid: break
                default: XCTFail("\(error)")
                }
            }
        }
        do {
            _ = try await restrictions.restrict(account: w.fixture.c2.id, reason: "x", in: w.reseller.scope)
            XCTFail("another tenant's customer")
        } catch let error as StoreError {
            XCTAssertEqual(error, .notFound("account \(w.fixture.c2.id)"))
        }
        _ = try await restrictions.restrict(account: w.fixture.c1.id, reason: "Card expired", in: w.reseller.scope)
        do {
            _ = try await restrictions.restrict(account: w.fixture.c1.id, reason: "Again", in: w.reseller.scope)
            XCTFail("twice by the same account")
        } catch let error as StoreError {
            guard case .conflict(let code, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, "already_restricted")
        }
        let seen = try await restrictions.list(in: w.customer.scope).items
        XCTAssertEqual(seen.map(\.reason), [Restriction.reasonWithheld], "the customer sees it is restricted, not the seller's internal reason (DOMAIN.md 8)")
    }

    /// vendor_refused at quote time, with the minimum that must remain in details.
    func testAVendorMinimumRefusesAReductionBelowItAtQuoteTime() async throws {
        let w = try await EngineWorld.make()
        _ = try await SubscriptionStore(database: w.database).setUsage(w.subscription.id, ["ram_gb": 0], in: w.reseller.scope)
        _ = try await TestConnectorRules(database: w.database).set(resourceCode: "ram_gb", reductionsAllowed: nil, minQuantity: 3, failProvisioning: nil, by: w.provider)
        do {
            _ = try await w.ram(0)  // total 4 → 2
            XCTFail("below the vendor's minimum")
        } catch let refused as OrderRefused {
            XCTAssertEqual(refused.first.code, .vendorRefused)
            XCTAssertEqual(refused.first.details["minimum"], "3")
            XCTAssertEqual(refused.first.details["resource_code"], "ram_gb")
        }
        let toMinimum = try await w.ram(1)  // total 3: allowed
        XCTAssertEqual(toMinimum.status, .provisioning)
        try await w.provisionAll()
        _ = try await TestConnectorRules(database: w.database).set(resourceCode: "ram_gb", reductionsAllowed: false, minQuantity: nil, failProvisioning: nil, by: w.provider)
        let none = try await QuoteService(database: w.database, clock: w.clock).quote(subscription: w.subscription.id, change: .quantities(["ram_gb": 0]),
                                                                                       promoCode: nil, in: w.customer.scope)
        XCTAssertEqual(none.refusals.map(\.code), [.vendorRefused])
        XCTAssertEqual(none.refusals.first?.details["minimum"], "3", "no reduction at all: the current total must remain")
        let increase = try await w.ram(4)
        XCTAssertEqual(increase.status, .awaitingPayment, "increases are never vetted")
    }

    /// The vendor's answer changes between payment and provisioning: provisioning_failed, the
    /// subscription untouched, the payment back as credit.
    func testAVendorRuleChangedAfterPaymentFailsTheOrderAndReturnsThePayment() async throws {
        let w = try await EngineWorld.make()
        _ = try await SubscriptionStore(database: w.database).setUsage(w.subscription.id, ["ram_gb": 0], in: w.reseller.scope)
        // −1 GB (−1.25) and +1 premium support (15.00 × 15/30 = 7.50): 6.25, tax 1.25.
        let order = try await w.orders.submit(subscription: w.subscription.id, change: .quantities(["ram_gb": 1, "support_premium": 1]), promoCode: nil,
                                              idempotencyKey: nil, in: w.customer.scope).order
        XCTAssertEqual(order.totals.total, 750)
        _ = try await w.pay(order)
        _ = try await TestConnectorRules(database: w.database).set(resourceCode: "ram_gb", reductionsAllowed: false, minQuantity: nil, failProvisioning: nil, by: w.provider)
        try await w.provisionAll()
        let failed = try await w.order(order.id)
        XCTAssertEqual(failed.status, .provisioningFailed)
        XCTAssertEqual(failed.failureReason, "The vendor refused at provisioning: The vendor does not allow reducing ram_gb.")
        let after = try await w.current()
        XCTAssertEqual(after.line("ram_gb")?.additional, 2)
        XCTAssertEqual(after.line("support_premium")?.additional, 0)
        let observed1 = try await w.credit()
        XCTAssertEqual(observed1, 750)
        let observed2 = try await w.count("SELECT COUNT(*) AS n FROM test_connector_applied")
        XCTAssertEqual(observed2, 0, "the vendor was never asked to carry it out")
    }

    /// DOMAIN.md 7: an unpaid CSP-monthly change order expires 7 days after creation (before the
    /// period end here), is never provisioned, and frees the subscription.
    func testAnUnpaidCSPMonthlyChangeOrderExpiresAndNeverProvisions() async throws {
        let w = try await EngineWorld.make(billing: .cspMonthly)
        let order = try await w.ram(6)
        XCTAssertEqual(order.expiresAt, Timestamps.date("2026-05-03T09:00:00Z"), "7 days after 2026-04-26 09:00, before the period end 2026-05-11")
        try await w.clock.set(Timestamps.date("2026-05-03T08:59:00Z"), by: w.provider)
        let observed3 = try await w.orders.expireDue()
        XCTAssertEqual(observed3, 0)
        try await w.clock.set(Timestamps.date("2026-05-03T09:00:00Z"), by: w.provider)
        let observed4 = try await w.provisioner.runOnce()
        XCTAssertEqual(observed4, 0, "the worker's sweep expires it; nothing provisions")
        let expired = try await w.order(order.id)
        XCTAssertEqual(expired.status, .expired)
        let observed5 = try await w.invoice(order.invoiceID!).status
        XCTAssertEqual(observed5, .cancelled)
        do {
            _ = try await w.pay(order)
            XCTFail("an expired order's invoice can't be paid")
        } catch let error as StoreError {
            guard case .invalid(let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "invoice")
        }
        let observed6 = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(observed6, 2)
        let next = try await w.ram(6)
        XCTAssertEqual(next.status, .awaitingPayment, "the subscription is free for a new order")
    }

    /// Monthly commitment: reductions refused during the term; a change order expires at the period end when that is nearer.
    func testACommitmentOrderExpiresAtThePeriodEndWhenItIsNearer() async throws {
        let w = try await EngineWorld.make(billing: .monthlyCommitment)
        let reduction = try await refusal { try await w.ram(1) }
        XCTAssertEqual(reduction, .commitmentReduction)
        try await w.clock.set(Timestamps.date("2026-05-08T12:00:00Z"), by: w.provider)
        let order = try await w.ram(6)
        XCTAssertEqual(order.expiresAt, Timestamps.date("2026-05-11T00:00:00Z"))
    }

    /// DOMAIN.md 4 and 7: a fixed-price subscription is charged and refunded at its order-time
    /// prices after the plan's prices change; a two-level reseller chain records one upstream charge
    /// per level at the right net costs, before and after the change.
    func testATwoLevelChainRecordsOneUpstreamChargePerLevelAtOrderTimeNetCostsOnAFixedPricePlan() async throws {
        let w = try await EngineWorld.make()
        let db = w.database
        let planStore = PlanStore(database: db)
        let resources = try await ResourceStore(database: db).codes()
        let ram = resources.first { $0.value == "ram_gb" }!.key
        let fixed = try await planStore.create(PlanDraft(
            name: "Fixed", currency: "USD", billingType: "prepaid", fixedPrice: true, periods: [(1, "10")],
            resources: [.init(resourceID: ram, included: 2, minUnits: 1, maxUnits: 64, setupFee: "0", recurringFee: "2")]),
            in: w.provider.scope, effective: Timestamps.date("2026-01-01T00:00:00Z"))
        try await planStore.delegate(fixed.id, to: w.fixture.r1.id, in: w.provider.scope)
        try await planStore.delegate(fixed.id, to: w.fixture.r1a.id, in: w.reseller.scope)
        _ = try await planStore.setPriceList(seller: w.fixture.r1.id, plan: fixed.id, PriceListDraft(periods: [(1, "12")], resources: [(ram, "0", "2.50")]),
                                             in: w.reseller.scope, effective: Timestamps.date("2026-01-01T00:00:00Z"))
        let r1aAdmin = try await Bootstrap.user(on: db, account: w.fixture.r1a, email: "admin@r1a.test", name: "", role: .admin,
                                                passwordHash: "never signs in")
        let subReseller = try await UserStore(database: db).actor(userID: r1aAdmin, address: "127.0.0.1")!
        _ = try await planStore.setPriceList(seller: w.fixture.r1a.id, plan: fixed.id, PriceListDraft(periods: [(1, "15")], resources: [(ram, "0", "3")]),
                                             in: subReseller.scope, effective: Timestamps.date("2026-01-01T00:00:00Z"))
        let customer = try await AccountStore(database: db).create(AccountDraft(kind: .customer, parentID: w.fixture.r1a.id, name: "Customer Three",
                                                                                currency: "USD", taxRate: "0"), in: w.provider.scope)
        let subscription = try await SubscriptionStore(database: db).importSubscription(SubscriptionImport(
            customerID: customer.id, planID: fixed.id, periodMonths: 1, periodStart: "2026-04-11", status: "active", resources: [("ram_gb", 2, 0)]),
            in: subReseller.scope, clock: w.clock)

        // +2 GB at R = 15, D = 30: the customer pays 2 × 3.00 / 2 = 3.00 (Sub-reseller's price);
        // Reseller One A owes 2 × 2.50 / 2 = 2.50 (Reseller One's price); Reseller One owes 2 × 2.00 / 2 = 2.00.
        let first = try await w.orders.submit(subscription: subscription.id, change: .quantities(["ram_gb": 4]), promoCode: nil, idempotencyKey: nil,
                                              in: subReseller.scope).order
        XCTAssertEqual(first.totals.total, 300)
        _ = try await w.pay(first, .bankTransfer(reference: nil), as: subReseller)
        try await w.provisionAll()
        let observed7 = try await charges(db, first.id)
        XCTAssertEqual(observed7, [Charge(reseller: w.fixture.r1a.id, parent: w.fixture.r1.id, sold: 300, owed: 250),
                                                          Charge(reseller: w.fixture.r1.id, parent: w.fixture.provider.id, sold: 250, owed: 200)])

        // The owner doubles the price (2.00 → 4.00) and Reseller One raises its own (2.50 → 5.00) from 10:00, after the
        // subscription was priced (09:00); at noon, the same day (R still 15), the new prices are the current ones.
        _ = try await planStore.update(fixed.id, PlanDraft(
            name: "Fixed", currency: "USD", billingType: "prepaid", fixedPrice: true, periods: [(1, "20")],
            resources: [.init(resourceID: ram, included: 2, minUnits: 1, maxUnits: 64, setupFee: "0", recurringFee: "4")]),
            in: w.provider.scope, effective: Timestamps.date("2026-04-26T10:00:00Z"))
        _ = try await planStore.setPriceList(seller: w.fixture.r1.id, plan: fixed.id, PriceListDraft(periods: [(1, "24")], resources: [(ram, "0", "5")]),
                                             in: w.reseller.scope, effective: Timestamps.date("2026-04-26T10:00:00Z"))
        try await w.clock.set(Timestamps.date("2026-04-26T12:00:00Z"), by: w.provider)
        // A refund of 1 GB still at order-time prices everywhere: −1.50 to the customer, −1.25 and −1.00 up the chain.
        let refund = try await w.orders.submit(subscription: subscription.id, change: .quantities(["ram_gb": 3]), promoCode: nil, idempotencyKey: nil,
                                               in: subReseller.scope).order
        XCTAssertEqual(refund.totals.total, -150, "fixed price: the order-time price, not the new one")
        try await w.provisionAll()
        let observed8 = try await charges(db, refund.id)
        XCTAssertEqual(observed8, [Charge(reseller: w.fixture.r1a.id, parent: w.fixture.r1.id, sold: -150, owed: -125),
                                                           Charge(reseller: w.fixture.r1.id, parent: w.fixture.provider.id, sold: -125, owed: -100)])
        let credit = try await CreditLedger(database: db).balance(of: customer.id, in: w.provider.scope)
        XCTAssertEqual(credit, 150, "the refund went to the customer's credit")
        let listed = try await ResellerChargeStore(database: db).charges(of: w.fixture.r1.id, in: w.reseller.scope).items
        XCTAssertEqual(listed.map(\.amount.minorUnits), [-100, 200])
        do {
            _ = try await ResellerChargeStore(database: db).charges(of: w.fixture.r1.id, in: subReseller.scope)
            XCTFail("the sub-reseller doesn't see its parent's charges")
        } catch let error as StoreError {
            guard case .notFound = error else { return XCTFail("\(error)") }
        }
    }

    /// Individual prices are used for added units and refunds, and refuse promo codes.
    func testIndividualPricesChargeAndRefundAndRefusePromoCodes() async throws {
        let w = try await EngineWorld.make()
        let subscription = try await SubscriptionStore(database: w.database).importSubscription(SubscriptionImport(
            customerID: w.fixture.c1.id, planID: w.plans["Silver"]!.id, periodMonths: 1, periodStart: "2026-04-11", status: "active",
            resources: [("ram_gb", 2, 0)], individualPrices: [("ram_gb", "0", "1.00")]), in: w.reseller.scope, clock: w.clock)
        _ = try await PromoCodeStore(database: w.database).create(code: "SPRING", percent: "10", validUntil: "2026-12-31", in: w.reseller.scope)
        let promo = try await refusal { try await w.ram(6, promo: "SPRING", subscription: subscription.id) }
        XCTAssertEqual(promo, .promoNotAllowed)
        let up = try await w.ram(6, subscription: subscription.id)
        XCTAssertEqual(up.lines.first?.amount, 200, "+4 × 1.00 × 15/30, not the seller's 2.50")
        _ = try await w.orders.cancel(order: up.id, in: w.customer.scope)
        let down = try await w.ram(0, subscription: subscription.id)
        XCTAssertEqual(down.lines.first?.amount, -100, "−2 × 1.00 × 15/30")
    }

    /// DOMAIN.md 5 rules 5 to 7 apply to plan switches that lower a total: a target plan without a
    /// resource in use is `below_usage`; on a non-refundable plan any such switch is `non_refund_reduction`.
    func testAPlanSwitchThatLowersATotalFollowsTheReductionRules() async throws {
        let w = try await EngineWorld.make(billing: .nonRefund)
        let codes = try await ResourceStore(database: w.database).codes()
        let ram = codes.first { $0.value == "ram_gb" }!.key
        let tiny = try await PlanStore(database: w.database).create(PlanDraft(
            name: "Tiny", currency: "USD", billingType: "prepaid", periods: [(1, "5")],
            resources: [.init(resourceID: ram, included: 2, minUnits: 1, maxUnits: 64, setupFee: "0", recurringFee: "2.50")]),
            in: w.provider.scope, effective: Timestamps.date("2026-01-01T00:00:00Z"))
        try await PlanStore(database: w.database).delegate(tiny.id, to: w.fixture.r1.id, in: w.provider.scope)
        try await PlanStore(database: w.database).addSwitchPath(from: w.plans["Silver"]!.id, to: tiny.id, in: w.provider.scope)
        _ = try await SubscriptionStore(database: w.database).setUsage(w.subscription.id, ["support_basic": 1], in: w.reseller.scope)
        let quote = try await QuoteService(database: w.database, clock: w.clock).quote(
            subscription: w.subscription.id, change: .plan(planID: tiny.id, periodMonths: 1), promoCode: nil, in: w.customer.scope)
        XCTAssertEqual(quote.refusals.map(\.code), [.belowUsage, .nonRefundReduction], "Tiny lacks support_basic, which is in use")
    }

    struct Charge: Equatable {
        var reseller: Int64
        var parent: Int64
        var sold: Int64
        var owed: Int64
    }

    private func charges(_ db: MariaDBDatabase, _ order: Int64) async throws -> [Charge] {
        try await db.rows("SELECT reseller_id, parent_id, sold, amount FROM reseller_charges WHERE order_id = ? ORDER BY LENGTH(reseller_path) DESC",
                          [.int(order)]).map {
            Charge(reseller: try $0.decode(column: "reseller_id", as: Int64.self), parent: try $0.decode(column: "parent_id", as: Int64.self),
                   sold: try $0.decode(column: "sold", as: Int64.self), owed: try $0.decode(column: "amount", as: Int64.self))
        }
    }
}
