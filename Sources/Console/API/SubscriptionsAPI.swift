import Commerce
import Foundation
import Hummingbird
import Localization
import OrderEngine
import Storage

/// Subscriptions, the test clock, promo codes and quotes through the API (API.md).
struct SubscriptionsAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.get("clock", use: readClock)
        api.put("clock", use: setClock)
        api.post("subscriptions", use: importSubscription)
        api.get("subscriptions", use: list)
        api.get("subscriptions/:id", use: show)
        api.patch("subscriptions/:id", use: setStatus)
        api.put("subscriptions/:id/usage", use: setUsage)
        api.post("subscriptions/:id/quotes", use: quote)
        api.post("promo-codes", use: createPromo)
        api.get("promo-codes", use: listPromos)
    }

    var clock: BusinessClock { services.clock }
    var store: SubscriptionStore { SubscriptionStore(database: services.database) }

    // MARK: Clock

    struct ClockJSON: Codable {
        let now: String
    }

    @Sendable func readClock(_ request: Request, context: SignedInContext) async throws -> Response {
        guard clock.testMode else { throw StoreError.notFound("clock") }
        return try APIJSON.response(ClockJSON(now: try await clock.now().formatted(.iso8601)))
    }

    @Sendable func setClock(_ request: Request, context: SignedInContext) async throws -> Response {
        guard clock.testMode else { throw StoreError.notFound("clock") }
        let body = try await APIJSON.decode(ClockJSON.self, from: request, context: context)
        guard let moment = Timestamps.parse(body.now), BusinessDate.accepts(instant: moment) else {
            throw APIError(status: .unprocessableContent, code: "now", message: Localization.text("error.api.timestamp_example", ["field": .text("now")]))
        }
        try await clock.set(moment, by: context.actor)
        return try APIJSON.response(ClockJSON(now: moment.formatted(.iso8601)))
    }

    // MARK: Subscriptions

    struct ImportRequest: Decodable {
        struct Line: Decodable {
            let resourceCode: String
            let additional: Int64?
            let usage: Int64?
            enum CodingKeys: String, CodingKey { case resourceCode = "resource_code", additional, usage }
        }
        struct Individual: Decodable {
            let resourceCode: String
            let setupFee: MoneyInput?
            let recurringFee: MoneyInput?
            enum CodingKeys: String, CodingKey { case resourceCode = "resource_code", setupFee = "setup_fee", recurringFee = "recurring_fee" }
        }
        let customerId: Int64
        let planId: Int64
        let periodMonths: Int
        let periodStart: String
        let status: String?
        let resources: [Line]?
        let individualPrices: [Individual]?
        enum CodingKeys: String, CodingKey {
            case customerId = "customer_id", planId = "plan_id", periodMonths = "period_months", periodStart = "period_start", status, resources, individualPrices = "individual_prices"
        }
    }

    struct SubscriptionJSON: Encodable {
        struct Line: Encodable {
            let resourceCode: String
            let included: Int64
            let additional: Int64
            let total: Int64
            let usage: Int64
            enum CodingKeys: String, CodingKey { case resourceCode = "resource_code", included, additional, total, usage }
        }
        let id: Int64
        let customerId: Int64
        let status: String
        let planId: Int64
        let periodMonths: Int
        let periodStart: String
        let periodEnd: String
        let individualPrices: Bool
        let resources: [Line]
        /// The end of what is paid (prepaid) or invoiced (postpaid).
        let paidUntil: String?
        let cancelAtPeriodEnd: Bool
        /// Additional units scheduled for the next period (commitment reductions).
        let scheduledResources: [String: Int64]?

        init(_ subscription: Subscription) {
            id = subscription.id
            customerId = subscription.customerID
            status = subscription.status.rawValue
            planId = subscription.planID
            periodMonths = subscription.period.months
            periodStart = subscription.period.start.description
            periodEnd = subscription.period.end.description
            individualPrices = subscription.individualPrices
            resources = subscription.resources.map { Line(resourceCode: $0.code, included: $0.included, additional: $0.additional, total: $0.total, usage: $0.usage) }
            paidUntil = subscription.paidUntil?.description
            cancelAtPeriodEnd = subscription.cancelAtPeriodEnd
            scheduledResources = subscription.scheduledChange.flatMap { try? ChangeRequest.parse(json: $0) }.flatMap {
                if case .quantities(let wanted) = $0 { return wanted }
                return nil
            }
        }
        enum CodingKeys: String, CodingKey {
            case id, customerId = "customer_id", status, planId = "plan_id", periodMonths = "period_months", periodStart = "period_start", periodEnd = "period_end", individualPrices = "individual_prices", resources, paidUntil = "paid_until", cancelAtPeriodEnd = "cancel_at_period_end", scheduledResources = "scheduled_resources"
        }
    }

    @Sendable func importSubscription(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(ImportRequest.self, from: request, context: context)
        let subscription = try await store.importSubscription(SubscriptionImport(
            customerID: body.customerId, planID: body.planId, periodMonths: body.periodMonths, periodStart: body.periodStart, status: body.status ?? "active",
            resources: (body.resources ?? []).map { ($0.resourceCode, $0.additional ?? 0, $0.usage ?? 0) },
            individualPrices: body.individualPrices.map { $0.map { ($0.resourceCode, $0.setupFee?.amount ?? "0", $0.recurringFee?.amount ?? "0") } }),
            in: context.scope, clock: clock)
        return try APIJSON.response(SubscriptionJSON(subscription), status: .created)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> Response {
        let filter = try ListQuery.subscriptions(request)
        if CSVResponse.wanted(request) { return ListExports(database: services.database).subscriptions(filter, in: context.scope, logger: context.logger) }
        let page = try await store.list(in: context.scope, filter: filter, page: try request.pageRequest(defaultLimit: 50))
        return try APIJSON.response(APIController.ListResponse(items: page.items.map(SubscriptionJSON.init), nextCursor: page.nextCursor))
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(SubscriptionJSON(try await store.subscription(id, in: context.scope)))
    }

    struct StatusRequest: Decodable { let status: String }

    @Sendable func setStatus(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await store.subscription(id, in: context.scope)
        let body = try await APIJSON.decode(StatusRequest.self, from: request, context: context)
        return try APIJSON.response(SubscriptionJSON(try await store.setStatus(id, body.status, in: context.scope)))
    }

    @Sendable func setUsage(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await store.subscription(id, in: context.scope)
        let body = try await APIJSON.decode([String: Int64].self, from: request, context: context)
        return try APIJSON.response(SubscriptionJSON(try await store.setUsage(id, body, in: context.scope)))
    }

    // MARK: Quotes

    struct ChangeBody: Decodable {
        struct Line: Decodable {
            let resourceCode: String
            let additional: Int64
            enum CodingKeys: String, CodingKey { case resourceCode = "resource_code", additional }
        }
        struct Switch: Decodable {
            let fromResourceCode: String
            let toResourceCode: String
            enum CodingKeys: String, CodingKey { case fromResourceCode = "from_resource_code", toResourceCode = "to_resource_code" }
        }
        struct PlanSwitch: Decodable {
            let planId: Int64
            let periodMonths: Int?
            enum CodingKeys: String, CodingKey { case planId = "plan_id", periodMonths = "period_months" }
        }
        let resources: [Line]?
        let `switch`: Switch?
        let plan: PlanSwitch?
        let promoCode: String?

        /// New additional quantities by resource code, each within `Units` (else 422 `resources.N.additional`):
        /// bounded units keep the engine's sums and products of them inside Int64.
        static func wanted(_ lines: [Line]) throws -> [String: Int64] {
            let wanted = try lines.enumerated().map { index, line in
                (line.resourceCode, try APIBounds.check(line.additional, Units.self, field: "resources.\(index).additional").value)
            }
            return Dictionary(wanted, uniquingKeysWith: { _, last in last })
        }

        func request(currentMonths: Int) throws -> ChangeRequest {
            let given = [resources != nil, `switch` != nil, plan != nil].filter { $0 }.count
            guard given == 1 else {
                throw APIError(status: .unprocessableContent, code: "change", message: Localization.text("error.api.change_one"))
            }
            if let resources { return .quantities(try Self.wanted(resources)) }
            if let change = `switch` { return .resourceSwitch(from: change.fromResourceCode, to: change.toResourceCode) }
            let months = try plan!.periodMonths.map { months -> Int in
                guard let bounded = PeriodMonths(months) else {
                    throw StoreError.invalid(field: "plan.period_months", message: BoundsError.notOneOf(PeriodMonths.allowed).localized)
                }
                return bounded.value
            }
            return .plan(planID: plan!.planId, periodMonths: months ?? currentMonths)
        }
        enum CodingKeys: String, CodingKey { case resources, `switch`, plan, promoCode = "promo_code" }
    }

    struct QuoteJSON: Encodable {
        struct Line: Encodable {
            let kind: String
            let description: String
            let resourceCode: String?
            let quantityDelta: Int64?
            let unitPrice: MoneyJSON?
            let daysRemaining: Int
            let daysInPeriod: Int
            let amount: MoneyJSON
            enum CodingKeys: String, CodingKey {
                case kind, description, resourceCode = "resource_code", quantityDelta = "quantity_delta", unitPrice = "unit_price", daysRemaining = "days_remaining", daysInPeriod = "days_in_period", amount
            }
        }
        struct Converted: Encodable {
            let currency: String
            let rate: String
            /// The stored rate's id (DOMAIN.md 2).
            let rateId: Int64?
            let subtotal: MoneyJSON
            let discount: MoneyJSON
            let tax: MoneyJSON
            let total: MoneyJSON
            enum CodingKeys: String, CodingKey { case currency, rate, rateId = "rate_id", subtotal, discount, tax, total }
        }
        let lines: [Line]
        let subtotal: MoneyJSON
        let discount: MoneyJSON
        let tax: MoneyJSON
        let total: MoneyJSON
        let currency: String
        let converted: Converted?
        let blockedReasons: [APIReason]
        let effectiveDate: String

        init(_ priced: PricedChange) {
            let quote = priced.quote
            let plan = quote.plan
            func money(_ minor: Int64, _ totals: Quote.Totals) -> MoneyJSON { MoneyJSON(Money(minorUnits: minor, currency: totals.currency)) }
            lines = quote.lines.map { line in
                Line(kind: line.kind.rawValue, description: line.description, resourceCode: line.resourceCode, quantityDelta: line.quantityDelta,
                     unitPrice: line.unitPrice.map(MoneyJSON.init), daysRemaining: line.daysRemaining, daysInPeriod: line.daysInPeriod,
                     amount: money(line.amount, plan))
            }
            subtotal = money(plan.subtotal, plan)
            discount = money(plan.discount, plan)
            tax = money(plan.tax, plan)
            total = money(plan.total, plan)
            currency = plan.currency.code
            converted = quote.converted.map { c in
                Converted(currency: c.currency.code, rate: quote.rate?.text ?? "", rateId: priced.rateID, subtotal: money(c.subtotal, c), discount: money(c.discount, c),
                          tax: money(c.tax, c), total: money(c.total, c))
            }
            blockedReasons = priced.refusals.map(APIReason.init)
            effectiveDate = priced.today.description
        }
        enum CodingKeys: String, CodingKey {
            case lines, subtotal, discount, tax, total, currency, converted, blockedReasons = "blocked_reasons", effectiveDate = "effective_date"
        }
    }

    /// A quote always answers 200, listing every refusal.
    @Sendable func quote(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let subscription = try await store.subscription(id, in: context.scope)
        guard Policy.allows(context.actor, .order) else { throw StoreError.forbidden(.init("error.forbidden.viewers_change_subscriptions")) }
        let body = try await APIJSON.decode(ChangeBody.self, from: request, context: context)
        let priced = try await QuoteService(database: services.database, clock: clock)
            .quote(subscription, change: try body.request(currentMonths: subscription.period.months), promoCode: body.promoCode, in: context.scope)
        return try APIJSON.response(QuoteJSON(priced))
    }

    // MARK: Promo codes

    struct PromoRequest: Decodable {
        let code: String
        let percent: String
        let validUntil: String
        enum CodingKeys: String, CodingKey { case code, percent, validUntil = "valid_until" }
    }

    struct PromoJSON: Encodable {
        let id: Int64
        let sellerId: Int64
        let code: String
        let percent: String
        let validUntil: String
        init(_ promo: PromoCodeStore.Promo) {
            id = promo.id
            sellerId = promo.sellerID
            code = promo.code
            percent = promo.percent
            validUntil = promo.validUntil.description
        }
        enum CodingKeys: String, CodingKey { case id, sellerId = "seller_id", code, percent, validUntil = "valid_until" }
    }

    @Sendable func createPromo(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(PromoRequest.self, from: request, context: context)
        let promo = try await PromoCodeStore(database: services.database).create(code: body.code, percent: body.percent, validUntil: body.validUntil, in: context.scope)
        return try APIJSON.response(PromoJSON(promo), status: .created)
    }

    @Sendable func listPromos(_ request: Request, context: SignedInContext) async throws -> Response {
        try APIJSON.response(APIController.ListResponse(items: try await PromoCodeStore(database: services.database).list(in: context.scope).map(PromoJSON.init), nextCursor: nil))
    }
}
