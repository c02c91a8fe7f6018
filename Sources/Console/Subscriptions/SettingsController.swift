import Commerce
import Foundation
import Hummingbird
import Localization
import Mustache
import OrderEngine
import Storage

/// The provider's settings (the test clock) and every seller's promo codes.
struct SettingsController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.settings.route, use: settings)
        group.post(URLs.settingsClock.route, use: setClock)
        group.post(URLs.settingsConnector.route, use: setConnectorRule)
        group.get(URLs.promoCodes.route, use: promoCodes)
        group.post(URLs.promoCodes.route, use: createPromo)
    }

    struct SettingsPage {
        let chrome: Chrome
        let csrf: String
        let testMode: Bool
        let now: String
        let today: String
        let canSet: Bool
        let rules: [RuleRow]
        let hasRules: Bool
        let resources: [Option]
    }

    struct RuleRow {
        let code: String
        let reductionsAllowed: Bool
        let minQuantity: Int64
        /// The minimum in the reader's digits.
        var minQuantityText: String = ""
        let failProvisioning: Bool
    }

    @Sendable func settings(_ request: Request, context: SignedInContext) async throws -> HTML {
        guard Policy.allows(context.actor, .seeProviderArea) else { throw StoreError.forbidden(.init("error.forbidden.settings")) }
        let now = try await services.clock.now()
        let rules = try await TestConnectorRules(database: services.database).list(by: context.actor)
        let codes = try await ResourceStore(database: services.database).codes().values.sorted()
        return try services.render("settings", SettingsPage(
            chrome: Chrome(actor: context.actor, session: context.session, section: .settings), csrf: context.session.current?.csrfToken ?? "",
            testMode: services.clock.testMode, now: String(now.formatted(.iso8601).prefix(16)), today: Format.date(BusinessDate(instant: now).description),
            canSet: Policy.allows(context.actor, .setClock),
            rules: rules.map { RuleRow(code: $0.resourceCode, reductionsAllowed: $0.reductionsAllowed, minQuantity: $0.minQuantity,
                                             minQuantityText: Format.number($0.minQuantity), failProvisioning: $0.failProvisioning) },
            hasRules: !rules.isEmpty, resources: codes.map { Option(value: $0, label: $0, selected: false) }))
    }

    @Sendable func setClock(_ request: Request, context: SignedInContext) async throws -> Response {
        guard Policy.allows(context.actor, .seeProviderArea) else { throw StoreError.forbidden(.init("error.forbidden.settings")) }
        let form = try await request.form(context)
        let typed = form.text("now")
        guard let moment = Timestamps.parse(typed.count == 16 ? typed + ":00Z" : typed), BusinessDate.accepts(instant: moment) else {
            context.session.update { $0.flash = Localization.text("settings.bad_moment") }
            return redirect(.settings)
        }
        try await services.clock.set(moment, by: context.actor)
        context.session.update { $0.flash = Localization.text("settings.clock_set", ["date": .text(Format.date(BusinessDate(instant: moment).description))]) }
        return redirect(.settings)
    }

    /// The test connector's rule for one resource, from the settings page (all three fields at once).
    @Sendable func setConnectorRule(_ request: Request, context: SignedInContext) async throws -> Response {
        guard Policy.allows(context.actor, .seeProviderArea) else { throw StoreError.forbidden(.init("error.forbidden.settings")) }
        let form = try await request.form(context)
        guard let minimum = (try? Units.parse(form.text("min_quantity").isEmpty ? "0" : form.text("min_quantity")))?.value else {
            context.session.update { $0.flash = Localization.text("settings.bad_minimum") }
            return redirect(.settings)
        }
        do {
            let rule = try await TestConnectorRules(database: services.database).set(
                resourceCode: form.text("resource_code"), reductionsAllowed: form.text("reductions_allowed") == "on", minQuantity: minimum,
                failProvisioning: form.text("fail_provisioning") == "on", by: context.actor)
            context.session.update { $0.flash = Localization.text("settings.rule_saved", ["code": .text(rule.resourceCode)]) }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.settings)
    }

    struct PromoPage {
        let chrome: Chrome
        let csrf: String
        let rows: [Row]
        let empty: Bool
        let canCreate: Bool
        let code: Field
        let percent: Field
        let validUntil: Field
        let formError: String?
    }

    struct Row {
        let code: String
        let percent: String
        let validUntil: String
    }

    @Sendable func promoCodes(_ request: Request, context: SignedInContext) async throws -> Response {
        try await promoPage(FormData(""), errors: nil, context: context, status: .ok)
    }

    private func promoPage(_ form: FormData, errors: ValidationErrors?, context: SignedInContext, status: HTTPResponse.Status) async throws -> Response {
        guard Policy.allows(context.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.promo_codes")) }
        let codes = try await PromoCodeStore(database: services.database).list(in: context.scope)
        let html = try services.render("promo_codes", PromoPage(
            chrome: Chrome(actor: context.actor, session: context.session, section: .promos), csrf: context.session.current?.csrfToken ?? "",
            rows: codes.map { Row(code: $0.code, percent: Format.digits($0.percent), validUntil: Format.date($0.validUntil.description)) }, empty: codes.isEmpty,
            canCreate: Policy.allows(context.actor, .sell(sellerAccountID: context.actor.accountID)), code: Field(form.text("code"), errors, "code"), percent: Field(form.text("percent"), errors, "percent"),
            validUntil: Field(form.text("valid_until"), errors, "valid_until"), formError: errors.map { _ in Localization.text("promos.form_error") }), status: status)
        return try html.response(status: status)
    }

    @Sendable func createPromo(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await request.form(context)
        do {
            let promo = try await PromoCodeStore(database: services.database).create(code: form.text("code"), percent: form.text("percent"),
                                                                                     validUntil: form.text("valid_until"), in: context.scope)
            context.session.update { $0.flash = Localization.text("promos.created", ["code": .text(promo.code)]) }
            return redirect(.promoCodes)
        } catch let errors as ValidationErrors {
            return try await promoPage(form, errors: errors, context: context, status: .unprocessableContent)
        } catch StoreError.conflict(_, let message) {
            var errors = ValidationErrors()
            errors.add("code", message)
            return try await promoPage(form, errors: errors, context: context, status: .conflict)
        }
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

extension SettingsController.SettingsPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "testMode": testMode
        case "now": now
        case "today": today
        case "canSet": canSet
        case "rules": rules
        case "hasRules": hasRules
        case "resources": resources
        default: nil
        }
    }
}

extension SettingsController.RuleRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "code": code
        case "reductionsAllowed": reductionsAllowed
        case "minQuantity": minQuantity
        case "minQuantityText": minQuantityText
        case "failProvisioning": failProvisioning
        default: nil
        }
    }
}

extension SettingsController.PromoPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "rows": rows
        case "empty": empty
        case "canCreate": canCreate
        case "code": code
        case "percent": percent
        case "validUntil": validUntil
        case "formError": formError
        default: nil
        }
    }
}

extension SettingsController.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "code": code
        case "percent": percent
        case "validUntil": validUntil
        default: nil
        }
    }
}
