import Localization

extension ChangeRules {
    /// A switch to another plan, or to another billing period of the same plan (no path needed):
    /// offered only along a switch path to a plan the seller sells (DOMAIN.md 5 rule 9).
    static func planSwitch(to targetID: Int64, months: Int, _ snapshot: ChangeSnapshot) -> Priced {
        var priced = Priced()
        let subscription = snapshot.subscription, plan = snapshot.plan
        guard let target = snapshot.target, target.id == targetID, snapshot.targetOffered else {
            priced.refusals.append(Refusal(.noSwitchPath, Localization.text("error.refusal.no_switch_path", ["plan": .text(plan.name)]), details: ["plan_id": String(targetID)]))
            return priced
        }
        guard target.id != plan.id || months != subscription.period.months else {
            priced.refusals.append(Refusal(.noSwitchPath, Localization.text("error.refusal.same_plan_period", ["plan": .text(plan.name), "months": .number(Int64(months))]),
                                           details: ["plan_id": String(targetID), "period_months": String(months)]))
            return priced
        }
        guard target.periods.contains(months) else {
            priced.refusals.append(Refusal(.noSwitchPath, Localization.text("error.plan.no_period", ["plan": .text(target.name), "months": .number(Int64(months))]), details: ["period_months": String(months)]))
            return priced
        }
        for held in subscription.holdings {
            guard let rate = target.rate(of: held.resourceID) else { continue }
            let moved = held.moved(to: rate)
            if let refusal = limits(held.code, total: moved.total, rate: rate, on: target.name) { priced.refusals.append(refusal) }
        }
        for reduction in reductions(of: .plan(planID: targetID, periodMonths: months), snapshot) {
            guard let held = subscription.holding(reduction.resourceCode) else { continue }
            if let refusal = usage(held.code, newTotal: reduction.newTotal, usage: held.usage, on: target.name) { priced.refusals.append(refusal) }
        }
        priced.lines = planSwitchLines(to: target, months: months, snapshot)
        return priced
    }

    /// DOMAIN.md 6: a credit of the rest of the current plan and a debit of the new one; on a new
    /// period the whole new period; on a postpaid plan with a new period, the used part of the old
    /// period instead. Each line carries its own plan's tax mode.
    static func planSwitchLines(to target: PlanFacts, months: Int, _ snapshot: ChangeSnapshot) -> [QuoteLine] {
        let subscription = snapshot.subscription, plan = snapshot.plan
        let targetPrices = snapshot.targetPrices ?? snapshot.prices
        let zero = UnitPrice(scaled: 0, currency: plan.currency)
        let day = effectiveDay(snapshot)
        let oldFee = snapshot.prices.periodFees[subscription.period.months] ?? zero
        let old = subscription.holdings.map { ChangePricing.Held(code: $0.code, additional: $0.additional, monthly: resourcePrice($0, in: snapshot.prices, currency: plan.currency).monthly) }
        if plan.billingType == .postpaid && months != subscription.period.months {
            guard snapshot.unbilledPeriodChanges else { return ChangePricing.usedPart(fee: oldFee, held: old, period: subscription.period, on: day) }
            // Changes made in the period are on their own orders: the period is invoiced as it began with
            // them, so the switch gives back the rest of the period as it stands now.
            return ChangePricing.planSwitch(oldFee: oldFee, newFee: zero, old: old, new: [], period: subscription.period, newMonths: months, on: day)
                .filter { [.planCredit, .resourceCredit].contains($0.kind) }
        }
        let new = subscription.holdings.compactMap { held -> ChangePricing.Held? in
            guard target.rate(of: held.resourceID) != nil else { return nil }
            return ChangePricing.Held(code: held.code, additional: held.additional, monthly: resourcePrice(held, in: targetPrices, currency: target.currency).monthly)
        }
        let lines = ChangePricing.planSwitch(oldFee: oldFee, newFee: targetPrices.periodFees[months] ?? zero, old: old, new: new,
                                             period: subscription.period, newMonths: months, on: day)
        return lines.map { line in
            var line = line
            line.pricesIncludeTaxes = [.planDebit, .resourceDebit].contains(line.kind) ? target.pricesIncludeTaxes : plan.pricesIncludeTaxes
            return line
        }
    }
}
