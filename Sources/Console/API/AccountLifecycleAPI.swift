import Commerce
import Foundation
import Hummingbird
import Localization
import Storage

/// Accounts over their lifetime through the API (issue 15): edit, suspend, lift and close an
/// account, and post credit adjustments by hand, with the rules and audit of the pages.
struct AccountLifecycleAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.patch("accounts/:id", use: update)
        api.post("accounts/:id/credit-adjustments", use: adjustCredit)
    }

    struct AccountPatch: Decodable {
        let name: String?
        let contactName: String?
        let contactEmail: String?
        let contactPhone: String?
        let address: String?
        let taxRate: String?
        let status: String?
        enum CodingKeys: String, CodingKey {
            case name, contactName = "contact_name", contactEmail = "contact_email", contactPhone = "contact_phone", address, taxRate = "tax_rate", status
        }
    }

    /// `PATCH /accounts/{id}`: admins of an ancestor; 409 `account_closed` once closed, 409
    /// `subscriptions_not_cancelled` or `orders_open` when closing too early.
    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let store = AccountStore(database: services.database)
        _ = try await store.account(id, in: context.scope)
        let body = try await APIJSON.decode(AccountPatch.self, from: request, context: context)
        let status = try body.status.map { text -> AccountStatus in
            guard let status = AccountStatus(rawValue: text) else {
                throw StoreError.invalid(field: "status", message: .init("error.account.status_api"))
            }
            return status
        }
        let account = try await store.update(id, AccountChanges(
            name: body.name, contactName: body.contactName, contactEmail: body.contactEmail, contactPhone: body.contactPhone,
            address: body.address, taxRate: body.taxRate, status: status), in: context.scope)
        return try APIJSON.response(AccountJSON(account))
    }

    struct AdjustmentBody: Decodable {
        let amount: MoneyInput
        let reason: String
        let allowNegativeBalance: Bool?
        enum CodingKeys: String, CodingKey { case amount, reason, allowNegativeBalance = "allow_negative_balance" }
    }

    /// `POST /accounts/{id}/credit-adjustments` → 201 the credit entry.
    @Sendable func adjustCredit(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await AccountStore(database: services.database).account(id, in: context.scope)
        let body = try await APIJSON.decode(AdjustmentBody.self, from: request, context: context)
        let entry = try await CreditLedger(database: services.database).adjust(
            customer: id, CreditAdjustment(amount: body.amount.amount, currency: body.amount.currency, reason: body.reason,
                                           allowNegativeBalance: body.allowNegativeBalance ?? false), in: context.scope)
        return try APIJSON.response(OrdersAPI.CreditJSON.Entry(entry), status: .created)
    }
}

extension OrdersAPI.CreditJSON.Entry {
    init(_ entry: CreditEntry) {
        self.init(id: entry.id, amount: MoneyJSON(entry.amount), reason: entry.reason, orderId: entry.orderID, invoiceId: entry.invoiceID,
                  paymentId: entry.paymentID, actor: entry.actor, createdAt: entry.createdAt)
    }
}
