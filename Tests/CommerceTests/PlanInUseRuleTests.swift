import Commerce
import Testing

/// docs/rules.md "Plans in use", the pure rule: given the plan before and after an edit and what
/// its live subscriptions hold, which changes strand them and how many.
@Suite struct PlanInUseRuleTests {
    static let cpu: Int64 = 1, ram: Int64 = 2
    static let codes: [Int64: String] = [cpu: "cpu_core", ram: "ram_gb"]

    /// Cloud: 1, 3 and 12 months; cpu_core 1–16, ram_gb 0–64.
    static let cloud = PlanInUse.Shape(currency: "USD", billingType: .prepaid, periods: [1, 3, 12], resources: [
        ResourceRate(resourceID: cpu, included: 2, minUnits: 1, maxUnits: 16),
        ResourceRate(resourceID: ram, included: 4, minUnits: 0, maxUnits: 64),
    ])

    /// Two yearly subscriptions holding 12 GB, one monthly holding 4 GB; all hold 2 cores; none is on 3 months.
    static let inUse = PlanInUse.Facts(byPeriod: [12: 2, 1: 1], byResource: [
        cpu: PlanInUse.ResourceUse(holding: 3, totals: [2: 3]),
        ram: PlanInUse.ResourceUse(holding: 3, totals: [12: 2, 4: 1]),
    ])

    static func edited(_ change: (inout PlanInUse.Shape) -> Void) -> PlanInUse.Shape {
        var shape = cloud
        change(&shape)
        return shape
    }

    static func refusal(_ after: PlanInUse.Shape, _ facts: PlanInUse.Facts = inUse) -> PlanInUse.Refusal? {
        PlanInUse.refusal(cloud, after, facts: facts, codes: codes)
    }

    @Test func anUnchangedShapeStrandsNothingWhateverThePrices() {
        #expect(Self.refusal(Self.cloud) == nil)
    }

    @Test func droppingThe12MonthPeriodStrandsTheTwoYearlySubscriptions() throws {
        let refused = try #require(Self.refusal(Self.edited { $0.periods = [1, 3] }))
        #expect(refused.count == 2)
        #expect(refused.problems.map(\.field) == ["periods"])
        #expect(refused.message == "2 live subscriptions renew every 12 months: keep that period.")
    }

    @Test func droppingAPeriodNobodyRenewsOnIsFine() {
        #expect(Self.refusal(Self.edited { $0.periods = [1, 12] }) == nil)
    }

    @Test func droppingAResourceStrandsThoseHoldingItButNotThoseWithNothingOfIt() throws {
        let withoutRAM = Self.edited { $0.resources.removeLast() }
        let refused = try #require(Self.refusal(withoutRAM))
        #expect(refused.count == 3)
        #expect(refused.message == "3 live subscriptions hold ram_gb: keep it in the plan.")
        let nobodyHolds = PlanInUse.Facts(byPeriod: [1: 3], byResource: [Self.ram: PlanInUse.ResourceUse(holding: 0, totals: [0: 3])])
        #expect(Self.refusal(withoutRAM, nobodyHolds) == nil)
    }

    @Test func limitsMayMoveUpToTheTotalsHeldNotPastThem() throws {
        func ram(min: Int64, max: Int64) -> PlanInUse.Shape {
            Self.edited { $0.resources[1] = ResourceRate(resourceID: Self.ram, included: 0, minUnits: min, maxUnits: max) }
        }
        let maxBelow = try #require(Self.refusal(ram(min: 0, max: 10)))
        #expect(maxBelow.count == 2, "the two 12 GB subscriptions")
        #expect(maxBelow.problems.map(\.field) == ["resources.1.max_units"])
        #expect(maxBelow.message == "2 live subscriptions hold 12 ram_gb, outside 0–10.")
        let minAbove = try #require(Self.refusal(ram(min: 5, max: -1)))
        #expect(minAbove.count == 1, "the 4 GB subscription")
        #expect(minAbove.problems.map(\.field) == ["resources.1.min_units"])
        let both = try #require(Self.refusal(ram(min: 5, max: 10)))
        #expect(both.count == 3)
        #expect(both.message == "3 live subscriptions hold 4 to 12 ram_gb, outside 5–10.")
        #expect(Self.refusal(ram(min: 4, max: 12)) == nil, "exactly at the totals held")
    }

    @Test func billingTypeAndCurrencyStayWhileAnySubscriptionIsLive() throws {
        let postpaid = try #require(Self.refusal(Self.edited { $0.billingType = .postpaid }))
        #expect(postpaid.count == 3)
        #expect(postpaid.problems.map(\.field) == ["billing_type"])
        let euro = try #require(Self.refusal(Self.edited { $0.currency = "EUR" }))
        #expect(euro.problems.map(\.field) == ["currency"])
        let nobody = PlanInUse.Facts(byPeriod: [:], byResource: [:])
        #expect(Self.refusal(Self.edited { $0.billingType = .postpaid; $0.currency = "EUR" }, nobody) == nil)
    }

    @Test func severalStrandingChangesAreAllListedAndTheFirstGivesTheCount() throws {
        let refused = try #require(Self.refusal(Self.edited {
            $0.periods = [1]
            $0.billingType = .postpaid
            $0.resources.removeLast()
        }))
        #expect(refused.problems.map(\.field) == ["billing_type", "periods", "resources"])
        #expect(refused.problems.map(\.count) == [3, 2, 3])
        #expect(refused.count == 3)
    }
}
