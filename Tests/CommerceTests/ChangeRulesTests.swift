import Commerce
import PropertyBased
import Testing

/// The rulebook (DOMAIN.md 5 and 6) decided from a snapshot alone: each rule with a worked case.
@Suite struct ChangeRulesTests {
    static let usd = Currency(code: "USD", exponent: 2)
    static func price(_ text: String) -> UnitPrice { try! UnitPrice.parse(text, currency: usd) }
    static func date(_ text: String) -> BusinessDate { BusinessDate(text)! }

    // Cloud VPS: ram_gb (id 1) 2 included, 1…16, 2.50 a month, setup 1.00; support_basic (2) and
    // support_premium (3), 0…1 each, premium 10.00 a month, setup 2.00.
    static let ram = ResourceRate(resourceID: 1, included: 2, minUnits: 1, maxUnits: 16)
    static let basic = ResourceRate(resourceID: 2, included: 0, minUnits: 0, maxUnits: 1)
    static let premium = ResourceRate(resourceID: 3, included: 0, minUnits: 0, maxUnits: 1)
    static func plan(_ id: Int64 = 1, _ name: String = "Cloud VPS", billing: BillingType = .prepaid, taxIncluded: Bool = false,
                     changesInTrial: Bool = true) -> PlanFacts {
        PlanFacts(id: id, name: name, currency: usd, billingType: billing, changesInTrial: changesInTrial, trialDays: 0,
                  pricesIncludeTaxes: taxIncluded, periods: [1, 12], resources: [ram, basic, premium])
    }
    static func prices(fee: String = "20", yearly: String = "200", ram: String = "2.50") -> PriceSchedule {
        PriceSchedule(periodFees: [1: price(fee), 12: price(yearly)],
                      resourceFees: [1: .init(setupFee: price("1"), recurringFee: price(ram)),
                                     2: .init(setupFee: price("0"), recurringFee: price("0")),
                                     3: .init(setupFee: price("2"), recurringFee: price("10"))])
    }
    /// April 11 → May 11 (D = 30); ram 2 + 2 additional, 3 used; basic support held.
    static func snapshot(status: SubscriptionStatus = .active, plan: PlanFacts = plan(), today: String = "2026-04-26", usage: Int64 = 3,
                         premiumHeld: Bool = false) -> ChangeSnapshot {
        let holdings = [Holding(resourceID: 1, code: "ram_gb", included: 2, additional: 2, usage: usage),
                        Holding(resourceID: 2, code: "support_basic", included: 0, additional: premiumHeld ? 0 : 1, usage: 0),
                        Holding(resourceID: 3, code: "support_premium", included: 0, additional: premiumHeld ? 1 : 0, usage: 0)]
        return ChangeSnapshot(subscription: SubscriptionFacts(status: status, period: BillingPeriod(starting: date("2026-04-11"), months: 1, anchorDay: 11),
                                                              paidUntil: date("2026-05-11"), holdings: holdings, individualPrices: false),
                              plan: plan, prices: prices(), today: date(today))
    }

    @Test func oneLimitsCheckNamesTheBoundsAndTheTotal() {
        let refusal = ChangeRules.limits("ram_gb", total: 17, rate: Self.ram)
        #expect(refusal?.code == .outOfLimits)
        #expect(refusal?.details == ["resource_code": "ram_gb", "min": "1", "max": "16", "total": "17"])
        #expect(ChangeRules.limits("ram_gb", total: 16, rate: Self.ram) == nil)
        #expect(ChangeRules.limits("ram_gb", total: 0, rate: Self.ram)?.code == .outOfLimits)
        #expect(ChangeRules.limits("ram_gb", total: -1, rate: ResourceRate(resourceID: 1, included: -1, minUnits: 0, maxUnits: -1)) == nil, "unlimited")
    }

    @Test func refusalsComeInTheOrderOfDomain5() {
        // Suspended (1), restricted (3), 40 GB out of limits (4): a submit reports the suspension first.
        var snapshot = Self.snapshot(status: .suspended)
        snapshot.restriction = Refusal(.accountRestricted, "restricted")
        snapshot.openOrder = OpenOrderFact(id: 9, isRenewal: false)
        let evaluation = ChangeRules.evaluate(.quantities(["ram_gb": 38]), snapshot)
        #expect(evaluation.refusals.map(\.code) == [.subscriptionNotActive, .accountRestricted, .outOfLimits, .orderOpen])
    }

    @Test func aChangeDuringAFreeTrialIsPricedAtZero() {
        // +2 GB on a trial: lines show, each 0.00 (DOMAIN.md 6 Trial); active, the same change is 2 × 2.50 × 15/30 + setup 2 × 1.00.
        let trial = ChangeRules.evaluate(.quantities(["ram_gb": 4]), Self.snapshot(status: .trial))
        #expect(trial.refusals.isEmpty)
        #expect(trial.lines.map(\.kind) == [.resourceChange, .setupFee])
        #expect(trial.lines.map(\.amount) == [0, 0])
        let active = ChangeRules.evaluate(.quantities(["ram_gb": 4]), Self.snapshot())
        #expect(active.lines.map(\.amount) == [250, 200])
    }

    @Test func goingBackDownAPairPaysNoSetupFee() {
        // support_basic → support_premium (pair, downgradable, fee 5.00); back on 04-26 (R = 15 of 30):
        // only the margin line −10.00 × 15/30 = −5.00, no upgrade fee and no setup fee of the resource gone back to.
        var snapshot = Self.snapshot(premiumHeld: true)
        snapshot.pairs = [PairFact(fromCode: "support_basic", toCode: "support_premium", downgradable: true, active: true, upgradeFee: 500)]
        let back = ChangeRules.evaluate(.resourceSwitch(from: "support_premium", to: "support_basic"), snapshot)
        #expect(back.refusals.isEmpty)
        #expect(back.lines.map(\.kind) == [.resourceSwitch])
        #expect(back.lines.map(\.amount) == [-500])
        var up = Self.snapshot()
        up.pairs = snapshot.pairs
        let forward = ChangeRules.evaluate(.resourceSwitch(from: "support_basic", to: "support_premium"), up)
        #expect(forward.lines.map(\.amount) == [500, 500, 200], "fee, margin, setup of premium")
    }

    @Test func aSwitchIsOfferedOnlyToAPlanTheSellerSells() {
        var snapshot = Self.snapshot()
        snapshot.target = Self.plan(2, "Foreign")
        snapshot.targetPrices = Self.prices(fee: "30")
        snapshot.targetOffered = false
        #expect(ChangeRules.evaluate(.plan(planID: 2, periodMonths: 1), snapshot).refusals.map(\.code) == [.noSwitchPath])
        snapshot.targetOffered = true
        #expect(ChangeRules.evaluate(.plan(planID: 2, periodMonths: 1), snapshot).refusals.isEmpty)
    }

    @Test func changingOnlyTheBillingPeriodIsAPlanSwitchWithANewPeriod() {
        // Monthly 20.00 → yearly 200.00 on 04-26: credit −20 × 15/30 = −10.00, the whole year 200.00, and 2 × 2.50 × 12 = 60.00 of RAM
        // against the month's −2 × 2.50 × 15/30 = −2.50 (support_basic costs nothing: its lines are 0).
        var snapshot = Self.snapshot()
        snapshot.target = Self.plan()
        snapshot.targetOffered = true
        let yearly = ChangeRules.evaluate(.plan(planID: 1, periodMonths: 12), snapshot)
        #expect(yearly.refusals.isEmpty)
        #expect(yearly.lines.map(\.amount).filter { $0 != 0 } == [-1000, 20000, -250, 6000])
        #expect(ChangeRules.evaluate(.plan(planID: 1, periodMonths: 1), snapshot).refusals.map(\.code) == [.noSwitchPath], "nothing changes")
    }

    @Test func aPostpaidSwitchToANewPeriodChargesTheUsedPartOfTheOldOne() {
        // Postpaid 20.00 a month from 04-11; on 04-26 15 of 30 days are used: 10.00, and 2 × 2.50 × 15/30 = 2.50 of RAM.
        var snapshot = Self.snapshot(plan: Self.plan(billing: .postpaid))
        snapshot.target = Self.plan(billing: .postpaid)
        snapshot.targetOffered = true
        let evaluation = ChangeRules.evaluate(.plan(planID: 1, periodMonths: 12), snapshot)
        #expect(evaluation.lines.map(\.kind) == [.periodFee, .recurringFee])
        #expect(evaluation.lines.map(\.amount) == [1000, 250])
        // With changes of the period not yet invoiced, the switch credits the rest of the period as it stands
        // (−10.00, −2.50): the period is invoiced as it began, with those changes.
        snapshot.unbilledPeriodChanges = true
        let afterChanges = ChangeRules.evaluate(.plan(planID: 1, periodMonths: 12), snapshot)
        #expect(afterChanges.lines.filter { $0.amount != 0 }.map(\.amount) == [-1000, -250])
        #expect(afterChanges.lines.allSatisfy { [.planCredit, .resourceCredit].contains($0.kind) })
    }

    @Test func aSwitchBetweenTaxModesTaxesEachLineByItsOwnPlan() {
        // Silver 20.00 without taxes → Gold 30.00 with taxes included, on 04-26 at 20 %: credit −10.00 (Silver), debit 15.00 (Gold).
        // tax = round(0.2 × −10.00 + 0.2/1.2 × 15.00) = round(−2.00 + 2.50) = 0.50; the total adds only the Silver part, −2.00: 3.00.
        var snapshot = Self.snapshot()
        snapshot.target = Self.plan(2, "Gold", taxIncluded: true)
        snapshot.targetPrices = Self.prices(fee: "30")
        snapshot.targetOffered = true
        let lines = ChangeRules.evaluate(.plan(planID: 2, periodMonths: 1), snapshot).lines
        #expect(lines.map(\.amount) == [-1000, 1500])
        let terms = QuoteTerms(planCurrency: Self.usd, invoiceCurrency: Self.usd, rate: nil, taxRate: Rational(1, 5), pricesIncludeTaxes: false, promo: nil)
        let quote = Pricing.quote(lines, terms: terms)
        #expect(quote.plan.tax == 50)
        #expect(quote.plan.total == 300)
    }

    @Test func reductionsFollowTheBillingType() {
        let commitment = ChangeRules.evaluate(.quantities(["ram_gb": 1]), Self.snapshot(plan: Self.plan(billing: .monthlyCommitment), usage: 0))
        #expect(commitment.refusals.map(\.code) == [.commitmentReduction])
        let nonRefund = ChangeRules.evaluate(.quantities(["ram_gb": 1]), Self.snapshot(plan: Self.plan(billing: .nonRefund), usage: 0))
        #expect(nonRefund.refusals.map(\.code) == [.nonRefundReduction])
        let belowUsage = ChangeRules.evaluate(.quantities(["ram_gb": 0]), Self.snapshot(usage: 3))
        #expect(belowUsage.refusals.map(\.code) == [.belowUsage])
    }

    @Test func aPaidAheadPeriodHoldsChangesAsAnOpenOrder() {
        var snapshot = Self.snapshot()
        snapshot.subscription.paidUntil = Self.date("2026-06-11")
        #expect(ChangeRules.evaluate(.quantities(["ram_gb": 3]), snapshot).refusals.map(\.code) == [.orderOpen])
    }

    @Test func noQuantityTrapsTheRules() async {
        // Whatever comes in, the evaluation answers: absurd quantities are refused, never a trap.
        await propertyCheck(input: Gen.int64(in: Int64.min...Int64.max)) { wanted in
            let evaluation = ChangeRules.evaluate(.quantities(["ram_gb": wanted]), Self.snapshot())
            if wanted > 14 || wanted < -1 { #expect(evaluation.refusals.contains { $0.code == .outOfLimits }) }
        }
    }
}

/// DOMAIN.md 6 Taxes on random plan switches: whatever the two plans' tax modes, the quote's tax is
/// round(rate × the lines of the plan without taxes + rate / (1 + rate) × the lines of the plan with
/// taxes), and the total adds only the first part. (Before the rule, 23 of 31 mixed switches differed.)
@Suite struct SwitchTaxModeProperties {
    @Test func eachLineIsTaxedByItsOwnPlansMode() async {
        let modes = Gen.bool
        await propertyCheck(count: 300, input: Gen.int(in: 1...300), Gen.int(in: 1...300), modes, modes, Gen.int(in: 0...29)) { oldFee, newFee, oldIncluded, newIncluded, offset in
            var snapshot = ChangeRulesTests.snapshot(plan: ChangeRulesTests.plan(taxIncluded: oldIncluded),
                                                     today: BusinessDate("2026-04-11")!.adding(days: offset).description)
            snapshot.prices = ChangeRulesTests.prices(fee: String(oldFee))
            snapshot.target = ChangeRulesTests.plan(2, "Target", taxIncluded: newIncluded)
            snapshot.targetPrices = ChangeRulesTests.prices(fee: String(newFee))
            snapshot.targetOffered = true
            let lines = ChangeRules.evaluate(.plan(planID: 2, periodMonths: 1), snapshot).lines
            let rate = Rational(1, 5)
            let terms = QuoteTerms(planCurrency: ChangeRulesTests.usd, invoiceCurrency: ChangeRulesTests.usd, rate: nil, taxRate: rate,
                                   pricesIncludeTaxes: oldIncluded, promo: nil)
            let quote = Pricing.quote(lines, terms: terms)
            let credit = lines.filter { $0.kind == .planCredit }.map(\.amount).reduce(0, +)
            let debit = lines.filter { $0.kind == .planDebit }.map(\.amount).reduce(0, +)
            let without = (oldIncluded ? 0 : credit) + (newIncluded ? 0 : debit)
            let with = (oldIncluded ? credit : 0) + (newIncluded ? debit : 0)
            let expectedTax = (Rational(Int128(without)) * rate + Rational(Int128(with)) * rate / (Rational(1) + rate)).roundedHalfAwayFromZero()
            #expect(quote.plan.tax == expectedTax)
            #expect(quote.plan.total == credit + debit + (Rational(Int128(without)) * rate).roundedHalfAwayFromZero())
        }
    }
}
