import Commerce
import HTTPTypes
import Foundation
import Hummingbird
import Localization
import OrderEngine
import Storage

/// Orders, invoices, payments, credit and the test connector through the API (API.md).
struct OrdersAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.post("subscriptions/:id/orders", use: submit)
        api.get("orders", use: listOrders)
        api.get("orders/:id", use: showOrder)
        api.post("orders/:id/cancel", use: cancelOrder)
        api.get("invoices", use: listInvoices)
        api.get("invoices/:id", use: showInvoice)
        api.post("invoices/:id/payments", use: pay)
        api.get("payments", use: listPayments)
        api.get("accounts/:id/credit", use: credit)
        api.get("connectors/test/rules", use: connectorRules)
        api.put("connectors/test/rules", use: setConnectorRule)
    }

    // MARK: Orders

    @Sendable func submit(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let subscription = try await SubscriptionStore(database: services.database).subscription(id, in: context.scope)
        let body = try await APIJSON.decode(SubscriptionsAPI.ChangeBody.self, from: request, context: context)
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        let result = try await services.orders.submit(subscription: id, change: try body.request(currentMonths: subscription.period.months),
                                                      promoCode: body.promoCode, idempotencyKey: key, in: context.scope)
        var response = try APIJSON.response(OrderJSON(result.order), status: .created)
        if result.replayed { response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return response
    }

    @Sendable func listOrders(_ request: Request, context: SignedInContext) async throws -> Response {
        let filter = try ListQuery.orders(request)
        if CSVResponse.wanted(request) { return ListExports(database: services.database).orders(filter, in: context.scope, logger: context.logger) }
        let page = try await OrderStore(database: services.database).list(in: context.scope, filter: filter, page: try request.pageRequest())
        return try APIJSON.response(APIController.ListResponse(items: page.items.map(OrderJSON.init), nextCursor: page.nextCursor))
    }

    @Sendable func showOrder(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(OrderJSON(try await OrderStore(database: services.database).order(id, in: context.scope)))
    }

    @Sendable func cancelOrder(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(OrderJSON(try await services.orders.cancel(order: id, in: context.scope)))
    }

    // MARK: Invoices and payments

    @Sendable func listInvoices(_ request: Request, context: SignedInContext) async throws -> Response {
        let filter = try ListQuery.invoices(request)
        if CSVResponse.wanted(request) { return ListExports(database: services.database).invoices(filter, in: context.scope, logger: context.logger) }
        let page = try await InvoiceStore(database: services.database).list(in: context.scope, filter: filter, page: try request.pageRequest())
        return try APIJSON.response(APIController.ListResponse(items: page.items.map(InvoiceJSON.init), nextCursor: page.nextCursor))
    }

    @Sendable func showInvoice(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(InvoiceJSON(try await InvoiceStore(database: services.database).invoice(id, in: context.scope)))
    }

    struct PaymentBody: Decodable {
        let method: String
        let cardNumber: String?
        let reference: String?
        enum CodingKeys: String, CodingKey { case method, cardNumber = "card_number", reference }
    }

    @Sendable func pay(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await InvoiceStore(database: services.database).invoice(id, in: context.scope)
        let body = try await APIJSON.decode(PaymentBody.self, from: request, context: context)
        let payment: OrderService.PaymentRequest
        switch PaymentMethod(rawValue: body.method) {
        case .credit: payment = .credit
        case .card:
            guard let number = body.cardNumber else { throw StoreError.invalid(field: "card_number", message: .init("error.payment.card_required")) }
            payment = .card(number: number)
        case .bankTransfer: payment = .bankTransfer(reference: try body.reference.map { try APIBounds.text($0, field: "reference", maximumLength: 255) })
        case nil: throw StoreError.invalid(field: "method", message: .init("error.payment.method"))
        }
        let outcome = try await services.orders.pay(invoice: id, payment, in: context.scope)
        return try APIJSON.response(PaymentJSON(outcome.payment, invoice: outcome.invoice, order: outcome.order), status: .created)
    }

    @Sendable func listPayments(_ request: Request, context: SignedInContext) async throws -> Response {
        let filter = try ListQuery.payments(request)
        if CSVResponse.wanted(request) { return ListExports(database: services.database).payments(filter, in: context.scope, logger: context.logger) }
        let page = try await PaymentStore(database: services.database).list(in: context.scope, filter: filter, page: try request.pageRequest())
        return try APIJSON.response(APIController.ListResponse(items: page.items.map { PaymentJSON($0) }, nextCursor: page.nextCursor))
    }

    // MARK: Credit

    struct CreditJSON: Encodable {
        struct Entry: Encodable {
            let id: Int64
            let amount: MoneyJSON
            let reason: String
            let orderId: Int64?
            let invoiceId: Int64?
            let paymentId: Int64?
            let actor: String?
            let createdAt: Date
            enum CodingKeys: String, CodingKey {
                case id, amount, reason, orderId = "order_id", invoiceId = "invoice_id", paymentId = "payment_id", actor, createdAt = "created_at"
            }
        }
        let customerId: Int64
        let balance: MoneyJSON
        let entries: [Entry]
        let nextCursor: Int64?
        enum CodingKeys: String, CodingKey { case customerId = "customer_id", balance, entries, nextCursor = "next_cursor" }
    }

    @Sendable func credit(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        // The CSV is the log alone (the balance is its sum).
        if CSVResponse.wanted(request) { return try await ListExports(database: services.database).credit(customer: id, in: context.scope, logger: context.logger) }
        let account = try await AccountStore(database: services.database).account(id, in: context.scope)
        guard account.kind == .customer else { throw StoreError.invalid(field: "id", message: .init("error.credit.customers_only", ["account": .text(account.name), "kind": .text(account.kind.rawValue)])) }
        let ledger = CreditLedger(database: services.database)
        let balance = try await ledger.available(id, in: context.scope)
        let page = try await ledger.entries(of: id, in: context.scope, page: try request.pageRequest())
        return try APIJSON.response(CreditJSON(
            customerId: id, balance: MoneyJSON(balance),
            entries: page.items.map(CreditJSON.Entry.init),
            nextCursor: page.nextCursor))
    }

    // MARK: Test connector

    struct RuleBody: Decodable {
        let resourceCode: String
        let reductionsAllowed: Bool?
        let minQuantity: Int64?
        let failProvisioning: Bool?
        enum CodingKeys: String, CodingKey {
            case resourceCode = "resource_code", reductionsAllowed = "reductions_allowed", minQuantity = "min_quantity", failProvisioning = "fail_provisioning"
        }
    }

    @Sendable func connectorRules(_ request: Request, context: SignedInContext) async throws -> Response {
        let rules = try await TestConnectorRules(database: services.database).list(by: context.actor)
        return try APIJSON.response(APIController.ListResponse(items: rules.map(RuleJSON.init), nextCursor: nil))
    }

    @Sendable func setConnectorRule(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(RuleBody.self, from: request, context: context)
        let rule = try await TestConnectorRules(database: services.database).set(
            resourceCode: body.resourceCode, reductionsAllowed: body.reductionsAllowed,
            minQuantity: try body.minQuantity.map { try APIBounds.check($0, Units.self, field: "min_quantity").value },
            failProvisioning: body.failProvisioning, by: context.actor)
        return try APIJSON.response(RuleJSON(rule))
    }
}

struct RuleJSON: Encodable {
    let resourceCode: String
    let reductionsAllowed: Bool
    let minQuantity: Int64
    let failProvisioning: Bool
    let updatedAt: Date

    init(_ rule: TestConnectorRules.Rule) {
        resourceCode = rule.resourceCode
        reductionsAllowed = rule.reductionsAllowed
        minQuantity = rule.minQuantity
        failProvisioning = rule.failProvisioning
        updatedAt = rule.updatedAt
    }
    enum CodingKeys: String, CodingKey {
        case resourceCode = "resource_code", reductionsAllowed = "reductions_allowed", minQuantity = "min_quantity", failProvisioning = "fail_provisioning", updatedAt = "updated_at"
    }
}

extension APIReason {
    init(_ refusal: Refusal) {
        self.init(code: refusal.code.rawValue, message: refusal.message, details: refusal.details.isEmpty ? nil : refusal.details)
    }
}

/// An order as the API shows it: the quote it froze, in the quote's shape, and where it stands.
struct OrderJSON: Encodable {
    struct Line: Encodable {
        let kind: String
        let description: String
        let resourceCode: String?
        let quantityDelta: Int64?
        let unitPrice: MoneyJSON?
        let daysRemaining: Int
        let daysInPeriod: Int
        let amount: MoneyJSON
        let discount: MoneyJSON
        enum CodingKeys: String, CodingKey {
            case kind, description, resourceCode = "resource_code", quantityDelta = "quantity_delta", unitPrice = "unit_price", daysRemaining = "days_remaining", daysInPeriod = "days_in_period", amount, discount
        }
    }
    typealias Converted = SubscriptionsAPI.QuoteJSON.Converted
    let id: Int64
    let kind: String
    let status: String
    let subscriptionId: Int64?
    let customerId: Int64
    let sellerId: Int64
    let planId: Int64
    let summary: String
    let change: ChangeRequest
    let effectiveDate: String
    let promoCode: String?
    let lines: [Line]
    let subtotal: MoneyJSON
    let discount: MoneyJSON
    let tax: MoneyJSON
    let total: MoneyJSON
    let currency: String
    let converted: Converted?
    /// What the invoice charges (the converted total when currencies differ).
    let amountCharged: MoneyJSON
    let invoiceId: Int64?
    let expiresAt: Date?
    let failureReason: String?
    let createdAt: Date
    let paidAt: Date?
    let completedAt: Date?

    init(_ order: Order) {
        id = order.id
        kind = order.kind.rawValue
        status = order.status.rawValue
        subscriptionId = order.subscriptionID
        customerId = order.customerID
        sellerId = order.sellerID
        planId = order.planID
        summary = order.summary
        change = (try? ChangeRequest.parse(json: order.changeRequest)) ?? .quantities([:])
        effectiveDate = order.effectiveDate.description
        promoCode = order.promoCode
        lines = order.lines.map { line in
            Line(kind: line.kind, description: line.description, resourceCode: line.resourceCode, quantityDelta: line.quantityDelta,
                 unitPrice: line.unitPriceScaled.map { MoneyJSON(UnitPrice(scaled: $0, currency: order.planCurrency)) },
                 daysRemaining: line.daysRemaining, daysInPeriod: line.daysInPeriod,
                 amount: MoneyJSON(order.planMoney(line.amount)), discount: MoneyJSON(order.planMoney(line.discount)))
        }
        subtotal = MoneyJSON(order.planMoney(order.planTotals.subtotal))
        discount = MoneyJSON(order.planMoney(order.planTotals.discount))
        tax = MoneyJSON(order.planMoney(order.planTotals.tax))
        total = MoneyJSON(order.planMoney(order.planTotals.total))
        currency = order.planCurrency.code
        converted = order.isConverted ? Converted(
            currency: order.currency.code, rate: order.rate?.text ?? "", rateId: order.rateID, subtotal: MoneyJSON(order.money(order.totals.subtotal)),
            discount: MoneyJSON(order.money(order.totals.discount)), tax: MoneyJSON(order.money(order.totals.tax)),
            total: MoneyJSON(order.money(order.totals.total))) : nil
        amountCharged = MoneyJSON(order.money(order.totals.total))
        invoiceId = order.invoiceID
        expiresAt = order.expiresAt
        failureReason = order.failureReason
        createdAt = order.createdAt
        paidAt = order.paidAt
        completedAt = order.completedAt
    }
    enum CodingKeys: String, CodingKey {
        case id, kind, status, subscriptionId = "subscription_id", customerId = "customer_id", sellerId = "seller_id", planId = "plan_id", summary, change, effectiveDate = "effective_date", promoCode = "promo_code", lines, subtotal, discount, tax, total, currency, converted, amountCharged = "amount_charged", invoiceId = "invoice_id", expiresAt = "expires_at", failureReason = "failure_reason", createdAt = "created_at", paidAt = "paid_at", completedAt = "completed_at"
    }
}

struct InvoiceJSON: Encodable {
    struct Line: Encodable {
        let description: String
        let amount: MoneyJSON
        let discount: MoneyJSON
    }
    let id: Int64
    let number: Int64
    let displayNumber: String
    let sellerId: Int64
    let customerId: Int64
    let orderId: Int64?
    let subscriptionId: Int64?
    let status: String
    let currency: String
    let issuedOn: String
    let lines: [Line]
    let subtotal: MoneyJSON
    let discount: MoneyJSON
    let tax: MoneyJSON
    let total: MoneyJSON
    let taxRate: String
    let pricesIncludeTaxes: Bool
    let paid: MoneyJSON
    let due: MoneyJSON
    let createdAt: Date
    let paidAt: Date?
    let cancelledAt: Date?

    init(_ invoice: Invoice) {
        id = invoice.id
        number = invoice.number
        displayNumber = invoice.displayNumber
        sellerId = invoice.sellerID
        customerId = invoice.customerID
        orderId = invoice.orderID
        subscriptionId = invoice.subscriptionID
        status = invoice.status.rawValue
        currency = invoice.currency.code
        issuedOn = invoice.issuedOn.description
        lines = invoice.lines.map { Line(description: $0.description, amount: MoneyJSON(invoice.money($0.amount)), discount: MoneyJSON(invoice.money($0.discount))) }
        subtotal = MoneyJSON(invoice.money(invoice.subtotal))
        discount = MoneyJSON(invoice.money(invoice.discount))
        tax = MoneyJSON(invoice.money(invoice.tax))
        total = MoneyJSON(invoice.money(invoice.total))
        taxRate = invoice.taxRate
        pricesIncludeTaxes = invoice.pricesIncludeTaxes
        paid = MoneyJSON(invoice.money(invoice.paid))
        due = MoneyJSON(invoice.money(invoice.due))
        createdAt = invoice.createdAt
        paidAt = invoice.paidAt
        cancelledAt = invoice.cancelledAt
    }
    enum CodingKeys: String, CodingKey {
        case id, number, displayNumber = "display_number", sellerId = "seller_id", customerId = "customer_id", orderId = "order_id", subscriptionId = "subscription_id", status, currency, issuedOn = "issued_on", lines, subtotal, discount, tax, total, taxRate = "tax_rate", pricesIncludeTaxes = "prices_include_taxes", paid, due, createdAt = "created_at", paidAt = "paid_at", cancelledAt = "cancelled_at"
    }
}

struct PaymentJSON: Encodable {
    let id: Int64
    let invoiceId: Int64
    let customerId: Int64
    let method: String
    let status: String
    let amount: MoneyJSON
    let cardLast4: String?
    let reference: String?
    let createdAt: Date
    let invoiceStatus: String?
    let orderId: Int64?
    let orderStatus: String?

    init(_ payment: Payment, invoice: Invoice? = nil, order: Order? = nil) {
        id = payment.id
        invoiceId = payment.invoiceID
        customerId = payment.customerID
        method = payment.method.rawValue
        status = payment.status.rawValue
        amount = MoneyJSON(payment.amount)
        cardLast4 = payment.cardLast4
        reference = payment.reference
        createdAt = payment.createdAt
        invoiceStatus = invoice?.status.rawValue
        orderId = order?.id
        orderStatus = order?.status.rawValue
    }
    enum CodingKeys: String, CodingKey {
        case id, invoiceId = "invoice_id", customerId = "customer_id", method, status, amount, cardLast4 = "card_last4", reference, createdAt = "created_at", invoiceStatus = "invoice_status", orderId = "order_id", orderStatus = "order_status"
    }
}
