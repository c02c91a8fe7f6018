import Commerce
import Foundation
import Storage

extension OrderService {
    /// The next renewal: its period and what it will charge at today's prices (nil when it won't renew,
    /// or for postpaid, whose period is invoiced at its end).
    public func renewalPreview(of subscription: Subscription, plan: Plan, customer: Account) async throws -> (period: BillingPeriod, total: Money)? {
        try await renewalPreviews(of: [subscription], customer: customer)[subscription.id].map { ($0.period, $0.total) }
    }

    /// The next renewals (and their plans' names) of one customer's subscriptions, priced as the billing run prices them: one
    /// clock reading and one lookup cache for them all, so prices, plans and terms are read once per
    /// plan and seller, not once per subscription (only individual prices are read per subscription).
    public func renewalPreviews(of subscriptions: [Subscription], customer: Account) async throws -> [Int64: (period: BillingPeriod, total: Money, plan: String)] {
        guard !subscriptions.isEmpty, let seller = customer.parentID else { return [:] }
        let now = try await clock.now()
        let cache = LookupCache()
        var previews: [Int64: (period: BillingPeriod, total: Money, plan: String)] = [:]
        for subscription in subscriptions where subscription.status != .cancelled && !subscription.cancelAtPeriodEnd {
            let plan = try await cache.plan(subscription.planID, on: database)
            guard plan.billingType != .postpaid else { continue }
            let next = BillingPeriod(starting: subscription.period.end, months: subscription.period.months, anchorDay: subscription.anchorDay)
            let lines = try await ChargedPrices.periodLines(subscription, plan: plan, seller: seller, period: next, now: now, label: "", cache: cache, on: database)
            let charged = try await BillingRun.invoiced(lines, plan: plan, customer: customer, now: now, requireRate: false, cache: cache, on: database).quote.charged
            previews[subscription.id] = (next, Money(minorUnits: charged.total, currency: charged.currency), plan.name)
        }
        return previews
    }
}
