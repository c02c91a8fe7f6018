import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// What was typed into an account's edit form, and the fields' problems.
struct AccountEditForm {
    let values: FormData
    let errors: ValidationErrors?
}

/// The account page's lifecycle part (issue 15): its status with who changed it and when, the edit
/// form (admins of an ancestor, until the account is closed) and the suspend / lift / close buttons.
struct AccountLifecyclePanel {
    let statusLabel: String
    /// "since 2026-12-03 18:10:00 UTC by Northwind Hosting", white-labelled; nil until the status first changes.
    let statusChange: String?
    let isClosed: Bool
    let canEdit: Bool
    let editAction: String
    let statusAction: String
    let canSuspend: Bool
    let canLift: Bool
    let canClose: Bool
    let name: Field
    let contactName: Field
    let contactEmail: Field
    let contactPhone: Field
    let address: Field
    let taxRate: Field
    let formError: String?
}

extension AccountsController {
    func lifecyclePanel(_ account: Account, edit: AccountEditForm?, context: SignedInContext) async throws -> AccountLifecyclePanel {
        let change = try await accounts.statusChange(of: account, in: context.scope)
        let mayEdit = Policy.allows(context.actor, .editAccount(own: account.id == context.actor.accountID)) && account.status != .closed
        let values = edit?.values ?? FormData("").with([
            "name": account.name, "contact_name": account.contactName, "contact_email": account.contactEmail,
            "contact_phone": account.contactPhone, "address": account.address, "tax_rate": account.taxRateDisplay,
        ])
        let errors = edit?.errors
        return AccountLifecyclePanel(
            statusLabel: Localization.text("accounts.state_label." + account.status.rawValue),
            statusChange: change.map { Localization.text("accounts.show.status_change", ["when": .text(Format.digits(BillingController.moment($0.at)) + " UTC"), "who": .text($0.by.name)]) },
            isClosed: account.status == .closed, canEdit: mayEdit,
            editAction: URLs.account(account.id).path, statusAction: URLs.accountStatus(account.id).path,
            canSuspend: mayEdit && account.status == .active, canLift: mayEdit && account.status == .suspended, canClose: mayEdit,
            name: Field(values.text("name"), errors, "name"), contactName: Field(values.text("contact_name"), errors, "contact_name"),
            contactEmail: Field(values.text("contact_email"), errors, "contact_email"),
            contactPhone: Field(values.text("contact_phone"), errors, "contact_phone"),
            address: Field(values.text("address"), errors, "address"), taxRate: Field(values.text("tax_rate"), errors, "tax_rate"),
            formError: errors.map { _ in Localization.text("accounts.form_error") })
    }

    /// `POST /accounts/{id}`: the edit form. A field's problem re-renders the page (422) with what was typed.
    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let account = try await accounts.account(id, in: context.scope)
        let form = try await request.form(context)
        let changes = AccountChanges(name: form.text("name"), contactName: form.text("contact_name"), contactEmail: form.text("contact_email"),
                                     contactPhone: form.text("contact_phone"), address: form.text("address"), taxRate: form.text("tax_rate"))
        do {
            let updated = try await accounts.update(id, changes, in: context.scope)
            context.session.update { $0.flash = Localization.text("accounts.show.saved", ["name": .text(updated.name)]) }
            return redirect(.account(id))
        } catch let invalid as ValidationErrors {
            return try await showPage(account, edit: AccountEditForm(values: form, errors: invalid), context: context, status: .unprocessableContent)
                .response(status: .unprocessableContent)
        } catch StoreError.conflict(_, let message) {
            context.session.update { $0.flash = message.rendered() }
            return redirect(.account(id))
        }
    }

    /// `POST /accounts/{id}/status`: suspend, lift (`active`) or close, from the page's buttons.
    @Sendable func setStatus(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await accounts.account(id, in: context.scope)
        let form = try await request.form(context)
        guard let status = AccountStatus(rawValue: form.text("status")) else {
            throw StoreError.invalid(field: "status", message: .init("error.account.choose_status"))
        }
        do {
            let updated = try await accounts.update(id, AccountChanges(status: status), in: context.scope)
            let done: String
            switch status {
            case .suspended: done = "accounts.show.now_suspended"
            case .active: done = "accounts.show.now_active"
            case .closed: done = "accounts.show.now_closed"
            }
            context.session.update { $0.flash = Localization.text(done, ["name": .text(updated.name)]) }
        } catch StoreError.conflict(_, let message) {
            context.session.update { $0.flash = message.rendered() }
        }
        return redirect(.account(id))
    }
}

extension AccountLifecyclePanel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "statusLabel": statusLabel
        case "statusChange": statusChange
        case "isClosed": isClosed
        case "canEdit": canEdit
        case "editAction": editAction
        case "statusAction": statusAction
        case "canSuspend": canSuspend
        case "canLift": canLift
        case "canClose": canClose
        case "name": self.name
        case "contactName": contactName
        case "contactEmail": contactEmail
        case "contactPhone": contactPhone
        case "address": address
        case "taxRate": taxRate
        case "formError": formError
        default: nil
        }
    }
}
