import Commerce
import Foundation
import MariaDB

/// A customer's subscription to a plan, with its current period and resources.
public struct Subscription: Sendable, Equatable {
    public var id: Int64
    public var customerID: Int64
    public var customerPath: String
    public var planID: Int64
    public var status: SubscriptionStatus
    public var period: BillingPeriod
    public var anchorDay: Int
    public var pricedAt: Date
    public var individualPrices: Bool
    public var resources: [Line]
    /// The end of the last period paid for: a prepaid subscription rolls into a period once it is paid.
    public var paidUntil: BusinessDate?
    /// Ends with the current period (no renewal).
    public var cancelAtPeriodEnd = false
    /// Suspended for an unpaid renewal: paying it reactivates the subscription.
    public var suspendedByBilling = false
    /// A change for the next period (commitment reductions), as the order engine's change JSON.
    public var scheduledChange: String?
    public var cancelledAt: Date?

    public struct Line: Sendable, Equatable {
        public var resourceID: Int64
        public var code: String
        public var included: Int64
        public var additional: Int64
        public var usage: Int64
        /// included + additional; −1 when included is unlimited.
        public var total: Int64 { holding.total }

        /// The line as the rules see it (its sums saturate, never trap).
        public var holding: Holding { Holding(resourceID: resourceID, code: code, included: included, additional: additional, usage: usage) }
    }

    public func line(_ code: String) -> Line? { resources.first { $0.code == code } }

    /// The customer's seller: the account above the customer in its path.
    public var sellerID: Int64? {
        let ids = customerPath.split(separator: "/").compactMap { Int64($0) }
        return ids.count >= 2 ? ids[ids.count - 2] : nil
    }
}

/// What staff import: an existing subscription, without charge (API.md `POST /subscriptions`).
public struct SubscriptionImport: Sendable {
    public var customerID: Int64
    public var planID: Int64
    public var periodMonths: Int
    public var periodStart: String
    public var status: String
    public var resources: [(code: String, additional: Int64, usage: Int64)]
    public var individualPrices: [(code: String, setupFee: String, recurringFee: String)]?

    public init(customerID: Int64, planID: Int64, periodMonths: Int, periodStart: String, status: String,
                resources: [(code: String, additional: Int64, usage: Int64)], individualPrices: [(code: String, setupFee: String, recurringFee: String)]? = nil) {
        self.customerID = customerID
        self.planID = planID
        self.periodMonths = periodMonths
        self.periodStart = periodStart
        self.status = status
        self.resources = resources
        self.individualPrices = individualPrices
    }
}
