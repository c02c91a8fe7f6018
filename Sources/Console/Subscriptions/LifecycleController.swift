import Commerce
import Foundation
import Hummingbird
import Localization
import Mustache
import OrderEngine
import Storage

/// The life of a subscription in the console: "Order a new service", cancellation, changes
/// scheduled for the renewal, and the provider's billing-run page (DOMAIN.md 6 and 7).
struct LifecycleController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.newSubscription.route, use: newService)
        group.post(URLs.newSubscription.route, use: orderService)
        group.post(URLs.cancelSubscription(0).route, use: cancel)
        group.post(URLs.scheduleChange(0).route, use: schedule)
        group.get(URLs.billingRuns.route, use: runs)
        group.post(URLs.billingRuns.route, use: runNow)
    }

    private func chrome(_ context: SignedInContext, _ section: Chrome.Section = .subscriptions) -> Chrome {
        Chrome(actor: context.actor, session: context.session, section: section)
    }

    // MARK: Order a new service

    struct NewServicePage {
        struct PlanCard {
            let id: Int64
            let name: String
            let href: String
            let billingType: String
            let trial: String?
            let prices: String
            let selected: Bool
        }
        struct ResourceField {
            let code: String
            let name: String
            let included: String
            let limits: String
            /// "included 2 · limits 1–16", as the reader writes numbers.
            let facts: String
            let value: String
            var error: String? = nil
        }
        let chrome: Chrome
        let customerID: Int64
        let customerName: String
        /// "for Acme Corp", and what is said when its seller sells nothing.
        let forCustomer: String
        let noPlans: String
        let plans: [PlanCard]
        let hasPlans: Bool
        let plan: PlanCard?
        let periods: [Option]
        let resources: [ResourceField]
        let promo: String
        let estimate: SubscriptionsController.EstimateView?
        let action: String
    }

    private func customerID(_ request: Request, _ context: SignedInContext) -> Int64? {
        // A customer orders for itself; an id that isn't its own is looked up (and not found) like any other.
        request.query("customer_id").flatMap { Int64($0) } ?? (context.actor.accountKind == .customer ? context.actor.accountID : nil)
    }

    /// The plans the customer's seller sells; with `plan_id`, its form; with `estimate=1`, the priced order and Submit.
    @Sendable func newService(_ request: Request, context: SignedInContext) async throws -> HTML {
        guard let customerID = customerID(request, context) else { throw StoreError.invalid(field: "customer_id", message: .init("error.sales.open_from_customer")) }
        let customer = try await AccountStore(database: services.database).account(customerID, in: context.scope)
        guard Policy.allows(context.actor, .order) else { throw StoreError.forbidden(.init("error.forbidden.viewers_order")) }
        let plans = try await services.orders.catalogue(for: customerID, in: context.scope)
        let selected = request.query("plan_id").flatMap { Int64($0) }.flatMap { id in plans.first { $0.id == id } }
        let codes = try await ResourceStore(database: services.database).all()
        let now = try await services.clock.now()
        func card(_ plan: Plan) async throws -> NewServicePage.PlanCard {
            let prices = try await PlanStore(database: services.database).prices(of: plan, seller: customer.parentID!, at: now)
            let fees = plan.periods.compactMap { months in prices.periodFees[months].map { fee in
                Localization.text("new_service.fee", ["months": .number(Int64(months)), "amount": .text(Shown.decimal(fee.amountText) + " " + plan.currency.code)])
            } }
            return NewServicePage.PlanCard(id: plan.id, name: plan.name, href: URLs.newSubscription.path + "?customer_id=\(customerID)&plan_id=\(plan.id)",
                                           billingType: plan.billingType.shown,
                                           trial: plan.trialDays > 0 ? Localization.text("new_service.trial", ["days": .number(Int64(plan.trialDays))]) : nil,
                                           prices: fees.joined(separator: " · "),
                                           selected: plan.id == selected?.id)
        }
        var cards: [NewServicePage.PlanCard] = []
        for plan in plans { cards.append(try await card(plan)) }
        var estimate: SubscriptionsController.EstimateView?
        var status = HTTPResponse.Status.ok
        var resources: [NewServicePage.ResourceField] = []
        let months = request.query("period_months").flatMap { try? PeriodMonths.parse($0) }?.value ?? selected?.periods.first ?? 1
        if let plan = selected {
            for rate in plan.resources {
                guard let resource = codes.first(where: { $0.id == rate.resourceID }), rate.included != -1 else { continue }
                let limits = "\(rate.minUnits)–\(rate.maxUnits == -1 ? "unlimited" : String(rate.maxUnits))"
                let shownLimits = Shown.number(rate.minUnits) + "–" + (rate.maxUnits == -1 ? Localization.text("common.unlimited") : Shown.number(rate.maxUnits))
                resources.append(.init(code: resource.code, name: resource.name, included: String(rate.included), limits: limits,
                                       facts: Localization.text("new_service.facts", ["included": .number(rate.included), "limits": .text(shownLimits)]),
                                       value: request.query(resource.code) ?? String(rate.included)))
            }
            if request.query("estimate") == "1" {
                do {
                    let sale = try saleRequest(customerID: customerID, plan: plan, months: request.query("period_months") ?? String(months),
                                               value: { request.query($0) }, codes: codes.map { ($0.id, $0.code) })
                    let priced = try await services.orders.quoteSale(sale, in: context.scope)
                    var view = SubscriptionsController.view(priced.quote, refusals: priced.refusals, effectiveDate: priced.today)
                    if priced.refusals.isEmpty {
                        var fields = [EstimateViewHidden(name: "customer_id", value: String(customerID)), .init(name: "plan_id", value: String(plan.id)),
                                      .init(name: "period_months", value: String(months)), .init(name: "promo_code", value: sale.promoCode ?? "")]
                        fields += resources.map { .init(name: $0.code, value: $0.value) }
                        view.submit = .init(action: URLs.newSubscription.path, csrf: context.session.current?.csrfToken ?? "", fields: fields,
                                            idempotencyKey: UUID().uuidString)
                        view.submitLabel = Localization.text(priced.trial ? "estimate.start_trial" : "estimate.place_order")
                    }
                    estimate = view
                } catch let errors as ValidationErrors {
                    // A field of the form is marked, with what was typed; the rest is said above the form.
                    for index in resources.indices { resources[index].error = errors.message(for: resources[index].code) }
                    if resources.allSatisfy({ $0.error == nil }) {
                        context.session.update { $0.flash = errors.fields.map(\.message).joined(separator: " ") }
                    } else {
                        status = .unprocessableContent
                    }
                } catch StoreError.invalid(_, let message) {
                    context.session.update { $0.flash = message.rendered() }
                }
            }
        }
        var selectedCard: NewServicePage.PlanCard?
        if let selected { selectedCard = try await card(selected) }
        return try services.render("subscription_new", NewServicePage(
            chrome: chrome(context), customerID: customerID, customerName: customer.name,
            forCustomer: Localization.text("new_service.for", ["customer": .text(customer.name)]),
            noPlans: Localization.text("new_service.no_plans", ["customer": .text(customer.name)]), plans: cards, hasPlans: !cards.isEmpty,
            plan: selectedCard,
            periods: (selected?.periods ?? []).map { Option(value: String($0), label: Shown.months($0), selected: $0 == months) },
            resources: resources, promo: request.query("promo_code") ?? "", estimate: estimate, action: URLs.newSubscription.path), status: status)
    }

    typealias EstimateViewHidden = SubscriptionsController.EstimateView.Hidden

    /// Form values → a sale: each resource field is the total wanted; additional = total − included.
    /// Totals are `Units` and the period `PeriodMonths`; anything else is refused naming its field.
    private func saleRequest(customerID: Int64, plan: Plan, months: String, value: (String) -> String?, codes: [(Int64, String)]) throws -> SaleRequest {
        var errors = ValidationErrors()
        let period = errors.check("period_months") { try PeriodMonths.parse(months.isEmpty ? "1" : months) }
        var additional: [String: Int64] = [:]
        for rate in plan.resources where rate.included != -1 {
            guard let code = codes.first(where: { $0.0 == rate.resourceID })?.1,
                  let text = value(code), !text.trimmingCharacters(in: .whitespaces).isEmpty,
                  let total = errors.check(code, { try Units.parse(text) }) else { continue }
            guard let extra = Units(rate.included).flatMap({ total.subtracting($0) }) else {
                errors.add(code, BoundsError.outOfRange(minimum: Units.range.lowerBound, maximum: Units.range.upperBound).localized)
                continue
            }
            additional[code] = extra.value
        }
        try errors.throwIfAny()
        return SaleRequest(customerID: customerID, planID: plan.id, periodMonths: period!.value, additional: additional,
                           promoCode: value("promo_code").flatMap { $0.isEmpty ? nil : $0 })
    }

    @Sendable func orderService(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await request.form(context)
        guard let customerID = Int64(form.text("customer_id")) else { throw StoreError.invalid(field: "customer_id", message: .init("error.sales.choose_customer")) }
        _ = try await AccountStore(database: services.database).account(customerID, in: context.scope)
        let plans = try await services.orders.catalogue(for: customerID, in: context.scope)
        guard let planID = Int64(form.text("plan_id")), let plan = plans.first(where: { $0.id == planID }) else {
            throw StoreError.invalid(field: "plan_id", message: .init("error.sales.choose_plan"))
        }
        let codes = try await ResourceStore(database: services.database).all().map { ($0.id, $0.code) }
        do {
            let sale = try saleRequest(customerID: customerID, plan: plan, months: form.text("period_months"), value: { form[$0] }, codes: codes)
            let result = try await services.orders.submitSale(sale, idempotencyKey: form.text("idempotency_key").isEmpty ? nil : form.text("idempotency_key"),
                                                              in: context.scope)
            if result.order.status == .awaitingPayment, let invoice = result.order.invoiceID {
                context.session.update { $0.flash = Localization.text("new_service.placed_pay", ["id": .text(String(result.order.id)), "plan": .text(plan.name)]) }
                return redirect(.invoiceCheckout(invoice))
            }
            context.session.update { $0.flash = Localization.text("new_service.placed", ["id": .text(String(result.order.id)), "plan": .text(plan.name)]) }
            return redirect(.order(result.order.id))
        } catch let refused as OrderRefused {
            context.session.update { $0.flash = Localization.text("new_service.not_placed", ["reason": .text(refused.first.message)]) }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = Localization.text("new_service.not_placed", ["reason": .text(message.rendered())]) }
        } catch let errors as ValidationErrors {
            let reason = errors.fields.map { "\($0.field): \($0.message)" }.joined(separator: " ")
            context.session.update { $0.flash = Localization.text("new_service.not_placed", ["reason": .text(reason)]) }
        }
        return redirect(to: URLs.newSubscription.path + "?customer_id=\(customerID)&plan_id=\(plan.id)")
    }

    // MARK: Cancellation and scheduled changes

    @Sendable func cancel(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await SubscriptionStore(database: services.database).subscription(id, in: context.scope)
        let form = try await request.form(context)
        do {
            switch form.text("when") {
            case "now":
                let order = try await services.orders.cancelNow(subscription: id, in: context.scope)
                context.session.update {
                    $0.flash = order.totals.total < 0
                        ? Localization.text("subscription.cancelled_refunded", ["id": .text(String(id)), "amount": .text(order.money(-order.totals.total).shown)])
                        : Localization.text("subscription.cancelled_flash", ["id": .text(String(id))])
                }
            case "period_end":
                let subscription = try await services.orders.cancelAtPeriodEnd(subscription: id, true, in: context.scope)
                context.session.update { $0.flash = Localization.text("subscription.ends_flash", ["id": .text(String(id)), "date": .text(subscription.period.end.shown)]) }
            default:
                _ = try await services.orders.cancelAtPeriodEnd(subscription: id, false, in: context.scope)
                context.session.update { $0.flash = Localization.text("subscription.renews_flash", ["id": .text(String(id))]) }
            }
        } catch let refused as OrderRefused {
            context.session.update { $0.flash = refused.first.message }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.subscription(id))
    }

    /// Schedules the estimated quantities for the renewal (a commitment's reductions), or clears them (`clear=1`).
    @Sendable func schedule(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let subscription = try await SubscriptionStore(database: services.database).subscription(id, in: context.scope)
        let form = try await request.form(context)
        do {
            if form.text("clear") == "1" {
                _ = try await services.orders.schedule(nil, subscription: id, in: context.scope)
                context.session.update { $0.flash = Localization.text("subscription.unscheduled") }
            } else if case .quantities(let wanted) = try SubscriptionsController.change(from: { form[$0] }, subscription: subscription) {
                _ = try await services.orders.schedule(wanted, subscription: id, in: context.scope)
                context.session.update { $0.flash = Localization.text("subscription.scheduled", ["date": .text(subscription.period.end.shown)]) }
            }
        } catch let errors as ValidationErrors {
            context.session.update { $0.flash = errors.fields.map(\.message).joined(separator: " ") }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.subscription(id))
    }

    // MARK: Billing runs

    struct RunsPage {
        struct Row {
            let id: Int64
            let date: String
            let started: String
            let duration: String
            let node: String
            let counts: BillingRunResult
            /// The counts in the reader's digits, by the names of `counts`.
            var shownCounts: [String: String] = [:]
        }
        let chrome: Chrome
        let rows: [Row]
        let empty: Bool
        let canRun: Bool
        let csrf: String
        let today: String
        let last: Row?
        /// "Run now for 2026-12-03", in the reader's words and digits.
        var runNowLabel: String = ""
    }

    static func shown(_ counts: BillingRunResult) -> [String: String] {
        let values = ["subscriptions": counts.subscriptions, "renewalOrders": counts.renewalOrders, "invoices": counts.invoices, "rolledOver": counts.rolledOver,
                      "suspended": counts.suspended, "reactivated": counts.reactivated, "trialsEnded": counts.trialsEnded, "cancelled": counts.cancelled,
                      "errors": counts.errors]
        return values.mapValues { Format.number(Int64($0)) }
    }

    @Sendable func runs(_ request: Request, context: SignedInContext) async throws -> HTML {
        guard Policy.allows(context.actor, .seeProviderArea) else { throw StoreError.forbidden(.init("error.forbidden.billing_runs")) }
        let rows = try await BillingRun.recent(on: services.database).map { run in
            RunsPage.Row(id: run.result.id, date: Format.date(run.result.businessDate), started: Format.digits(BillingController.moment(run.startedAt)),
                         duration: run.finishedAt.map { Localization.text("billing_runs.seconds", ["seconds": .text(Format.digits(String(format: "%.2f", $0.timeIntervalSince(run.startedAt))))]) }
                             ?? Localization.text("billing_runs.running"),
                         node: run.node, counts: run.result, shownCounts: Self.shown(run.result))
        }
        return try services.render("billing_runs", RunsPage(
            chrome: chrome(context, .settings), rows: rows, empty: rows.isEmpty, canRun: Policy.allows(context.actor, .runBilling),
            csrf: context.session.current?.csrfToken ?? "", today: try await services.clock.today().description, last: rows.first,
            runNowLabel: Localization.text("billing_runs.run_now", ["date": .text(Format.date(try await services.clock.today().description))])))
    }

    @Sendable func runNow(_ request: Request, context: SignedInContext) async throws -> Response {
        guard Policy.allows(context.actor, .runBilling) else { throw StoreError.forbidden(.init("error.forbidden.run_billing")) }
        let result = try await services.billingRun.run(by: context.actor)
        context.session.update {
            $0.flash = Localization.text("billing_runs.done", ["date": .text(Format.date(result.businessDate)), "renewals": .number(Int64(result.renewalOrders)),
                                                                 "invoices": .number(Int64(result.invoices)), "rolled": .number(Int64(result.rolledOver)),
                                                                 "suspended": .number(Int64(result.suspended))])
        }
        return redirect(.billingRuns)
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.
// (`self.name`: a bare `name` is the parameter.)

extension LifecycleController.NewServicePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "customerID": customerID
        case "customerName": customerName
        case "forCustomer": forCustomer
        case "noPlans": noPlans
        case "plans": plans
        case "hasPlans": hasPlans
        case "plan": plan
        case "periods": periods
        case "resources": resources
        case "promo": promo
        case "estimate": estimate
        case "action": action
        default: nil
        }
    }
}

extension LifecycleController.NewServicePage.PlanCard: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "name": self.name
        case "href": href
        case "billingType": billingType
        case "trial": trial
        case "prices": prices
        case "selected": selected
        default: nil
        }
    }
}

extension LifecycleController.NewServicePage.ResourceField: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "code": code
        case "name": self.name
        case "included": included
        case "limits": limits
        case "facts": facts
        case "value": value
        case "error": error
        default: nil
        }
    }
}

extension LifecycleController.RunsPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "rows": rows
        case "empty": empty
        case "canRun": canRun
        case "csrf": csrf
        case "today": today
        case "runNowLabel": runNowLabel
        case "last": last
        default: nil
        }
    }
}

extension LifecycleController.RunsPage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "date": date
        case "started": started
        case "duration": duration
        case "node": node
        case "counts": counts
        case "shownCounts": shownCounts
        default: nil
        }
    }
}
