/// The lines of whole periods (DOMAIN.md 3 and 6): what a new subscription, a renewal or a postpaid
/// period's invoice charges, and what an immediate cancellation gives back.
public enum PeriodPricing {
    /// A resource as a period charges it: the additional units and the plan's prices for it.
    public struct Held: Sendable, Hashable {
        public var code: String
        public var additional: Int64
        public var monthly: UnitPrice
        public var setup: UnitPrice

        public init(code: String, additional: Int64, monthly: UnitPrice, setup: UnitPrice) {
            self.code = code
            self.additional = additional
            self.monthly = monthly
            self.setup = setup
        }
    }

    /// A whole period: the period fee, and per resource additional × m × monthly fee. Additional
    /// units below zero (a total under what the plan includes) are charged nothing.
    public static func period(fee: UnitPrice, resources: [Held], period: BillingPeriod, label: String) -> [QuoteLine] {
        let days = period.days
        var lines = [QuoteLine(kind: .periodFee, description: "\(label) \(period.start) → \(period.end)", daysRemaining: days, daysInPeriod: days,
                               exact: Pricing.once(units: 1, price: fee))]
        for held in resources.sorted(by: { $0.code < $1.code }) where held.additional > 0 && held.monthly.scaled != 0 {
            lines.append(QuoteLine(kind: .recurringFee, description: "\(held.additional) × \(held.code), \(period.months) month\(period.months == 1 ? "" : "s")",
                                   resourceCode: held.code, quantityDelta: held.additional, unitPrice: held.monthly, daysRemaining: days, daysInPeriod: days,
                                   exact: Pricing.prorated(units: held.additional, monthly: held.monthly, months: period.months, remaining: 1, days: 1)))
        }
        return lines
    }

    /// Setup fees of a new subscription: setup fee × the additional units bought (the period fee covers what the plan includes).
    public static func setup(_ resources: [Held], period: BillingPeriod) -> [QuoteLine] {
        resources.sorted(by: { $0.code < $1.code }).compactMap { held in
            guard held.additional > 0, held.setup.scaled != 0 else { return nil }
            return QuoteLine(kind: .setupFee, description: "Setup of \(held.additional) × \(held.code)", resourceCode: held.code, quantityDelta: held.additional,
                             unitPrice: held.setup, daysRemaining: period.days, daysInPeriod: period.days, exact: Pricing.once(units: held.additional, price: held.setup))
        }
    }

    /// An immediate cancellation on `day`: the unused part given back, prorated as a reduction to
    /// zero: −fee × R/D, and per resource −additional × m × P × R/D.
    public static func cancellation(fee: UnitPrice, resources: [Held], period: BillingPeriod, on day: BusinessDate) -> [QuoteLine] {
        let remaining = period.daysRemaining(at: day), days = period.days
        guard remaining > 0 else { return [] }
        var lines = [QuoteLine(kind: .planCredit, description: "Unused subscription fee, \(remaining) of \(days) days", daysRemaining: remaining,
                               daysInPeriod: days, exact: -Pricing.prorated(periodFee: fee, remaining: remaining, days: days))]
        for held in resources.sorted(by: { $0.code < $1.code }) where held.additional > 0 && held.monthly.scaled != 0 {
            lines.append(QuoteLine(kind: .resourceCredit, description: "Unused \(held.additional) × \(held.code), \(remaining) of \(days) days",
                                   resourceCode: held.code, quantityDelta: -held.additional, unitPrice: held.monthly, daysRemaining: remaining,
                                   daysInPeriod: days,
                                   exact: -Pricing.prorated(units: held.additional, monthly: held.monthly, months: period.months, remaining: remaining, days: days)))
        }
        return lines
    }
}
