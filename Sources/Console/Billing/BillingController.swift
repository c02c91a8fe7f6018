import Commerce
import Foundation
import Hummingbird
import Localization
import Mustache
import OrderEngine
import Storage

/// Orders, invoices, checkout, payments and the credit log in the console (DOMAIN.md 7 and 9),
/// for customers and for staff acting for them. Every page reads through the actor's scope.
struct BillingController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.post(URLs.subscriptionOrders(0).route, use: submit)
        group.get(URLs.orders.route, use: orders)
        group.get(URLs.order(0).route, use: order)
        group.post(URLs.cancelOrder(0).route, use: cancel)
        group.get(URLs.invoices.route, use: invoices)
        group.get(URLs.invoice(0).route, use: invoice)
        group.get(URLs.invoiceCheckout(0).route, use: checkout)
        group.post(URLs.invoicePayments(0).route, use: pay)
        group.get(URLs.payments.route, use: payments)
        group.get(URLs.credit(account: 0).route, use: credit)
        group.post(URLs.creditAdjustments(account: 0).route, use: adjustCredit)
    }

    private func chrome(_ context: SignedInContext) -> Chrome { Chrome(actor: context.actor, session: context.session, section: .billing) }

    struct Tabs {
        let orders: Bool
        let invoices: Bool
        let payments: Bool
        let credit: Bool
        let creditHref: String?
        var charges = false
        /// Staff see upstream reseller charges.
        var showCharges = false
        /// The provider sees its billing runs.
        var showRuns = false
    }

    private func tabs(_ context: SignedInContext, _ active: String) -> Tabs {
        Tabs(orders: active == "orders", invoices: active == "invoices", payments: active == "payments", credit: active == "credit",
             creditHref: context.actor.accountKind == .customer ? URLs.credit(account: context.actor.accountID).path : nil,
             showCharges: Policy.allows(context.actor, .seeStaffArea), showRuns: Policy.allows(context.actor, .seeProviderArea))
    }

    private func names(_ ids: [Int64], _ context: SignedInContext) async throws -> [Int64: String] {
        try await AccountStore(database: services.database).names(Set(ids), in: context.scope)
    }

    // MARK: Submit from the estimate

    /// The estimate's Submit: the same change the estimate priced, with the form's idempotency key,
    /// so a double click makes one order.
    @Sendable func submit(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let subscription = try await SubscriptionStore(database: services.database).subscription(id, in: context.scope)
        let form = try await request.form(context)
        let back = URLs.subscriptionEstimate(id).path + "?" + SubscriptionsController.changeQuery(from: { form[$0] }, subscription: subscription)
        do {
            // Out of bounds: back to the estimate, which marks the field with what was typed.
            let change = try SubscriptionsController.change(from: { form[$0] }, subscription: subscription)
            let result = try await services.orders.submit(subscription: id, change: change, promoCode: form.text("promo_code"),
                                                          idempotencyKey: form.text("idempotency_key").isEmpty ? nil : form.text("idempotency_key"), in: context.scope)
            let order = result.order
            if order.status == .awaitingPayment, let invoice = order.invoiceID {
                context.session.update { $0.flash = Localization.text("order.placed_pay", ["id": .text(String(order.id))]) }
                return redirect(.invoiceCheckout(invoice))
            }
            let note = order.totals.total < 0 && order.billingType != BillingType.postpaid.rawValue
                ? Localization.text("order.placed_refund", ["id": .text(String(order.id)), "amount": .text(order.money(-order.totals.total).shown)])
                : Localization.text("order.placed_provisioning", ["id": .text(String(order.id))])
            context.session.update { $0.flash = note }
            return redirect(.subscription(id))
        } catch let refused as OrderRefused {
            context.session.update { $0.flash = Localization.text("new_service.not_placed", ["reason": .text(refused.first.message)]) }
            return redirect(to: back)
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = Localization.text("new_service.not_placed", ["reason": .text(message.rendered())]) }
            return redirect(to: back)
        } catch let errors as ValidationErrors {
            let reason = errors.fields.map { "\($0.field): \($0.message)" }.joined(separator: " ")
            context.session.update { $0.flash = Localization.text("new_service.not_placed", ["reason": .text(reason)]) }
            return redirect(to: back)
        }
    }

    // MARK: Orders

    struct OrdersPage {
        let chrome: Chrome
        let tabs: Tabs
        let rows: [OrderRow]
        let empty: Bool
        let statuses: [Option]
        let subscriptionID: String
        let nextHref: String?
        /// "Export CSV": the list as a file, with the page's filters (issue 16).
        var exportHref: String? = nil
    }

    struct OrderRow {
        let id: Int64
        let href: String
        let created: String
        let customer: String
        let subscription: String
        let subscriptionHref: String?
        let kind: String
        let summary: String
        let status: String
        let statusLabel: String
        let badge: String
        let total: String
        let invoiceHref: String?
    }

    static func badge(_ status: OrderStatus) -> String {
        switch status {
        case .awaitingPayment: "text-bg-warning"
        case .provisioning: "text-bg-info"
        case .completed: "text-bg-success"
        case .provisioningFailed: "text-bg-danger"
        case .expired, .cancelled: "text-bg-secondary"
        }
    }

    static func day(_ date: Date) -> String { date.formatted(.iso8601.year().month().day().dateSeparator(.dash)) }
    static func moment(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)) .replacingOccurrences(of: "T", with: " ")
    }

    @Sendable func orders(_ request: Request, context: SignedInContext) async throws -> HTML {
        let status = request.query("status").flatMap(OrderStatus.init(rawValue:))
        let subscription = request.query("subscription_id").flatMap { Int64($0) }
        let page = try await OrderStore(database: services.database).list(
            in: context.scope, filter: .init(subscriptionID: subscription, customerID: request.query("customer_id").flatMap { Int64($0) }, status: status),
            page: PageRequest(limit: 25, cursor: request.query("cursor").flatMap { Int64($0) }))
        let customers = try await names(page.items.map(\.customerID), context)
        var next: String?
        if let cursor = page.nextCursor {
            next = URLs.orders.path + "?cursor=\(cursor)" + (status.map { "&status=\($0.rawValue)" } ?? "") + (subscription.map { "&subscription_id=\($0)" } ?? "")
        }
        let labels = try await ResourceLabels.load(mentionedIn: page.items.map(\.summary), on: services.database)
        return try services.render("orders_index", OrdersPage(
            chrome: chrome(context), tabs: tabs(context, "orders"),
            rows: page.items.map { order in
                OrderRow(id: order.id, href: URLs.order(order.id).path, created: Shown.day(order.createdAt), customer: customers[order.customerID] ?? "#\(order.customerID)",
                         subscription: order.subscriptionID.map { "#\($0)" } ?? Localization.text("common.new"), subscriptionHref: order.subscriptionID.map { URLs.subscription($0).path },
                         kind: order.kind.shown, summary: labels.naming(EngineText.localized(order.summary)), status: order.status.rawValue, statusLabel: order.status.shown,
                         badge: Self.badge(order.status), total: order.money(order.totals.total).shown,
                         invoiceHref: order.invoiceID.map { URLs.invoice($0).path })
            },
            empty: page.items.isEmpty,
            statuses: OrderStatus.allCases.map { Option(value: $0.rawValue, label: $0.shown, selected: $0 == status) },
            subscriptionID: subscription.map(String.init) ?? "", nextHref: next, exportHref: ExportController.href(.export(.orders), from: request)))
    }

    struct OrderPage {
        struct Line {
            let description: String
            let days: String
            let amount: String
            let discount: String?
        }
        let chrome: Chrome
        let id: Int64
        let kind: String
        let summary: String
        let status: String
        let statusLabel: String
        let badge: String
        let customer: String
        let customerHref: String
        let subscriptionHref: String?
        let subscriptionID: String
        let effectiveDate: String
        let created: String
        let completed: String?
        let failureReason: String?
        let lines: [Line]
        let subtotal: String
        let discount: String?
        let tax: String
        let total: String
        let planCurrencyTotal: String?
        let rate: String?
        /// "Priced in the plan currency: …, converted at … when the order was placed."
        let rateText: String?
        let isRefund: Bool
        let isPostpaid: Bool
        let invoiceHref: String?
        let payHref: String?
        let canCancel: Bool
        let cancelAction: String
        let csrf: String
        let promo: String?
        /// Commitment and CSP orders: unpaid by then, the order expires.
        let expires: String?
    }

    @Sendable func order(_ request: Request, context: SignedInContext) async throws -> HTML {
        let id = try context.parameters.require("id", as: Int64.self)
        let order = try await OrderStore(database: services.database).order(id, in: context.scope)
        let customer = try await AccountStore(database: services.database).account(order.customerID, in: context.scope)
        // Resources by name where a person reads them; the API keeps the codes.
        let labels = try await ResourceLabels.load(mentionedIn: [order.summary] + order.lines.map(\.description), on: services.database)
        return try services.render("order_show", OrderPage(
            chrome: chrome(context), id: id, kind: order.kind.shown, summary: labels.naming(EngineText.localized(order.summary)), status: order.status.rawValue, statusLabel: order.status.shown,
            badge: Self.badge(order.status), customer: customer.name, customerHref: URLs.account(customer.id).path,
            subscriptionHref: order.subscriptionID.map { URLs.subscription($0).path }, subscriptionID: order.subscriptionID.map(String.init) ?? "",
            effectiveDate: order.effectiveDate.shown, created: Shown.moment(order.createdAt), completed: order.completedAt.map(Shown.moment),
            failureReason: order.failureReason,
            lines: order.lines.map { line in
                OrderPage.Line(description: labels.naming(EngineText.localized(line.description)), days: Shown.number(line.daysRemaining) + "/" + Shown.number(line.daysInPeriod),
                               amount: order.money(line.chargedAmount).shown, discount: line.chargedDiscount == 0 ? nil : order.money(-line.chargedDiscount).shown)
            },
            subtotal: order.money(order.totals.subtotal).shown,
            discount: order.totals.discount == 0 ? nil : order.money(-order.totals.discount).shown,
            tax: order.money(order.totals.tax).shown, total: order.money(order.totals.total).shown,
            planCurrencyTotal: order.isConverted ? order.planMoney(order.planTotals.total).shown : nil, rate: order.isConverted ? order.rate?.text : nil,
            rateText: order.isConverted ? order.rate.map { rate in
                Localization.text("order.rate", ["total": .text(order.planMoney(order.planTotals.total).shown), "rate": .text(Shown.decimal(rate.text))])
            } : nil,
            isRefund: order.totals.total < 0, isPostpaid: order.billingType == BillingType.postpaid.rawValue,
            invoiceHref: order.invoiceID.map { URLs.invoice($0).path },
            payHref: order.status == .awaitingPayment && Policy.allows(context.actor, .order) ? order.invoiceID.map { URLs.invoiceCheckout($0).path } : nil,
            canCancel: order.status == .awaitingPayment && Policy.allows(context.actor, .order), cancelAction: URLs.cancelOrder(id).path,
            csrf: context.session.current?.csrfToken ?? "", promo: order.promoCode,
            expires: order.status == .awaitingPayment ? order.expiresAt.map { Localization.text("order.pay_by_text", ["time": .text(Shown.moment($0))]) } : nil))
    }

    @Sendable func cancel(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        do {
            _ = try await services.orders.cancel(order: id, in: context.scope)
            context.session.update { $0.flash = Localization.text("order.cancelled_flash", ["id": .text(String(id))]) }
        } catch StoreError.invalid(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.order(id))
    }

    // MARK: Invoices

    struct InvoicesPage {
        let chrome: Chrome
        let tabs: Tabs
        let rows: [InvoiceRow]
        let empty: Bool
        let statuses: [Option]
        let nextHref: String?
        /// "Export CSV": the list as a file, with the page's filters (issue 16).
        var exportHref: String? = nil
    }

    struct InvoiceRow {
        let id: Int64
        let href: String
        let number: String
        let issued: String
        let customer: String
        let status: String
        let statusLabel: String
        let badge: String
        let total: String
        let due: String
        let payHref: String?
    }

    static func badge(_ status: InvoiceStatus) -> String {
        switch status {
        case .unpaid: "text-bg-warning"
        case .paid: "text-bg-success"
        case .cancelled: "text-bg-secondary"
        }
    }

    @Sendable func invoices(_ request: Request, context: SignedInContext) async throws -> HTML {
        let status = request.query("status").flatMap(InvoiceStatus.init(rawValue:))
        let subscription = request.query("subscription_id").flatMap { Int64($0) }
        let page = try await InvoiceStore(database: services.database).list(
            in: context.scope, filter: .init(customerID: request.query("customer_id").flatMap { Int64($0) }, status: status, subscriptionID: subscription),
            page: PageRequest(limit: 25, cursor: request.query("cursor").flatMap { Int64($0) }))
        let customers = try await names(page.items.map(\.customerID), context)
        return try services.render("invoices_index", InvoicesPage(
            chrome: chrome(context), tabs: tabs(context, "invoices"),
            rows: page.items.map { invoice in
                InvoiceRow(id: invoice.id, href: URLs.invoice(invoice.id).path, number: invoice.displayNumber, issued: invoice.issuedOn.shown,
                           customer: customers[invoice.customerID] ?? "#\(invoice.customerID)", status: invoice.status.rawValue, statusLabel: invoice.status.shown,
                           badge: Self.badge(invoice.status), total: invoice.money(invoice.total).shown, due: invoice.money(invoice.due).shown,
                           payHref: invoice.status == .unpaid && Policy.allows(context.actor, .order) ? URLs.invoiceCheckout(invoice.id).path : nil)
            },
            empty: page.items.isEmpty,
            statuses: InvoiceStatus.allCases.map { Option(value: $0.rawValue, label: $0.shown, selected: $0 == status) },
            nextHref: page.nextCursor.map { URLs.invoices.path + "?cursor=\($0)" + (status.map { "&status=\($0.rawValue)" } ?? "")
                + (subscription.map { "&subscription_id=\($0)" } ?? "") }, exportHref: ExportController.href(.export(.invoices), from: request)))
    }

    struct InvoicePage {
        struct Line {
            let description: String
            let amount: String
            let discount: String?
        }
        struct PaymentRow {
            let when: String
            let method: String
            let status: String
            let amount: String
            let detail: String
        }
        /// None in the PDF, which has no page around it.
        let chrome: Chrome?
        let id: Int64
        let number: String
        let status: String
        /// The status in the reader's language.
        let statusLabel: String
        let badge: String
        let issued: String
        let seller: String
        /// The brand its customer buys under (white label), and where to write about it.
        let sellerBrand: String
        let supportEmail: String
        let customer: String
        let customerAddress: String
        let customerEmail: String
        let lines: [Line]
        let subtotal: String
        let discount: String?
        let taxLabel: String
        let tax: String
        let total: String
        let paid: String
        let due: String
        let isUnpaid: Bool
        let payHref: String?
        /// "Download PDF".
        let pdfHref: String
        let orderHref: String?
        let orderID: String
        let payments: [PaymentRow]
        let hasPayments: Bool
    }

    @Sendable func invoice(_ request: Request, context: SignedInContext) async throws -> HTML {
        let id = try context.parameters.require("id", as: Int64.self)
        return try services.render("invoice_show", try await InvoicePage.load(id, actor: context.actor, chrome: chrome(context), services: services))
    }

    static func paymentRow(_ payment: Payment) -> InvoicePage.PaymentRow {
        InvoicePage.PaymentRow(when: Shown.moment(payment.createdAt), method: payment.method.shown, status: payment.status.shown,
                               amount: payment.amount.shown,
                               detail: payment.cardLast4.map { Localization.text("common.card_ending", ["last4": .text($0)]) } ?? payment.reference ?? "")
    }

    // MARK: Checkout and payments

    struct CheckoutPage {
        let chrome: Chrome
        let id: Int64
        let number: String
        /// "Pay invoice …", "(available …)", "Pay …" in the reader's words.
        let title: String
        let creditNote: String
        let payLabel: String
        let invoiceHref: String
        let total: String
        let paid: String
        let due: String
        let hasPaid: Bool
        let credit: String
        let hasCredit: Bool
        let creditCovers: Bool
        let isStaff: Bool
        let action: String
        let csrf: String
        let error: String?
        let cardNumber: String
    }

    @Sendable func checkout(_ request: Request, context: SignedInContext) async throws -> HTML {
        let id = try context.parameters.require("id", as: Int64.self)
        return try await checkoutPage(id, context: context, error: nil, cardNumber: "", status: .ok)
    }

    private func checkoutPage(_ id: Int64, context: SignedInContext, error: String?, cardNumber: String, status: HTTPResponse.Status) async throws -> HTML {
        let invoice = try await InvoiceStore(database: services.database).invoice(id, in: context.scope)
        guard Policy.allows(context.actor, .order) else { throw StoreError.forbidden(.init("error.forbidden.viewers_pay_invoices")) }
        guard invoice.status == .unpaid else {
            throw StoreError.invalid(field: "invoice", message: .init("error.payment.nothing_to_pay", ["invoice": .text(invoice.displayNumber), "status": .text(invoice.status.localizedLabel)]))
        }
        let balance = try await CreditLedger(database: services.database).balance(of: invoice.customerID, in: context.scope)
        return try services.render("checkout", CheckoutPage(
            chrome: chrome(context), id: id, number: invoice.displayNumber,
            title: Localization.text("checkout.title", ["number": .text(invoice.displayNumber)]),
            creditNote: Localization.text(balance > 0 && balance < invoice.due ? "checkout.available_part" : "checkout.available", ["amount": .text(invoice.money(balance).shown)]),
            payLabel: Localization.text("checkout.pay", ["amount": .text(invoice.money(invoice.due).shown)]), invoiceHref: URLs.invoice(id).path,
            total: invoice.money(invoice.total).shown, paid: invoice.money(invoice.paid).shown, due: invoice.money(invoice.due).shown,
            hasPaid: invoice.paid > 0, credit: invoice.money(balance).shown, hasCredit: balance > 0, creditCovers: balance >= invoice.due,
            isStaff: Policy.allows(context.actor, .recordBankTransfer), action: URLs.invoicePayments(id).path, csrf: context.session.current?.csrfToken ?? "",
            error: error, cardNumber: cardNumber), status: status)
    }

    @Sendable func pay(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await InvoiceStore(database: services.database).invoice(id, in: context.scope)
        let form = try await request.form(context)
        let payment: OrderService.PaymentRequest
        switch form.text("method") {
        case "credit": payment = .credit
        case "bank_transfer": payment = .bankTransfer(reference: form.text("reference"))
        default: payment = .card(number: form.text("card_number"))
        }
        do {
            // The reference is kept as text: bounded like every text that comes in (VARCHAR(255)).
            if case .bankTransfer(let reference?) = payment {
                do { _ = try PlainText.parse(reference, maximumLength: 255) } catch { throw StoreError.invalid(field: "reference", message: .init("error.payment.reference", ["problem": .text(error.description)])) }
            }
            let outcome = try await services.orders.pay(invoice: id, payment, in: context.scope)
            if outcome.invoice.status == .paid {
                context.session.update { $0.flash = Localization.text("invoice.paid_flash", ["number": .text(outcome.invoice.displayNumber), "amount": .text(outcome.payment.amount.shown)]) }
                if let order = outcome.order, order.kind == .sales { return redirect(.order(order.id)) }
                if let subscription = outcome.order?.subscriptionID { return redirect(.subscription(subscription)) }
                return redirect(.invoice(id))
            }
            context.session.update { $0.flash = Localization.text("invoice.part_paid_flash", ["amount": .text(outcome.payment.amount.shown), "due": .text(outcome.invoice.money(outcome.invoice.due).shown)]) }
            return redirect(.invoiceCheckout(id))
        } catch let failure as OrderService.PaymentFailed {
            let message = failure.gatewayError
                ? Localization.text(failure.payment.status == .pending ? "checkout.gateway_pending" : "checkout.gateway_failed")
                : Localization.text("checkout.declined")
            let html = try await checkoutPage(id, context: context, error: message, cardNumber: form.text("card_number"),
                                              status: failure.gatewayError ? .badGateway : .init(code: 402, reasonPhrase: "Payment Required"))
            return try html.response(from: request, context: context)
        } catch StoreError.invalid(let field, let message) where ["card_number", "method", "reference"].contains(field) {
            let html = try await checkoutPage(id, context: context, error: message.rendered(), cardNumber: form.text("card_number"), status: .unprocessableContent)
            return try html.response(from: request, context: context)
        }
    }

    struct PaymentsPage {
        struct Row {
            let when: String
            let invoice: String
            let invoiceHref: String
            let customer: String
            let method: String
            let status: String
            let badge: String
            let amount: String
            let detail: String
        }
        let chrome: Chrome
        let tabs: Tabs
        let rows: [Row]
        let empty: Bool
        let nextHref: String?
        /// "Export CSV": the list as a file, with the page's filters (issue 16).
        var exportHref: String? = nil
    }

    @Sendable func payments(_ request: Request, context: SignedInContext) async throws -> HTML {
        let page = try await PaymentStore(database: services.database).list(
            in: context.scope, filter: .init(customerID: request.query("customer_id").flatMap { Int64($0) }),
            page: PageRequest(limit: 25, cursor: request.query("cursor").flatMap { Int64($0) }))
        let customers = try await names(page.items.map(\.customerID), context)
        return try services.render("payments_index", PaymentsPage(
            chrome: chrome(context), tabs: tabs(context, "payments"),
            rows: page.items.map { payment in
                let row = Self.paymentRow(payment)
                return PaymentsPage.Row(when: row.when, invoice: "#\(payment.invoiceID)", invoiceHref: URLs.invoice(payment.invoiceID).path,
                                        customer: customers[payment.customerID] ?? "#\(payment.customerID)", method: row.method, status: row.status,
                                        badge: payment.status == .succeeded ? "text-bg-success" : payment.status == .pending ? "text-bg-warning" : "text-bg-danger", amount: row.amount, detail: row.detail)
            },
            empty: page.items.isEmpty, nextHref: page.nextCursor.map { URLs.payments.path + "?cursor=\($0)" },
            exportHref: ExportController.href(.export(.payments), from: request)))
    }

    // MARK: Credit

    struct CreditPage {
        struct Row {
            let when: String
            let amount: String
            let isCredit: Bool
            let reason: String
            let orderHref: String?
            let orderID: String
            let invoiceHref: String?
            let actor: String
        }
        let chrome: Chrome
        let tabs: Tabs
        /// "Credit of …".
        let title: String
        let customer: String
        let customerHref: String
        let balance: String
        let rows: [Row]
        let empty: Bool
        let nextHref: String?
        /// Staff admins above the customer: the form that posts a credit adjustment by hand.
        let adjustment: CreditAdjustmentForm?
        /// "Export CSV": the list as a file, with the page's filters (issue 16).
        var exportHref: String? = nil
    }

    @Sendable func credit(_ request: Request, context: SignedInContext) async throws -> HTML {
        let id = try context.parameters.require("id", as: Int64.self)
        return try await creditPage(id, cursor: request.query("cursor").flatMap { Int64($0) }, adjustment: nil, context: context)
    }

    /// The credit page; `adjustment` keeps what was typed into the adjustment form, with its problems (422).
    func creditPage(_ id: Int64, cursor: Int64?, adjustment typed: CreditAdjustmentForm.Typed?, context: SignedInContext,
                    status: HTTPResponse.Status = .ok) async throws -> HTML {
        let customer = try await AccountStore(database: services.database).account(id, in: context.scope)
        guard customer.kind == .customer else { throw StoreError.notFound("credit of account \(id)") }
        let ledger = CreditLedger(database: services.database)
        let balance = try await ledger.available(id, in: context.scope)
        let page = try await ledger.entries(of: customer, in: context.scope, page: PageRequest(limit: 50, cursor: cursor))
        return try services.render("credit", CreditPage(
            chrome: chrome(context), tabs: tabs(context, "credit"), title: Localization.text("credit.title", ["customer": .text(customer.name)]),
            customer: customer.name, customerHref: URLs.account(id).path, balance: balance.shown,
            rows: page.items.map { entry in
                CreditPage.Row(when: Shown.moment(entry.createdAt), amount: entry.amount.shown, isCredit: entry.amount.minorUnits > 0, reason: EngineText.localized(entry.reason),
                               orderHref: entry.orderID.map { URLs.order($0).path }, orderID: entry.orderID.map(String.init) ?? "",
                               invoiceHref: entry.invoiceID.map { URLs.invoice($0).path },
                               actor: entry.actor == "system" ? Localization.text("credit.system") : entry.actor)
            },
            empty: page.items.isEmpty, nextHref: page.nextCursor.map { URLs.credit(account: id).path + "?cursor=\($0)" },
            adjustment: CreditAdjustmentForm.shown(for: customer, balance: balance, typed: typed, context: context),
            exportHref: URLs.creditExport(account: id).path), status: status)
    }
}

/// Reads a customer's credit once per page, for the top bar's "Available credit".
struct CreditBadgeMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let services: ConsoleServices

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        if request.method == .get, let actor = context.actor, actor.accountKind == .customer,
           !request.uri.path.hasPrefix("/api/"), !request.uri.path.hasPrefix("/assets/"), !request.uri.path.hasPrefix("/vendor/") {
            // In the user's own language: this runs before the language of the request is set.
            context.session.availableCredit = try await CreditLedger(database: services.database).available(actor.accountID, in: actor.scope)
                .shown(in: Language(rawValue: actor.locale.rawValue) ?? .en)
        }
        return try await next(request, context)
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

extension BillingController.Tabs: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "orders": orders
        case "invoices": invoices
        case "payments": payments
        case "credit": credit
        case "creditHref": creditHref
        case "charges": charges
        case "showCharges": showCharges
        case "showRuns": showRuns
        default: nil
        }
    }
}

extension BillingController.OrdersPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "tabs": tabs
        case "rows": rows
        case "empty": empty
        case "statuses": statuses
        case "subscriptionID": subscriptionID
        case "nextHref": nextHref
        case "exportHref": exportHref
        default: nil
        }
    }
}

extension BillingController.OrderRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "href": href
        case "created": created
        case "customer": customer
        case "subscription": subscription
        case "subscriptionHref": subscriptionHref
        case "kind": kind
        case "summary": summary
        case "status": status
        case "statusLabel": statusLabel
        case "badge": badge
        case "total": total
        case "invoiceHref": invoiceHref
        default: nil
        }
    }
}

extension BillingController.OrderPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "id": id
        case "kind": kind
        case "summary": summary
        case "status": status
        case "statusLabel": statusLabel
        case "badge": badge
        case "customer": customer
        case "customerHref": customerHref
        case "subscriptionHref": subscriptionHref
        case "subscriptionID": subscriptionID
        case "effectiveDate": effectiveDate
        case "created": created
        case "completed": completed
        case "failureReason": failureReason
        case "lines": lines
        case "subtotal": subtotal
        case "discount": discount
        case "tax": tax
        case "total": total
        case "planCurrencyTotal": planCurrencyTotal
        case "rate": rate
        case "rateText": rateText
        case "isRefund": isRefund
        case "isPostpaid": isPostpaid
        case "invoiceHref": invoiceHref
        case "payHref": payHref
        case "canCancel": canCancel
        case "cancelAction": cancelAction
        case "csrf": csrf
        case "promo": promo
        case "expires": expires
        default: nil
        }
    }
}

extension BillingController.OrderPage.Line: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "description": description
        case "days": days
        case "amount": amount
        case "discount": discount
        default: nil
        }
    }
}

extension BillingController.InvoicesPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "tabs": tabs
        case "rows": rows
        case "empty": empty
        case "statuses": statuses
        case "nextHref": nextHref
        case "exportHref": exportHref
        default: nil
        }
    }
}

extension BillingController.InvoiceRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "href": href
        case "number": number
        case "issued": issued
        case "customer": customer
        case "status": status
        case "statusLabel": statusLabel
        case "badge": badge
        case "total": total
        case "due": due
        case "payHref": payHref
        default: nil
        }
    }
}

extension BillingController.InvoicePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "id": id
        case "number": number
        case "status": status
        case "statusLabel": statusLabel
        case "badge": badge
        case "issued": issued
        case "seller": seller
        case "sellerBrand": sellerBrand
        case "supportEmail": supportEmail
        case "customer": customer
        case "customerAddress": customerAddress
        case "customerEmail": customerEmail
        case "lines": lines
        case "subtotal": subtotal
        case "discount": discount
        case "taxLabel": taxLabel
        case "tax": tax
        case "total": total
        case "paid": paid
        case "due": due
        case "isUnpaid": isUnpaid
        case "payHref": payHref
        case "pdfHref": pdfHref
        case "orderHref": orderHref
        case "orderID": orderID
        case "payments": payments
        case "hasPayments": hasPayments
        default: nil
        }
    }
}

extension BillingController.InvoicePage.Line: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "description": description
        case "amount": amount
        case "discount": discount
        default: nil
        }
    }
}

extension BillingController.InvoicePage.PaymentRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "when": when
        case "method": method
        case "status": status
        case "amount": amount
        case "detail": detail
        default: nil
        }
    }
}

extension BillingController.CheckoutPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "id": id
        case "number": number
        case "title": title
        case "creditNote": creditNote
        case "payLabel": payLabel
        case "invoiceHref": invoiceHref
        case "total": total
        case "paid": paid
        case "due": due
        case "hasPaid": hasPaid
        case "credit": credit
        case "hasCredit": hasCredit
        case "creditCovers": creditCovers
        case "isStaff": isStaff
        case "action": action
        case "csrf": csrf
        case "error": error
        case "cardNumber": cardNumber
        default: nil
        }
    }
}

extension BillingController.PaymentsPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "tabs": tabs
        case "rows": rows
        case "empty": empty
        case "nextHref": nextHref
        case "exportHref": exportHref
        default: nil
        }
    }
}

extension BillingController.PaymentsPage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "when": when
        case "invoice": invoice
        case "invoiceHref": invoiceHref
        case "customer": customer
        case "method": method
        case "status": status
        case "badge": badge
        case "amount": amount
        case "detail": detail
        default: nil
        }
    }
}

extension BillingController.CreditPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "tabs": tabs
        case "title": title
        case "customer": customer
        case "customerHref": customerHref
        case "balance": balance
        case "rows": rows
        case "empty": empty
        case "nextHref": nextHref
        case "adjustment": adjustment
        case "exportHref": exportHref
        default: nil
        }
    }
}

extension BillingController.CreditPage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "when": when
        case "amount": amount
        case "isCredit": isCredit
        case "reason": reason
        case "orderHref": orderHref
        case "orderID": orderID
        case "invoiceHref": invoiceHref
        case "actor": actor
        default: nil
        }
    }
}
