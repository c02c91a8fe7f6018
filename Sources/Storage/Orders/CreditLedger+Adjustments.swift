import Commerce
import Foundation
import Localization
import MariaDB

/// A credit adjustment by hand as staff type it: an amount in the customer's currency (negative
/// takes credit away), a reason, and whether the balance may go below zero.
public struct CreditAdjustment: Sendable, Equatable {
    public var amount: String
    /// The currency the amount is given in, when given (it must be the customer's).
    public var currency: String?
    public var reason: String
    public var allowNegativeBalance: Bool

    public init(amount: String, currency: String? = nil, reason: String, allowNegativeBalance: Bool = false) {
        self.amount = amount
        self.currency = currency
        self.reason = reason
        self.allowNegativeBalance = allowNegativeBalance
    }
}

/// What the audit log keeps of an adjustment.
struct CreditAdjustmentAudit: Encodable {
    var amount: String
    var reason: String
    var balanceBefore: String
    var balanceAfter: String
    var allowNegativeBalance: Bool
}

extension CreditLedger {
    /// Posts a credit adjustment by hand (DOMAIN.md 9): staff admins of an ancestor, to a customer
    /// that isn't closed. It is a credit log entry like any other, posted under the same guard as a
    /// credit payment (the write of the customer's `credit_revision`, `lockedBalance`), so two
    /// nodes can't both spend one balance; a balance taken below zero is refused (422
    /// `balance_below_zero`) unless `allowNegativeBalance` says so. Audited.
    public func adjust(customer id: Int64, _ adjustment: CreditAdjustment, in scope: TenantScope) async throws -> CreditEntry {
        let accounts = AccountStore(database: database)
        let found = try await accounts.account(id, in: scope)
        try Policy.require(scope.actor, .adjustCredit, .init("error.forbidden.adjust_credit"))
        guard found.kind == .customer else {
            throw StoreError.invalid(field: "id", message: .init("error.credit.customers_only", ["account": .text(found.name), "kind": .text(found.kind.rawValue)]))
        }
        guard found.status != .closed else {
            throw StoreError.conflict(code: "account_closed", message: .init("error.account.closed", ["account": .text(found.name)]))
        }
        guard let currency = try await CurrencyStore(database: database).currency(found.currency) else {
            throw StoreError.notFound("currency \(found.currency)")
        }
        var errors = ValidationErrors()
        if let given = adjustment.currency, given.uppercased() != currency.code {
            errors.add("amount", .init("error.credit.wrong_currency", ["customer": .text(found.name), "currency": .text(currency.code), "given": .text(given)]))
        }
        let amount = errors.check("amount") { try Money.parseBounded(adjustment.amount, currency: currency, allowNegative: true) }
        if amount?.minorUnits == 0 { errors.add("amount", .init("error.credit.zero")) }
        let reason = errors.check("reason") { try PlainText.required(adjustment.reason, maximumLength: 500) }
        try errors.throwIfAny()
        guard let amount, let reason else { throw errors }
        return try await database.withTransaction { tx in
            let customer = try await accounts.account(id, in: scope, on: tx)
            let before = try await Self.lockedBalance(of: customer.id, on: tx)
            let (after, overflow) = before.addingReportingOverflow(amount.minorUnits)
            guard !overflow, after.magnitude <= UInt64(MoneyBounds.maximum(scale: currency.exponent)) else {
                throw StoreError.invalid(field: "amount", message: .init("error.credit.too_large"))
            }
            let money = { (minor: Int64) in Money(minorUnits: minor, currency: currency) }
            let amountArgument = { (minor: Int64) in LocalizedText.Argument.amount(minor: minor, exponent: currency.exponent, currency: currency.code) }
            if after < 0 && !adjustment.allowNegativeBalance {
                throw StoreError.invalid(field: "balance_below_zero", message: .init("error.credit.below_zero", ["customer": .text(customer.name), "before": amountArgument(before), "after": amountArgument(after)]))
            }
            let entryID = try await Self.post(amount, to: customer, reason: reason, actor: scope.actor, on: tx)
            let createdAt = try await tx.rows("SELECT created_at FROM credit_entries WHERE id = ?", [.int(entryID)])[0].decode(column: "created_at", as: Date.self)
            try await AuditLog.record(on: tx, actor: scope.actor, account: customer, objectType: "credit_entry", objectID: entryID, action: "adjust",
                                      before: nil as CreditAdjustmentAudit?,
                                      after: CreditAdjustmentAudit(amount: amount.description, reason: reason, balanceBefore: money(before).description,
                                                                   balanceAfter: money(after).description, allowNegativeBalance: adjustment.allowNegativeBalance))
            // The poster sees their own email (ShownActor: a user of the viewer's own account).
            return CreditEntry(id: entryID, customerID: customer.id, amount: amount, reason: reason, orderID: nil, invoiceID: nil, paymentID: nil,
                               createdAt: createdAt, createdBy: scope.actor.userID, actor: scope.actor.email)
        }
    }
}
