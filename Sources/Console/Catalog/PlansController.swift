import Commerce
import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// Plan pages: the list, the plan editor (one table of resources), a plan's page with the upgrade
/// pairs it offers, its switch paths and delegations, and a reseller's price list for a plan.
struct PlansController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.plans.route, use: index)
        group.get(URLs.newPlan.route, use: new)
        group.post(URLs.plans.route, use: create)
        group.get(URLs.plan(0).route, use: show)
        group.get(URLs.editPlan(0).route, use: edit)
        group.post(URLs.plan(0).route, use: update)
        group.post(URLs.planSwitchPaths(0).route, use: addSwitchPath)
        group.post(URLs.planDelegations(0).route, use: delegate)
        group.get(URLs.priceList(plan: 0).route, use: priceList)
        group.post(URLs.priceList(plan: 0).route, use: setPriceList)
    }

    var store: PlanStore { PlanStore(database: services.database) }

    private func requireStaff(_ context: SignedInContext) throws {
        guard Policy.allows(context.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.plans")) }
    }

    /// A plan in scope that the caller may not change answers 403 (DOMAIN.md 1).
    private func requireEditor(of plan: Plan, _ context: SignedInContext) throws {
        try Policy.require(context.actor, .editPlan(ownerAccountID: plan.ownerAccountID), .init("error.forbidden.change_plan"))
    }

    private func chrome(_ context: SignedInContext) -> Chrome {
        Chrome(actor: context.actor, session: context.session, section: .plans)
    }

    // MARK: List

    struct IndexPage {
        let chrome: Chrome
        let rows: [PlanRow]
        let empty: Bool
        let canCreate: Bool
    }

    struct PlanRow {
        let id: Int64
        let href: String
        let name: String
        let currency: String
        let billingType: String
        let periods: String
        let own: Bool
        let priceListHref: String?
    }

    @Sendable func index(_ request: Request, context: SignedInContext) async throws -> HTML {
        try requireStaff(context)
        let plans = try await store.list(in: context.scope)
        return try services.render("plans_index", IndexPage(
            chrome: chrome(context),
            rows: plans.map { plan in
                let own = context.scope.contains(path: plan.ownerPath)
                return PlanRow(id: plan.id, href: URLs.plan(plan.id).path, name: plan.name, currency: plan.currency.code,
                               billingType: Localization.text("plans.billing_type." + plan.billingType.rawValue),
                               periods: plan.periods.map { Localization.text("plans.index.months_short", ["months": .number(Int64($0))]) }.joined(separator: ", "),
                               own: own, priceListHref: own ? nil : URLs.priceList(plan: plan.id).path)
            },
            empty: plans.isEmpty, canCreate: Policy.allows(context.actor, .createPlan)))
    }

    // MARK: The editor

    struct EditorPage {
        let chrome: Chrome
        let heading: String
        let action: String
        let csrf: String
        let name: Field
        let currencies: [Option]
        let billingTypes: [Option]
        let fixedPrice: Bool
        let pricesIncludeTaxes: Bool
        let trialDays: Field
        let changesInTrial: Bool
        let periods: [PeriodRow]
        let periodsError: String?
        let resources: [EditorRow]
        let formError: String?
        let currencyLocked: Bool
    }

    struct PeriodRow {
        let months: Int
        /// "3 month(s)" in the reader's language.
        var monthsLabel: String = ""
        let offered: Bool
        let fee: Field
    }

    struct EditorRow {
        let resourceID: Int64
        let code: String
        let name: String
        let unit: String
        let resourceMin: Int64
        let resourceMax: Int64
        let offered: Bool
        let included: Field
        let minUnits: Field
        let maxUnits: Field
        let setupFee: Field
        let recurringFee: Field
    }

    @Sendable func new(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireStaff(context)
        let own = try await AccountStore(database: services.database).account(context.actor.accountID, in: context.scope)
        var form = FormData("").with(["currency": own.currency, "billing_type": "prepaid", "trial_days": "0", "changes_in_trial": "on",
                                      "period_1": "on", "fee_1": ""])
        for resource in try await ResourceStore(database: services.database).all() {
            form = form.with(["r\(resource.id)_included": "0", "r\(resource.id)_min": String(resource.minUnits),
                              "r\(resource.id)_max": String(resource.maxUnits), "r\(resource.id)_setup": "0", "r\(resource.id)_recurring": "0"])
        }
        return try await editor(form, errors: nil, planID: nil, context: context, status: .ok)
    }

    @Sendable func edit(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireStaff(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let plan = try await store.plan(id, in: context.scope)
        try requireEditor(of: plan, context)
        let prices = try await store.prices(of: plan, seller: plan.ownerAccountID, at: try await services.clock.now())
        var values: [String: String] = [
            "name": plan.name, "currency": plan.currency.code, "billing_type": plan.billingType.rawValue,
            "trial_days": String(plan.trialDays),
        ]
        if plan.fixedPrice { values["fixed_price"] = "on" }
        if plan.pricesIncludeTaxes { values["prices_include_taxes"] = "on" }
        if plan.changesInTrial { values["changes_in_trial"] = "on" }
        for months in plan.periods {
            values["period_\(months)"] = "on"
            values["fee_\(months)"] = prices.periodFees[months]?.amountText ?? "0"
        }
        for resource in try await ResourceStore(database: services.database).all() {
            let rate = plan.resources.first { $0.resourceID == resource.id }
            if rate != nil { values["r\(resource.id)_offered"] = "on" }
            values["r\(resource.id)_included"] = String(rate?.included ?? 0)
            values["r\(resource.id)_min"] = String(rate?.minUnits ?? resource.minUnits)
            values["r\(resource.id)_max"] = String(rate?.maxUnits ?? resource.maxUnits)
            values["r\(resource.id)_setup"] = prices.resourceFees[resource.id]?.setupFee.amountText ?? "0"
            values["r\(resource.id)_recurring"] = prices.resourceFees[resource.id]?.recurringFee.amountText ?? "0"
        }
        return try await editor(FormData("").with(values), errors: nil, planID: id, context: context, status: .ok)
    }

    private func editor(_ form: FormData, errors: ValidationErrors?, planID: Int64?, context: SignedInContext, status: HTTPResponse.Status,
                        inUse: PlanInUse.Refusal? = nil) async throws -> Response {
        let resources = try await ResourceStore(database: services.database).all()
        // Errors of draft lines are indexed by position among the offered rows: map them back to resources.
        let offered = resources.filter { form["r\($0.id)_offered"] != nil }
        func rowError(_ resource: Resource, _ suffix: String) -> String? {
            guard let index = offered.firstIndex(where: { $0.id == resource.id }) else { return nil }
            return errors?.message(for: "resources.\(index).\(suffix)")
        }
        let offeredMonths = PlanRules.allowedPeriods.sorted().filter { form["period_\($0)"] != nil }
        let html = try services.render("plans_editor", EditorPage(
            chrome: chrome(context), heading: Localization.text(planID == nil ? "plans.editor.new" : "plans.editor.edit"),
            action: planID.map { URLs.plan($0).path } ?? URLs.plans.path, csrf: context.session.current?.csrfToken ?? "",
            name: Field(form.text("name"), errors, "name"),
            currencies: try await CurrencyStore(database: services.database).all().map {
                Option(value: $0.currency.code, label: "\($0.currency.code) — \($0.name)", selected: $0.currency.code == form.text("currency"))
            },
            billingTypes: BillingType.allCases.map { Option(value: $0.rawValue, label: Localization.text("plans.billing_type." + $0.rawValue), selected: $0.rawValue == form.text("billing_type")) },
            fixedPrice: form["fixed_price"] != nil, pricesIncludeTaxes: form["prices_include_taxes"] != nil,
            trialDays: Field(form.text("trial_days"), errors, "trial_days"), changesInTrial: form["changes_in_trial"] != nil,
            periods: PlanRules.allowedPeriods.sorted().map { months in
                let index = offeredMonths.firstIndex(of: months)
                return PeriodRow(months: months, monthsLabel: Localization.text("plans.editor.months", ["months": .number(Int64(months))]), offered: form["period_\(months)"] != nil,
                                 fee: Field(form.text("fee_\(months)"), nil, "") .withError(index.flatMap { errors?.message(for: "periods.\($0).fee") }))
            },
            periodsError: errors?.message(for: "periods"),
            resources: resources.map { resource in
                let id = resource.id
                return EditorRow(
                    resourceID: id, code: resource.code, name: resource.name, unit: resource.unit, resourceMin: resource.minUnits, resourceMax: resource.maxUnits,
                    offered: form["r\(id)_offered"] != nil,
                    included: Field(form.text("r\(id)_included"), nil, "").withError(rowError(resource, "included")),
                    minUnits: Field(form.text("r\(id)_min"), nil, "").withError(rowError(resource, "min_units")),
                    maxUnits: Field(form.text("r\(id)_max"), nil, "").withError(rowError(resource, "max_units")),
                    setupFee: Field(form.text("r\(id)_setup"), nil, "").withError(rowError(resource, "setup_fee")),
                    recurringFee: Field(form.text("r\(id)_recurring"), nil, "").withError(rowError(resource, "recurring_fee")))
            },
            formError: inUse.map { Localization.text("plans.editor.in_use", ["problem": .text($0.message)]) }
                ?? errors.map { $0.fields.first.map { Localization.text("plans.editor.form_error_first", ["problem": .text($0.message)]) } ?? Localization.text("plans.editor.form_error") },
            currencyLocked: planID != nil), status: status)
        return try html.response(status: status)
    }

    /// Reads the editor form into a draft; number fields that are not numbers are field errors.
    private func draft(_ form: FormData) async throws -> (PlanDraft, ValidationErrors) {
        var errors = ValidationErrors()
        let resources = try await ResourceStore(database: services.database).all().filter { form["r\($0.id)_offered"] != nil }
        var lines: [PlanDraft.ResourceLine] = []
        for (index, resource) in resources.enumerated() {
            func number(_ key: String, _ field: String) -> Int64 {
                errors.check("resources.\(index).\(field)") { try Units.parse(form.text("r\(resource.id)_\(key)")) }?.value ?? 0
            }
            lines.append(PlanDraft.ResourceLine(
                resourceID: resource.id, included: number("included", "included"), minUnits: number("min", "min_units"), maxUnits: number("max", "max_units"),
                setupFee: form.text("r\(resource.id)_setup"), recurringFee: form.text("r\(resource.id)_recurring")))
        }
        let trial = errors.check("trial_days") { try Days.parse(form.text("trial_days").isEmpty ? "0" : form.text("trial_days")) }?.int
        let draft = PlanDraft(
            name: form.text("name"), currency: form.text("currency"), billingType: form.text("billing_type"),
            fixedPrice: form["fixed_price"] != nil, pricesIncludeTaxes: form["prices_include_taxes"] != nil, trialDays: trial ?? 0,
            changesInTrial: form["changes_in_trial"] != nil, connector: "test",
            periods: PlanRules.allowedPeriods.sorted().filter { form["period_\($0)"] != nil }.map { ($0, form.text("fee_\($0)")) },
            resources: lines)
        return (draft, errors)
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireStaff(context)
        let form = try await request.form(context)
        let (draft, parseErrors) = try await draft(form)
        do {
            try parseErrors.throwIfAny()
            let plan = try await store.create(draft, in: context.scope, effective: try await services.clock.now())
            context.session.update { $0.flash = Localization.text("plans.editor.created", ["name": .text(plan.name)]) }
            return redirect(.plan(plan.id))
        } catch let errors as ValidationErrors {
            return try await editor(form, errors: errors, planID: nil, context: context, status: .unprocessableContent)
        }
    }

    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireStaff(context)
        let id = try context.parameters.require("id", as: Int64.self)
        try requireEditor(of: try await store.plan(id, in: context.scope), context)
        let form = try await request.form(context)
        let (draft, parseErrors) = try await draft(form)
        do {
            try parseErrors.throwIfAny()
            let plan = try await store.update(id, draft, in: context.scope, effective: try await services.clock.now())
            context.session.update { $0.flash = Localization.text("plans.editor.saved", ["name": .text(plan.name)]) }
            return redirect(.plan(id))
        } catch let errors as ValidationErrors {
            return try await editor(form, errors: errors, planID: id, context: context, status: .unprocessableContent)
        } catch let refused as PlanInUse.Refusal {
            // DOMAIN.md 3: nothing changes; the fields it is about are marked, what was typed stays.
            var errors = ValidationErrors()
            for problem in refused.problems { errors.add(problem.field, .init("error.text", ["text": .text(problem.message)])) }
            return try await editor(form, errors: errors, planID: id, context: context, status: .conflict, inUse: refused)
        }
    }

    // MARK: A plan's page

    struct ShowPage {
        let chrome: Chrome
        let csrf: String
        let name: String
        let facts: [Fact]
        let periods: [Fact]
        let resources: [ResourceLineRow]
        let pairs: [PairRow]
        let hasPairs: Bool
        let switchPaths: [PathRow]
        let hasSwitchPaths: Bool
        let switchTargets: [Option]
        let hasSwitchTargets: Bool
        let delegations: [PathRow]
        let hasDelegations: Bool
        let delegationTargets: [Option]
        let hasDelegationTargets: Bool
        let canEdit: Bool
        let canDelegate: Bool
        let editHref: String
        let switchAction: String
        let delegateAction: String
        let priceListHref: String?
        let pricesNote: String
    }

    struct Fact {
        let label: String
        let value: String
    }

    struct ResourceLineRow {
        let code: String
        let included: String
        let limits: String
        let setupFee: String
        let recurringFee: String
    }

    struct PairRow {
        let id: Int64
        let label: String
        let active: Bool
        let downgradable: Bool
    }

    struct PathRow {
        let name: String
        let href: String
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> HTML {
        try requireStaff(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let plan = try await store.plan(id, in: context.scope)
        let actor = context.actor
        let sellsIt = try await store.sells(plan, seller: actor.accountID)
        let seller = sellsIt ? actor.accountID : plan.ownerAccountID
        let prices = try await store.prices(of: plan, seller: seller, at: try await services.clock.now())
        let codes = try await ResourceStore(database: services.database).codes()
        let own = context.scope.contains(path: plan.ownerPath)
        let canEdit = Policy.allows(actor, .editPlan(ownerAccountID: plan.ownerAccountID))
        let accounts = AccountStore(database: services.database)
        let children = try await accounts.list(in: context.scope, filter: .init(kind: .reseller, parentID: actor.accountID), page: PageRequest(limit: 200)).items
        let delegations = try await store.delegations(of: plan, in: context.scope)
        let delegated = Set(delegations.map(\.resellerID))
        let switchPaths = try await store.switchPaths(of: plan, in: context.scope)
        let switchTargets = try await store.list(in: context.scope)
            .filter { $0.id != plan.id && $0.currency == plan.currency && !switchPaths.map(\.id).contains($0.id) }
            .map { Option(value: String($0.id), label: $0.name, selected: false) }
        let delegationTargets = children.filter { !delegated.contains($0.id) }.map { Option(value: String($0.id), label: $0.name, selected: false) }
        let pairs = try await store.upgradePairs(of: plan)
        let zero = UnitPrice(scaled: 0, currency: plan.currency)
        let limit: (Int64) -> String = { $0 == -1 ? Localization.text("plans.unlimited") : Format.number($0) }
        return try services.render("plans_show", ShowPage(
            chrome: chrome(context), csrf: context.session.current?.csrfToken ?? "", name: plan.name,
            facts: [Fact(label: Localization.text("plans.show.currency"), value: plan.currency.code),
                    Fact(label: Localization.text("plans.show.billing_type"), value: Localization.text("plans.billing_type." + plan.billingType.rawValue)),
                    Fact(label: Localization.text("plans.show.fixed_price"), value: Localization.text(plan.fixedPrice ? "plans.show.fixed_yes" : "plans.show.no")),
                    Fact(label: Localization.text("plans.show.taxes_included"), value: Localization.text(plan.pricesIncludeTaxes ? "plans.show.yes" : "plans.show.no")),
                    Fact(label: Localization.text("plans.show.trial"), value: plan.trialDays == 0 ? Localization.text("plans.show.trial_none")
                        : Localization.text(plan.changesInTrial ? "plans.show.trial_allowed" : "plans.show.trial_not_allowed", ["days": .number(Int64(plan.trialDays))])),
                    Fact(label: Localization.text("plans.show.provisioning"), value: Localization.text("plans.show.connector", ["name": .text(plan.connector)]))],
            periods: plan.periods.map { months in
                let fee = prices.periodFees[months] ?? zero
                return Fact(label: months == 1 ? Localization.text("plans.show.one_month") : Localization.text("plans.show.months", ["months": .number(Int64(months))]),
                            value: Format.digits(fee.amountText) + " " + plan.currency.code)
            },
            resources: plan.resources.map { rate in
                ResourceLineRow(code: codes[rate.resourceID] ?? "", included: limit(rate.included), limits: "\(Format.number(rate.minUnits)) – \(limit(rate.maxUnits))",
                                setupFee: Format.digits((prices.resourceFees[rate.resourceID]?.setupFee ?? zero).amountText),
                                recurringFee: Format.digits((prices.resourceFees[rate.resourceID]?.recurringFee ?? zero).amountText))
            },
            pairs: pairs.map { PairRow(id: $0.id, label: "\($0.from.code) → \($0.to.code)", active: $0.active, downgradable: $0.downgradable) },
            hasPairs: !pairs.isEmpty,
            switchPaths: switchPaths.map { PathRow(name: $0.name, href: URLs.plan($0.id).path) }, hasSwitchPaths: !switchPaths.isEmpty,
            switchTargets: switchTargets, hasSwitchTargets: !switchTargets.isEmpty,
            delegations: delegations.map { PathRow(name: $0.name, href: URLs.account($0.resellerID).path) }, hasDelegations: !delegations.isEmpty,
            delegationTargets: delegationTargets, hasDelegationTargets: !delegationTargets.isEmpty,
            canEdit: canEdit, canDelegate: sellsIt && Policy.allows(actor, .sell(sellerAccountID: actor.accountID)),
            editHref: URLs.editPlan(id).path, switchAction: URLs.planSwitchPaths(id).path, delegateAction: URLs.planDelegations(id).path,
            priceListHref: sellsIt && !own ? URLs.priceList(plan: id).path : nil,
            pricesNote: Localization.text(seller == actor.accountID ? "plans.show.own_prices" : "plans.show.owner_prices")))
    }

    @Sendable func addSwitchPath(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireStaff(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let form = try await request.form(context)
        do {
            try await store.addSwitchPath(from: id, to: Int64(form.text("to_plan_id")) ?? 0, in: context.scope)
            context.session.update { $0.flash = Localization.text("plans.show.switch_added") }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        } catch StoreError.conflict(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.plan(id))
    }

    @Sendable func delegate(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireStaff(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let form = try await request.form(context)
        do {
            try await store.delegate(id, to: Int64(form.text("reseller_id")) ?? 0, in: context.scope)
            context.session.update { $0.flash = Localization.text("plans.show.delegated") }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        } catch StoreError.conflict(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.plan(id))
    }

    // MARK: A reseller's price list

    struct PriceListPage {
        let chrome: Chrome
        let csrf: String
        /// "Prices for …", and what the prices are in.
        let title: String
        let intro: String
        let planName: String
        let planHref: String
        let currency: String
        let action: String
        let periods: [PriceRow]
        let resources: [PriceRow]
        let warnings: [String]
        let hasWarnings: Bool
        let formError: String?
    }

    struct PriceRow {
        let key: String
        let label: String
        let field: Field
        let netCost: String
        let second: Field?
        let secondKey: String?
        let secondNetCost: String?
    }

    @Sendable func priceList(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireStaff(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let plan = try await store.plan(id, in: context.scope)
        let prices = try await store.prices(of: plan, seller: context.actor.accountID, at: try await services.clock.now())
        var values: [String: String] = [:]
        for (months, fee) in prices.periodFees { values["fee_\(months)"] = fee.amountText }
        for (resource, fees) in prices.resourceFees {
            values["r\(resource)_setup"] = fees.setupFee.amountText
            values["r\(resource)_recurring"] = fees.recurringFee.amountText
        }
        return try await priceListPage(plan, FormData("").with(values), errors: nil, warnings: [], context: context, status: .ok)
    }

    private func priceListPage(_ plan: Plan, _ form: FormData, errors: ValidationErrors?, warnings: [String], context: SignedInContext,
                               status: HTTPResponse.Status) async throws -> Response {
        // Only a seller the plan was delegated to keeps a price list; the owner's prices are the plan's.
        guard plan.ownerAccountID != context.actor.accountID, try await store.sells(plan, seller: context.actor.accountID) else {
            throw StoreError.notFound("price list for plan \(plan.id)")
        }
        let cost = try await store.netCost(of: plan, reseller: context.actor.accountID, at: try await services.clock.now())
        let codes = try await ResourceStore(database: services.database).codes()
        let zero = UnitPrice(scaled: 0, currency: plan.currency)
        let html = try services.render("price_list", PriceListPage(
            chrome: chrome(context), csrf: context.session.current?.csrfToken ?? "",
            title: Localization.text("price_list.title", ["plan": .text(plan.name)]), intro: Localization.text("price_list.intro", ["currency": .text(plan.currency.code)]),
            planName: plan.name, planHref: URLs.plan(plan.id).path,
            currency: plan.currency.code, action: URLs.priceList(plan: plan.id).path,
            periods: plan.periods.enumerated().map { index, months in
                PriceRow(key: "fee_\(months)", label: Localization.text("price_list.month_fee", ["months": .number(Int64(months))]), field: Field(form.text("fee_\(months)"), nil, "").withError(errors?.message(for: "periods.\(index).fee")),
                         netCost: (cost?.periodFees[months] ?? zero).amountText, second: nil, secondKey: nil, secondNetCost: nil)
            },
            resources: plan.resources.enumerated().map { index, rate in
                PriceRow(key: "r\(rate.resourceID)_recurring", label: codes[rate.resourceID] ?? "",
                         field: Field(form.text("r\(rate.resourceID)_recurring"), nil, "").withError(errors?.message(for: "resources.\(index).recurring_fee")),
                         netCost: (cost?.resourceFees[rate.resourceID]?.recurringFee ?? zero).amountText,
                         second: Field(form.text("r\(rate.resourceID)_setup"), nil, "").withError(errors?.message(for: "resources.\(index).setup_fee")),
                         secondKey: "r\(rate.resourceID)_setup",
                         secondNetCost: (cost?.resourceFees[rate.resourceID]?.setupFee ?? zero).amountText)
            },
            warnings: warnings, hasWarnings: !warnings.isEmpty, formError: errors.map { _ in Localization.text("price_list.check_fields") }), status: status)
        return try html.response(status: status)
    }

    @Sendable func setPriceList(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireStaff(context)
        let id = try context.parameters.require("id", as: Int64.self)
        let plan = try await store.plan(id, in: context.scope)
        let form = try await request.form(context)
        let draft = PriceListDraft(periods: plan.periods.map { ($0, form.text("fee_\($0)")) },
                                   resources: plan.resources.map { ($0.resourceID, form.text("r\($0.resourceID)_setup"), form.text("r\($0.resourceID)_recurring")) })
        do {
            let warnings = try await store.setPriceList(seller: context.actor.accountID, plan: id, draft, in: context.scope, effective: try await services.clock.now())
            if warnings.isEmpty {
                context.session.update { $0.flash = Localization.text("price_list.saved", ["plan": .text(plan.name)]) }
                return redirect(.priceList(plan: id))
            }
            context.session.update { $0.flash = Localization.text("price_list.saved_warnings") }
            return try await priceListPage(plan, form, errors: nil, warnings: warnings, context: context, status: .ok)
        } catch let errors as ValidationErrors {
            return try await priceListPage(plan, form, errors: errors, warnings: [], context: context, status: .unprocessableContent)
        }
    }
}

extension Field {
    /// The same value with an error from elsewhere (errors indexed by row).
    func withError(_ message: String?) -> Field {
        Field(value: value, error: message ?? error)
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.
// (`self.name`: a bare `name` is the parameter.)

extension PlansController.IndexPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "rows": rows
        case "empty": empty
        case "canCreate": canCreate
        default: nil
        }
    }
}

extension PlansController.PlanRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "href": href
        case "name": self.name
        case "currency": currency
        case "billingType": billingType
        case "periods": periods
        case "own": own
        case "priceListHref": priceListHref
        default: nil
        }
    }
}

extension PlansController.EditorPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "heading": heading
        case "action": action
        case "csrf": csrf
        case "name": self.name
        case "currencies": currencies
        case "billingTypes": billingTypes
        case "fixedPrice": fixedPrice
        case "pricesIncludeTaxes": pricesIncludeTaxes
        case "trialDays": trialDays
        case "changesInTrial": changesInTrial
        case "periods": periods
        case "periodsError": periodsError
        case "resources": resources
        case "formError": formError
        case "currencyLocked": currencyLocked
        default: nil
        }
    }
}

extension PlansController.PeriodRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "months": months
        case "monthsLabel": monthsLabel
        case "offered": offered
        case "fee": fee
        default: nil
        }
    }
}

extension PlansController.EditorRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "resourceID": resourceID
        case "code": code
        case "name": self.name
        case "unit": unit
        case "resourceMin": resourceMin
        case "resourceMax": resourceMax
        case "offered": offered
        case "included": included
        case "minUnits": minUnits
        case "maxUnits": maxUnits
        case "setupFee": setupFee
        case "recurringFee": recurringFee
        default: nil
        }
    }
}

extension PlansController.ShowPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "name": self.name
        case "facts": facts
        case "periods": periods
        case "resources": resources
        case "pairs": pairs
        case "hasPairs": hasPairs
        case "switchPaths": switchPaths
        case "hasSwitchPaths": hasSwitchPaths
        case "switchTargets": switchTargets
        case "hasSwitchTargets": hasSwitchTargets
        case "delegations": delegations
        case "hasDelegations": hasDelegations
        case "delegationTargets": delegationTargets
        case "hasDelegationTargets": hasDelegationTargets
        case "canEdit": canEdit
        case "canDelegate": canDelegate
        case "editHref": editHref
        case "switchAction": switchAction
        case "delegateAction": delegateAction
        case "priceListHref": priceListHref
        case "pricesNote": pricesNote
        default: nil
        }
    }
}

extension PlansController.Fact: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "value": value
        default: nil
        }
    }
}

extension PlansController.ResourceLineRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "code": code
        case "included": included
        case "limits": limits
        case "setupFee": setupFee
        case "recurringFee": recurringFee
        default: nil
        }
    }
}

extension PlansController.PairRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "label": label
        case "active": active
        case "downgradable": downgradable
        default: nil
        }
    }
}

extension PlansController.PathRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "href": href
        default: nil
        }
    }
}

extension PlansController.PriceListPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "title": title
        case "intro": intro
        case "planName": planName
        case "planHref": planHref
        case "currency": currency
        case "action": action
        case "periods": periods
        case "resources": resources
        case "warnings": warnings
        case "hasWarnings": hasWarnings
        case "formError": formError
        default: nil
        }
    }
}

extension PlansController.PriceRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "key": key
        case "label": label
        case "field": field
        case "netCost": netCost
        case "second": second
        case "secondKey": secondKey
        case "secondNetCost": secondNetCost
        default: nil
        }
    }
}
