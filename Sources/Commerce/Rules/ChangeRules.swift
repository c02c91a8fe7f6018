import Localization

/// The refusal rules of DOMAIN.md 5, each in one function, and the evaluation of a change against a
/// snapshot: its priced lines and every refusal that applies, in DOMAIN.md 5's order. Every order
/// kind (change, switch, sales, renewal, scheduled change, cancellation) asks these functions.
/// The rules in the project's own words: docs/rules.md.
public enum ChangeRules {
    /// No plan sells more than this many units of a resource: larger quantities are typing errors.
    public static let maxUnits: Int64 = 1_000_000_000

    // MARK: The rules

    /// Rules 1 and 2: only a running subscription changes, and in a trial only when its plan allows it.
    public static func status(_ status: SubscriptionStatus, plan: PlanFacts) -> Refusal? {
        switch status {
        case .blocked, .suspended, .cancelled:
            return Refusal(.subscriptionNotActive, Localization.text("error.refusal.not_active", ["status": .text(Localization.text("error.subscription_status.\(status.rawValue)"))]))
        case .trial where !plan.changesInTrial:
            return Refusal(.trialForbidsChange, Localization.text("error.refusal.trial"))
        case .trial, .active:
            return nil
        }
    }

    /// Rule 4, the one limits check: a new total within the plan's min and max units (−1: unlimited).
    public static func limits(_ code: String, total: Int64, rate: ResourceRate, on planName: String? = nil) -> Refusal? {
        guard rate.included != -1, total != -1 else { return nil }
        let withinMax = rate.maxUnits == -1 || total <= rate.maxUnits
        guard total < 0 || total < rate.minUnits || !withinMax || total > maxUnits else { return nil }
        let max = rate.maxUnits == -1 ? Localization.text("error.refusal.unlimited") : Format.number(rate.maxUnits)
        let words: [String: LocalizedText.Argument] = ["plan": .text(planName ?? ""), "code": .text(code), "min": .number(rate.minUnits), "max": .text(max), "total": .number(total)]
        return Refusal(.outOfLimits, Localization.text(planName == nil ? "error.refusal.limits" : "error.refusal.limits_on_plan", words),
                       details: ["resource_code": code, "min": String(rate.minUnits), "max": String(rate.maxUnits), "total": String(total)])
    }

    /// Rule 5: a reduction never goes below what is in use.
    public static func usage(_ code: String, newTotal: Int64, usage: Int64, on planName: String? = nil) -> Refusal? {
        guard newTotal != -1, newTotal < usage else { return nil }
        let words: [String: LocalizedText.Argument] = ["plan": .text(planName ?? ""), "code": .text(code), "usage": .number(usage), "total": .number(newTotal)]
        return Refusal(.belowUsage, Localization.text(planName == nil ? "error.refusal.usage" : "error.refusal.usage_on_plan", words),
                       details: ["resource_code": code, "usage": String(usage)])
    }

    /// Rules 6 and 7: what a plan's billing type says of any reduction.
    public static func reduction(plan: PlanFacts, period: BillingPeriod) -> [Refusal] {
        switch plan.billingType {
        case .nonRefund:
            return [Refusal(.nonRefundReduction, Localization.text("error.refusal.non_refund", ["plan": .text(plan.name)]))]
        case .monthlyCommitment:
            return [Refusal(.commitmentReduction, Localization.text("error.refusal.commitment", ["date": .text(Format.date(period.end.description))]))]
        case .prepaid, .postpaid, .cspMonthly:
            return []
        }
    }

    /// Rule 8: the vendor's refusals, with the minimum that must remain.
    public static func vendor(_ facts: [VendorFact]) -> [Refusal] {
        facts.compactMap { fact in
            guard case .refused(let minimum, let reason) = fact.answer else { return nil }
            return Refusal(.vendorRefused, reason, details: ["resource_code": fact.reduction.resourceCode, "minimum": String(minimum)])
        }
    }

    /// Rule 10: the seller's promo code, never with individual prices. Answers the percentage that applies.
    public static func promo(_ promo: PromoFact, individualPrices: Bool, refusals: inout [Refusal]) -> Rational? {
        switch promo {
        case .none:
            return nil
        case .valid where individualPrices, .unknown where individualPrices:
            refusals.append(Refusal(.promoNotAllowed, Localization.text("error.refusal.promo_not_allowed")))
            return nil
        case .unknown(let code):
            refusals.append(Refusal(.promoInvalid, Localization.text("error.refusal.promo_invalid", ["code": .text(code)]), details: ["promo_code": code]))
            return nil
        case .valid(let percent):
            return percent
        }
    }

    /// The next period is paid ahead: its plan and quantities are settled, so changes wait until it starts.
    public static func paidAhead(_ subscription: SubscriptionFacts) -> Refusal? {
        guard let paid = subscription.paidUntil, paid > subscription.period.end else { return nil }
        return Refusal(.orderOpen, Localization.text("error.refusal.paid_ahead", ["date": .text(Format.date(subscription.period.end.description))]),
                       details: ["paid_until": paid.description])
    }

    /// Rule 11: one open order at a time; a period paid ahead counts as one.
    public static func openOrder(_ open: OpenOrderFact?, subscription: SubscriptionFacts) -> Refusal? {
        if let paid = paidAhead(subscription) { return paid }
        guard let open else { return nil }
        return Refusal(.orderOpen, Localization.text(open.isRenewal ? "error.refusal.open_renewal" : "error.refusal.open_order", ["order": .text(String(open.id))]), details: ["order_id": String(open.id)])
    }

    // MARK: Reductions

    /// The resources whose totals the change lowers (an unlimited total never counts). A resource
    /// switch reduces only when it goes back down a pair; a plan switch reduces what the target plan
    /// includes less of, or lacks.
    public static func reductions(of change: ChangeRequest, _ snapshot: ChangeSnapshot) -> [Reduction] {
        var goesBack = false
        if case .resourceSwitch(let from, let to) = change { goesBack = isDowngrade(from: from, to: to, pairs: snapshot.pairs) }
        return reductions(of: change, subscription: snapshot.subscription, target: snapshot.target, isDowngrade: goesBack)
    }

    /// The same, from the subscription, a switch's target and whether a resource switch goes back down its pair
    /// (what the provisioner asks the vendor again).
    public static func reductions(of change: ChangeRequest, subscription: SubscriptionFacts, target: PlanFacts?, isDowngrade: Bool) -> [Reduction] {
        switch change {
        case .quantities(let wanted):
            return wanted.sorted { $0.key < $1.key }.compactMap { code, additional in
                guard let held = subscription.holding(code), held.included != -1 else { return nil }
                let newTotal = held.total(additional: additional)
                return newTotal < held.total ? Reduction(resourceCode: code, currentTotal: held.total, newTotal: newTotal) : nil
            }
        case .resourceSwitch(let from, _):
            guard isDowngrade, let held = subscription.holding(from), held.total > 0 else { return [] }
            return [Reduction(resourceCode: from, currentTotal: held.total, newTotal: held.total - 1)]
        case .plan:
            guard let target else { return [] }
            return subscription.holdings.compactMap { held in
                guard held.total != -1 else { return nil }
                let rate = target.rate(of: held.resourceID)
                if rate?.included == -1 { return nil }
                let newTotal = rate.map { held.moved(to: $0).total } ?? 0
                return newTotal < held.total ? Reduction(resourceCode: held.code, currentTotal: held.total, newTotal: newTotal) : nil
            }
        case .sales, .renewal, .cancellation:
            return []
        }
    }

    /// Going back down a pair: no pair leads from `from` to `to`, one leads the other way.
    public static func isDowngrade(from: String, to: String, pairs: [PairFact]) -> Bool {
        !pairs.contains { $0.fromCode == from && $0.toCode == to } && pairs.contains { $0.fromCode == to && $0.toCode == from }
    }
}
