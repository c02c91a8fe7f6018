import Commerce
import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// The provider's catalog pages: currencies and rates, resources, resource upgrade pairs.
/// Provider users read them; provider admins change them; other tiers get 403.
struct CatalogController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.currencies.route, use: currencies)
        group.post(URLs.currencies.route, use: createCurrency)
        group.post(URLs.currencyRates.route, use: createRate)
        group.get(URLs.resources.route, use: resources)
        group.post(URLs.resources.route, use: createResource)
        group.get(URLs.resource(0).route, use: resource)
        group.post(URLs.resource(0).route, use: updateResource)
        group.post(URLs.deleteResource(0).route, use: deleteResource)
        group.post(URLs.currency("").route, use: renameCurrency)
        group.get(URLs.resourceUpgrades.route, use: upgrades)
        group.post(URLs.resourceUpgrades.route, use: createUpgrade)
        group.post(URLs.resourceUpgrade(0).route, use: toggleUpgrade)
    }

    struct Tabs {
        let currencies: Bool
        let resources: Bool
        let upgrades: Bool
    }

    private func requireProvider(_ context: SignedInContext) throws {
        guard Policy.allows(context.actor, .seeProviderArea) else { throw StoreError.forbidden(.init("error.forbidden.catalog")) }
    }

    private func chrome(_ context: SignedInContext) -> Chrome {
        Chrome(actor: context.actor, session: context.session, section: .catalog)
    }

    // MARK: Currencies and rates

    struct CurrenciesPage {
        let chrome: Chrome
        let tabs = Tabs(currencies: true, resources: false, upgrades: false)
        let csrf: String
        let canEdit: Bool
        let currencies: [CurrencyRow]
        let rates: [RateRow]
        let hasRates: Bool
        let code: Field
        let name: Field
        let exponent: Field
        let from: Field
        let to: Field
        let rate: Field
        let effectiveFrom: Field
        let formError: String?
    }

    struct CurrencyRow {
        let code: String
        let name: String
        let exponent: Int
        let example: String
    }

    struct RateRow {
        let id: Int64
        let pair: String
        let rate: String
        let effectiveFrom: String
        let inEffect: Bool
    }

    @Sendable func currencies(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        return try await currenciesPage(FormData(""), errors: nil, context: context, status: .ok)
    }

    private func currenciesPage(_ form: FormData, errors: ValidationErrors?, context: SignedInContext, status: HTTPResponse.Status) async throws -> Response {
        let store = CurrencyStore(database: services.database)
        let rates = try await store.rates()
        let now = try await services.clock.now()
        // The newest rate not after the business clock's now is the one in effect for its pair.
        var seen = Set<String>()
        let rows = rates.map { rate -> RateRow in
            let pair = "\(rate.from) → \(rate.to)"
            let inEffect = rate.effectiveFrom <= now && !seen.contains(pair)
            if inEffect { seen.insert(pair) }
            return RateRow(id: rate.id, pair: pair, rate: Format.digits(rate.rate.text), effectiveFrom: Format.dateTime(rate.effectiveFrom), inEffect: inEffect)
        }
        let html = try services.render("catalog_currencies", CurrenciesPage(
            chrome: chrome(context), csrf: context.session.current?.csrfToken ?? "",
            canEdit: Policy.allows(context.actor, .manageCatalog),
            currencies: try await store.all().map {
                CurrencyRow(code: $0.currency.code, name: $0.name, exponent: $0.currency.exponent,
                            example: Format.amount(minor: 123_456, exponent: $0.currency.exponent))
            },
            rates: rows, hasRates: !rows.isEmpty,
            code: Field(form.text("code"), errors, "code"), name: Field(form.text("name"), errors, "name"),
            exponent: Field(form.text("exponent").isEmpty ? "2" : form.text("exponent"), errors, "exponent"),
            from: Field(form.text("from"), errors, "from"), to: Field(form.text("to"), errors, "to"),
            rate: Field(form.text("rate"), errors, "rate"), effectiveFrom: Field(form.text("effective_from"), errors, "effective_from"),
            formError: errors.map { _ in Localization.text("catalog.form_error") }), status: status)
        return try html.response(status: status)
    }

    @Sendable func createCurrency(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        let form = try await request.form(context)
        do {
            let row = try await CurrencyStore(database: services.database).create(
                code: form.text("code"), name: form.text("name"), exponent: Int(form.text("exponent")) ?? -1, by: context.actor)
            context.session.update { $0.flash = Localization.text("catalog.currencies.added", ["code": .text(row.currency.code)]) }
            return redirect(.currencies)
        } catch let errors as ValidationErrors {
            return try await currenciesPage(form, errors: errors, context: context, status: .unprocessableContent)
        } catch StoreError.conflict(_, let message) {
            var errors = ValidationErrors()
            errors.add("code", message)
            return try await currenciesPage(form, errors: errors, context: context, status: .conflict)
        }
    }

    @Sendable func createRate(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        let form = try await request.form(context)
        // Without a moment, the business clock's now: orders pick their rate by it (DOMAIN.md 2).
        var moment = try await services.clock.now()
        let typed = form.text("effective_from")
        if !typed.isEmpty {
            // `<input type="datetime-local">` sends `2026-04-26T00:00` (taken as UTC).
            guard let parsed = Timestamps.parse(typed.count == 16 ? typed + ":00Z" : typed), BusinessDate.accepts(instant: parsed) else {
                var errors = ValidationErrors()
                errors.add("effective_from", .init("error.rate.effective_from"))
                return try await currenciesPage(form, errors: errors, context: context, status: .unprocessableContent)
            }
            moment = parsed
        }
        do {
            let rate = try await CurrencyStore(database: services.database).addRate(
                from: form.text("from"), to: form.text("to"), rate: form.text("rate"), effectiveFrom: moment, by: context.actor)
            context.session.update { $0.flash = Localization.text("catalog.currencies.rate_recorded", ["from": .text(rate.from), "rate": .text(Format.digits(rate.rate.text)), "to": .text(rate.to)]) }
            return redirect(.currencies)
        } catch let errors as ValidationErrors {
            return try await currenciesPage(form, errors: errors, context: context, status: .unprocessableContent)
        } catch StoreError.conflict(_, let message) {
            var errors = ValidationErrors()
            errors.add("effective_from", message)
            return try await currenciesPage(form, errors: errors, context: context, status: .conflict)
        }
    }

    // MARK: Resources

    struct ResourcesPage {
        let chrome: Chrome
        let tabs = Tabs(currencies: false, resources: true, upgrades: false)
        let csrf: String
        let canEdit: Bool
        let resources: [ResourceRow]
        let kinds: [Option]
        let code: Field
        let name: Field
        let unit: Field
        let minUnits: Field
        let maxUnits: Field
        let components: Field
        let formError: String?
    }

    struct ResourceRow {
        let id: Int64
        let href: String
        let code: String
        let name: String
        let unit: String
        let kind: String
        let limits: String
        let components: String
        let pairable: Bool
    }

    static func row(_ resource: Resource) -> ResourceRow {
        ResourceRow(id: resource.id, href: URLs.resource(resource.id).path, code: resource.code, name: resource.name, unit: resource.unit,
                    kind: Localization.text("catalog.kind_word." + resource.kind.rawValue),
                    limits: "\(Format.number(resource.minUnits)) – \(resource.maxUnits == -1 ? Localization.text("catalog.unlimited") : Format.number(resource.maxUnits))",
                    components: resource.components.map { "\(Format.number($0.amount)) × \($0.code)" }.joined(separator: ", "),
                    pairable: resource.canFormUpgradePair)
    }

    @Sendable func resources(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        return try await resourcesPage(FormData("").with(["min_units": "0", "max_units": "-1", "kind": "quantity"]), errors: nil, context: context, status: .ok)
    }

    private func resourcesPage(_ form: FormData, errors: ValidationErrors?, context: SignedInContext, status: HTTPResponse.Status) async throws -> Response {
        let kind = form.text("kind")
        let html = try services.render("catalog_resources", ResourcesPage(
            chrome: chrome(context), csrf: context.session.current?.csrfToken ?? "", canEdit: Policy.allows(context.actor, .manageCatalog),
            resources: try await ResourceStore(database: services.database).all().map(Self.row),
            kinds: ResourceKind.allCases.map { Option(value: $0.rawValue, label: Localization.text("catalog.kind." + $0.rawValue), selected: $0.rawValue == kind) },
            code: Field(form.text("code"), errors, "code"), name: Field(form.text("name"), errors, "name"), unit: Field(form.text("unit"), errors, "unit"),
            minUnits: Field(form.text("min_units"), errors, "min_units"), maxUnits: Field(form.text("max_units"), errors, "max_units"),
            components: Field(form.text("components"), errors, "components"),
            formError: errors.map { _ in Localization.text("catalog.form_error") }), status: status)
        return try html.response(status: status)
    }

    @Sendable func createResource(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        let form = try await request.form(context)
        var errors = ValidationErrors()
        let kind = ResourceKind(rawValue: form.text("kind"))
        if kind == nil { errors.add("kind", .init("error.resource.kind")) }
        let minUnits = errors.check("min_units") { try Units.parse(form.text("min_units")) }?.value
        let maxUnits = errors.check("max_units") { try Units.parse(form.text("max_units")) }?.value
        // Components are typed as `code × amount` lines: "cpu_core 2, ram_gb 4".
        var components: [(Int64, Int64)] = []
        let all = try await ResourceStore(database: services.database).all()
        for part in form.text("components").split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let words = part.split(separator: " ").map(String.init)
            guard words.count == 2, let amount = (try? Units.parse(words[1]))?.value, amount > 0, let found = all.first(where: { $0.code == words[0] }) else {
                errors.add("components", .init("error.resource.component_format", ["part": .text(part.trimmingCharacters(in: .whitespaces))]))
                break
            }
            components.append((found.id, amount))
        }
        guard let kind, let minUnits, let maxUnits, errors.isEmpty else {
            return try await resourcesPage(form, errors: errors, context: context, status: .unprocessableContent)
        }
        do {
            let resource = try await ResourceStore(database: services.database).create(
                ResourceDraft(code: form.text("code"), name: form.text("name"), unit: form.text("unit"), kind: kind,
                              minUnits: minUnits, maxUnits: maxUnits, components: components), by: context.actor)
            context.session.update { $0.flash = Localization.text("catalog.resources.added", ["code": .text(resource.code)]) }
            return redirect(.resource(resource.id))
        } catch let errors as ValidationErrors {
            return try await resourcesPage(form, errors: errors, context: context, status: .unprocessableContent)
        } catch let error as StoreError {
            var errors = ValidationErrors()
            switch error {
            case .conflict(_, let message): errors.add("code", message)
            case .invalid(let field, let message): errors.add(field, message)
            default: throw error
            }
            return try await resourcesPage(form, errors: errors, context: context, status: .unprocessableContent)
        }
    }

    struct ResourcePage {
        let chrome: Chrome
        let tabs = Tabs(currencies: false, resources: true, upgrades: false)
        let resource: ResourceRow
        let pairs: [UpgradeRow]
        let hasPairs: Bool
        let uses: [String]
        let inUse: Bool
        let csrf: String
        let canEdit: Bool
        let action: String
        let deleteAction: String
        let name: Field
        let unit: Field
        let minUnits: Field
        let maxUnits: Field
        let formError: String?
    }

    @Sendable func resource(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let resource = try await ResourceStore(database: services.database).resource(id)
        let form = FormData("").with(["name": resource.name, "unit": resource.unit, "min_units": String(resource.minUnits), "max_units": String(resource.maxUnits)])
        return try await resourcePage(resource, form, errors: nil, context: context, status: .ok)
    }

    private func resourcePage(_ resource: Resource, _ form: FormData, errors: ValidationErrors?, context: SignedInContext,
                              status: HTTPResponse.Status) async throws -> Response {
        let store = ResourceStore(database: services.database)
        let pairs = try await ResourceUpgradeStore(database: services.database).list(resourceID: resource.id)
        let uses = try await store.uses(of: resource.id)
        let html = try services.render("catalog_resource", ResourcePage(
            chrome: chrome(context), resource: Self.row(resource), pairs: pairs.map(UpgradeRow.init), hasPairs: !pairs.isEmpty,
            uses: uses.map(Self.useText), inUse: !uses.isEmpty, csrf: context.session.current?.csrfToken ?? "", canEdit: Policy.allows(context.actor, .manageCatalog),
            action: URLs.resource(resource.id).path, deleteAction: URLs.deleteResource(resource.id).path,
            name: Field(form.text("name"), errors, "name"), unit: Field(form.text("unit"), errors, "unit"),
            minUnits: Field(form.text("min_units"), errors, "min_units"), maxUnits: Field(form.text("max_units"), errors, "max_units"),
            formError: errors?.fields.first.map { Localization.text("catalog.resource.not_saved", ["problem": .text($0.message)]) }), status: status)
        return try html.response(status: status)
    }

    @Sendable func updateResource(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let store = ResourceStore(database: services.database)
        let resource = try await store.resource(id)
        let form = try await request.form(context)
        var errors = ValidationErrors()
        let minUnits = errors.check("min_units") { try Units.parse(form.text("min_units")) }?.value
        let maxUnits = errors.check("max_units") { try Units.parse(form.text("max_units")) }?.value
        do {
            try errors.throwIfAny()
            _ = try await store.update(id, name: form.text("name"), unit: form.text("unit"), minUnits: minUnits!, maxUnits: maxUnits!, by: context.actor)
            context.session.update { $0.flash = Localization.text("catalog.resource.saved", ["code": .text(resource.code)]) }
            return redirect(.resource(id))
        } catch let errors as ValidationErrors {
            return try await resourcePage(resource, form, errors: errors, context: context, status: .unprocessableContent)
        }
    }

    @Sendable func deleteResource(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let store = ResourceStore(database: services.database)
        let resource = try await store.resource(id)
        do {
            try await store.delete(id, by: context.actor)
            context.session.update { $0.flash = Localization.text("catalog.resource.deleted", ["code": .text(resource.code)]) }
            return redirect(.resources)
        } catch StoreError.conflict(_, let message) {
            context.session.update { $0.flash = message.rendered() }
            return redirect(.resource(id))
        }
    }

    @Sendable func renameCurrency(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        let code = try context.parameters.require("code").uppercased()
        let form = try await request.form(context)
        do {
            try await CurrencyStore(database: services.database).rename(code, to: form.text("name"), by: context.actor)
            context.session.update { $0.flash = Localization.text("catalog.currencies.renamed", ["code": .text(code)]) }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.currencies)
    }

    // MARK: Resource upgrades

    struct UpgradesPage {
        let chrome: Chrome
        let tabs = Tabs(currencies: false, resources: false, upgrades: true)
        let csrf: String
        let canEdit: Bool
        let pairs: [UpgradeRow]
        let hasPairs: Bool
        let fromOptions: [Option]
        let toOptions: [Option]
        let currencyOptions: [Option]
        let fee: Field
        let fromError: String?
        let toError: String?
        let downgradableError: String?
        let downgradable: Bool
        let active: Bool
        let formError: String?
    }

    struct UpgradeRow {
        let id: Int64
        let fromCode: String
        let fromHref: String
        let toCode: String
        let toHref: String
        let downgradable: Bool
        let active: Bool
        let fee: String
        let hasLicense: Bool
        let action: String
    }

    @Sendable func upgrades(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        return try await upgradesPage(FormData("").with(["active": "on"]), errors: nil, context: context, status: .ok)
    }

    private func upgradesPage(_ form: FormData, errors: ValidationErrors?, context: SignedInContext, status: HTTPResponse.Status) async throws -> Response {
        let pairs = try await ResourceUpgradeStore(database: services.database).list()
        let pairable = try await ResourceStore(database: services.database).all().filter(\.canFormUpgradePair)
        let provider = try await AccountStore(database: services.database).account(context.actor.accountID, in: context.scope)
        let chosenCurrency = form.text("fee_currency").isEmpty ? provider.currency : form.text("fee_currency")
        func options(_ selected: String) -> [Option] {
            pairable.map { Option(value: String($0.id), label: "\($0.code) — \($0.name) (\(Localization.text("catalog.kind_word." + $0.kind.rawValue)))", selected: String($0.id) == selected) }
        }
        let html = try services.render("catalog_upgrades", UpgradesPage(
            chrome: chrome(context), csrf: context.session.current?.csrfToken ?? "", canEdit: Policy.allows(context.actor, .manageCatalog),
            pairs: pairs.map(UpgradeRow.init), hasPairs: !pairs.isEmpty,
            fromOptions: options(form.text("from_resource_id")), toOptions: options(form.text("to_resource_id")),
            currencyOptions: try await CurrencyStore(database: services.database).all().map {
                Option(value: $0.currency.code, label: $0.currency.code, selected: $0.currency.code == chosenCurrency)
            },
            fee: Field(form.text("upgrade_fee"), errors, "upgrade_fee"),
            fromError: errors?.message(for: "from_resource_id"), toError: errors?.message(for: "to_resource_id"),
            downgradableError: errors?.message(for: "downgradable"),
            downgradable: form["downgradable"] != nil, active: form["active"] != nil,
            formError: errors.map { _ in Localization.text("catalog.form_error") }), status: status)
        return try html.response(status: status)
    }

    @Sendable func createUpgrade(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        let form = try await request.form(context)
        do {
            let upgrade = try await ResourceUpgradeStore(database: services.database).create(
                fromID: Int64(form.text("from_resource_id")) ?? 0, toID: Int64(form.text("to_resource_id")) ?? 0,
                downgradable: form["downgradable"] != nil, active: form["active"] != nil,
                upgradeFee: form.text("upgrade_fee"), feeCurrency: form.text("fee_currency"), by: context.actor)
            context.session.update { $0.flash = Localization.text("catalog.upgrades.defined", ["from": .text(upgrade.from.code), "to": .text(upgrade.to.code)]) }
            return redirect(.resourceUpgrades)
        } catch let errors as ValidationErrors {
            return try await upgradesPage(form, errors: errors, context: context, status: .unprocessableContent)
        } catch StoreError.conflict(_, let message) {
            var errors = ValidationErrors()
            errors.add("to_resource_id", message)
            return try await upgradesPage(form, errors: errors, context: context, status: .conflict)
        }
    }

    /// The list's toggles: `field` is `active` or `downgradable`, `value` is `1` or `0`.
    @Sendable func toggleUpgrade(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireProvider(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let form = try await request.form(context)
        let value = form.text("value") == "1"
        let store = ResourceUpgradeStore(database: services.database)
        do {
            switch form.text("field") {
            case "active": _ = try await store.update(id, active: value, downgradable: nil, by: context.actor)
            case "downgradable": _ = try await store.update(id, active: nil, downgradable: value, by: context.actor)
            default: throw StoreError.invalid(field: "field", message: .init("error.upgrade.toggle"))
            }
        } catch let errors as ValidationErrors {
            context.session.update { $0.flash = errors.fields.first?.message }
        }
        return redirect(to: form.text("back").hasPrefix("/catalog/") ? form.text("back") : URLs.resourceUpgrades.path)
    }
}

extension CatalogController {
    /// What uses a resource, as the store words it ("plan “Cloud VPS S”", "bundle vps_small", "upgrade pair a → b"), in the reader's language.
    static func useText(_ use: String) -> String {
        for (prefix, key, name) in [("plan ", "catalog.resource.use_plan", "name"), ("bundle ", "catalog.resource.use_bundle", "code"),
                                    ("upgrade pair ", "catalog.resource.use_pair", "pair")] where use.hasPrefix(prefix) {
            return Localization.text(key, [name: .text(String(use.dropFirst(prefix.count)))])
        }
        return use
    }
}

extension CatalogController.UpgradeRow {
    init(_ upgrade: ResourceUpgrade) {
        self.init(id: upgrade.id, fromCode: upgrade.from.code, fromHref: URLs.resource(upgrade.from.id).path,
                  toCode: upgrade.to.code, toHref: URLs.resource(upgrade.to.id).path, downgradable: upgrade.downgradable,
                  active: upgrade.active,
                  fee: Format.money(minor: upgrade.upgradeFee.minorUnits, exponent: upgrade.upgradeFee.currency.exponent, currency: upgrade.upgradeFee.currency.code),
                  hasLicense: upgrade.from.kind == .license || upgrade.to.kind == .license,
                  action: URLs.resourceUpgrade(upgrade.id).path)
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.
// (`self.name`: a bare `name` is the parameter.)

extension CatalogController.Tabs: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "currencies": currencies
        case "resources": resources
        case "upgrades": upgrades
        default: nil
        }
    }
}

extension CatalogController.CurrenciesPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "tabs": tabs
        case "csrf": csrf
        case "canEdit": canEdit
        case "currencies": currencies
        case "rates": rates
        case "hasRates": hasRates
        case "code": code
        case "name": self.name
        case "exponent": exponent
        case "from": from
        case "to": to
        case "rate": rate
        case "effectiveFrom": effectiveFrom
        case "formError": formError
        default: nil
        }
    }
}

extension CatalogController.CurrencyRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "code": code
        case "name": self.name
        case "exponent": exponent
        case "example": example
        default: nil
        }
    }
}

extension CatalogController.RateRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "pair": pair
        case "rate": rate
        case "effectiveFrom": effectiveFrom
        case "inEffect": inEffect
        default: nil
        }
    }
}

extension CatalogController.ResourcesPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "tabs": tabs
        case "csrf": csrf
        case "canEdit": canEdit
        case "resources": resources
        case "kinds": kinds
        case "code": code
        case "name": self.name
        case "unit": unit
        case "minUnits": minUnits
        case "maxUnits": maxUnits
        case "components": components
        case "formError": formError
        default: nil
        }
    }
}

extension CatalogController.ResourceRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "href": href
        case "code": code
        case "name": self.name
        case "unit": unit
        case "kind": kind
        case "limits": limits
        case "components": components
        case "pairable": pairable
        default: nil
        }
    }
}

extension CatalogController.ResourcePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "tabs": tabs
        case "resource": resource
        case "pairs": pairs
        case "hasPairs": hasPairs
        case "uses": uses
        case "inUse": inUse
        case "csrf": csrf
        case "canEdit": canEdit
        case "action": action
        case "deleteAction": deleteAction
        case "name": self.name
        case "unit": unit
        case "minUnits": minUnits
        case "maxUnits": maxUnits
        case "formError": formError
        default: nil
        }
    }
}

extension CatalogController.UpgradesPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "tabs": tabs
        case "csrf": csrf
        case "canEdit": canEdit
        case "pairs": pairs
        case "hasPairs": hasPairs
        case "fromOptions": fromOptions
        case "toOptions": toOptions
        case "currencyOptions": currencyOptions
        case "fee": fee
        case "fromError": fromError
        case "toError": toError
        case "downgradableError": downgradableError
        case "downgradable": downgradable
        case "active": active
        case "formError": formError
        default: nil
        }
    }
}

extension CatalogController.UpgradeRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "fromCode": fromCode
        case "fromHref": fromHref
        case "toCode": toCode
        case "toHref": toHref
        case "downgradable": downgradable
        case "active": active
        case "fee": fee
        case "hasLicense": hasLicense
        case "action": action
        default: nil
        }
    }
}
