/// How a plan bills (DOMAIN.md 3).
public enum BillingType: String, Sendable, Codable, CaseIterable {
    case prepaid, postpaid
    case nonRefund = "non_refund"
    case monthlyCommitment = "monthly_commitment"
    case cspMonthly = "csp_monthly"
}

/// A resource's rate in a plan: included units and limits (prices live in price lists).
public struct ResourceRate: Sendable, Hashable, Codable {
    public var resourceID: Int64
    /// −1 unlimited, 0, or at least `minUnits`.
    public var included: Int64
    public var minUnits: Int64
    /// −1 unlimited.
    public var maxUnits: Int64

    public init(resourceID: Int64, included: Int64, minUnits: Int64, maxUnits: Int64) {
        self.resourceID = resourceID
        self.included = included
        self.minUnits = minUnits
        self.maxUnits = maxUnits
    }
}

/// A seller's prices for a plan: a fee per billing period (for the whole period) and per resource
/// a setup fee per unit and a recurring fee per unit per month, in the plan currency.
public struct PriceSchedule: Sendable, Hashable, Codable {
    public var periodFees: [Int: UnitPrice]
    public var resourceFees: [Int64: ResourceFees]

    public struct ResourceFees: Sendable, Hashable, Codable {
        public var setupFee: UnitPrice
        public var recurringFee: UnitPrice

        public init(setupFee: UnitPrice, recurringFee: UnitPrice) {
            self.setupFee = setupFee
            self.recurringFee = recurringFee
        }
    }

    public init(periodFees: [Int: UnitPrice], resourceFees: [Int64: ResourceFees]) {
        self.periodFees = periodFees
        self.resourceFees = resourceFees
    }

    /// Each price of `self` below the same price of `cost`, named as a person reads it.
    public func pricesBelow(_ cost: PriceSchedule, resourceCodes: [Int64: String]) -> [String] {
        var warnings: [String] = []
        for (months, fee) in periodFees.sorted(by: { $0.key < $1.key }) {
            if let net = cost.periodFees[months], fee.scaled < net.scaled {
                warnings.append("The \(months)-month fee \(fee.amountText) is below the net cost \(net.amountText).")
            }
        }
        for (resource, fees) in resourceFees.sorted(by: { $0.key < $1.key }) {
            guard let net = cost.resourceFees[resource] else { continue }
            let code = resourceCodes[resource] ?? "resource \(resource)"
            if fees.recurringFee.scaled < net.recurringFee.scaled {
                warnings.append("The recurring fee of \(code), \(fees.recurringFee.amountText), is below the net cost \(net.recurringFee.amountText).")
            }
            if fees.setupFee.scaled < net.setupFee.scaled {
                warnings.append("The setup fee of \(code), \(fees.setupFee.amountText), is below the net cost \(net.setupFee.amountText).")
            }
        }
        return warnings
    }
}

/// The plan rules that need no database (DOMAIN.md 3).
public enum PlanRules {
    public static let allowedPeriods: Set<Int> = [1, 3, 6, 12]

    /// Field-named problems of a resource rate, given the resource's own limits.
    public static func problems(of rate: ResourceRate, field: String) -> [(field: String, message: String)] {
        var problems: [(String, String)] = []
        if rate.minUnits < 0 { problems.append(("\(field).min_units", "The minimum is 0 or more.")) }
        if rate.maxUnits < -1 || (rate.maxUnits != -1 && rate.maxUnits < rate.minUnits) {
            problems.append(("\(field).max_units", "The maximum is −1 (unlimited) or at least the minimum."))
        }
        if !(rate.included == -1 || rate.included == 0 || rate.included >= rate.minUnits) {
            problems.append(("\(field).included", "Included units are −1 (unlimited), 0, or at least the minimum (\(rate.minUnits))."))
        } else if rate.included != -1 && rate.maxUnits != -1 && rate.included > rate.maxUnits {
            problems.append(("\(field).included", "Included units can't exceed the maximum (\(rate.maxUnits))."))
        }
        return problems
    }
}
