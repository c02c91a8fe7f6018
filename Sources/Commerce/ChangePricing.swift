/// The lines of each kind of change (DOMAIN.md 6), in the plan currency, before discount, conversion and tax.
public enum ChangePricing {
    /// A resource's prices in the plan the subscription is charged by.
    public struct ResourcePrice: Sendable, Hashable {
        public var code: String
        public var monthly: UnitPrice
        public var setup: UnitPrice

        public init(code: String, monthly: UnitPrice, setup: UnitPrice) {
            self.code = code
            self.monthly = monthly
            self.setup = setup
        }
    }

    /// Δ units of a resource: round(Δ × m × P × R / D), plus the setup fee × Δ for added units (not prorated).
    public static func quantityChange(_ price: ResourcePrice, delta: Int64, period: BillingPeriod, on day: BusinessDate) -> [QuoteLine] {
        guard delta != 0 else { return [] }
        let remaining = period.daysRemaining(at: day), days = period.days
        var lines = [QuoteLine(
            kind: .resourceChange, description: "\(delta > 0 ? "Add" : "Remove") \(delta.magnitude) × \(price.code), \(remaining) of \(days) days",
            resourceCode: price.code, quantityDelta: delta, unitPrice: price.monthly, daysRemaining: remaining, daysInPeriod: days,
            exact: Pricing.prorated(units: delta, monthly: price.monthly, months: period.months, remaining: remaining, days: days))]
        if delta > 0 && price.setup.scaled > 0 {
            lines.append(QuoteLine(kind: .setupFee, description: "Setup of \(delta) × \(price.code)", resourceCode: price.code, quantityDelta: delta,
                                   unitPrice: price.setup, daysRemaining: remaining, daysInPeriod: days, exact: Pricing.once(units: delta, price: price.setup)))
        }
        return lines
    }

    /// One unit of `from` switched for one of `to`: the upgrade fee and the setup fee of the resource
    /// switched to (neither going back), and the prorated price difference round((P_to − P_from) × m × R / D).
    public static func resourceSwitch(from: ResourcePrice, to: ResourcePrice, upgradeFee: Int64, isDowngrade: Bool,
                                      period: BillingPeriod, on day: BusinessDate) -> [QuoteLine] {
        let remaining = period.daysRemaining(at: day), days = period.days
        var lines: [QuoteLine] = []
        if !isDowngrade && upgradeFee != 0 {
            lines.append(QuoteLine(kind: .upgradeFee, description: "Upgrade fee \(from.code) → \(to.code)", daysRemaining: remaining,
                                   daysInPeriod: days, exact: Rational(Int128(upgradeFee))))
        }
        let difference = UnitPrice(scaled: to.monthly.scaled - from.monthly.scaled, currency: to.monthly.currency)
        lines.append(QuoteLine(
            kind: .resourceSwitch, description: "\(from.code) → \(to.code), \(remaining) of \(days) days", resourceCode: to.code, quantityDelta: 1,
            unitPrice: difference, daysRemaining: remaining, daysInPeriod: days,
            exact: Pricing.prorated(units: 1, monthly: difference, months: period.months, remaining: remaining, days: days)))
        // Going back down a pair pays no setup fee (DOMAIN.md 6).
        if !isDowngrade && to.setup.scaled > 0 {
            lines.append(QuoteLine(kind: .setupFee, description: "Setup of \(to.code)", resourceCode: to.code, quantityDelta: 1, unitPrice: to.setup,
                                   daysRemaining: remaining, daysInPeriod: days, exact: Pricing.once(units: 1, price: to.setup)))
        }
        return lines
    }

    /// A resource's additional units under a plan, with its monthly price there.
    public struct Held: Sendable, Hashable {
        public var code: String
        public var additional: Int64
        public var monthly: UnitPrice

        public init(code: String, additional: Int64, monthly: UnitPrice) {
            self.code = code
            self.additional = additional
            self.monthly = monthly
        }
    }

    /// A plan switch. Same billing period: a credit of the old fee and a debit of the new one, both
    /// prorated R/D, and the same for each resource whose charge differs; the period end stays.
    /// A new billing period (`newMonths` ≠ the period's): the credit as above, and a debit of the
    /// whole new period's fee and resources; the new period starts on `day`.
    public static func planSwitch(oldFee: UnitPrice, newFee: UnitPrice, old: [Held], new: [Held], period: BillingPeriod,
                                  newMonths: Int, on day: BusinessDate) -> [QuoteLine] {
        let remaining = period.daysRemaining(at: day), days = period.days
        let samePeriod = newMonths == period.months
        var lines = [QuoteLine(kind: .planCredit, description: "Credit for the rest of the current plan, \(remaining) of \(days) days",
                               daysRemaining: remaining, daysInPeriod: days, exact: -Pricing.prorated(periodFee: oldFee, remaining: remaining, days: days))]
        lines.append(samePeriod
            ? QuoteLine(kind: .planDebit, description: "New plan for the rest of the period, \(remaining) of \(days) days",
                        daysRemaining: remaining, daysInPeriod: days, exact: Pricing.prorated(periodFee: newFee, remaining: remaining, days: days))
            : QuoteLine(kind: .planDebit, description: "New plan, a full \(newMonths)-month period", daysRemaining: remaining, daysInPeriod: days,
                        exact: Pricing.once(units: 1, price: newFee)))
        let oldByCode = Dictionary(uniqueKeysWithValues: old.map { ($0.code, $0) })
        let newByCode = Dictionary(uniqueKeysWithValues: new.map { ($0.code, $0) })
        for code in Set(oldByCode.keys).union(newByCode.keys).sorted() {
            let before = oldByCode[code], after = newByCode[code]
            let oldCharge = before.map { Int128($0.additional) * Int128($0.monthly.scaled) } ?? 0
            let newCharge = after.map { Int128($0.additional) * Int128($0.monthly.scaled) } ?? 0
            // Same period and the same charge: nothing to credit or debit for this resource.
            if samePeriod && oldCharge == newCharge { continue }
            if let before, before.additional != 0 {
                lines.append(QuoteLine(kind: .resourceCredit, description: "Credit for \(before.additional) × \(code)", resourceCode: code,
                                       quantityDelta: -before.additional, unitPrice: before.monthly, daysRemaining: remaining, daysInPeriod: days,
                                       exact: -Pricing.prorated(units: before.additional, monthly: before.monthly, months: period.months, remaining: remaining, days: days)))
            }
            if let after, after.additional != 0 {
                let exact = samePeriod
                    ? Pricing.prorated(units: after.additional, monthly: after.monthly, months: period.months, remaining: remaining, days: days)
                    : Pricing.prorated(units: after.additional, monthly: after.monthly, months: newMonths, remaining: 1, days: 1)
                lines.append(QuoteLine(kind: .resourceDebit, description: "\(after.additional) × \(code) on the new plan", resourceCode: code,
                                       quantityDelta: after.additional, unitPrice: after.monthly, daysRemaining: samePeriod ? remaining : 1,
                                       daysInPeriod: samePeriod ? days : 1, exact: exact))
            }
        }
        return lines
    }

    /// What a postpaid subscription owes for the part of its period used before a switch to a new
    /// period (DOMAIN.md 6): fee × (D − R) / D, and per resource additional × m × P × (D − R) / D.
    public static func usedPart(fee: UnitPrice, held: [Held], period: BillingPeriod, on day: BusinessDate) -> [QuoteLine] {
        let days = period.days, used = days - period.daysRemaining(at: day)
        var lines = [QuoteLine(kind: .periodFee, description: "The current period's used part, \(used) of \(days) days", daysRemaining: used,
                               daysInPeriod: days, exact: Pricing.prorated(periodFee: fee, remaining: used, days: days))]
        for resource in held.sorted(by: { $0.code < $1.code }) where resource.additional > 0 && resource.monthly.scaled != 0 {
            lines.append(QuoteLine(kind: .recurringFee, description: "\(resource.additional) × \(resource.code), \(used) of \(days) days used",
                                   resourceCode: resource.code, quantityDelta: resource.additional, unitPrice: resource.monthly, daysRemaining: used,
                                   daysInPeriod: days,
                                   exact: Pricing.prorated(units: resource.additional, monthly: resource.monthly, months: period.months, remaining: used, days: days)))
        }
        return lines
    }
}
