import Commerce
import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// The credit page's adjustment form (DOMAIN.md 9): staff admins above a customer post an amount
/// (negative takes credit away) with a reason; taking the balance below zero needs the box ticked.
struct CreditAdjustmentForm {
    /// What was typed, and the problems found, when the form comes back (422).
    struct Typed {
        let form: FormData
        let errors: ValidationErrors
    }

    let action: String
    let csrf: String
    let currency: String
    /// "Amount (USD; negative takes credit away)".
    let amountLabel: String
    let amount: Field
    let reason: Field
    let allowNegative: Bool
    let formError: String?

    /// The form for viewers who may adjust this customer's credit; nil for everyone else and once it is closed.
    static func shown(for customer: Account, balance: Money, typed: Typed?, context: SignedInContext) -> CreditAdjustmentForm? {
        guard Policy.allows(context.actor, .adjustCredit), customer.status != .closed else { return nil }
        let errors = typed?.errors
        return CreditAdjustmentForm(
            action: URLs.creditAdjustments(account: customer.id).path, csrf: context.session.current?.csrfToken ?? "",
            currency: balance.currency.code, amountLabel: Localization.text("credit.amount_label", ["currency": .text(balance.currency.code)]),
            amount: Field(typed?.form.text("amount") ?? "", errors, "amount"), reason: Field(typed?.form.text("reason") ?? "", errors, "reason"),
            allowNegative: typed?.form.text("allow_negative_balance") == "on",
            formError: errors.map { _ in Localization.text("credit.not_posted") })
    }
}

extension BillingController {
    /// `POST /accounts/{id}/credit-adjustments`: posts the adjustment and shows the log; a problem
    /// re-renders the page (422) with what was typed.
    @Sendable func adjustCredit(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await AccountStore(database: services.database).account(id, in: context.scope)
        let form = try await request.form(context)
        let adjustment = CreditAdjustment(amount: form.text("amount"), reason: form.text("reason"),
                                          allowNegativeBalance: form.text("allow_negative_balance") == "on")
        var problems = ValidationErrors()
        do {
            let entry = try await CreditLedger(database: services.database).adjust(customer: id, adjustment, in: context.scope)
            context.session.update { $0.flash = Localization.text("credit.adjusted", ["amount": .text(entry.amount.shown), "reason": .text(entry.reason)]) }
            return redirect(.credit(account: id))
        } catch let invalid as ValidationErrors {
            problems = invalid
        } catch StoreError.invalid(let field, let message) where field != "id" {
            // The balance rule belongs to the amount typed.
            problems.add(field == "balance_below_zero" ? "amount" : field, message)
        } catch StoreError.conflict(_, let message) {
            context.session.update { $0.flash = message.rendered() }
            return redirect(.credit(account: id))
        }
        return try await creditPage(id, cursor: nil, adjustment: CreditAdjustmentForm.Typed(form: form, errors: problems), context: context,
                                    status: .unprocessableContent).response(status: .unprocessableContent)
    }
}

extension CreditAdjustmentForm: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "action": action
        case "csrf": csrf
        case "currency": currency
        case "amountLabel": amountLabel
        case "amount": amount
        case "reason": reason
        case "allowNegative": allowNegative
        case "formError": formError
        default: nil
        }
    }
}
