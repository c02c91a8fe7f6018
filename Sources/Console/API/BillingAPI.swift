import Commerce
import HTTPTypes
import Foundation
import Hummingbird
import Localization
import OrderEngine
import Storage

/// Sales orders, cancellations, scheduled changes and billing runs through the API (API.md).
struct BillingAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.post("orders", use: sales)
        api.post("subscriptions/:id/cancel", use: cancel)
        api.put("subscriptions/:id/scheduled-change", use: schedule)
        api.delete("subscriptions/:id/scheduled-change", use: unschedule)
        api.post("billing-runs", use: run)
        api.get("billing-runs", use: runs)
    }

    struct SalesBody: Decodable {
        typealias Line = SubscriptionsAPI.ChangeBody.Line
        let kind: String?
        let customerId: Int64
        let planId: Int64
        let periodMonths: Int
        let resources: [Line]?
        let promoCode: String?
        enum CodingKeys: String, CodingKey {
            case kind, customerId = "customer_id", planId = "plan_id", periodMonths = "period_months", resources, promoCode = "promo_code"
        }
    }

    @Sendable func sales(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(SalesBody.self, from: request, context: context)
        guard body.kind == nil || body.kind == "sales" else {
            throw APIError(status: .unprocessableContent, code: "kind", message: Localization.text("error.api.sales_only"))
        }
        guard let months = PeriodMonths(body.periodMonths) else {
            throw StoreError.invalid(field: "period_months", message: BoundsError.notOneOf(PeriodMonths.allowed).localized)
        }
        let sale = SaleRequest(customerID: body.customerId, planID: body.planId, periodMonths: months.value,
                               additional: try SubscriptionsAPI.ChangeBody.wanted(body.resources ?? []), promoCode: body.promoCode)
        let result = try await services.orders.submitSale(sale, idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!], in: context.scope)
        var response = try APIJSON.response(OrderJSON(result.order), status: .created)
        if result.replayed { response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return response
    }

    struct CancelBody: Decodable {
        let when: String
    }

    /// `{"when": "now"}` → 201 the cancellation order (its refund); `"period_end"` → 200 the subscription, ending with its period; `"none"` takes that back.
    @Sendable func cancel(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await SubscriptionStore(database: services.database).subscription(id, in: context.scope)
        let body = try await APIJSON.decode(CancelBody.self, from: request, context: context)
        switch body.when {
        case "now":
            return try APIJSON.response(OrderJSON(try await services.orders.cancelNow(subscription: id, in: context.scope)), status: .created)
        case "period_end", "none":
            let subscription = try await services.orders.cancelAtPeriodEnd(subscription: id, body.when == "period_end", in: context.scope)
            return try APIJSON.response(SubscriptionsAPI.SubscriptionJSON(subscription))
        default:
            throw StoreError.invalid(field: "when", message: .init("error.billing.when"))
        }
    }

    @Sendable func schedule(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await SubscriptionStore(database: services.database).subscription(id, in: context.scope)
        let body = try await APIJSON.decode(SubscriptionsAPI.ChangeBody.self, from: request, context: context)
        guard let lines = body.resources, body.switch == nil, body.plan == nil else {
            throw StoreError.invalid(field: "resources", message: .init("error.billing.schedule_resources", ["shape": .text(#"{"resources": [{"resource_code", "additional"}]}"#)]))
        }
        let wanted = try SubscriptionsAPI.ChangeBody.wanted(lines)
        return try APIJSON.response(SubscriptionsAPI.SubscriptionJSON(try await services.orders.schedule(wanted, subscription: id, in: context.scope)))
    }

    @Sendable func unschedule(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await SubscriptionStore(database: services.database).subscription(id, in: context.scope)
        return try APIJSON.response(SubscriptionsAPI.SubscriptionJSON(try await services.orders.schedule(nil, subscription: id, in: context.scope)))
    }

    /// Provider admins run the billing run for the current business date. It acts on every tenant's
    /// subscriptions, so it is the provider's, not a reseller's.
    @Sendable func run(_ request: Request, context: SignedInContext) async throws -> Response {
        guard Policy.allows(context.actor, .runBilling) else { throw StoreError.forbidden(.init("error.forbidden.run_billing")) }
        return try APIJSON.response(try await services.billingRun.run(by: context.actor), status: .created)
    }

    struct RunJSON: Encodable {
        let result: BillingRunResult
        let startedAt: Date
        let finishedAt: Date?
        let node: String
        enum CodingKeys: String, CodingKey { case result, startedAt = "started_at", finishedAt = "finished_at", node }
    }

    @Sendable func runs(_ request: Request, context: SignedInContext) async throws -> Response {
        guard Policy.allows(context.actor, .seeProviderArea) else { throw StoreError.forbidden(.init("error.forbidden.billing_runs")) }
        let runs = try await BillingRun.recent(on: services.database).map { RunJSON(result: $0.result, startedAt: $0.startedAt, finishedAt: $0.finishedAt, node: $0.node) }
        return try APIJSON.response(APIController.ListResponse(items: runs, nextCursor: nil))
    }
}
