import Commerce
import Foundation
import Hummingbird
import Localization
import Mustache
import OrderEngine
import Storage

/// Subscription pages: the list, a subscription's page, and "Upgrade / Downgrade" with its estimate.
/// The estimate is a GET: a quote changes nothing, so it needs no form token and can be bookmarked.
struct SubscriptionsController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.subscriptions.route, use: index)
        group.get(URLs.subscription(0).route, use: show)
        group.get(URLs.subscriptionChange(0).route, use: change)
        group.get(URLs.subscriptionEstimate(0).route, use: estimate)
        group.post(URLs.subscriptionStatus(0).route, use: setStatus)
        group.post(URLs.subscriptionUsage(0).route, use: setUsage)
    }

    /// Staff set active, blocked or suspended from the subscription's page.
    @Sendable func setStatus(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await store.subscription(id, in: context.scope)
        let form = try await request.form(context)
        do {
            let updated = try await store.setStatus(id, form.text("status"), in: context.scope)
            context.session.update { $0.flash = Localization.text("subscription.status_now", ["id": .text(String(id)), "status": .text(updated.status.shown)]) }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.subscription(id))
    }

    /// Staff record usage: one field per resource code.
    @Sendable func setUsage(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let subscription = try await store.subscription(id, in: context.scope)
        let form = try await request.form(context)
        var usage: [String: Int64] = [:]
        for line in subscription.resources {
            let text = form.text("usage_\(line.code)")
            guard !text.isEmpty else { continue }
            guard let value = Int64(text) else {
                context.session.update { $0.flash = Localization.text("subscription.usage_whole", ["code": .text(line.code)]) }
                return redirect(.subscription(id))
            }
            usage[line.code] = value
        }
        do {
            _ = try await store.setUsage(id, usage, in: context.scope)
            context.session.update { $0.flash = Localization.text("subscription.usage_recorded") }
        } catch let errors as ValidationErrors {
            context.session.update { $0.flash = errors.fields.map { "\($0.field): \($0.message)" }.joined(separator: " ") }
        }
        return redirect(.subscription(id))
    }

    var store: SubscriptionStore { SubscriptionStore(database: services.database) }

    private func chrome(_ context: SignedInContext) -> Chrome { Chrome(actor: context.actor, session: context.session, section: .subscriptions) }

    // MARK: List and page

    struct IndexPage {
        let chrome: Chrome
        let rows: [Row]
        let empty: Bool
        let statuses: [Option]
        let customerID: String
        let plans: [Option]
        let hasPlans: Bool
        let nextHref: String?
        /// Customers (and staff filtering by a customer) order new services from here.
        let newHref: String?
        /// "Export CSV": the list as a file, with the page's filters (issue 16).
        var exportHref: String? = nil
    }

    struct Row {
        let id: Int64
        let href: String
        let customer: String
        let plan: String
        let status: String
        let period: String
    }

    @Sendable func index(_ request: Request, context: SignedInContext) async throws -> HTML {
        let status = request.query("status").flatMap(SubscriptionStatus.init(rawValue:))
        let customerID = request.query("customer_id").flatMap { Int64($0) }
        let planID = request.query("plan_id").flatMap { Int64($0) }
        let plans = Policy.allows(context.actor, .seeStaffArea) ? try await PlanStore(database: services.database).list(in: context.scope) : []
        if let customerID { _ = try await AccountStore(database: services.database).account(customerID, in: context.scope) }
        let page = try await store.list(in: context.scope, filter: .init(customerID: customerID, planID: request.query("plan_id").flatMap { Int64($0) }, status: status),
                                        page: PageRequest(limit: 50, cursor: request.query("cursor").flatMap { Int64($0) }))
        // Whose and which plan, for the whole page in one query each (was two per row).
        let names = try await AccountStore(database: services.database).names(Set(page.items.map(\.customerID)), in: context.scope)
        let planNames = try await store.planNames(of: page.items)
        return try services.render("subscriptions_index", IndexPage(
            chrome: chrome(context),
            rows: page.items.map { Row(id: $0.id, href: URLs.subscription($0.id).path, customer: names[$0.customerID] ?? "", plan: planNames[$0.planID] ?? "",
                                       status: $0.status.shown, period: Shown.period($0.period.start, $0.period.end)) },
            empty: page.items.isEmpty,
            statuses: SubscriptionStatus.allCases.map { Option(value: $0.rawValue, label: $0.shown, selected: $0 == status) },
            customerID: customerID.map(String.init) ?? "",
            plans: plans.map { Option(value: String($0.id), label: $0.name, selected: $0.id == planID) }, hasPlans: !plans.isEmpty,
            nextHref: page.nextCursor.map { URLs.subscriptions.path + "?cursor=\($0)" + (status.map { "&status=\($0.rawValue)" } ?? "") },
            newHref: !Policy.allows(context.actor, .order) ? nil
                : context.actor.accountKind == .customer ? URLs.newSubscription.path + "?customer_id=\(context.actor.accountID)"
                : customerID.map { URLs.newSubscription.path + "?customer_id=\($0)" },
            exportHref: ExportController.href(.export(.subscriptions), from: request)))
    }

    struct ShowPage {
        let chrome: Chrome
        let id: Int64
        /// "#7 of" before the customer's link.
        let ofText: String
        let customer: String
        let customerHref: String
        let plan: String
        let status: String
        let isActive: Bool
        let period: String
        let months: String
        let resources: [ResourceRow]
        let history: [AuditRow]
        let changeHref: String
        let canChange: Bool
        let isStaff: Bool
        let csrf: String
        let statusAction: String
        let usageAction: String
        let statuses: [Option]
        let orders: [OrderLink]
        let hasOrders: Bool
        let ordersHref: String
        /// The order awaiting payment, if any, with where to pay it.
        let openOrder: OrderLink?
        /// "Renews on … for …", or how it ends.
        let renewal: String?
        let endsAtPeriodEnd: Bool
        let isCancelled: Bool
        let canCancel: Bool
        let cancelAction: String
        /// What cancelling now gives back.
        let cancelRefund: String
        let scheduled: String?
        let scheduleAction: String
        let invoicesHref: String
    }

    struct OrderLink {
        let id: Int64
        let href: String
        let summary: String
        let statusLabel: String
        let badge: String
        let total: String
        let created: String
        let payHref: String?
    }

    struct ResourceRow {
        let code: String
        let name: String
        let unit: String
        let included: String
        let additional: Int64
        let additionalText: String
        let total: String
        /// The usage form's value (ASCII digits), and as the reader writes numbers.
        let usage: Int64
        let usageText: String
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> HTML {
        let id = try context.parameters.require("id", as: Int64.self)
        // Orders first: an order completing between the two reads then shows as completed with its
        // change, never as neither open nor applied.
        let orders = try await OrderStore(database: services.database).list(in: context.scope, filter: .init(subscriptionID: id), page: PageRequest(limit: 5)).items
        let subscription = try await store.subscription(id, in: context.scope)
        let customer = try await AccountStore(database: services.database).account(subscription.customerID, in: context.scope)
        let plan = try await PlanStore(database: services.database).plan(of: subscription)
        // Resources by name where a person reads them (codes stay in the API and the form fields).
        let labels = try await ResourceLabels.load(ids: Set(subscription.resources.map(\.resourceID)), on: services.database)
        let links = orders.map { order in
            OrderLink(id: order.id, href: URLs.order(order.id).path, summary: labels.naming(EngineText.localized(order.summary)), statusLabel: order.status.shown,
                      badge: BillingController.badge(order.status), total: order.money(order.totals.total).shown,
                      created: Shown.day(order.createdAt),
                      payHref: order.status == .awaitingPayment && Policy.allows(context.actor, .order) ? order.invoiceID.map { URLs.invoiceCheckout($0).path } : nil)
        }
        var renewal: String?
        if subscription.status == .cancelled {
            renewal = subscription.cancelledAt.map { Localization.text("subscription.cancelled_on", ["date": .text(Shown.day($0))]) }
                ?? Localization.text("subscription.cancelled")
        } else if subscription.cancelAtPeriodEnd {
            renewal = Localization.text("subscription.ends_on", ["date": .text(subscription.period.end.shown)])
        } else if let preview = try await services.orders.renewalPreview(of: subscription, plan: plan, customer: customer) {
            let paid = (subscription.paidUntil ?? subscription.period.end) >= preview.period.end
            let dates: [String: LocalizedText.Argument] = ["start": .text(preview.period.start.shown), "end": .text(preview.period.end.shown)]
            renewal = paid ? Localization.text("subscription.renewed", dates)
                           : Localization.text("subscription.renews_on", dates.merging(["total": .text(preview.total.shown)]) { $1 })
        } else if plan.billingType == .postpaid {
            renewal = Localization.text("subscription.postpaid_renewal", ["date": .text(subscription.period.end.shown)])
        }
        var cancelRefund = ""
        if subscription.status != .cancelled {
            let preview = try await services.orders.quoteCancellation(of: subscription, plan: plan, customer: customer)
            let total = preview.quote.charged.total
            let refund = total < 0 ? Localization.text("subscription.refunds", ["amount": .text(Money(minorUnits: -total, currency: preview.quote.charged.currency).shown)])
                                   : Localization.text("subscription.refunds_nothing")
            cancelRefund = Localization.text("subscription.cancel_now", ["refund": .text(refund)])
        }
        let scheduled = subscription.scheduledChange.flatMap { json -> String? in
            guard case .quantities(let wanted)? = try? ChangeRequest.parse(json: json) else { return nil }
            return wanted.sorted { $0.key < $1.key }.map { code, additional in
                let line = subscription.line(code)
                return "\(labels.naming(code)) → \(Shown.number((line?.included ?? 0) + additional))"
            }.joined(separator: ", ")
        }
        // This subscription's own history, filtered in SQL: the customer's other subscriptions don't crowd it out.
        let history = try await AuditFeed.page(on: services.database, in: context.scope, filter: .init(accountID: customer.id, objectType: "subscription", objectID: id),
                                               page: PageRequest(limit: 20)).items
        return try services.render("subscription_show", ShowPage(
            chrome: chrome(context), id: id, ofText: Localization.text("subscription.of", ["id": .text(String(id))]), customer: customer.name, customerHref: URLs.account(customer.id).path, plan: plan.name,
            status: subscription.status.shown, isActive: subscription.status == .active || subscription.status == .trial,
            period: Shown.period(subscription.period.start, subscription.period.end), months: Shown.months(subscription.period.months),
            resources: subscription.resources.map { line in
                let label = labels.first { $0.id == line.resourceID }
                let unlimited = Localization.text("common.unlimited")
                return ResourceRow(code: line.code, name: label?.name ?? line.code, unit: label?.unit ?? "", included: line.included == -1 ? unlimited : Shown.number(line.included),
                                   additional: line.additional, additionalText: Shown.number(line.additional), total: line.total == -1 ? unlimited : Shown.number(line.total),
                                   usage: line.usage, usageText: Shown.number(line.usage))
            },
            history: history.map(AuditRow.init), changeHref: URLs.subscriptionChange(id).path, canChange: Policy.allows(context.actor, .order),
            isStaff: Policy.allows(context.actor, .manageSubscriptions) && subscription.status != .cancelled,
            csrf: context.session.current?.csrfToken ?? "", statusAction: URLs.subscriptionStatus(id).path, usageAction: URLs.subscriptionUsage(id).path,
            statuses: [SubscriptionStatus.active, .blocked, .suspended].map { Option(value: $0.rawValue, label: $0.shown, selected: $0 == subscription.status) },
            orders: links, hasOrders: !links.isEmpty, ordersHref: URLs.orders.path + "?subscription_id=\(id)",
            openOrder: zip(orders, links).first { order, _ in !order.status.isTerminal }?.1,
            renewal: renewal, endsAtPeriodEnd: subscription.cancelAtPeriodEnd, isCancelled: subscription.status == .cancelled,
            canCancel: Policy.allows(context.actor, .order) && subscription.status != .cancelled, cancelAction: URLs.cancelSubscription(id).path,
            cancelRefund: cancelRefund, scheduled: scheduled, scheduleAction: URLs.scheduleChange(id).path,
            invoicesHref: URLs.invoices.path + "?subscription_id=\(id)"))
    }

    // MARK: Upgrade / Downgrade

    struct ChangePage {
        let chrome: Chrome
        let id: Int64
        let plan: String
        let action: String
        let resources: [Slider]
        let switches: [Option]
        let hasSwitches: Bool
        let plans: [Option]
        let hasPlans: Bool
        let periods: [Option]
        let promo: String
        let promoAllowed: Bool
        let estimate: EstimateView?
        /// A refused plan id or period, marked on the plan switch.
        var planError: String? = nil
    }

    struct Slider {
        let code: String
        let name: String
        let included: Int64
        let additional: Int64
        let min: Int64
        let max: Int64
        let usage: Int64
        let usageFloor: Int64
        /// "included 2 · in use 3 · limits 1–16", as the reader writes numbers.
        let facts: String
        /// What the number field shows: the typed text, kept when it is refused.
        let value: String
        let error: String?
    }

    /// What a person reads of a quote: each line with its days, the discount, tax, and the total charged today.
    struct EstimateView {
        struct Line {
            let description: String
            let days: String
            let amount: String
        }
        struct Reason {
            let code: String
            let message: String
        }
        let lines: [Line]
        let hasLines: Bool
        let subtotal: String
        let discount: String
        let hasDiscount: Bool
        let tax: String
        let total: String
        let isRefund: Bool
        let refund: String
        let planCurrencyTotal: String?
        let rate: String?
        let reasons: [Reason]
        let blocked: Bool
        let effectiveDate: String
        /// "for 2026-04-26".
        let forDate: String
        /// "Priced in the plan currency: …, converted at …", when the quote was converted.
        let rateText: String?
        /// Present when the change can be ordered.
        var submit: Submit? = nil
        var submitLabel = Localization.text("estimate.submit")
        /// A commitment's reduction can't be made now, but can be scheduled for the renewal.
        var schedule: Submit? = nil
        var renewalDate: String? = nil
        var scheduleLabel: String? = nil

        struct Hidden {
            let name: String
            let value: String
        }
        struct Submit {
            let action: String
            let csrf: String
            let fields: [Hidden]
            let idempotencyKey: String
        }
    }

    private func form(_ subscription: Subscription, plan: Plan, request: Request, context: SignedInContext, estimate: EstimateView?,
                      errors: ValidationErrors? = nil) async throws -> HTML {
        let plans = PlanStore(database: services.database)
        let pairs = try await plans.upgradePairs(of: plan).filter(\.active)
        var switches: [Option] = []
        for pair in pairs {
            if let from = subscription.line(pair.from.code), from.total >= 1, (subscription.line(pair.to.code)?.total ?? 0) == 0 {
                switches.append(Option(value: "\(pair.from.code)>\(pair.to.code)", label: Localization.text("subscription_change.switch_upgrade", ["from": .text(pair.from.name), "to": .text(pair.to.name)]), selected: request.query("switch") == "\(pair.from.code)>\(pair.to.code)"))
            }
            if pair.downgradable, let to = subscription.line(pair.to.code), to.total >= 1, (subscription.line(pair.from.code)?.total ?? 0) == 0 {
                switches.append(Option(value: "\(pair.to.code)>\(pair.from.code)", label: Localization.text("subscription_change.switch_downgrade", ["from": .text(pair.to.name), "to": .text(pair.from.name)]), selected: request.query("switch") == "\(pair.to.code)>\(pair.from.code)"))
            }
        }
        // The plan itself (another period only) and the switch targets the customer's seller sells.
        let targets = (try await plans.switchTargets(of: plan, soldBy: subscription.sellerID ?? 0)) + [plan]
        let names = try await ResourceStore(database: services.database).all()
        return try services.render("subscription_change", ChangePage(
            chrome: chrome(context), id: subscription.id, plan: plan.name, action: URLs.subscriptionEstimate(subscription.id).path,
            resources: subscription.resources.compactMap { line in
                guard let rate = plan.resources.first(where: { $0.resourceID == line.resourceID }), line.included != -1 else { return nil }
                // The slider moves the total; its bounds are the plan's limits, never below current usage.
                // A typed total is kept as typed; the range input gets it only inside the bounds.
                let floor = max(rate.minUnits, line.usage)
                let typed = request.query(line.code)
                let total = typed.flatMap { try? Units.parse($0) }?.value ?? line.total
                let (fourTimes, overflow) = line.total.multipliedReportingOverflow(by: 4)
                let sliderMax = rate.maxUnits == -1 ? min(max(overflow ? Units.maximum : fourTimes, 100), Units.maximum) : rate.maxUnits
                return Slider(code: line.code, name: names.first { $0.id == line.resourceID }?.name ?? line.code, included: line.included,
                              additional: total, min: rate.minUnits,
                              max: sliderMax,
                              usage: line.usage, usageFloor: floor,
                              facts: Localization.text("subscription_change.slider_facts", ["included": .number(line.included), "usage": .number(line.usage),
                                                                                             "min": .number(rate.minUnits), "max": .number(sliderMax)]),
                              value: typed ?? String(total), error: errors?.message(for: line.code))
            },
            switches: switches, hasSwitches: !switches.isEmpty,
            plans: targets.map { Option(value: String($0.id), label: $0.id == plan.id ? Localization.text("subscription_change.another_period", ["plan": .text($0.name)]) : $0.name,
                                        selected: request.query("plan_id") == String($0.id)) }, hasPlans: !targets.isEmpty,
            periods: [1, 3, 6, 12].map { Option(value: String($0), label: Shown.months($0), selected: (request.query("period_months").flatMap { Int($0) } ?? subscription.period.months) == $0) },
            promo: request.query("promo_code") ?? "", promoAllowed: !subscription.individualPrices, estimate: estimate,
            planError: errors?.message(for: "plan_id") ?? errors?.message(for: "period_months")))
    }

    @Sendable func change(_ request: Request, context: SignedInContext) async throws -> HTML {
        let id = try context.parameters.require("id", as: Int64.self)
        let subscription = try await store.subscription(id, in: context.scope)
        guard Policy.allows(context.actor, .order) else { throw StoreError.forbidden(.init("error.forbidden.viewers_change_subscriptions")) }
        let plan = try await PlanStore(database: services.database).plan(of: subscription)
        return try await form(subscription, plan: plan, request: request, context: context, estimate: nil)
    }

    /// The estimate: `?ram_gb=8&...` (new totals), or `?switch=a>b`, or `?plan_id=&period_months=`, plus `promo_code`.
    /// With `fragment=1` only the estimate block, for the page's script to swap in as a slider moves.
    @Sendable func estimate(_ request: Request, context: SignedInContext) async throws -> HTML {
        let id = try context.parameters.require("id", as: Int64.self)
        let subscription = try await store.subscription(id, in: context.scope)
        guard Policy.allows(context.actor, .order) else { throw StoreError.forbidden(.init("error.forbidden.viewers_change_subscriptions")) }
        let plan = try await PlanStore(database: services.database).plan(of: subscription)
        let change: ChangeRequest
        do { change = try Self.change(from: { request.query($0) }, subscription: subscription) } catch let errors as ValidationErrors {
            var page = try await form(subscription, plan: plan, request: request, context: context, estimate: nil, errors: errors)
            page.status = .unprocessableContent
            return page
        }
        let priced = try await QuoteService(database: services.database, clock: services.clock)
            .quote(subscription, change: change, promoCode: request.query("promo_code"), in: context.scope)
        var view = Self.view(priced)
        if priced.refusals.isEmpty && !priced.quote.lines.isEmpty {
            // Submit orders exactly what was estimated; the key makes a double click one order.
            view.submit = .init(action: URLs.subscriptionOrders(id).path, csrf: context.session.current?.csrfToken ?? "",
                                fields: Self.changeFields(from: { request.query($0) }, subscription: subscription), idempotencyKey: UUID().uuidString)
        }
        // Any reduction may wait for the renewal instead (DOMAIN.md 5 rules 6 and 7 don't bind the next period): a choice beside Submit.
        if case .quantities = change, !ChangeRules.reductions(of: change, priced.loaded.snapshot).isEmpty,
           priced.refusals.allSatisfy({ [.commitmentReduction, .nonRefundReduction].contains($0.code) }), Policy.allows(context.actor, .order) {
            view.schedule = .init(action: URLs.scheduleChange(id).path, csrf: context.session.current?.csrfToken ?? "",
                                  fields: Self.changeFields(from: { request.query($0) }, subscription: subscription), idempotencyKey: "")
            view.renewalDate = subscription.period.end.shown
            view.scheduleLabel = Localization.text("estimate.schedule", ["date": .text(subscription.period.end.shown)])
        }
        if request.query("fragment") == "1" {
            return try services.render("_estimate", view)
        }
        return try await form(subscription, plan: plan, request: request, context: context, estimate: view)
    }

    /// The change a form or query asks for: `?ram_gb=8&...` (new totals), `?switch=a>b`, or `?plan_id=&period_months=`.
    /// Each value goes through the bounded types: a total outside `Units`, a plan id or a period
    /// that isn't one, is refused naming its field (a resource's field is its code).
    static func change(from value: (String) -> String?, subscription: Subscription) throws -> ChangeRequest {
        var errors = ValidationErrors()
        func given(_ name: String) -> String? { value(name).flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        if let choice = value("switch"), choice.contains(">") {
            let parts = choice.split(separator: ">", omittingEmptySubsequences: false).map(String.init)
            return .resourceSwitch(from: parts.first ?? "", to: parts.count > 1 ? parts[1] : "")
        }
        if let text = given("plan_id") {
            let target = errors.check("plan_id") { try RecordID.parse(text) }
            let months = given("period_months").map { text in errors.check("period_months") { try PeriodMonths.parse(text) } }
            guard let target, months.map({ $0 != nil }) ?? true else { throw errors }
            return .plan(planID: target.value, periodMonths: months??.value ?? subscription.period.months)
        }
        var wanted: [String: Int64] = [:]
        for line in subscription.resources where line.included != -1 {
            guard let text = given(line.code), let total = errors.check(line.code, { try Units.parse(text) }) else { continue }
            // Included units are bounded where plans are made; the difference is checked all the same.
            guard let additional = Units(line.included).flatMap({ total.subtracting($0) }) else {
                errors.add(line.code, BoundsError.outOfRange(minimum: Units.range.lowerBound, maximum: Units.range.upperBound).localized)
                continue
            }
            wanted[line.code] = additional.value
        }
        try errors.throwIfAny()
        return .quantities(wanted)
    }

    /// The names and values that carry a change (and its promo code) from the estimate to Submit and back.
    static func changeFields(from value: (String) -> String?, subscription: Subscription) -> [EstimateView.Hidden] {
        let names = ["switch", "plan_id", "period_months", "promo_code"] + subscription.resources.map(\.code)
        return names.compactMap { name in value(name).flatMap { $0.isEmpty ? nil : EstimateView.Hidden(name: name, value: $0) } }
    }

    static func changeQuery(from value: (String) -> String?, subscription: Subscription) -> String {
        changeFields(from: value, subscription: subscription).map { field in
            "\(field.name)=\(field.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
    }

    static func view(_ priced: PricedChange) -> EstimateView {
        view(priced.quote, refusals: priced.refusals, effectiveDate: priced.today)
    }

    static func view(_ quote: Quote, refusals: [Refusal], effectiveDate: BusinessDate) -> EstimateView {
        let charged = quote.charged
        func money(_ minor: Int64, _ currency: Currency) -> String { Money(minorUnits: minor, currency: currency).shown }
        return EstimateView(
            lines: quote.lines.enumerated().map { index, line in
                EstimateView.Line(description: EngineText.localized(line.description), days: Shown.number(line.daysRemaining) + "/" + Shown.number(line.daysInPeriod),
                                  amount: money(charged.lines[index], charged.currency))
            },
            hasLines: !quote.lines.isEmpty,
            subtotal: money(charged.subtotal, charged.currency), discount: money(-charged.discount, charged.currency), hasDiscount: charged.discount != 0,
            tax: money(charged.tax, charged.currency), total: money(charged.total, charged.currency),
            isRefund: charged.total < 0, refund: money(-charged.total, charged.currency),
            planCurrencyTotal: quote.converted == nil ? nil : money(quote.plan.total, quote.plan.currency), rate: quote.rate?.text,
            reasons: refusals.map { EstimateView.Reason(code: $0.code.rawValue, message: $0.message) },
            blocked: !refusals.isEmpty, effectiveDate: effectiveDate.description,
            forDate: Localization.text("estimate.for_date", ["date": .text(effectiveDate.shown)]),
            rateText: quote.converted == nil ? nil : quote.rate.map { rate in
                Localization.text("estimate.rate", ["total": .text(money(quote.plan.total, quote.plan.currency)), "rate": .text(Shown.decimal(rate.text))])
            })
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.
// (`self.name`: a bare `name` is the parameter.)

extension SubscriptionsController.IndexPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "rows": rows
        case "empty": empty
        case "statuses": statuses
        case "customerID": customerID
        case "plans": plans
        case "hasPlans": hasPlans
        case "nextHref": nextHref
        case "newHref": newHref
        case "exportHref": exportHref
        default: nil
        }
    }
}

extension SubscriptionsController.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "href": href
        case "customer": customer
        case "plan": plan
        case "status": status
        case "period": period
        default: nil
        }
    }
}

extension SubscriptionsController.ShowPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "id": id
        case "ofText": ofText
        case "customer": customer
        case "customerHref": customerHref
        case "plan": plan
        case "status": status
        case "isActive": isActive
        case "period": period
        case "months": months
        case "resources": resources
        case "history": history
        case "changeHref": changeHref
        case "canChange": canChange
        case "isStaff": isStaff
        case "csrf": csrf
        case "statusAction": statusAction
        case "usageAction": usageAction
        case "statuses": statuses
        case "orders": orders
        case "hasOrders": hasOrders
        case "ordersHref": ordersHref
        case "openOrder": openOrder
        case "renewal": renewal
        case "endsAtPeriodEnd": endsAtPeriodEnd
        case "isCancelled": isCancelled
        case "canCancel": canCancel
        case "cancelAction": cancelAction
        case "cancelRefund": cancelRefund
        case "scheduled": scheduled
        case "scheduleAction": scheduleAction
        case "invoicesHref": invoicesHref
        default: nil
        }
    }
}

extension SubscriptionsController.OrderLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "href": href
        case "summary": summary
        case "statusLabel": statusLabel
        case "badge": badge
        case "total": total
        case "created": created
        case "payHref": payHref
        default: nil
        }
    }
}

extension SubscriptionsController.ResourceRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "code": code
        case "name": self.name
        case "unit": unit
        case "included": included
        case "additional": additional
        case "additionalText": additionalText
        case "total": total
        case "usage": usage
        case "usageText": usageText
        default: nil
        }
    }
}

extension SubscriptionsController.ChangePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "id": id
        case "plan": plan
        case "action": action
        case "resources": resources
        case "switches": switches
        case "hasSwitches": hasSwitches
        case "plans": plans
        case "hasPlans": hasPlans
        case "periods": periods
        case "promo": promo
        case "promoAllowed": promoAllowed
        case "estimate": estimate
        case "planError": planError
        default: nil
        }
    }
}

extension SubscriptionsController.Slider: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "code": code
        case "name": self.name
        case "included": included
        case "additional": additional
        case "min": min
        case "max": max
        case "usage": usage
        case "usageFloor": usageFloor
        case "facts": facts
        case "value": value
        case "error": error
        default: nil
        }
    }
}

extension SubscriptionsController.EstimateView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "lines": lines
        case "hasLines": hasLines
        case "subtotal": subtotal
        case "discount": discount
        case "hasDiscount": hasDiscount
        case "tax": tax
        case "total": total
        case "isRefund": isRefund
        case "refund": refund
        case "planCurrencyTotal": planCurrencyTotal
        case "rate": rate
        case "reasons": reasons
        case "blocked": blocked
        case "effectiveDate": effectiveDate
        case "forDate": forDate
        case "rateText": rateText
        case "submit": submit
        case "submitLabel": submitLabel
        case "schedule": schedule
        case "renewalDate": renewalDate
        case "scheduleLabel": scheduleLabel
        default: nil
        }
    }
}

extension SubscriptionsController.EstimateView.Line: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "description": description
        case "days": days
        case "amount": amount
        default: nil
        }
    }
}

extension SubscriptionsController.EstimateView.Reason: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "code": code
        case "message": message
        default: nil
        }
    }
}

extension SubscriptionsController.EstimateView.Hidden: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "value": value
        default: nil
        }
    }
}

extension SubscriptionsController.EstimateView.Submit: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "action": action
        case "csrf": csrf
        case "fields": fields
        case "idempotencyKey": idempotencyKey
        default: nil
        }
    }
}
