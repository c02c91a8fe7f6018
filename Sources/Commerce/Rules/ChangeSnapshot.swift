/// The state of a subscription (DOMAIN.md 4).
public enum SubscriptionStatus: String, Codable, Sendable, CaseIterable {
    case trial, active, blocked, suspended, cancelled
}

/// A resource a subscription holds: included, additional and used units.
public struct Holding: Sendable, Hashable {
    public var resourceID: Int64
    public var code: String
    /// −1 unlimited.
    public var included: Int64
    public var additional: Int64
    public var usage: Int64

    public init(resourceID: Int64, code: String, included: Int64, additional: Int64, usage: Int64) {
        self.resourceID = resourceID
        self.code = code
        self.included = included
        self.additional = additional
        self.usage = usage
    }

    /// included + additional; −1 when included is unlimited.
    public var total: Int64 { total(additional: additional) }

    /// The same units under another plan's rate: its included units, the additional ones kept.
    public func moved(to rate: ResourceRate) -> Holding {
        Holding(resourceID: resourceID, code: code, included: rate.included, additional: additional, usage: usage)
    }

    /// The total with other additional units; saturates instead of trapping (a saturated total is out of every limit).
    public func total(additional other: Int64) -> Int64 {
        guard included != -1 else { return -1 }
        let (sum, overflow) = included.addingReportingOverflow(other)
        return overflow ? (other < 0 ? Int64.min : Int64.max) : sum
    }
}

/// What the rules need of a plan.
public struct PlanFacts: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var currency: Currency
    public var billingType: BillingType
    public var changesInTrial: Bool
    public var trialDays: Int
    public var pricesIncludeTaxes: Bool
    public var periods: [Int]
    public var resources: [ResourceRate]

    public init(id: Int64, name: String, currency: Currency, billingType: BillingType, changesInTrial: Bool, trialDays: Int, pricesIncludeTaxes: Bool,
                periods: [Int], resources: [ResourceRate]) {
        self.id = id
        self.name = name
        self.currency = currency
        self.billingType = billingType
        self.changesInTrial = changesInTrial
        self.trialDays = trialDays
        self.pricesIncludeTaxes = pricesIncludeTaxes
        self.periods = periods
        self.resources = resources
    }

    public func rate(of resourceID: Int64) -> ResourceRate? { resources.first { $0.resourceID == resourceID } }
}

/// What the rules need of a subscription.
public struct SubscriptionFacts: Sendable, Hashable {
    public var status: SubscriptionStatus
    public var period: BillingPeriod
    /// The end of the last period paid for (prepaid): past the period end, the next period is paid ahead.
    public var paidUntil: BusinessDate?
    public var holdings: [Holding]
    public var individualPrices: Bool

    public init(status: SubscriptionStatus, period: BillingPeriod, paidUntil: BusinessDate?, holdings: [Holding], individualPrices: Bool) {
        self.status = status
        self.period = period
        self.paidUntil = paidUntil
        self.holdings = holdings
        self.individualPrices = individualPrices
    }

    public func holding(_ code: String) -> Holding? { holdings.first { $0.code == code } }
}

/// A resource upgrade pair as a plan offers it, its fee already in the plan currency (nil: no rate to convert it).
public struct PairFact: Sendable, Hashable {
    public var fromCode: String
    public var toCode: String
    public var downgradable: Bool
    public var active: Bool
    public var upgradeFee: Int64?

    public init(fromCode: String, toCode: String, downgradable: Bool, active: Bool, upgradeFee: Int64?) {
        self.fromCode = fromCode
        self.toCode = toCode
        self.downgradable = downgradable
        self.active = active
        self.upgradeFee = upgradeFee
    }
}

/// A promo code as looked up for the seller on the business date.
public enum PromoFact: Sendable, Hashable {
    case none
    case valid(percent: Rational)
    case unknown(code: String)
}

/// What the vendor answered for one reduction.
public struct VendorFact: Sendable, Equatable {
    public var reduction: Reduction
    public var answer: VendorAnswer

    public init(_ reduction: Reduction, _ answer: VendorAnswer) {
        self.reduction = reduction
        self.answer = answer
    }
}

/// An order of the subscription that awaits payment or provisioning.
public struct OpenOrderFact: Sendable, Hashable {
    public var id: Int64
    public var isRenewal: Bool

    public init(id: Int64, isRenewal: Bool) {
        self.id = id
        self.isRenewal = isRenewal
    }
}

/// Everything a change of a subscription is decided on, loaded once (DOMAIN.md 5 and 6). The
/// engine loads it; `ChangeRules.evaluate` decides from it alone.
public struct ChangeSnapshot: Sendable {
    public var subscription: SubscriptionFacts
    public var plan: PlanFacts
    /// The prices the subscription is charged at (DOMAIN.md 4): individual, order-time, or the seller's.
    public var prices: PriceSchedule
    /// The plan a plan switch goes to (the plan itself when only the period changes).
    public var target: PlanFacts?
    /// Whether the switch is offered: along a switch path (or to the same plan) and to a plan the seller sells.
    public var targetOffered: Bool
    public var targetPrices: PriceSchedule?
    public var pairs: [PairFact]
    /// The restriction that binds the change, its message already fit for the viewer (DOMAIN.md 8).
    public var restriction: Refusal?
    /// The customer or an account above it is suspended or closed (`ChangeRules.accountStanding`).
    public var accountHold: AccountHold?
    public var vendor: [VendorFact]
    public var openOrder: OpenOrderFact?
    public var promo: PromoFact
    /// The rate to the invoice currency is missing (DOMAIN.md 2).
    public var rateMissing: Refusal?
    public var today: BusinessDate
    /// A postpaid period holds changes not invoiced yet: a switch that ends it credits what is left
    /// of it, and the period is invoiced as it began with those changes (DOMAIN.md 6, postpaid).
    public var unbilledPeriodChanges = false

    public init(subscription: SubscriptionFacts, plan: PlanFacts, prices: PriceSchedule, target: PlanFacts? = nil, targetOffered: Bool = false,
                targetPrices: PriceSchedule? = nil, pairs: [PairFact] = [], restriction: Refusal? = nil, vendor: [VendorFact] = [],
                openOrder: OpenOrderFact? = nil, promo: PromoFact = .none, rateMissing: Refusal? = nil, today: BusinessDate) {
        self.subscription = subscription
        self.plan = plan
        self.prices = prices
        self.target = target
        self.targetOffered = targetOffered
        self.targetPrices = targetPrices
        self.pairs = pairs
        self.restriction = restriction
        self.vendor = vendor
        self.openOrder = openOrder
        self.promo = promo
        self.rateMissing = rateMissing
        self.today = today
    }

    /// The same change at another seller's prices, without individual prices, promo, restriction or
    /// vendor: what a reseller owes its parent for it (DOMAIN.md 7, upstream charges).
    public func pricedAt(_ prices: PriceSchedule, target targetPrices: PriceSchedule?) -> ChangeSnapshot {
        var copy = self
        copy.prices = prices
        copy.targetPrices = targetPrices
        copy.subscription.individualPrices = false
        copy.promo = .none
        copy.restriction = nil
        copy.accountHold = nil
        copy.vendor = []
        copy.openOrder = nil
        return copy
    }
}

/// A reduction the vendor is asked about: a resource's total going down.
public struct Reduction: Sendable, Equatable {
    public var resourceCode: String
    public var currentTotal: Int64
    public var newTotal: Int64

    public init(resourceCode: String, currentTotal: Int64, newTotal: Int64) {
        self.resourceCode = resourceCode
        self.currentTotal = currentTotal
        self.newTotal = newTotal
    }
}

public enum VendorAnswer: Sendable, Equatable {
    case allowed
    /// Refused; `minimum` is the quantity that must remain.
    case refused(minimum: Int64, reason: String)
}

