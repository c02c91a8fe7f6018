import Commerce
import Foundation
import Localization
import MariaDB
import Storage

/// A new subscription, priced (DOMAIN.md 6 and 7): setup fees of the additional units and the first
/// period (fee and resources) at the seller's prices, nothing during a trial; postpaid pays the
/// period at its end.
public struct PricedSale: Sendable {
    public var customer: Account
    public var plan: Plan
    public var period: BillingPeriod
    public var trial: Bool
    public var quote: Quote
    public var refusals: [Refusal]
    public var today: BusinessDate
}

public struct SaleRequest: Sendable, Equatable {
    public var customerID: Int64
    public var planID: Int64
    public var periodMonths: Int
    public var additional: [String: Int64]
    public var promoCode: String?

    public init(customerID: Int64, planID: Int64, periodMonths: Int, additional: [String: Int64], promoCode: String? = nil) {
        self.customerID = customerID
        self.planID = planID
        self.periodMonths = periodMonths
        self.additional = additional
        self.promoCode = promoCode
    }
}

extension OrderService {
    /// Plans a customer can buy: the ones its seller sells.
    public func catalogue(for customerID: Int64, in scope: TenantScope) async throws -> [Plan] {
        let customer = try await AccountStore(database: database).account(customerID, in: scope)
        guard customer.kind == .customer, let seller = customer.parentID else { throw StoreError.invalid(field: "customer_id", message: .init("error.sales.choose_customer")) }
        let plans = PlanStore(database: database)
        return try await plans.sold(by: seller)
    }

    /// Prices a sales order and lists what refuses it; field problems throw (422 naming the field).
    public func quoteSale(_ sale: SaleRequest, in scope: TenantScope, now given: Date? = nil, pricedBy priceSeller: Int64? = nil,
                          on db: MariaDBDatabase? = nil) async throws -> PricedSale {
        let db = db ?? database
        let customer = try await AccountStore(database: db).account(sale.customerID, in: scope, on: db)
        guard customer.kind == .customer, let sellerID = customer.parentID else {
            throw StoreError.invalid(field: "customer_id", message: .init("error.sales.for_customers"))
        }
        let plans = PlanStore(database: db)
        guard let plan = try await plans.sold(by: sellerID, on: db).first(where: { $0.id == sale.planID }) else {
            throw StoreError.invalid(field: "plan_id", message: .init("error.sales.seller_not_selling", ["customer": .text(customer.name)]))
        }
        guard plan.periods.contains(sale.periodMonths) else {
            throw StoreError.invalid(field: "period_months", message: .init("error.subscription.plan_periods", ["plan": .text(plan.name), "periods": .text(plan.periods.map { Format.number(Int64($0)) }.joined(separator: ", "))]))
        }
        let now: Date
        if let given { now = given } else { now = try await clock.now() }
        let today = BusinessDate(instant: now)
        var refusals: [Refusal] = []
        if priceSeller == nil, let refusal = try await ChangeSnapshotLoader.restriction(of: customer, plans: [plan.id], viewer: scope.actor, on: db) { refusals.append(refusal) }
        if priceSeller == nil, let refusal = ChangeRules.accountStanding(try await AccountStore(database: db).hold(over: customer, viewer: scope.actor, on: db)) {
            refusals.append(refusal)
        }
        let codes = try await ResourceStore(database: db).codes()
        var errors = ValidationErrors()
        for (code, additional) in sale.additional.sorted(by: { $0.key < $1.key }) {
            guard let rate = plan.resources.first(where: { codes[$0.resourceID] == code }) else {
                errors.add("resources.\(code).resource_code", .init("error.subscription.plan_no_resource", ["plan": .text(plan.name), "code": .text(code)]))
                continue
            }
            guard additional.magnitude <= ChangeRules.maxUnits else { errors.add("resources.\(code).additional", .init("error.subscription.units_beyond", ["units": .number(additional)])); continue }
            let held = Holding(resourceID: rate.resourceID, code: code, included: rate.included, additional: additional, usage: 0)
            if let refusal = ChangeRules.limits(code, total: held.total, rate: rate) { refusals.append(refusal) }
        }
        try errors.throwIfAny()
        let trial = plan.trialDays > 0
        let period = trial
            ? BillingPeriod(start: today, end: today.adding(days: plan.trialDays), months: sale.periodMonths)
            : BillingPeriod(starting: today, months: sale.periodMonths, anchorDay: today.day)
        let schedule = try await ChargedPrices.schedule(plan: plan, seller: priceSeller ?? sellerID, subscription: nil, now: now, on: db)
        let zero = UnitPrice(scaled: 0, currency: plan.currency)
        let held = plan.resources.compactMap { rate -> PeriodPricing.Held? in
            guard let code = codes[rate.resourceID] else { return nil }
            let fees = schedule.resourceFees[rate.resourceID]
            return PeriodPricing.Held(code: code, additional: sale.additional[code] ?? 0, monthly: fees?.recurringFee ?? zero, setup: fees?.setupFee ?? zero)
        }
        var lines: [QuoteLine] = []
        if !trial {
            lines += PeriodPricing.setup(held, period: period)
            if plan.billingType != .postpaid {
                lines += PeriodPricing.period(fee: schedule.periodFees[sale.periodMonths] ?? zero, resources: held, period: period, label: "\(plan.name), first period")
            }
        }
        var promo: Rational?
        if priceSeller == nil, let code = sale.promoCode?.trimmingCharacters(in: .whitespaces), !code.isEmpty {
            if let found = try await PromoCodeStore(database: db).valid(code: code, seller: sellerID, on: today) {
                promo = found
            } else {
                refusals.append(Refusal(.promoInvalid, Localization.text("error.refusal.promo_invalid", ["code": .text(code)]), details: ["promo_code": code]))
            }
        }
        let invoiceTerms = try await InvoiceTerms.load(plan: plan, customer: customer, now: now, on: db)
        if let missing = invoiceTerms.rateMissing { refusals.append(missing) }
        let terms = invoiceTerms.with(promo: promo)
        guard lines.allSatisfy(\.exact.isWithinMoneyRange) else {
            throw StoreError.invalid(field: "resources", message: .init("error.sales.too_costly"))
        }
        let ordered = Refusal.ordered(refusals)
        return PricedSale(customer: customer, plan: plan, period: period, trial: trial, quote: Pricing.quote(lines, terms: terms), refusals: ordered, today: today)
    }

    /// Submits a sales order: paid like any order; provisioning creates the subscription. The
    /// idempotency key works as for changes.
    public func submitSale(_ sale: SaleRequest, idempotencyKey: String?, in scope: TenantScope) async throws -> SubmitResult {
        let customer = try await AccountStore(database: database).account(sale.customerID, in: scope)
        guard Policy.allows(scope.actor, .order) else { throw StoreError.forbidden(.init("error.forbidden.viewers_order")) }
        let change = ChangeRequest.sales(planID: sale.planID, periodMonths: sale.periodMonths, additional: sale.additional)
        return try await submitOrder(
            idempotencyKey: idempotencyKey, fingerprint: "customer \(customer.id) | \(change.json) | promo \(sale.promoCode ?? "")", in: scope,
            lock: { tx, _ in
                // The customer's row serializes a customer's sales orders (and its credit).
                _ = try await AccountStore(database: tx).account(customer.id, in: scope, on: tx, forUpdate: true)
            },
            price: { _, tx, now in
                let priced = try await quoteSale(sale, in: scope, now: now, on: tx)
                let needsPayment = priced.plan.billingType != .postpaid && priced.quote.charged.total > 0
                let order = NewOrder(
                    change: change, status: needsPayment ? .awaitingPayment : .provisioning, subscriptionID: nil, customer: priced.customer,
                    sellerID: priced.customer.parentID!, plan: priced.plan, pricedAgainst: "{}",
                    summary: "New \(priced.plan.name), \(sale.periodMonths)-month period" + (priced.trial ? ", \(priced.plan.trialDays)-day trial first" : ""),
                    today: priced.today, now: now, expiresAt: nil, promo: sale.promoCode?.nilIfEmpty, quote: priced.quote, renewalKey: nil,
                    issueInvoice: needsPayment)
                return OrderDraft(refusals: priced.refusals, order: order, sold: priced.quote.plan.subtotal - priced.quote.plan.discount) { parent in
                    try await quoteSale(SaleRequest(customerID: sale.customerID, planID: sale.planID, periodMonths: sale.periodMonths, additional: sale.additional),
                                        in: scope, now: now, pricedBy: parent, on: tx).quote.plan.subtotal
                }
            })
    }
}
