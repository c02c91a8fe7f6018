import Commerce
import Foundation
import Hummingbird
import Localization
import Storage

/// Currencies, rates, resources and resource upgrades through the API (provider admins change them; any user reads).
struct CatalogAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.get("currencies", use: listCurrencies)
        api.post("currencies", use: createCurrency)
        api.get("currency-rates", use: listRates)
        api.post("currency-rates", use: createRate)
        api.get("resources", use: listResources)
        api.post("resources", use: createResource)
        api.get("resources/:id", use: showResource)
        api.patch("resources/:id", use: updateResource)
        api.delete("resources/:id", use: deleteResource)
        api.patch("currencies/:code", use: renameCurrency)
        api.get("resource-upgrades", use: listUpgrades)
        api.post("resource-upgrades", use: createUpgrade)
        api.patch("resource-upgrades/:id", use: updateUpgrade)
    }

    var currencies: CurrencyStore { CurrencyStore(database: services.database) }

    // MARK: Currencies and rates

    struct CurrencyJSON: Encodable {
        let code: String
        let name: String
        let exponent: Int
    }

    struct CurrencyRequest: Decodable {
        let code: String
        let exponent: Int
        let name: String
    }

    @Sendable func listCurrencies(_ request: Request, context: SignedInContext) async throws -> Response {
        try APIJSON.response(APIController.ListResponse(items: try await currencies.all().map { CurrencyJSON(code: $0.currency.code, name: $0.name, exponent: $0.currency.exponent) }, nextCursor: nil))
    }

    @Sendable func createCurrency(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireCatalogAdmin(context)
        let body = try await APIJSON.decode(CurrencyRequest.self, from: request, context: context)
        let row = try await currencies.create(code: body.code, name: body.name, exponent: body.exponent, by: context.actor)
        return try APIJSON.response(CurrencyJSON(code: row.currency.code, name: row.name, exponent: row.currency.exponent), status: .created)
    }

    struct RateJSON: Encodable {
        let id: Int64
        let from: String
        let to: String
        let rate: String
        let effectiveFrom: Date
        init(_ rate: CurrencyStore.Rate) {
            id = rate.id
            from = rate.from
            to = rate.to
            self.rate = rate.rate.text
            effectiveFrom = rate.effectiveFrom
        }
        enum CodingKeys: String, CodingKey { case id, from, to, rate, effectiveFrom = "effective_from" }
    }

    struct RateRequest: Decodable {
        let from: String
        let to: String
        let rate: String
        let effectiveFrom: String?
        enum CodingKeys: String, CodingKey { case from, to, rate, effectiveFrom = "effective_from" }
    }

    /// `?from=&to=` lists a pair's history; adding `&at=` answers the one rate in effect then (or 422 `rate_missing`).
    @Sendable func listRates(_ request: Request, context: SignedInContext) async throws -> Response {
        if let at = request.query("at") {
            guard let moment = Timestamps.parse(at), BusinessDate.accepts(instant: moment) else {
                throw APIError(status: .unprocessableContent, code: "at", message: Localization.text("error.api.timestamp", ["field": .text("at")]))
            }
            guard let from = request.query("from"), let to = request.query("to") else {
                throw APIError(status: .unprocessableContent, code: "from", message: Localization.text("error.api.pair"))
            }
            guard let rate = try await currencies.rate(from: from.uppercased(), to: to.uppercased(), at: moment) else {
                throw APIError(status: .unprocessableContent, code: "rate_missing", message: Localization.text("error.api.rate_missing", ["from": .text(from.uppercased()), "to": .text(to.uppercased()), "at": .text("\(at)")]))
            }
            return try APIJSON.response(RateJSON(rate))
        }
        let rates = try await currencies.rates(from: request.query("from")?.uppercased(), to: request.query("to")?.uppercased())
        return try APIJSON.response(APIController.ListResponse(items: rates.map(RateJSON.init), nextCursor: nil))
    }

    @Sendable func createRate(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireCatalogAdmin(context)
        let body = try await APIJSON.decode(RateRequest.self, from: request, context: context)
        // Without a moment, the business clock's now: orders pick their rate by it (DOMAIN.md 2).
        var moment = try await services.clock.now()
        if let text = body.effectiveFrom {
            guard let parsed = Timestamps.parse(text), BusinessDate.accepts(instant: parsed) else {
                throw APIError(status: .unprocessableContent, code: "effective_from", message: Localization.text("error.api.timestamp_example", ["field": .text("effective_from")]))
            }
            moment = parsed
        }
        let rate = try await currencies.addRate(from: body.from, to: body.to, rate: body.rate, effectiveFrom: moment, by: context.actor)
        return try APIJSON.response(RateJSON(rate), status: .created)
    }

    // MARK: Resources

    struct ResourceJSON: Encodable {
        struct ComponentJSON: Encodable {
            let resourceId: Int64
            let code: String
            let amount: Int64
            enum CodingKeys: String, CodingKey { case resourceId = "resource_id", code, amount }
        }
        let id: Int64
        let code: String
        let name: String
        let unit: String
        let kind: String
        let minUnits: Int64
        let maxUnits: Int64
        let components: [ComponentJSON]

        init(_ resource: Resource) {
            id = resource.id
            code = resource.code
            name = resource.name
            unit = resource.unit
            kind = resource.kind.rawValue
            minUnits = resource.minUnits
            maxUnits = resource.maxUnits
            components = resource.components.map { ComponentJSON(resourceId: $0.resourceID, code: $0.code, amount: $0.amount) }
        }
        enum CodingKeys: String, CodingKey { case id, code, name, unit, kind, minUnits = "min_units", maxUnits = "max_units", components }
    }

    struct ResourceRequest: Decodable {
        struct Component: Decodable {
            let resourceId: Int64
            let amount: Int64
            enum CodingKeys: String, CodingKey { case resourceId = "resource_id", amount }
        }
        let code: String
        let name: String
        let unit: String
        let kind: String
        let minUnits: Int64?
        let maxUnits: Int64?
        let components: [Component]?
        enum CodingKeys: String, CodingKey { case code, name, unit, kind, minUnits = "min_units", maxUnits = "max_units", components }
    }

    @Sendable func listResources(_ request: Request, context: SignedInContext) async throws -> Response {
        try APIJSON.response(APIController.ListResponse(items: try await ResourceStore(database: services.database).all().map(ResourceJSON.init), nextCursor: nil))
    }

    @Sendable func showResource(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(ResourceJSON(try await ResourceStore(database: services.database).resource(id)))
    }

    @Sendable func createResource(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireCatalogAdmin(context)
        let body = try await APIJSON.decode(ResourceRequest.self, from: request, context: context)
        guard let kind = ResourceKind(rawValue: body.kind) else {
            throw APIError(status: .unprocessableContent, code: "kind", message: Localization.text("error.api.kind_resource"))
        }
        let resource = try await ResourceStore(database: services.database).create(
            ResourceDraft(code: body.code, name: body.name, unit: body.unit, kind: kind, minUnits: body.minUnits ?? 0, maxUnits: body.maxUnits ?? -1,
                          components: (body.components ?? []).map { ($0.resourceId, $0.amount) }), by: context.actor)
        return try APIJSON.response(ResourceJSON(try await ResourceStore(database: services.database).resource(resource.id)), status: .created)
    }

    struct ResourcePatch: Decodable {
        let name: String?
        let unit: String?
        let minUnits: Int64?
        let maxUnits: Int64?
        enum CodingKeys: String, CodingKey { case name, unit, minUnits = "min_units", maxUnits = "max_units" }
    }

    @Sendable func updateResource(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireCatalogAdmin(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let store = ResourceStore(database: services.database)
        let current = try await store.resource(id)
        let body = try await APIJSON.decode(ResourcePatch.self, from: request, context: context)
        let updated = try await store.update(id, name: body.name ?? current.name, unit: body.unit ?? current.unit,
                                             minUnits: body.minUnits ?? current.minUnits, maxUnits: body.maxUnits ?? current.maxUnits, by: context.actor)
        return try APIJSON.response(ResourceJSON(updated))
    }

    @Sendable func deleteResource(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireCatalogAdmin(context)
        let id = try context.parameters.require("id", as: Int64.self)
        try await ResourceStore(database: services.database).delete(id, by: context.actor)
        return Response(status: .noContent)
    }

    struct CurrencyPatch: Decodable { let name: String }

    @Sendable func renameCurrency(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireCatalogAdmin(context)
        let code = try context.parameters.require("code").uppercased()
        let body = try await APIJSON.decode(CurrencyPatch.self, from: request, context: context)
        try await currencies.rename(code, to: body.name, by: context.actor)
        guard let row = try await currencies.all().first(where: { $0.currency.code == code }) else { throw StoreError.notFound("currency \(code)") }
        return try APIJSON.response(CurrencyJSON(code: row.currency.code, name: row.name, exponent: row.currency.exponent))
    }

    // MARK: Resource upgrades

    struct UpgradeJSON: Encodable {
        let id: Int64
        let fromResourceId: Int64
        let toResourceId: Int64
        let fromResourceCode: String
        let toResourceCode: String
        let downgradable: Bool
        let active: Bool
        let upgradeFee: MoneyJSON

        init(_ upgrade: ResourceUpgrade) {
            id = upgrade.id
            fromResourceId = upgrade.from.id
            toResourceId = upgrade.to.id
            fromResourceCode = upgrade.from.code
            toResourceCode = upgrade.to.code
            downgradable = upgrade.downgradable
            active = upgrade.active
            upgradeFee = MoneyJSON(upgrade.upgradeFee)
        }
        enum CodingKeys: String, CodingKey {
            case id, fromResourceId = "from_resource_id", toResourceId = "to_resource_id", fromResourceCode = "from_resource_code", toResourceCode = "to_resource_code", downgradable, active, upgradeFee = "upgrade_fee"
        }
    }

    struct UpgradeRequest: Decodable {
        let fromResourceId: Int64
        let toResourceId: Int64
        let downgradable: Bool?
        let active: Bool?
        let upgradeFee: MoneyInput?
        enum CodingKeys: String, CodingKey {
            case fromResourceId = "from_resource_id", toResourceId = "to_resource_id", downgradable, active, upgradeFee = "upgrade_fee"
        }
    }

    struct UpgradePatch: Decodable {
        let active: Bool?
        let downgradable: Bool?
    }

    @Sendable func listUpgrades(_ request: Request, context: SignedInContext) async throws -> Response {
        let resourceID = try request.queryID("resource_id")
        let upgrades = try await ResourceUpgradeStore(database: services.database).list(resourceID: resourceID)
        return try APIJSON.response(APIController.ListResponse(items: upgrades.map(UpgradeJSON.init), nextCursor: nil))
    }

    @Sendable func createUpgrade(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireCatalogAdmin(context)
        let body = try await APIJSON.decode(UpgradeRequest.self, from: request, context: context)
        let provider = try await AccountStore(database: services.database).account(context.actor.accountID, in: context.scope)
        let upgrade = try await ResourceUpgradeStore(database: services.database).create(
            fromID: body.fromResourceId, toID: body.toResourceId, downgradable: body.downgradable ?? false, active: body.active ?? true,
            upgradeFee: body.upgradeFee?.amount ?? "0", feeCurrency: body.upgradeFee?.currency ?? provider.currency, by: context.actor)
        return try APIJSON.response(UpgradeJSON(upgrade), status: .created)
    }

    @Sendable func updateUpgrade(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireCatalogAdmin(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let body = try await APIJSON.decode(UpgradePatch.self, from: request, context: context)
        let upgrade = try await ResourceUpgradeStore(database: services.database).update(id, active: body.active, downgradable: body.downgradable, by: context.actor)
        return try APIJSON.response(UpgradeJSON(upgrade))
    }

    private func requireCatalogAdmin(_ context: SignedInContext) throws {
        guard Policy.allows(context.actor, .manageCatalog) else { throw StoreError.forbidden(.init("error.forbidden.change_catalog")) }
    }
}

/// `{"amount": "12.34", "currency": "USD"}` with exactly the currency's digits.
struct MoneyJSON: Encodable {
    let amount: String
    let currency: String
    init(_ money: Money) {
        amount = money.amountText
        currency = money.currency.code
    }
    /// A unit price: the currency's digits, and up to four more where the price has them.
    init(_ price: UnitPrice) {
        amount = price.amountText
        currency = price.currency.code
    }
}

/// A money in a request: the contract's object, or a plain decimal string where the currency is implied.
struct MoneyInput: Codable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(amount)
    }

    let amount: String
    let currency: String?

    init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            amount = text
            currency = nil
            return
        }
        struct Object: Decodable {
            let amount: String
            let currency: String
        }
        let object = try Object(from: decoder)
        amount = object.amount
        currency = object.currency
    }
}

/// RFC 3339 timestamps of the API, with or without fractional seconds.
enum Timestamps {
    /// RFC 3339 (`2026-04-26T00:00:00Z`, optional fraction, `Z` or `±HH:MM`), naming a moment that
    /// exists: Foundation alone rolls `2026-02-30` into March and `25:00` into the next day.
    static func parse(_ text: String) -> Date? {
        guard let match = text.wholeMatch(of: /\d{4}-\d{2}-\d{2}[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))/),
              BusinessDate(String(text.prefix(10))) != nil,
              let hour = Int(match.1), hour <= 23, let minute = Int(match.2), minute <= 59, let second = Int(match.3), second <= 59,
              (match.4.flatMap { Int($0) } ?? 0) <= 23, (match.5.flatMap { Int($0) } ?? 0) <= 59 else { return nil }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
