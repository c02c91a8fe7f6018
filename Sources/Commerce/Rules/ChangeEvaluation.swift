import Localization

/// A change decided: its lines in the plan currency (before discount, conversion and tax), every
/// refusal in DOMAIN.md 5's order, the reductions the vendor was asked about, and the promo that applies.
public struct ChangeEvaluation: Sendable {
    public var lines: [QuoteLine]
    public var refusals: [Refusal]
    public var reductions: [Reduction]
    public var promo: Rational?
}

extension ChangeRules {
    /// Prices a quantity change, resource switch or plan switch (DOMAIN.md 6) and lists every refusal
    /// (DOMAIN.md 5), from the snapshot alone.
    public static func evaluate(_ change: ChangeRequest, _ snapshot: ChangeSnapshot) -> ChangeEvaluation {
        let subscription = snapshot.subscription
        var refusals: [Refusal] = []
        if let refusal = status(subscription.status, plan: snapshot.plan) { refusals.append(refusal) }
        if let restriction = snapshot.restriction { refusals.append(restriction) }
        if let hold = accountStanding(snapshot.accountHold) { refusals.append(hold) }
        let priced: Priced
        switch change {
        case .quantities(let wanted): priced = quantities(wanted, snapshot)
        case .resourceSwitch(let from, let to): priced = resourceSwitch(from: from, to: to, snapshot)
        case .plan(let targetID, let months): priced = planSwitch(to: targetID, months: months, snapshot)
        case .sales, .renewal, .cancellation: priced = Priced()
        }
        refusals += priced.refusals
        let reductions = self.reductions(of: change, snapshot)
        if priced.reduces || !reductions.isEmpty { refusals += reduction(plan: snapshot.plan, period: subscription.period) }
        refusals += vendor(snapshot.vendor)
        let promo = promo(snapshot.promo, individualPrices: subscription.individualPrices, refusals: &refusals)
        if let open = openOrder(snapshot.openOrder, subscription: subscription) { refusals.append(open) }
        if let missing = snapshot.rateMissing { refusals.append(missing) }
        // A free trial has been paid nothing: its changes are priced at zero, and reductions refund nothing.
        let lines = subscription.status == .trial ? priced.lines.map(\.free) : priced.lines
        return ChangeEvaluation(lines: lines, refusals: Refusal.ordered(refusals), reductions: reductions, promo: promo)
    }

    /// The lines and the refusals particular to one kind of change.
    struct Priced {
        var lines: [QuoteLine] = []
        var refusals: [Refusal] = []
        var reduces = false
    }

    /// The day a change takes effect: today, inside the current period.
    static func effectiveDay(_ snapshot: ChangeSnapshot) -> BusinessDate {
        let period = snapshot.subscription.period
        return max(period.start, min(snapshot.today, period.end.adding(days: -1)))
    }

    static func resourcePrice(_ held: Holding, in prices: PriceSchedule, currency: Currency) -> ChangePricing.ResourcePrice {
        let zero = UnitPrice(scaled: 0, currency: currency)
        let fees = prices.resourceFees[held.resourceID]
        return ChangePricing.ResourcePrice(code: held.code, monthly: fees?.recurringFee ?? zero, setup: fees?.setupFee ?? zero)
    }

    /// New additional quantities per resource code.
    static func quantities(_ wanted: [String: Int64], _ snapshot: ChangeSnapshot) -> Priced {
        var priced = Priced()
        let subscription = snapshot.subscription, currency = snapshot.plan.currency
        for (code, additional) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let held = subscription.holding(code), let rate = snapshot.plan.rate(of: held.resourceID) else {
                priced.refusals.append(Refusal(.outOfLimits, Localization.text("error.subscription.no_resource", ["code": .text(code)]), details: ["resource_code": code]))
                continue
            }
            let (delta, overflow) = additional.subtractingReportingOverflow(held.additional)
            guard !overflow, delta.magnitude <= UInt64(maxUnits) else {
                priced.refusals.append(Refusal(.outOfLimits, Localization.text("error.refusal.units_beyond", ["code": .text(code), "units": .number(additional)]), details: ["resource_code": code]))
                continue
            }
            guard delta != 0 else { continue }
            let total = held.total(additional: additional)
            if let refusal = limits(code, total: total, rate: rate) { priced.refusals.append(refusal) }
            if delta < 0 {
                priced.reduces = true
                if let refusal = usage(code, newTotal: total, usage: held.usage) { priced.refusals.append(refusal) }
            }
            priced.lines += ChangePricing.quantityChange(resourcePrice(held, in: snapshot.prices, currency: currency), delta: delta,
                                                         period: subscription.period, on: effectiveDay(snapshot))
        }
        return priced
    }

    /// One unit of `from` for one of `to`, along a pair (or back down a downgradable one).
    static func resourceSwitch(from fromCode: String, to toCode: String, _ snapshot: ChangeSnapshot) -> Priced {
        var priced = Priced()
        let forward = snapshot.pairs.first { $0.fromCode == fromCode && $0.toCode == toCode }
        let backward = snapshot.pairs.first { $0.fromCode == toCode && $0.toCode == fromCode }
        let isDowngrade = forward == nil && backward != nil
        let pair = forward ?? backward
        let offered = ["from_resource_code": fromCode, "to_resource_code": toCode]
        if pair == nil || (isDowngrade && backward?.downgradable == false) {
            priced.refusals.append(Refusal(.noSuchPair, isDowngrade ? Localization.text("error.refusal.not_downgradable", ["from": .text(fromCode), "to": .text(toCode)])
                                                                    : Localization.text("error.refusal.no_switch", ["plan": .text(snapshot.plan.name), "from": .text(fromCode), "to": .text(toCode)]), details: offered))
        } else if pair?.active == false {
            priced.refusals.append(Refusal(.pairInactive, Localization.text("error.refusal.pair_inactive", ["from": .text(fromCode), "to": .text(toCode)]), details: offered))
        }
        let subscription = snapshot.subscription
        guard let from = subscription.holding(fromCode), let to = subscription.holding(toCode),
              let fromRate = snapshot.plan.rate(of: from.resourceID), let toRate = snapshot.plan.rate(of: to.resourceID) else {
            if pair != nil { priced.refusals.append(Refusal(.noSuchPair, Localization.text("error.refusal.pair_not_held", ["from": .text(fromCode), "to": .text(toCode)]), details: offered)) }
            return priced
        }
        let fromTotal = from.total(additional: from.additional - 1), toTotal = to.total(additional: to.additional + 1)
        if let refusal = limits(fromCode, total: fromTotal, rate: fromRate) { priced.refusals.append(refusal) }
        if let refusal = limits(toCode, total: toTotal, rate: toRate) { priced.refusals.append(refusal) }
        if isDowngrade {
            priced.reduces = true
            if let refusal = usage(fromCode, newTotal: fromTotal, usage: from.usage) { priced.refusals.append(refusal) }
        }
        var fee: Int64 = 0
        if let pair, !isDowngrade {
            if let converted = pair.upgradeFee { fee = converted } else {
                priced.refusals.append(Refusal(.rateMissing, Localization.text("error.refusal.fee_rate_missing", ["from": .text(fromCode), "to": .text(toCode)])))
            }
        }
        let currency = snapshot.plan.currency
        priced.lines = ChangePricing.resourceSwitch(from: resourcePrice(from, in: snapshot.prices, currency: currency),
                                                    to: resourcePrice(to, in: snapshot.prices, currency: currency), upgradeFee: fee,
                                                    isDowngrade: isDowngrade, period: subscription.period, on: effectiveDay(snapshot))
        return priced
    }
}
