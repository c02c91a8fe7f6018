import Commerce
import Foundation
import Storage

extension OrderService {
    /// The next renewal: its period and what it will charge at today's prices (nil when it won't renew,
    /// or for postpaid, whose period is invoiced at its end).
    public func renewalPreview(of subscription: Subscription, plan: Plan, customer: Account) async throws -> (period: BillingPeriod, total: Money)? {
        guard subscription.status != .cancelled, !subscription.cancelAtPeriodEnd, plan.billingType != .postpaid else { return nil }
        let now = try await clock.now()
        let next = BillingPeriod(starting: subscription.period.end, months: subscription.period.months, anchorDay: subscription.anchorDay)
        let lines = try await ChargedPrices.periodLines(subscription, plan: plan, seller: customer.parentID!, period: next, now: now, label: "", on: database)
        let charged = try await BillingRun.invoiced(lines, plan: plan, customer: customer, now: now, requireRate: false, on: database).quote.charged
        return (next, Money(minorUnits: charged.total, currency: charged.currency))
    }
}
