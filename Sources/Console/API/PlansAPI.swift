import Commerce
import Foundation
import Hummingbird
import Localization
import Storage

/// Plans, switch paths, delegation and price lists through the API (API.md).
struct PlansAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.get("plans", use: list)
        api.post("plans", use: create)
        api.get("plans/:id", use: show)
        api.patch("plans/:id", use: update)
        api.post("plans/:id/switch-paths", use: addSwitchPath)
        api.post("plans/:id/delegations", use: delegate)
        api.get("price-lists/:seller/:plan", use: showPriceList)
        api.put("price-lists/:seller/:plan", use: setPriceList)
    }

    var plans: PlanStore { PlanStore(database: services.database) }

    struct PeriodJSON: Codable {
        let months: Int
        let fee: MoneyInput
    }

    struct ResourceLineJSON: Decodable {
        let resourceId: Int64
        let included: Int64?
        let minUnits: Int64?
        let maxUnits: Int64?
        let setupFee: MoneyInput?
        let recurringFee: MoneyInput?
        enum CodingKeys: String, CodingKey {
            case resourceId = "resource_id", included, minUnits = "min_units", maxUnits = "max_units", setupFee = "setup_fee", recurringFee = "recurring_fee"
        }
    }

    struct PlanRequest: Decodable {
        let name: String?
        let currency: String?
        let billingType: String?
        let fixedPrice: Bool?
        let pricesIncludeTaxes: Bool?
        let trialDays: Int?
        let changesInTrial: Bool?
        let connector: String?
        let periods: [PeriodJSON]?
        let resources: [ResourceLineJSON]?
        enum CodingKeys: String, CodingKey {
            case name, currency, billingType = "billing_type", fixedPrice = "fixed_price", pricesIncludeTaxes = "prices_include_taxes", trialDays = "trial_days", changesInTrial = "changes_in_trial", connector, periods, resources
        }
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(PlanRequest.self, from: request, context: context)
        guard let name = body.name else { throw APIError(status: .unprocessableContent, code: "name", message: Localization.text("error.api.required", ["field": .text("name")])) }
        guard let currency = body.currency else { throw APIError(status: .unprocessableContent, code: "currency", message: Localization.text("error.api.required", ["field": .text("currency")])) }
        guard let billingType = body.billingType else { throw APIError(status: .unprocessableContent, code: "billing_type", message: Localization.text("error.api.required", ["field": .text("billing_type")])) }
        let draft = PlanDraft(
            name: name, currency: currency, billingType: billingType, fixedPrice: body.fixedPrice ?? false,
            pricesIncludeTaxes: body.pricesIncludeTaxes ?? false, trialDays: body.trialDays ?? 0, changesInTrial: body.changesInTrial ?? true,
            connector: body.connector ?? "test", periods: (body.periods ?? []).map { ($0.months, $0.fee.amount) },
            resources: (body.resources ?? []).map(Self.line))
        let plan = try await plans.create(draft, in: context.scope, effective: try await services.clock.now())
        return try APIJSON.response(try await json(plan, context: context), status: .created)
    }

    private static func line(_ json: ResourceLineJSON) -> PlanDraft.ResourceLine {
        PlanDraft.ResourceLine(resourceID: json.resourceId, included: json.included ?? 0, minUnits: json.minUnits ?? 0, maxUnits: json.maxUnits ?? -1,
                               setupFee: json.setupFee?.amount ?? "0", recurringFee: json.recurringFee?.amount ?? "0")
    }

    /// Changes what the body names; the rest stays as it is (prices included).
    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let current = try await plans.plan(id, in: context.scope)
        let body = try await APIJSON.decode(PlanRequest.self, from: request, context: context)
        let prices = try await plans.prices(of: current, seller: current.ownerAccountID, at: try await services.clock.now())
        let currentLines = current.resources.map { rate in
            PlanDraft.ResourceLine(resourceID: rate.resourceID, included: rate.included, minUnits: rate.minUnits, maxUnits: rate.maxUnits,
                                   setupFee: prices.resourceFees[rate.resourceID]?.setupFee.amountText ?? "0",
                                   recurringFee: prices.resourceFees[rate.resourceID]?.recurringFee.amountText ?? "0")
        }
        let draft = PlanDraft(
            name: body.name ?? current.name, currency: body.currency ?? current.currency.code,
            billingType: body.billingType ?? current.billingType.rawValue, fixedPrice: body.fixedPrice ?? current.fixedPrice,
            pricesIncludeTaxes: body.pricesIncludeTaxes ?? current.pricesIncludeTaxes, trialDays: body.trialDays ?? current.trialDays,
            changesInTrial: body.changesInTrial ?? current.changesInTrial, connector: body.connector ?? current.connector,
            periods: body.periods.map { $0.map { ($0.months, $0.fee.amount) } } ?? current.periods.map { ($0, prices.periodFees[$0]?.amountText ?? "0") },
            resources: body.resources.map { $0.map(Self.line) } ?? currentLines)
        do {
            let plan = try await plans.update(id, draft, in: context.scope, effective: try await services.clock.now())
            return try APIJSON.response(try await json(plan, context: context))
        } catch let refused as PlanInUse.Refusal {
            // DOMAIN.md 3: 409 with the count; every stranding change in details.reasons.
            throw APIError(status: .conflict, code: "plan_in_use", message: refused.message, details: ["count": String(refused.count)],
                           reasons: refused.problems.map { APIReason(code: "plan_in_use", message: $0.message, details: ["count": String($0.count), "field": $0.field]) })
        }
    }

    /// Every plan with its prices, pairs and switch paths in a bounded number of queries (was eight per plan).
    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> Response {
        let actor = context.actor
        let all = try await plans.list(in: context.scope)
        let listing = try await plans.listing(of: all, seller: actor.accountID, in: context.scope)
        // The caller's prices for a plan it sells (owns or was delegated), else its owner's, as `json(_:context:)` chooses.
        func seller(_ plan: Plan) -> Int64 { plan.ownerAccountID == actor.accountID || listing.delegated.contains(plan.id) ? actor.accountID : plan.ownerAccountID }
        // One chain for all: the caller's ancestry, then the owners below it. An owner selling its own
        // plan reads only its own list (PriceChain stops at the owner), so their order doesn't matter.
        let ancestry = actor.accountPath.split(separator: "/").compactMap { Int64($0) }
        let chain = try await plans.priceChain(of: all, path: ancestry + Set(all.map(seller)).subtracting(ancestry).sorted(), at: try await services.clock.now())
        let codes = try await ResourceStore(database: services.database).codes()
        let pairs = try await ResourceUpgradeStore(database: services.database).list()
        let items = try all.map { plan in
            let included = Set(plan.resources.map(\.resourceID))
            return Self.json(plan, seller: seller(plan), prices: try chain.prices(of: plan, seller: seller(plan)), codes: codes,
                             pairs: pairs.filter { included.contains($0.from.id) && included.contains($0.to.id) }, switchPaths: listing.switchPaths[plan.id] ?? [])
        }
        return try APIJSON.response(APIController.ListResponse(items: items, nextCursor: nil))
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(try await json(try await plans.plan(id, in: context.scope), context: context))
    }

    struct SwitchPathRequest: Decodable { let toPlanId: Int64; enum CodingKeys: String, CodingKey { case toPlanId = "to_plan_id" } }
    struct DelegationRequest: Decodable { let resellerId: Int64; enum CodingKeys: String, CodingKey { case resellerId = "reseller_id" } }

    @Sendable func addSwitchPath(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await plans.plan(id, in: context.scope)
        let body = try await APIJSON.decode(SwitchPathRequest.self, from: request, context: context)
        try await plans.addSwitchPath(from: id, to: body.toPlanId, in: context.scope)
        return try APIJSON.response(["plan_id": id, "to_plan_id": body.toPlanId], status: .created)
    }

    @Sendable func delegate(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await plans.plan(id, in: context.scope)
        let body = try await APIJSON.decode(DelegationRequest.self, from: request, context: context)
        try await plans.delegate(id, to: body.resellerId, in: context.scope)
        return try APIJSON.response(["plan_id": id, "reseller_id": body.resellerId], status: .created)
    }

    struct PriceListRequest: Decodable {
        struct Line: Decodable {
            let resourceId: Int64
            let recurringFee: MoneyInput?
            let setupFee: MoneyInput?
            enum CodingKeys: String, CodingKey { case resourceId = "resource_id", recurringFee = "recurring_fee", setupFee = "setup_fee" }
        }
        let periods: [PeriodJSON]?
        let resources: [Line]?
    }

    struct PriceListJSON: Encodable {
        let sellerId: Int64
        let planId: Int64
        let prices: PricesJSON
        let netCost: PricesJSON?
        let warnings: [String]
        enum CodingKeys: String, CodingKey { case sellerId = "seller_id", planId = "plan_id", prices, netCost = "net_cost", warnings }
    }

    struct PricesJSON: Encodable {
        struct Period: Encodable {
            let months: Int
            let fee: MoneyJSON
        }
        struct Line: Encodable {
            let resourceId: Int64
            let setupFee: MoneyJSON
            let recurringFee: MoneyJSON
            enum CodingKeys: String, CodingKey { case resourceId = "resource_id", setupFee = "setup_fee", recurringFee = "recurring_fee" }
        }
        let periods: [Period]
        let resources: [Line]

        init(_ schedule: PriceSchedule) {
            periods = schedule.periodFees.sorted { $0.key < $1.key }.map { Period(months: $0.key, fee: MoneyJSON($0.value)) }
            resources = schedule.resourceFees.sorted { $0.key < $1.key }.map {
                Line(resourceId: $0.key, setupFee: MoneyJSON($0.value.setupFee), recurringFee: MoneyJSON($0.value.recurringFee))
            }
        }
    }

    @Sendable func showPriceList(_ request: Request, context: SignedInContext) async throws -> Response {
        let seller = try context.parameters.require("seller", as: Int64.self)
        let planID = try context.parameters.require("plan", as: Int64.self)
        _ = try await AccountStore(database: services.database).account(seller, in: context.scope)
        let plan = try await plans.plan(planID, in: context.scope)
        guard try await plans.sells(plan, seller: seller) else { throw StoreError.notFound("price list of \(seller) for plan \(planID)") }
        let prices = try await plans.prices(of: plan, seller: seller, at: try await services.clock.now())
        let cost = try await plans.netCost(of: plan, reseller: seller, at: try await services.clock.now())
        let codes = try await ResourceStore(database: services.database).codes()
        return try APIJSON.response(PriceListJSON(sellerId: seller, planId: planID, prices: PricesJSON(prices), netCost: cost.map(PricesJSON.init),
                                                  warnings: cost.map { prices.pricesBelow($0, resourceCodes: codes) } ?? []))
    }

    @Sendable func setPriceList(_ request: Request, context: SignedInContext) async throws -> Response {
        let seller = try context.parameters.require("seller", as: Int64.self)
        let planID = try context.parameters.require("plan", as: Int64.self)
        _ = try await AccountStore(database: services.database).account(seller, in: context.scope)
        _ = try await plans.plan(planID, in: context.scope)
        let body = try await APIJSON.decode(PriceListRequest.self, from: request, context: context)
        let warnings = try await plans.setPriceList(
            seller: seller, plan: planID,
            PriceListDraft(periods: (body.periods ?? []).map { ($0.months, $0.fee.amount) },
                           resources: (body.resources ?? []).map { ($0.resourceId, $0.setupFee?.amount ?? "0", $0.recurringFee?.amount ?? "0") }),
            in: context.scope, effective: try await services.clock.now())
        let plan = try await plans.plan(planID, in: context.scope)
        let prices = try await plans.prices(of: plan, seller: seller, at: try await services.clock.now())
        let cost = try await plans.netCost(of: plan, reseller: seller, at: try await services.clock.now())
        return try APIJSON.response(PriceListJSON(sellerId: seller, planId: planID, prices: PricesJSON(prices), netCost: cost.map(PricesJSON.init), warnings: warnings))
    }

    // MARK: JSON

    struct PlanJSON: Encodable {
        struct Period: Encodable {
            let months: Int
            let fee: MoneyJSON
        }
        struct Line: Encodable {
            let resourceId: Int64
            let resourceCode: String
            let included: Int64
            let minUnits: Int64
            let maxUnits: Int64
            let setupFee: MoneyJSON
            let recurringFee: MoneyJSON
            enum CodingKeys: String, CodingKey {
                case resourceId = "resource_id", resourceCode = "resource_code", included, minUnits = "min_units", maxUnits = "max_units", setupFee = "setup_fee", recurringFee = "recurring_fee"
            }
        }
        struct Pair: Encodable {
            let id: Int64
            let fromResourceCode: String
            let toResourceCode: String
            let active: Bool
            let downgradable: Bool
            enum CodingKeys: String, CodingKey {
                case id, fromResourceCode = "from_resource_code", toResourceCode = "to_resource_code", active, downgradable
            }
        }
        let id: Int64
        let ownerId: Int64
        let name: String
        let currency: String
        let billingType: String
        let fixedPrice: Bool
        let pricesIncludeTaxes: Bool
        let trialDays: Int
        let changesInTrial: Bool
        let connector: String
        /// Prices as the caller's account sells the plan (the owner's when it does not sell it).
        let pricesOf: Int64
        let periods: [Period]
        let resources: [Line]
        let upgradePairs: [Pair]
        let switchPaths: [Int64]
        enum CodingKeys: String, CodingKey {
            case id, ownerId = "owner_id", name, currency, billingType = "billing_type", fixedPrice = "fixed_price", pricesIncludeTaxes = "prices_include_taxes", trialDays = "trial_days", changesInTrial = "changes_in_trial", connector, pricesOf = "prices_of", periods, resources, upgradePairs = "upgrade_pairs", switchPaths = "switch_paths"
        }
    }

    func json(_ plan: Plan, context: SignedInContext) async throws -> PlanJSON {
        let seller = try await plans.sells(plan, seller: context.actor.accountID) ? context.actor.accountID : plan.ownerAccountID
        return Self.json(plan, seller: seller, prices: try await plans.prices(of: plan, seller: seller, at: try await services.clock.now()),
                         codes: try await ResourceStore(database: services.database).codes(), pairs: try await plans.upgradePairs(of: plan),
                         switchPaths: try await plans.switchPaths(of: plan, in: context.scope).map(\.id))
    }

    /// A plan as the API shows it, from what was read for it.
    static func json(_ plan: Plan, seller: Int64, prices: PriceSchedule, codes: [Int64: String], pairs: [ResourceUpgrade], switchPaths: [Int64]) -> PlanJSON {
        let zero = UnitPrice(scaled: 0, currency: plan.currency)
        return PlanJSON(
            id: plan.id, ownerId: plan.ownerAccountID, name: plan.name, currency: plan.currency.code, billingType: plan.billingType.rawValue,
            fixedPrice: plan.fixedPrice, pricesIncludeTaxes: plan.pricesIncludeTaxes, trialDays: plan.trialDays, changesInTrial: plan.changesInTrial,
            connector: plan.connector, pricesOf: seller,
            periods: plan.periods.map { PlanJSON.Period(months: $0, fee: MoneyJSON(prices.periodFees[$0] ?? zero)) },
            resources: plan.resources.map { rate in
                PlanJSON.Line(resourceId: rate.resourceID, resourceCode: codes[rate.resourceID] ?? "", included: rate.included, minUnits: rate.minUnits,
                              maxUnits: rate.maxUnits, setupFee: MoneyJSON(prices.resourceFees[rate.resourceID]?.setupFee ?? zero),
                              recurringFee: MoneyJSON(prices.resourceFees[rate.resourceID]?.recurringFee ?? zero))
            },
            upgradePairs: pairs.map {
                PlanJSON.Pair(id: $0.id, fromResourceCode: $0.from.code, toResourceCode: $0.to.code, active: $0.active, downgradable: $0.downgradable)
            },
            switchPaths: switchPaths)
    }
}
