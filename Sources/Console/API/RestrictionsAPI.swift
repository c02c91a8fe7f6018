import Commerce
import Foundation
import Hummingbird
import Localization
import Storage

/// Restrictions, exceptions lists and upstream reseller charges through the API (API.md).
struct RestrictionsAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.post("restrictions", use: restrict)
        api.get("restrictions", use: list)
        api.get("restrictions/:id", use: show)
        api.delete("restrictions/:id", use: lift)
        api.post("restriction-exceptions", use: addException)
        api.get("restriction-exceptions", use: exceptions)
        api.delete("restriction-exceptions/:id", use: removeException)
        api.get("accounts/:id/reseller-charges", use: resellerCharges)
    }

    var store: RestrictionStore { RestrictionStore(database: services.database) }

    struct RestrictBody: Decodable {
        let accountId: Int64
        let reason: String
        enum CodingKeys: String, CodingKey { case accountId = "account_id", reason }
    }

    struct RestrictionJSON: Encodable {
        let id: Int64
        let accountId: Int64
        let accountName: String
        let restrictedByAccountId: Int64
        let restrictedBy: String
        let reason: String
        let active: Bool
        let createdAt: Date
        let createdBy: String
        let liftedAt: Date?
        let liftedBy: String?

        init(_ restriction: Restriction) {
            id = restriction.id
            accountId = restriction.accountID
            accountName = restriction.accountName
            restrictedByAccountId = restriction.restrictingAccountID
            restrictedBy = restriction.restrictingAccountName
            reason = restriction.reason
            active = restriction.isActive
            createdAt = restriction.createdAt
            createdBy = restriction.createdBy
            liftedAt = restriction.liftedAt
            liftedBy = restriction.liftedBy
        }
        enum CodingKeys: String, CodingKey {
            case id, accountId = "account_id", accountName = "account_name", restrictedByAccountId = "restricted_by_account_id", restrictedBy = "restricted_by", reason, active, createdAt = "created_at", createdBy = "created_by", liftedAt = "lifted_at", liftedBy = "lifted_by"
        }
    }

    @Sendable func restrict(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(RestrictBody.self, from: request, context: context)
        return try APIJSON.response(RestrictionJSON(try await store.restrict(account: body.accountId, reason: body.reason, in: context.scope)), status: .created)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> Response {
        let page = try await store.list(in: context.scope, activeOnly: ["1", "true"].contains(request.uri.queryParameters.get("active") ?? ""), page: try request.pageRequest())
        return try APIJSON.response(APIController.ListResponse(items: page.items.map(RestrictionJSON.init), nextCursor: page.nextCursor))
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(RestrictionJSON(try await store.restriction(id, in: context.scope)))
    }

    @Sendable func lift(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(RestrictionJSON(try await store.lift(id, in: context.scope)))
    }

    struct ExceptionBody: Decodable {
        let planId: Int64
        enum CodingKeys: String, CodingKey { case planId = "plan_id" }
    }

    struct ExceptionJSON: Encodable {
        let id: Int64
        let accountId: Int64
        let planId: Int64
        let planName: String
        let createdAt: Date

        init(_ exception: RestrictionException) {
            id = exception.id
            accountId = exception.accountID
            planId = exception.planID
            planName = exception.planName
            createdAt = exception.createdAt
        }
        enum CodingKeys: String, CodingKey { case id, accountId = "account_id", planId = "plan_id", planName = "plan_name", createdAt = "created_at" }
    }

    @Sendable func addException(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(ExceptionBody.self, from: request, context: context)
        return try APIJSON.response(ExceptionJSON(try await store.addException(plan: body.planId, in: context.scope)), status: .created)
    }

    @Sendable func exceptions(_ request: Request, context: SignedInContext) async throws -> Response {
        guard Policy.allows(context.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.exceptions")) }
        return try APIJSON.response(APIController.ListResponse(items: try await store.exceptions(in: context.scope).map(ExceptionJSON.init), nextCursor: nil))
    }

    @Sendable func removeException(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        try await store.removeException(id, in: context.scope)
        return Response(status: .noContent)
    }

    struct ChargeJSON: Encodable {
        let id: Int64
        let orderId: Int64
        let resellerId: Int64
        let parentId: Int64
        /// What the reseller owes its parent for the order: its net cost for the change.
        let amount: MoneyJSON
        /// The same figure under the contract's second name.
        let netCost: MoneyJSON
        /// What the reseller sold the change at, and what it kept.
        let sold: MoneyJSON
        let margin: MoneyJSON
        let effectiveDate: String
        let createdAt: Date

        init(_ charge: ResellerCharge) {
            id = charge.id
            orderId = charge.orderID
            resellerId = charge.resellerID
            parentId = charge.parentID
            amount = MoneyJSON(charge.amount)
            netCost = MoneyJSON(charge.amount)
            sold = MoneyJSON(charge.sold)
            margin = MoneyJSON(Money(minorUnits: charge.sold.minorUnits - charge.amount.minorUnits, currency: charge.amount.currency))
            effectiveDate = charge.effectiveDate.description
            createdAt = charge.createdAt
        }
        enum CodingKeys: String, CodingKey {
            case id, orderId = "order_id", resellerId = "reseller_id", parentId = "parent_id", amount, netCost = "net_cost", sold, margin, effectiveDate = "effective_date", createdAt = "created_at"
        }
    }

    /// What a reseller owes its parent per completed order: `amount` (= `net_cost`) is what it owes, `sold` what it sold the change at.
    @Sendable func resellerCharges(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        if CSVResponse.wanted(request) { return try await ListExports(database: services.database).resellerCharges(of: id, in: context.scope, logger: context.logger) }
        let page = try await ResellerChargeStore(database: services.database).charges(of: id, in: context.scope, page: try request.pageRequest())
        return try APIJSON.response(APIController.ListResponse(items: page.items.map(ChargeJSON.init), nextCursor: page.nextCursor))
    }
}
