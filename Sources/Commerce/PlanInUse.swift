import Localization

/// Plans in use (docs/rules.md, "Plans in use"): an edit of a plan that would strand a live (not cancelled)
/// subscription is refused with `plan_in_use` and how many it would strand. Stranding edits:
/// dropping a billing period a live subscription is billed by, dropping a resource one holds units
/// of (included, additional or usage), moving min/max so that a held total falls outside, and
/// changing the billing type or the currency. Prices may always change, and so may everything else.
public enum PlanInUse {
    /// What decides whether an edit strands anything: the plan before or after it.
    public struct Shape: Sendable, Equatable {
        public var currency: String
        public var billingType: BillingType
        public var periods: Set<Int>
        public var resources: [ResourceRate]

        public init(currency: String, billingType: BillingType, periods: Set<Int>, resources: [ResourceRate]) {
            self.currency = currency
            self.billingType = billingType
            self.periods = periods
            self.resources = resources
        }
    }

    /// What the plan's live subscriptions hold, counted (Storage answers it with grouped queries).
    public struct Facts: Sendable, Equatable {
        /// Live subscriptions per billing period (months).
        public var byPeriod: [Int: Int]
        /// Per resource, the live subscriptions' lines of it.
        public var byResource: [Int64: ResourceUse]

        public init(byPeriod: [Int: Int], byResource: [Int64: ResourceUse]) {
            self.byPeriod = byPeriod
            self.byResource = byResource
        }

        /// Every live subscription of the plan.
        public var live: Int { byPeriod.values.reduce(0, +) }
    }

    /// Lines of one resource in live subscriptions.
    public struct ResourceUse: Sendable, Equatable {
        /// Subscriptions holding units of it: included or additional not 0, or usage reported.
        public var holding: Int
        /// Subscriptions per total held (included + additional); unlimited lines (included −1) are not here.
        public var totals: [Int64: Int]

        public init(holding: Int, totals: [Int64: Int]) {
            self.holding = holding
            self.totals = totals
        }
    }

    /// One stranding change: the field it is about (as the plan's request names it), and how many
    /// live subscriptions it strands.
    public struct Problem: Sendable, Equatable {
        public var field: String
        public var message: String
        public var count: Int
    }

    /// The refusal of an edit: every stranding change, the first one's count as the answer's count.
    public struct Refusal: Error, Sendable, Equatable {
        public var problems: [Problem]
        public var count: Int { problems[0].count }
        public var message: String { problems.map(\.message).joined(separator: " ") }
    }

    /// The refusal of changing `before` into `after` while `facts` hold, or nil when it strands
    /// nothing. `codes` names resources in messages. Fields are numbered as `after.resources`.
    public static func refusal(_ before: Shape, _ after: Shape, facts: Facts, codes: [Int64: String]) -> Refusal? {
        var problems: [Problem] = []
        let live = facts.live
        func subscriptions(_ count: Int) -> LocalizedText.Argument {
            .text(Localization.text(count == 1 ? "error.plan.in_use.subscriptions_one" : "error.plan.in_use.subscriptions_many", ["count": .number(Int64(count))]))
        }
        if live > 0, after.currency != before.currency {
            problems.append(Problem(field: "currency", message: Localization.text("error.plan.in_use.currency", ["subscriptions": subscriptions(live), "currency": .text(before.currency)]), count: live))
        }
        if live > 0, after.billingType != before.billingType {
            problems.append(Problem(field: "billing_type", message: Localization.text("error.plan.in_use.billing_type", ["subscriptions": subscriptions(live), "type": .text(before.billingType.rawValue)]), count: live))
        }
        for months in before.periods.subtracting(after.periods).sorted() {
            if let count = facts.byPeriod[months], count > 0 {
                problems.append(Problem(field: "periods", message: Localization.text(months == 1 ? "error.plan.in_use.period_one" : "error.plan.in_use.period_many", ["subscriptions": subscriptions(count), "months": .number(Int64(months))]), count: count))
            }
        }
        let kept = Dictionary(after.resources.enumerated().map { ($1.resourceID, $0) }, uniquingKeysWith: { first, _ in first })
        for rate in before.resources where kept[rate.resourceID] == nil {
            if let use = facts.byResource[rate.resourceID], use.holding > 0 {
                let code = codes[rate.resourceID] ?? "resource \(rate.resourceID)"
                problems.append(Problem(field: "resources", message: Localization.text("error.plan.in_use.resource", ["subscriptions": subscriptions(use.holding), "code": .text(code)]), count: use.holding))
            }
        }
        for (index, rate) in after.resources.enumerated() {
            guard let use = facts.byResource[rate.resourceID] else { continue }
            let outside = use.totals.filter { total, _ in total < rate.minUnits || (rate.maxUnits != -1 && total > rate.maxUnits) }
            guard let lowest = outside.keys.min(), let highest = outside.keys.max() else { continue }
            let count = outside.values.reduce(0, +)
            let code = codes[rate.resourceID] ?? "resource \(rate.resourceID)"
            let held = lowest == highest ? Format.number(lowest) : Localization.text("error.plan.in_use.range", ["low": .number(lowest), "high": .number(highest)])
            let field = lowest < rate.minUnits ? "resources.\(index).min_units" : "resources.\(index).max_units"
            problems.append(Problem(field: field, message: Localization.text("error.plan.in_use.limits", ["subscriptions": subscriptions(count), "held": .text(held), "code": .text(code), "min": .number(rate.minUnits),
                                                                                      "max": .text(rate.maxUnits == -1 ? Localization.text("error.plan.in_use.unlimited") : Format.number(rate.maxUnits))]),
                                    count: count))
        }
        return problems.isEmpty ? nil : Refusal(problems: problems)
    }
}
