import Commerce
import Foundation
import MariaDB
import Storage

/// The prices a subscription is charged at (DOMAIN.md 4): its seller's current prices, unless the
/// plan is fixed price (the order-time prices) or it has individual prices (those).
enum ChargedPrices {
    static func schedule(plan: Plan, seller: Int64, subscription: Subscription?, now: Date, useIndividual: Bool = true, cache: LookupCache? = nil,
                         on db: MariaDBDatabase) async throws -> PriceSchedule {
        let moment = plan.fixedPrice ? (subscription?.pricedAt ?? now) : now
        let key = "\(plan.id)|\(seller)|\(moment.timeIntervalSince1970)"
        var schedule: PriceSchedule
        if let cached = cache?.schedule(key) {
            schedule = cached
        } else {
            schedule = try await PlanStore(database: db).prices(of: plan, seller: seller, at: moment, on: db)
            if plan.fixedPrice {
                // A resource added to a fixed-price plan after the order is charged at the prices of the moment it was added (DOMAIN.md 3).
                for (resource, added) in plan.resourcesAddedAt where added > moment {
                    schedule.resourceFees[resource] = try await PlanStore(database: db).prices(of: plan, seller: seller, at: added, on: db).resourceFees[resource]
                }
            }
            cache?.store(schedule, key)
        }
        if let subscription, subscription.individualPrices, useIndividual {
            for (resource, fees) in try await SubscriptionStore(database: db).individualPrices(of: subscription, currency: plan.currency) {
                schedule.resourceFees[resource] = fees
            }
        }
        return schedule
    }

    /// A whole period of the subscription at the prices it is charged, with any scheduled quantities.
    static func periodLines(_ subscription: Subscription, plan: Plan, seller: Int64, period: BillingPeriod, now: Date, label: String,
                            useIndividual: Bool = true, useScheduled: Bool = true, cache: LookupCache? = nil, on db: MariaDBDatabase) async throws -> [QuoteLine] {
        let schedule = try await ChargedPrices.schedule(plan: plan, seller: seller, subscription: subscription, now: now, useIndividual: useIndividual,
                                                        cache: cache, on: db)
        guard let fee = schedule.periodFees[period.months] else {
            throw StoreError.invalid(field: "period_months", message: "\(plan.name) no longer offers a \(period.months)-month period: staff must move subscription \(subscription.id) to one it offers.")
        }
        return PeriodPricing.period(fee: fee,
                                    resources: ChargedPrices.held(subscription, plan: plan, schedule: schedule,
                                                                  additional: useScheduled ? subscription.scheduledAdditional : [:]),
                                    period: period, label: label)
    }

    /// The subscription's resources as a period charges them; `additional` overrides the quantities (a scheduled change).
    static func held(_ subscription: Subscription, plan: Plan, schedule: PriceSchedule, additional: [String: Int64] = [:]) -> [PeriodPricing.Held] {
        let zero = UnitPrice(scaled: 0, currency: plan.currency)
        return subscription.resources.compactMap { line in
            guard plan.resources.contains(where: { $0.resourceID == line.resourceID }) else { return nil }
            let fees = schedule.resourceFees[line.resourceID]
            return PeriodPricing.Held(code: line.code, additional: additional[line.code] ?? line.additional, monthly: fees?.recurringFee ?? zero,
                                      setup: fees?.setupFee ?? zero)
        }
    }
}
