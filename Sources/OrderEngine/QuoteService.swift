import Commerce
import Foundation
import MariaDB
import Storage

/// A quote: the priced lines and every refusal that applies, all at once.
public struct PricedChange: Sendable {
    public var subscription: Subscription
    public var plan: Plan
    public var quote: Quote
    public var refusals: [Refusal]
    public var today: BusinessDate
}

/// The first half of the order engine: prices a change exactly (DOMAIN.md 6) and lists why it may
/// be refused (DOMAIN.md 5), in one read-only pass.
public struct QuoteService: Sendable {
    let database: MariaDBDatabase
    let clock: BusinessClock
    let connectors: ConnectorRegistry

    public init(database: MariaDBDatabase, clock: BusinessClock, connectors: ConnectorRegistry? = nil) {
        self.database = database
        self.clock = clock
        self.connectors = connectors ?? .standard(database: database)
    }

    /// `now` is read from the clock when not given; a caller inside a transaction passes it, so the
    /// quote needs no second connection while it holds row locks.
    ///
    /// `pricedBy` prices the change at another seller's prices, without individual prices or promo
    /// code: a reseller's net cost is its parent's selling prices (upstream charges, DOMAIN.md 7).
    public func quote(subscription id: Int64, change: ChangeRequest, promoCode: String?, in scope: TenantScope, now given: Date? = nil,
                      pricedBy priceSeller: Int64? = nil) async throws -> PricedChange {
        // Bounds at the edge: a quantity or period beyond these is a typing error, never a price.
        switch change {
        case .quantities(let wanted):
            for (code, additional) in wanted where additional.magnitude > 1_000_000_000 {
                throw StoreError.invalid(field: "resources.\(code).additional", message: "\(code): \(additional) units is beyond what any plan sells.")
            }
        case .plan(_, let months) where !(1...120).contains(months):
            throw StoreError.invalid(field: "plan.period_months", message: "A billing period has 1 to 120 months.")
        default: break
        }
        let subscriptions = SubscriptionStore(database: database)
        let subscription = try await subscriptions.subscription(id, in: scope)
        let plans = PlanStore(database: database)
        let plan = try await plans.plan(of: subscription)
        let customer = try await AccountStore(database: database).account(subscription.customerID, in: scope)
        let sellerID = customer.parentID ?? customer.id
        let now: Date
        if let given { now = given } else { now = try await clock.now() }
        let today = BusinessDate(instant: now)
        // The change takes effect today, inside the current period.
        let period = subscription.period
        let day = max(period.start, min(today, period.end.adding(days: -1)))
        var refusals: [Refusal] = []

        switch subscription.status {
        case .blocked, .suspended, .cancelled:
            refusals.append(Refusal(.subscriptionNotActive, "The subscription is \(subscription.status.rawValue): it can't be changed until it is active again."))
        case .trial where !plan.changesInTrial:
            refusals.append(Refusal(.trialForbidsChange, "The plan's trial does not allow changes; they are possible once the trial ends."))
        default:
            break
        }

        // DOMAIN.md 8: a restriction on the customer or above it binds everyone, unless the
        // restricting account keeps the plan (and a switch's target) on its exceptions list.
        var plansInvolved: Set<Int64> = [plan.id]
        if case .plan(let target, _) = change { plansInvolved.insert(target) }
        if priceSeller == nil, let refusal = try await Self.restriction(of: customer, plans: plansInvolved, on: database) {
            refusals.append(refusal)
        }

        // Prices that apply (DOMAIN.md 4): individual, else order-time for fixed price, else the seller's now.
        let priceMoment = plan.fixedPrice ? subscription.pricedAt : now
        let sellerPrices = try await plans.prices(of: plan, seller: priceSeller ?? sellerID, at: priceMoment)
        var resourcePrices = sellerPrices.resourceFees
        if subscription.individualPrices && priceSeller == nil {
            for (resource, fees) in try await subscriptions.individualPrices(of: subscription, currency: plan.currency) { resourcePrices[resource] = fees }
        }
        let zero = UnitPrice(scaled: 0, currency: plan.currency)
        func price(_ line: Subscription.Line) -> ChangePricing.ResourcePrice {
            ChangePricing.ResourcePrice(code: line.code, monthly: resourcePrices[line.resourceID]?.recurringFee ?? zero,
                                        setup: resourcePrices[line.resourceID]?.setupFee ?? zero)
        }
        func isReduction(_ delta: Int64) -> Bool { delta < 0 }
        func reductionRules() {
            if plan.billingType == .nonRefund {
                refusals.append(Refusal(.nonRefundReduction, "\(plan.name) is non-refundable: resources can be added but not reduced."))
            }
            if plan.billingType == .monthlyCommitment {
                refusals.append(Refusal(.commitmentReduction, "Reductions wait for the end of the commitment term (\(period.end)); increases are always allowed."))
            }
        }

        var lines: [QuoteLine] = []
        var reductions: [Reduction] = []
        switch change {
        case .sales, .renewal, .cancellation:
            throw StoreError.invalid(field: "change", message: "Quote a change, a switch or a plan switch here.")
        case .quantities(let wanted):
            var reduced = false
            for (code, additional) in wanted.sorted(by: { $0.key < $1.key }) {
                guard let line = subscription.line(code), let rate = plan.resources.first(where: { $0.resourceID == line.resourceID }) else {
                    refusals.append(Refusal(.outOfLimits, "The subscription has no resource \(code).", details: ["resource_code": code]))
                    continue
                }
                let delta = additional - line.additional
                guard delta != 0 else { continue }
                if line.included != -1 {
                    let total = line.included + additional
                    if total < 0 || total < rate.minUnits || (rate.maxUnits != -1 && total > rate.maxUnits) {
                        refusals.append(Refusal(.outOfLimits, "\(code) must stay between \(rate.minUnits) and \(rate.maxUnits == -1 ? "unlimited" : String(rate.maxUnits)); \(total) asked.",
                                                details: ["resource_code": code, "min": String(rate.minUnits), "max": String(rate.maxUnits), "total": String(total)]))
                    }
                    if delta < 0 && total < line.usage {
                        refusals.append(Refusal(.belowUsage, "\(code) is in use: \(line.usage) units are used, so it can't go down to \(total).",
                                                details: ["resource_code": code, "usage": String(line.usage)]))
                    }
                }
                if isReduction(delta) { reduced = true }
                lines += ChangePricing.quantityChange(price(line), delta: delta, period: period, on: day)
            }
            if reduced { reductionRules() }
            reductions = change.reductions(of: subscription, target: nil, isDowngrade: false)

        case .resourceSwitch(let fromCode, let toCode):
            let pairs = try await plans.upgradePairs(of: plan)
            let forward = pairs.first { $0.from.code == fromCode && $0.to.code == toCode }
            let backward = pairs.first { $0.from.code == toCode && $0.to.code == fromCode }
            let pair = forward ?? backward
            let isDowngrade = forward == nil && backward != nil
            if pair == nil || (isDowngrade && backward?.downgradable == false) {
                refusals.append(Refusal(.noSuchPair, isDowngrade ? "\(toCode) → \(fromCode) can't be reversed: the pair is not downgradable."
                                                                 : "\(plan.name) offers no switch from \(fromCode) to \(toCode).",
                                        details: ["from_resource_code": fromCode, "to_resource_code": toCode]))
            } else if pair?.active == false {
                refusals.append(Refusal(.pairInactive, "The switch \(fromCode) → \(toCode) is not offered at the moment."))
            }
            if let from = subscription.line(fromCode), let to = subscription.line(toCode) {
                if from.total < 1 { refusals.append(Refusal(.outOfLimits, "The subscription has no \(fromCode) to switch.", details: ["resource_code": fromCode])) }
                if to.total >= 1 { refusals.append(Refusal(.outOfLimits, "The subscription has \(toCode) already.", details: ["resource_code": toCode])) }
                if from.usage > 0 && isDowngrade { refusals.append(Refusal(.belowUsage, "\(fromCode) is in use.", details: ["resource_code": fromCode])) }
                if isDowngrade { reductionRules() }
                reductions = change.reductions(of: subscription, target: nil, isDowngrade: isDowngrade)
                var fee: Int64 = 0
                if let pair, !isDowngrade, pair.upgradeFee.minorUnits != 0 {
                    if pair.upgradeFee.currency == plan.currency {
                        fee = pair.upgradeFee.minorUnits
                    } else if let rate = try await CurrencyStore(database: database).rate(from: pair.upgradeFee.currency.code, to: plan.currency.code, at: now) {
                        fee = Pricing.convert(pair.upgradeFee.minorUnits, from: pair.upgradeFee.currency, to: plan.currency, rate: rate.rate)
                    } else {
                        refusals.append(Refusal(.rateMissing, "No \(pair.upgradeFee.currency.code) → \(plan.currency.code) rate is in effect to convert the upgrade fee."))
                    }
                }
                lines += ChangePricing.resourceSwitch(from: price(from), to: price(to), upgradeFee: fee, isDowngrade: isDowngrade, period: period, on: day)
            } else if pair != nil {
                refusals.append(Refusal(.noSuchPair, "The subscription does not hold both \(fromCode) and \(toCode).", details: ["from_resource_code": fromCode, "to_resource_code": toCode]))
            }

        case .plan(let targetID, let months):
            let target = try await plans.switchTarget(of: plan, to: targetID)
            if target == nil {
                refusals.append(Refusal(.noSwitchPath, "\(plan.name) can't be switched to that plan.", details: ["plan_id": String(targetID)]))
            } else if let target, !target.periods.contains(months) {
                refusals.append(Refusal(.noSwitchPath, "\(target.name) has no \(months)-month period.", details: ["period_months": String(months)]))
            }
            if let target {
                reductions = change.reductions(of: subscription, target: target, isDowngrade: false)
                // A switch that lowers a total is a reduction too (DOMAIN.md 5 rules 5 to 7).
                if !reductions.isEmpty { reductionRules() }
                for reduction in reductions {
                    if let line = subscription.line(reduction.resourceCode), reduction.newTotal < line.usage {
                        refusals.append(Refusal(.belowUsage, "On \(target.name), \(reduction.resourceCode) would drop to \(reduction.newTotal) while \(line.usage) are in use.",
                                                details: ["resource_code": reduction.resourceCode, "usage": String(line.usage)]))
                    }
                }
                let targetPrices = try await plans.prices(of: target, seller: priceSeller ?? sellerID, at: now)
                let oldFee = sellerPrices.periodFees[period.months] ?? zero
                let newFee = targetPrices.periodFees[months] ?? UnitPrice(scaled: 0, currency: target.currency)
                let old = subscription.resources.map { ChangePricing.Held(code: $0.code, additional: $0.additional, monthly: price($0).monthly) }
                let new = subscription.resources.compactMap { line -> ChangePricing.Held? in
                    guard target.resources.contains(where: { $0.resourceID == line.resourceID }) else { return nil }
                    return ChangePricing.Held(code: line.code, additional: line.additional,
                                              monthly: targetPrices.resourceFees[line.resourceID]?.recurringFee ?? UnitPrice(scaled: 0, currency: target.currency))
                }
                for line in subscription.resources {
                    guard let rate = target.resources.first(where: { $0.resourceID == line.resourceID }) else { continue }
                    let total = rate.included == -1 ? -1 : rate.included + line.additional
                    if total != -1 && (total < rate.minUnits || (rate.maxUnits != -1 && total > rate.maxUnits)) {
                        refusals.append(Refusal(.outOfLimits, "On \(target.name), \(line.code) must stay between \(rate.minUnits) and \(rate.maxUnits == -1 ? "unlimited" : String(rate.maxUnits)).",
                                                details: ["resource_code": line.code]))
                    }
                }
                lines += ChangePricing.planSwitch(oldFee: oldFee, newFee: newFee, old: old, new: new, period: period, newMonths: months, on: day)
            }
        }

        // DOMAIN.md 7: the plan's connector may vet reductions (at quote time, and again at provisioning).
        for answer in priceSeller != nil ? [] : try await vendorAnswers(reductions, plan: plan, subscription: subscription) {
            if case .refused(let minimum, let reason) = answer.1 {
                refusals.append(Refusal(.vendorRefused, reason, details: ["resource_code": answer.0.resourceCode, "minimum": String(minimum)]))
            }
        }

        // Promo codes are the seller's; never with individual prices.
        var promo: Rational?
        if priceSeller == nil, let code = promoCode?.trimmingCharacters(in: .whitespaces), !code.isEmpty {
            if subscription.individualPrices {
                refusals.append(Refusal(.promoNotAllowed, "Promo codes don't apply to subscriptions with individual prices."))
            } else if let found = try await PromoCodeStore(database: database).valid(code: code, seller: sellerID, on: today) {
                promo = found
            } else {
                refusals.append(Refusal(.promoInvalid, "The promo code \(code) is unknown or has expired.", details: ["promo_code": code]))
            }
        }

        let terms = try await Self.terms(plan: plan, customer: customer, now: now, promo: promo, refusals: &refusals, on: database)
        guard lines.allSatisfy(\.exact.isWithinMoneyRange) else {
            throw StoreError.invalid(field: "amount", message: "This change would cost more than any invoice can carry: check the quantities.")
        }
        let quote = Pricing.quote(lines, terms: terms)
        if priceSeller == nil, let paid = subscription.paidUntil, paid > subscription.period.end {
            refusals.append(Refusal(.orderOpen, "The next period (from \(subscription.period.end)) is paid already; changes wait until it starts.",
                                    details: ["paid_until": paid.description]))
        } else if priceSeller == nil, let open = try await OrderStore(database: database).openOrder(of: subscription.id) {
            refusals.append(Refusal(.orderOpen, "Order #\(open) of this subscription awaits payment or provisioning; pay or cancel it first.",
                                    details: ["order_id": String(open)]))
        }
        let ordered = refusals.enumerated().sorted { ($0.element.code.rank, $0.offset) < ($1.element.code.rank, $1.offset) }.map(\.element)
        return PricedChange(subscription: subscription, plan: plan, quote: quote, refusals: ordered, today: today)
    }

    /// What the plan's connector answers for each reduction; nothing when it can't vet reductions.
    func vendorAnswers(_ reductions: [Reduction], plan: Plan, subscription: Subscription) async throws -> [(Reduction, VendorAnswer)] {
        guard !reductions.isEmpty, let checker = connectors.connector(named: plan.connector) as? any ReductionChecking else { return [] }
        var answers: [(Reduction, VendorAnswer)] = []
        for reduction in reductions {
            answers.append((reduction, try await checker.check(reduction, subscriptionID: subscription.id)))
        }
        return answers
    }

    /// DOMAIN.md 8: the refusal when a restriction covers the customer (on it or above it) and the
    /// restricting account's exceptions list does not hold every plan involved. It binds everyone.
    static func restriction(of customer: Account, plans: Set<Int64>, on db: MariaDBDatabase) async throws -> Refusal? {
        let store = RestrictionStore(database: db)
        for restriction in try await store.covering(path: customer.path, on: db) {
            let exceptions = try await store.exceptionPlans(of: restriction.restrictingAccountID, on: db)
            guard !plans.isSubset(of: exceptions) else { continue }
            let whom = restriction.accountID == customer.id ? customer.name : "\(restriction.accountName), which \(customer.name) is under,"
            return Refusal(.accountRestricted, "\(whom) is restricted by \(restriction.restrictingAccountName): \(restriction.reason)",
                           details: ["restriction_id": String(restriction.id), "reason": restriction.reason, "restricted_by": restriction.restrictingAccountName])
        }
        return nil
    }

    /// The invoice's currency, the rate to it, the customer's tax and the promo (DOMAIN.md 6);
    /// a missing rate is a refusal, never 1.0.
    static func terms(plan: Plan, customer: Account, now: Date, promo: Rational?, refusals: inout [Refusal], on db: MariaDBDatabase) async throws -> QuoteTerms {
        let currencies = CurrencyStore(database: db)
        let customerCurrency = try await currencies.currency(customer.currency) ?? plan.currency
        var rate: RateValue?
        if customerCurrency != plan.currency {
            if let found = try await currencies.rate(from: plan.currency.code, to: customerCurrency.code, at: now) {
                rate = found.rate
            } else {
                refusals.append(Refusal(.rateMissing, "No \(plan.currency.code) → \(customerCurrency.code) rate is in effect: the invoice can't be priced."))
            }
        }
        return QuoteTerms(planCurrency: plan.currency, invoiceCurrency: rate == nil ? plan.currency : customerCurrency, rate: rate,
                          taxRate: Pricing.fraction(customer.taxRate) ?? Rational(0), pricesIncludeTaxes: plan.pricesIncludeTaxes, promo: promo)
    }
}
