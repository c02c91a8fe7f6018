import Commerce
import Foundation
import Localization
import MariaDB
import Storage

/// The prices a subscription is charged at (DOMAIN.md 4): its seller's current prices, unless the
/// plan is fixed price (the order-time prices) or it has individual prices (those).
enum ChargedPrices {
    static func schedule(plan: Plan, seller: Int64, subscription: Subscription?, now: Date, useIndividual: Bool = true, cache: LookupCache? = nil,
                         on db: MariaDBDatabase) async throws -> PriceSchedule {
        let moment = PriceBook.moment(of: plan, subscription: subscription, now: now)
        let key = "\(plan.id)|\(seller)|\(moment.timeIntervalSince1970)"
        var schedule: PriceSchedule
        if let cached = cache?.schedule(key) {
            schedule = cached
        } else {
            let sellers = try await PlanStore(database: db).sellers(upTo: seller, of: plan, on: db)
            let book = try await PriceBook.load(plan: plan, target: nil, subscription: subscription, sellers: sellers,
                                                now: now, individual: false, on: db)
            schedule = try book.schedule(seller: seller, useIndividual: false)
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
            throw StoreError.invalid(field: "period_months", message: .init("error.subscription.period_withdrawn", ["plan": .text(plan.name), "months": .number(Int64(period.months)), "subscription": .text(String(subscription.id))]))
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

/// Every price a change is priced at, read once for the request: the price lists along the
/// customer's chain of sellers at each moment a price is taken, and the subscription's individual
/// prices. The customer's seller and every reseller above it get their prices from it without
/// another query (a quote, and the upstream levels of its order, DOMAIN.md 4 and 7).
struct PriceBook: Sendable {
    let plan: Plan
    let target: Plan?
    let subscription: Subscription?
    let now: Date
    let chains: [Date: PriceChain]
    let individual: [Int64: PriceSchedule.ResourceFees]

    /// When the subscription's prices are taken: now, or for a fixed-price plan when it was ordered or imported.
    static func moment(of plan: Plan, subscription: Subscription?, now: Date) -> Date {
        plan.fixedPrice ? (subscription?.pricedAt ?? now) : now
    }

    /// `sellers`: the chain, root first, down to the customer's seller. A switch's target is priced now.
    static func load(plan: Plan, target: Plan?, subscription: Subscription?, sellers: [Int64], now: Date, individual: Bool = true,
                     on db: MariaDBDatabase) async throws -> PriceBook {
        let moment = moment(of: plan, subscription: subscription, now: now)
        var plansAt: [Date: [Plan]] = [moment: [plan]]
        if plan.fixedPrice {
            // A resource added to a fixed-price plan after the order is charged at the prices of the moment it was added (DOMAIN.md 3).
            for added in Set(plan.resourcesAddedAt.values) where added > moment { plansAt[added, default: []].append(plan) }
        }
        if let target, target.id != plan.id { plansAt[now, default: []].append(target) }
        var chains: [Date: PriceChain] = [:]
        for (at, plans) in plansAt.sorted(by: { $0.key < $1.key }) {
            chains[at] = try await PlanStore(database: db).priceChain(of: plans, path: sellers, at: at, on: db)
        }
        var fees: [Int64: PriceSchedule.ResourceFees] = [:]
        if individual, let subscription, subscription.individualPrices {
            fees = try await SubscriptionStore(database: db).individualPrices(of: subscription, currency: plan.currency)
        }
        return PriceBook(plan: plan, target: target, subscription: subscription, now: now, chains: chains, individual: fees)
    }

    /// What `seller` charges for the subscription's plan; individual prices when it has them and `useIndividual`.
    func schedule(seller: Int64, useIndividual: Bool) throws -> PriceSchedule {
        let moment = Self.moment(of: plan, subscription: subscription, now: now)
        var schedule = try chain(moment).prices(of: plan, seller: seller)
        if plan.fixedPrice {
            for (resource, added) in plan.resourcesAddedAt where added > moment {
                schedule.resourceFees[resource] = try chain(added).prices(of: plan, seller: seller).resourceFees[resource]
            }
        }
        if useIndividual, subscription?.individualPrices == true {
            for (resource, fees) in individual { schedule.resourceFees[resource] = fees }
        }
        return schedule
    }

    /// What `seller` sells a switch's target at now (the plan's own schedule when only the period changes).
    func targetSchedule(seller: Int64, useIndividual: Bool) throws -> PriceSchedule? {
        guard let target else { return nil }
        if target.id == plan.id { return try schedule(seller: seller, useIndividual: useIndividual) }
        return try chain(now).prices(of: target, seller: seller)
    }

    private func chain(_ moment: Date) throws -> PriceChain {
        guard let chain = chains[moment] else { throw StoreError.notFound("prices at \(moment)") }
        return chain
    }
}
