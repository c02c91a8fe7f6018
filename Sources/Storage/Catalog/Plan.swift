import Commerce
import Foundation
import MariaDB

/// A service plan as stored, with the prices in effect for the asking seller.
public struct Plan: Sendable, Equatable {
    public var id: Int64
    public var ownerAccountID: Int64
    public var ownerPath: String
    public var name: String
    public var currency: Currency
    public var billingType: BillingType
    public var fixedPrice: Bool
    public var pricesIncludeTaxes: Bool
    public var trialDays: Int
    public var changesInTrial: Bool
    public var connector: String
    public var periods: [Int]
    public var resources: [ResourceRate]
    /// When each resource joined the plan (business time): a fixed-price subscription ordered before
    /// is charged for it at the prices of that moment (DOMAIN.md 3).
    public var resourcesAddedAt: [Int64: Date] = [:]
}

/// What a plan is made from (create and update alike).
public struct PlanDraft: Sendable {
    public var name: String
    public var currency: String
    public var billingType: String
    public var fixedPrice: Bool
    public var pricesIncludeTaxes: Bool
    public var trialDays: Int
    public var changesInTrial: Bool
    public var connector: String
    /// Months → the period fee as typed.
    public var periods: [(months: Int, fee: String)]
    public var resources: [ResourceLine]

    public struct ResourceLine: Sendable {
        public var resourceID: Int64
        public var included: Int64
        public var minUnits: Int64
        public var maxUnits: Int64
        public var setupFee: String
        public var recurringFee: String

        public init(resourceID: Int64, included: Int64, minUnits: Int64, maxUnits: Int64, setupFee: String, recurringFee: String) {
            self.resourceID = resourceID
            self.included = included
            self.minUnits = minUnits
            self.maxUnits = maxUnits
            self.setupFee = setupFee
            self.recurringFee = recurringFee
        }
    }

    public init(name: String, currency: String, billingType: String, fixedPrice: Bool = false, pricesIncludeTaxes: Bool = false,
                trialDays: Int = 0, changesInTrial: Bool = true, connector: String = "test",
                periods: [(months: Int, fee: String)], resources: [ResourceLine]) {
        self.name = name
        self.currency = currency
        self.billingType = billingType
        self.fixedPrice = fixedPrice
        self.pricesIncludeTaxes = pricesIncludeTaxes
        self.trialDays = trialDays
        self.changesInTrial = changesInTrial
        self.connector = connector
        self.periods = periods
        self.resources = resources
    }
}

/// A price list as typed: a seller's period fees and resource fees for one plan.
public struct PriceListDraft: Sendable {
    public var periods: [(months: Int, fee: String)]
    public var resources: [(resourceID: Int64, setupFee: String, recurringFee: String)]

    public init(periods: [(months: Int, fee: String)], resources: [(resourceID: Int64, setupFee: String, recurringFee: String)]) {
        self.periods = periods
        self.resources = resources
    }
}
