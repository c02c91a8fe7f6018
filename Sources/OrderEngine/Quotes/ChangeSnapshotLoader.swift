import Commerce
import Foundation
import Localization
import MariaDB
import Storage

/// What a change was decided on: the rows read in scope and the snapshot the rules decided from.
public struct LoadedChange: Sendable {
    public var subscription: Subscription
    public var plan: Plan
    public var customer: Account
    /// A plan switch's target (the plan itself for a change of period only).
    public var target: Plan?
    public var snapshot: ChangeSnapshot
    public var terms: InvoiceTerms
    public var now: Date
    /// Every price along the customer's chain of sellers: each upstream level is priced from it.
    var prices: PriceBook
}

/// A subscription read under a submit's row lock, with the order still open on it (if any), so
/// the quote inside the submit does not read them again.
struct LockedSubscription: Sendable {
    var subscription: Subscription
    var openOrder: OpenOrderFact?
}

/// Reads, once, everything the rules of a change need (DOMAIN.md 5 and 6) through the stores: the
/// subscription and its plan, the prices it is charged, a switch's target, pairs, restrictions,
/// the vendor's answers, an open order, the promo code and the rate.
struct ChangeSnapshotLoader: Sendable {
    let database: MariaDBDatabase
    let connectors: ConnectorRegistry

    func load(subscription id: Int64, change: ChangeRequest, promoCode: String?, in scope: TenantScope, now: Date,
              read: Subscription? = nil, locked: LockedSubscription? = nil) async throws -> LoadedChange {
        let db = database
        let subscription: Subscription
        if let given = locked?.subscription ?? read, given.id == id {
            subscription = given
        } else {
            subscription = try await SubscriptionStore(database: db).subscription(id, in: scope, on: db)
        }
        // The customer and the accounts above it, in one read: whether one of them holds its orders.
        let (customer, hold) = try await AccountStore(database: db).customerAndHold(subscription.customerID, path: subscription.customerPath,
                                                                                    viewer: scope.actor, in: scope, on: db)
        let sellerID = customer.parentID ?? customer.id
        var targetID: Int64?
        if case .plan(let id, _) = change { targetID = id }
        // The plan, a switch's target and whether it is offered: one read.
        let (plan, target, targetSold) = try await PlanStore(database: db).planAndTarget(subscription.planID, target: targetID, seller: sellerID, on: db)
        // Every seller's prices, from the customer's seller up to the root: one read per moment a price is taken.
        let prices = try await PriceBook.load(plan: plan, target: target, subscription: subscription,
                                              sellers: customer.parentID == nil ? customer.ancestry : Array(customer.ancestry.dropLast()), now: now, on: db)
        var snapshot = ChangeSnapshot(subscription: subscription.facts, plan: plan.facts, prices: try prices.schedule(seller: sellerID, useIndividual: true),
                                      today: BusinessDate(instant: now))
        if case .plan(_, let months) = change {
            snapshot.target = target?.facts
            snapshot.targetOffered = target != nil && targetSold
            snapshot.targetPrices = try prices.targetSchedule(seller: sellerID, useIndividual: true)
            if plan.billingType == .postpaid, months != subscription.period.months {
                snapshot.unbilledPeriodChanges = try await OrderStore.firstUnbilledPostpaidChange(of: subscription.id, since: subscription.period.start, on: db) != nil
            }
        }
        if case .resourceSwitch = change { snapshot.pairs = try await pairs(of: plan, now: now) }
        snapshot.restriction = try await Self.restriction(of: customer, plans: Set([plan.id] + (target.map { [$0.id] } ?? [])), viewer: scope.actor, on: db)
        snapshot.accountHold = hold
        snapshot.vendor = try await vendorAnswers(ChangeRules.reductions(of: change, snapshot), plan: plan, subscriptionID: subscription.id)
        if let locked { snapshot.openOrder = locked.openOrder } else { snapshot.openOrder = try await OrderStore(database: db).openOrderFact(of: subscription.id, on: db) }
        if let code = promoCode?.trimmingCharacters(in: .whitespaces), !code.isEmpty {
            snapshot.promo = try await PromoCodeStore(database: db).valid(code: code, seller: sellerID, on: snapshot.today).map { .valid(percent: $0) } ?? .unknown(code: code)
        }
        let terms = try await InvoiceTerms.load(plan: plan, customer: customer, now: now, on: db)
        snapshot.rateMissing = terms.rateMissing
        return LoadedChange(subscription: subscription, plan: plan, customer: customer, target: target, snapshot: snapshot, terms: terms, now: now, prices: prices)
    }

    /// The snapshot at another seller's prices (no individual prices, promo, restriction or vendor),
    /// from the prices loaded with the change: no query.
    static func snapshot(_ loaded: LoadedChange, atPricesOf seller: Int64) throws -> ChangeSnapshot {
        loaded.snapshot.pricedAt(try loaded.prices.schedule(seller: seller, useIndividual: false),
                                 target: try loaded.prices.targetSchedule(seller: seller, useIndividual: false))
    }

    /// The plan's upgrade pairs, each fee in the plan currency at the rate in effect (nil: no rate).
    func pairs(of plan: Plan, now: Date) async throws -> [PairFact] {
        let currencies = CurrencyStore(database: database)
        var facts: [PairFact] = []
        for pair in try await PlanStore(database: database).upgradePairs(of: plan) {
            var fee: Int64? = pair.upgradeFee.minorUnits
            if pair.upgradeFee.currency != plan.currency && pair.upgradeFee.minorUnits != 0 {
                fee = try await currencies.rate(from: pair.upgradeFee.currency.code, to: plan.currency.code, at: now)
                    .map { Pricing.convert(pair.upgradeFee.minorUnits, from: pair.upgradeFee.currency, to: plan.currency, rate: $0.rate) }
            }
            facts.append(PairFact(fromCode: pair.from.code, toCode: pair.to.code, downgradable: pair.downgradable, active: pair.active, upgradeFee: fee))
        }
        return facts
    }

    /// What the plan's connector answers for each reduction; nothing when it can't vet reductions.
    func vendorAnswers(_ reductions: [Reduction], plan: Plan, subscriptionID: Int64) async throws -> [VendorFact] {
        guard !reductions.isEmpty, let checker = connectors.connector(named: plan.connector) as? any ReductionChecking else { return [] }
        var answers: [VendorFact] = []
        for reduction in reductions {
            answers.append(VendorFact(reduction, try await checker.check(reduction, subscriptionID: subscriptionID)))
        }
        return answers
    }

    /// DOMAIN.md 8: the refusal when a restriction covers the customer (on it or above it) and the
    /// restricting account's exceptions list does not hold every plan involved. It binds everyone;
    /// its reason and names are shown only to those `Policy` lets see them (white label).
    static func restriction(of customer: Account, plans: Set<Int64>, viewer: Actor?, on db: MariaDBDatabase) async throws -> Refusal? {
        let store = RestrictionStore(database: db)
        for restriction in try await store.covering(path: customer.path, on: db) {
            let exceptions = try await store.exceptionPlans(of: restriction.restrictingAccountID, on: db)
            guard !plans.isSubset(of: exceptions) else { continue }
            guard viewer.map({ Policy.seesRestrictionReason($0, restrictedPath: restriction.accountPath) }) ?? true else {
                return Refusal(.accountRestricted, Localization.text("error.refusal.restricted_withheld"))
            }
            let words: [String: LocalizedText.Argument] = ["account": .text(restriction.accountID == customer.id ? customer.name : restriction.accountName),
                                                           "customer": .text(customer.name), "by": .text(restriction.restrictingAccountName), "reason": .text(restriction.reason)]
            return Refusal(.accountRestricted, Localization.text(restriction.accountID == customer.id ? "error.refusal.restricted" : "error.refusal.restricted_above", words),
                           details: ["restriction_id": String(restriction.id), "reason": restriction.reason, "restricted_by": restriction.restrictingAccountName])
        }
        return nil
    }
}

/// The invoice's currency, the rate to it (with its id, stored on the order) and the customer's tax
/// (DOMAIN.md 2 and 6); a missing rate is a refusal, never 1.0.
public struct InvoiceTerms: Sendable {
    public var terms: QuoteTerms
    public var rateID: Int64?
    public var rateMissing: Refusal?

    public func with(promo: Rational?) -> QuoteTerms {
        var terms = self.terms
        terms.promo = promo
        return terms
    }

    static func load(plan: Plan, customer: Account, now: Date, on db: MariaDBDatabase) async throws -> InvoiceTerms {
        let currencies = CurrencyStore(database: db)
        // Most customers are billed in the plan's currency: nothing to read then.
        let customerCurrency = customer.currency == plan.currency.code ? plan.currency : try await currencies.currency(customer.currency) ?? plan.currency
        var rate: CurrencyStore.Rate?
        var missing: Refusal?
        if customerCurrency != plan.currency {
            rate = try await currencies.rate(from: plan.currency.code, to: customerCurrency.code, at: now)
            if rate == nil {
                missing = Refusal(.rateMissing, Localization.text("error.refusal.rate_missing", ["from": .text(plan.currency.code), "to": .text(customerCurrency.code)]))
            }
        }
        let terms = QuoteTerms(planCurrency: plan.currency, invoiceCurrency: rate == nil ? plan.currency : customerCurrency, rate: rate?.rate,
                               taxRate: Pricing.fraction(customer.taxRate) ?? Rational(0), pricesIncludeTaxes: plan.pricesIncludeTaxes, promo: nil)
        return InvoiceTerms(terms: terms, rateID: rate?.id, rateMissing: missing)
    }
}

extension Subscription {
    /// What the rules need of it.
    var facts: SubscriptionFacts {
        SubscriptionFacts(status: status, period: period, paidUntil: paidUntil,
                          holdings: resources.map(\.holding),
                          individualPrices: individualPrices)
    }
}

extension Plan {
    /// What the rules need of it.
    var facts: PlanFacts {
        PlanFacts(id: id, name: name, currency: currency, billingType: billingType, changesInTrial: changesInTrial, trialDays: trialDays,
                  pricesIncludeTaxes: pricesIncludeTaxes, periods: periods, resources: resources)
    }
}
