/// Billing settings: how many days ahead a renewal is invoiced and how long it may stay unpaid.
public struct BillingSettings: Sendable {
    public var renewalLeadDays: Int
    public var graceDays: Int

    public init(renewalLeadDays: Int = 7, graceDays: Int = 7) {
        self.renewalLeadDays = renewalLeadDays
        self.graceDays = graceDays
    }
}
