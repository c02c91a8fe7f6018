import Commerce
import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// Restrictions of the subtree with who imposed them, the exceptions list, and upstream reseller
/// charges (DOMAIN.md 7 and 8), for staff.
struct RestrictionsController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.restrictions.route, use: index)
        group.post(URLs.restrictions.route, use: restrict)
        group.post(URLs.liftRestriction(0).route, use: lift)
        group.post(URLs.restrictionExceptions.route, use: addException)
        group.post(URLs.removeRestrictionException(0).route, use: removeException)
        group.get(URLs.resellerCharges.route, use: charges)
    }

    var store: RestrictionStore { RestrictionStore(database: services.database) }

    private func requireStaff(_ context: SignedInContext) throws {
        guard Policy.allows(context.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.restrictions")) }
    }

    struct Page {
        struct Row {
            let id: Int64
            let account: String
            let accountHref: String
            let restrictedBy: String
            let reason: String
            let created: String
            let createdBy: String
            let active: Bool
            let lifted: String?
            let liftAction: String?
        }
        struct ExceptionRow {
            let plan: String
            let removeAction: String
        }
        let chrome: Chrome
        let csrf: String
        let rows: [Row]
        let empty: Bool
        let exceptions: [ExceptionRow]
        let hasExceptions: Bool
        let plans: [Option]
        let canEdit: Bool
        let accountName: String
        /// "Exceptions list of Demo Provider" and its note, in the reader's word order.
        var exceptionsHeading: String = ""
        var exceptionsHelp: String = ""
        let nextHref: String?
    }

    @Sendable func index(_ request: Request, context: SignedInContext) async throws -> HTML {
        try requireStaff(context)
        let page = try await store.list(in: context.scope, page: PageRequest(limit: 50, cursor: request.query("cursor").flatMap { Int64($0) }))
        let exceptions = try await store.exceptions(in: context.scope)
        let plans = try await PlanStore(database: services.database).list(in: context.scope)
        let canEdit = Policy.allows(context.actor, .restrict)
        return try services.render("restrictions", Page(
            chrome: Chrome(actor: context.actor, session: context.session, section: .restrictions), csrf: context.session.current?.csrfToken ?? "",
            rows: page.items.map { r in
                Page.Row(id: r.id, account: r.accountName, accountHref: URLs.account(r.accountID).path, restrictedBy: r.restrictingAccountName,
                         reason: r.reason, created: Format.digits(BillingController.moment(r.createdAt)), createdBy: r.createdBy, active: r.isActive,
                         lifted: r.liftedAt.map { Localization.text("restrictions.lifted", ["when": .text(Format.digits(BillingController.moment($0))), "who": .text(r.liftedBy ?? "?")]) },
                         liftAction: canEdit && r.isActive && context.scope.contains(path: r.restrictingAccountPath) ? URLs.liftRestriction(r.id).path : nil)
            },
            empty: page.items.isEmpty,
            exceptions: exceptions.map { Page.ExceptionRow(plan: $0.planName, removeAction: URLs.removeRestrictionException($0.id).path) },
            hasExceptions: !exceptions.isEmpty,
            plans: plans.filter { plan in !exceptions.contains { $0.planID == plan.id } }.map { Option(value: String($0.id), label: $0.name, selected: false) },
            canEdit: canEdit, accountName: context.actor.accountName,
            exceptionsHeading: Localization.text("restrictions.exceptions_heading", ["account": .text(context.actor.accountName)]),
            exceptionsHelp: Localization.text("restrictions.exceptions_help", ["account": .text(context.actor.accountName)]),
            nextHref: page.nextCursor.map { URLs.restrictions.path + "?cursor=\($0)" }))
    }

    @Sendable func restrict(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await request.form(context)
        guard let id = Int64(form.text("account_id")) else { throw StoreError.invalid(field: "account_id", message: .init("error.restriction.choose_account")) }
        do {
            let restriction = try await store.restrict(account: id, reason: form.text("reason"), in: context.scope)
            context.session.update { $0.flash = Localization.text("restrictions.restricted", ["account": .text(restriction.accountName), "reason": .text(restriction.reason)]) }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        } catch StoreError.conflict(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.account(id))
    }

    @Sendable func lift(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        do {
            let lifted = try await store.lift(id, in: context.scope)
            context.session.update { $0.flash = Localization.text("restrictions.lifted_flash", ["account": .text(lifted.accountName)]) }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.restrictions)
    }

    @Sendable func addException(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireStaff(context)
        let form = try await request.form(context)
        guard let plan = Int64(form.text("plan_id")) else { throw StoreError.invalid(field: "plan_id", message: .init("error.restriction.choose_plan")) }
        do {
            let exception = try await store.addException(plan: plan, in: context.scope)
            context.session.update { $0.flash = Localization.text("restrictions.excepted", ["plan": .text(exception.planName), "account": .text(context.actor.accountName)]) }
        } catch StoreError.conflict(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.restrictions)
    }

    @Sendable func removeException(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        try await store.removeException(id, in: context.scope)
        context.session.update { $0.flash = Localization.text("restrictions.unexcepted") }
        return redirect(.restrictions)
    }

    // MARK: Reseller charges

    struct ChargesPage {
        struct Row {
            let reseller: String
            let resellerHref: String
            let period: String
            let sold: String
            let owed: String
            let margin: String
            let orders: String
            let isOwn: Bool
        }
        let chrome: Chrome
        let tabs: BillingController.Tabs
        let rows: [Row]
        let empty: Bool
        let isProvider: Bool
        /// "Export CSV": the list as a file, with the page's filters (issue 16).
        var exportHref: String? = nil
    }

    @Sendable func charges(_ request: Request, context: SignedInContext) async throws -> HTML {
        try requireStaff(context)
        let summary = try await ResellerChargeStore(database: services.database).summary(in: context.scope)
        return try services.render("reseller_charges", ChargesPage(
            chrome: Chrome(actor: context.actor, session: context.session, section: .billing),
            tabs: BillingController.Tabs(orders: false, invoices: false, payments: false, credit: false, creditHref: nil, charges: true, showCharges: true, showRuns: Policy.allows(context.actor, .seeProviderArea)),
            rows: summary.map { s in
                ChargesPage.Row(reseller: s.resellerName, resellerHref: URLs.account(s.resellerID).path, period: Shown.month(s.period), sold: s.sold.shown,
                                owed: s.owed.shown, margin: Money(minorUnits: s.sold.minorUnits - s.owed.minorUnits, currency: s.sold.currency).shown,
                                orders: Shown.number(s.orders), isOwn: s.resellerID == context.actor.accountID)
            },
            empty: summary.isEmpty, isProvider: context.actor.accountKind == .provider, exportHref: URLs.export(.resellerCharges).path))
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

extension RestrictionsController.Page: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "rows": rows
        case "empty": empty
        case "exceptions": exceptions
        case "hasExceptions": hasExceptions
        case "plans": plans
        case "canEdit": canEdit
        case "accountName": accountName
        case "exceptionsHeading": exceptionsHeading
        case "exceptionsHelp": exceptionsHelp
        case "nextHref": nextHref
        default: nil
        }
    }
}

extension RestrictionsController.Page.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "account": account
        case "accountHref": accountHref
        case "restrictedBy": restrictedBy
        case "reason": reason
        case "created": created
        case "createdBy": createdBy
        case "active": active
        case "lifted": lifted
        case "liftAction": liftAction
        default: nil
        }
    }
}

extension RestrictionsController.Page.ExceptionRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "plan": plan
        case "removeAction": removeAction
        default: nil
        }
    }
}

extension RestrictionsController.ChargesPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "tabs": tabs
        case "rows": rows
        case "empty": empty
        case "isProvider": isProvider
        case "exportHref": exportHref
        default: nil
        }
    }
}

extension RestrictionsController.ChargesPage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "reseller": reseller
        case "resellerHref": resellerHref
        case "period": period
        case "sold": sold
        case "owed": owed
        case "margin": margin
        case "orders": orders
        case "isOwn": isOwn
        default: nil
        }
    }
}
