import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// People's pages: an admin edits a user (from the account's users list), each user keeps their
/// own profile and password, and anyone asks for a password reset link and uses it.
struct PeopleController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.user(0).route, use: editUser)
        group.post(URLs.user(0).route, use: updateUser)
        group.get(URLs.profile.route, use: profile)
        group.post(URLs.profile.route, use: updateProfile)
        group.post(URLs.profilePassword.route, use: changePassword)
    }

    /// The reset pages: nobody is signed in to use them.
    func addPublicRoutes(to router: Router<AppContext>) {
        router.get(URLs.passwordResets.route, use: resetRequestForm)
        router.post(URLs.passwordResets.route, use: requestReset)
        router.get(URLs.passwordReset(token: "").route, use: resetForm)
        router.post(URLs.passwordReset(token: "").route, use: reset)
    }

    var users: UserStore { UserStore(database: services.database) }

    // MARK: A user, as an admin of its account or above

    struct UserEditPage {
        let chrome: Chrome
        let accountName: String
        let accountHref: String
        let email: String
        let csrf: String
        let action: String
        let name: Field
        let roles: [Option]
        let roleError: String?
        let statuses: [Option]
        let statusError: String?
        let locales: [Option]
        let localeError: String?
        let formError: String?
    }

    @Sendable func editUser(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let user = try await users.user(id, in: context.scope)
        try Policy.require(context.actor, .manageUsers(own: user.accountID == context.actor.accountID), .init("error.forbidden.change_users"))
        let form = FormData("").with(["name": user.name, "role": user.role.rawValue, "status": user.status.rawValue, "locale": user.locale.rawValue])
        return try await userEditPage(user, form, errors: nil, context: context, status: .ok)
    }

    @Sendable func updateUser(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let user = try await users.user(id, in: context.scope)
        try Policy.require(context.actor, .manageUsers(own: user.accountID == context.actor.accountID), .init("error.forbidden.change_users"))
        let form = try await request.form(context)
        var errors = ValidationErrors()
        func choice<E: RawRepresentable & CaseIterable>(_ field: String, _ type: E.Type, _ message: LocalizedText) -> E? where E.RawValue == String {
            guard form[field] != nil else { return nil }
            let value = E(rawValue: form.text(field))
            if value == nil { errors.add(field, message) }
            return value
        }
        let change = UserChange(name: form["name"].map { _ in form.text("name") },
                                role: choice("role", Role.self, .init("error.user.choose_role")),
                                status: choice("status", UserStatus.self, .init("error.user.choose_status")),
                                locale: choice("locale", UserLocale.self, .init("error.user.choose_locale")))
        guard errors.isEmpty else { return try await userEditPage(user, form, errors: errors, context: context, status: .unprocessableContent) }
        do {
            let changed = try await users.update(id, change, in: context.scope)
            let what = changed.status != user.status ? (changed.status == .disabled ? "users.edit.disabled" : "users.edit.enabled") : "users.edit.saved"
            context.session.update { $0.flash = Localization.text(what, ["email": .text(changed.email)]) }
            return redirect(.account(changed.accountID))
        } catch let invalid as ValidationErrors {
            return try await userEditPage(user, form, errors: invalid, context: context, status: .unprocessableContent)
        } catch StoreError.invalid(let field, let message) {
            var invalid = ValidationErrors()
            invalid.add(field, message)
            return try await userEditPage(user, form, errors: invalid, context: context, status: .unprocessableContent)
        }
    }

    private func userEditPage(_ user: User, _ form: FormData, errors: ValidationErrors?, context: SignedInContext,
                              status: HTTPResponse.Status) async throws -> Response {
        let account = try await AccountStore(database: services.database).account(user.accountID, in: context.scope)
        let role = form.text("role"), userStatus = form.text("status"), locale = form.text("locale")
        let html = try services.render("users_edit", UserEditPage(
            chrome: Chrome(actor: context.actor, session: context.session, section: context.actor.accountKind == .customer ? .users : .customers),
            accountName: account.name, accountHref: URLs.account(account.id).path, email: user.email,
            csrf: context.session.current?.csrfToken ?? "", action: URLs.user(user.id).path,
            name: Field(form.text("name"), errors, "name"),
            roles: Self.roleOptions(selected: role), roleError: errors?.message(for: "role"),
            statuses: Self.statusOptions(selected: userStatus), statusError: errors?.message(for: "status"),
            locales: Self.localeOptions(selected: locale), localeError: errors?.message(for: "locale"),
            formError: errors.map { errors in errors.message(for: "last_admin") ?? Localization.text("users.form_error") }
        ), status: status)
        return try html.response(status: status)
    }

    static func roleOptions(selected: String) -> [Option] {
        Role.allCases.map { Option(value: $0.rawValue, label: Localization.text("users.role." + $0.rawValue), selected: $0.rawValue == selected) }
    }

    static func statusOptions(selected: String) -> [Option] {
        UserStatus.allCases.map { Option(value: $0.rawValue, label: Localization.text("users.state." + $0.rawValue), selected: $0.rawValue == selected) }
    }

    static func localeOptions(selected: String) -> [Option] {
        // Each language in its own words, as language switches show them.
        UserLocale.allCases.map { Option(value: $0.rawValue, label: Catalogs.shared.render(LocalizedText("language." + $0.rawValue), in: Language(rawValue: $0.rawValue) ?? .en), selected: $0.rawValue == selected) }
    }

    // MARK: Your profile

    struct ProfilePage {
        let chrome: Chrome
        let csrf: String
        let email: String
        let accountName: String
        let role: String
        /// "someone@example.test · admin of Acme Corp".
        let who: String
        let profileAction: String
        let passwordAction: String
        let name: Field
        let locales: [Option]
        let localeError: String?
        let currentPassword: Field
        let password: Field
        let profileError: String?
        let passwordError: String?
    }

    @Sendable func profile(_ request: Request, context: SignedInContext) async throws -> Response {
        let user = try await users.user(context.actor.userID, in: context.scope)
        return try profilePage(FormData("").with(["name": user.name, "locale": user.locale.rawValue]), errors: nil, context: context, status: .ok)
    }

    @Sendable func updateProfile(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await request.form(context)
        guard let locale = UserLocale(rawValue: form.text("locale")) else {
            var errors = ValidationErrors()
            errors.add("locale", .init("error.user.choose_locale"))
            return try profilePage(form, errors: errors, context: context, status: .unprocessableContent)
        }
        do {
            _ = try await users.updateProfile(name: form.text("name"), locale: locale, of: context.actor)
        } catch let invalid as ValidationErrors {
            return try profilePage(form, errors: invalid, context: context, status: .unprocessableContent)
        }
        // Said in the language just chosen: the next page speaks it.
        context.session.update { $0.flash = Catalogs.shared.render(LocalizedText("profile.saved"), in: Language(rawValue: locale.rawValue) ?? .en) }
        return redirect(.profile)
    }

    @Sendable func changePassword(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await request.form(context)
        let user = try await users.user(context.actor.userID, in: context.scope)
        // The profile half of the page shows what is saved; the password fields are never sent back.
        let shown = FormData("").with(["name": user.name, "locale": user.locale.rawValue])
        do {
            try await services.changeOwnPassword(context.actor, current: form["current_password"] ?? "", new: form["password"] ?? "", keepingToken: nil)
        } catch let invalid as ValidationErrors {
            return try profilePage(shown, errors: invalid, context: context, status: .unprocessableContent)
        } catch let throttled as Throttled {
            var errors = ValidationErrors()
            errors.add("password_form", throttled.localized)
            return try profilePage(shown, errors: errors, context: context, status: .tooManyRequests)
        }
        // Every session of the user ended with the change, this one too: it goes on under a new id.
        context.session.rotate(to: ConsoleSession(userID: context.actor.userID, signedInAt: Date()))
        context.session.update { $0.flash = Localization.text("profile.password_changed") }
        return redirect(.profile)
    }

    private func profilePage(_ form: FormData, errors: ValidationErrors?, context: SignedInContext, status: HTTPResponse.Status) throws -> Response {
        let actor = context.actor
        let passwordFields = ["current_password", "password", "password_form"]
        let html = try services.render("profile", ProfilePage(
            chrome: Chrome(actor: actor, session: context.session, section: .profile),
            csrf: context.session.current?.csrfToken ?? "", email: actor.email, accountName: actor.accountName, role: actor.role.rawValue,
            who: Localization.text("profile.who", ["email": .text(actor.email), "role": .text(actor.role.shown), "account": .text(actor.accountName)]),
            profileAction: URLs.profile.path, passwordAction: URLs.profilePassword.path,
            name: Field(form.text("name"), errors, "name"),
            locales: Self.localeOptions(selected: form.text("locale")), localeError: errors?.message(for: "locale"),
            currentPassword: Field("", errors, "current_password"), password: Field("", errors, "password"),
            profileError: errors.flatMap { errors in errors.fields.contains { !passwordFields.contains($0.field) } ? Localization.text("profile.check_fields") : nil },
            passwordError: errors.flatMap { errors in
                errors.message(for: "password_form") ?? (errors.fields.contains { passwordFields.contains($0.field) } ? Localization.text("profile.password_not_changed") : nil)
            }
        ), status: status)
        return try html.response(status: status)
    }

    // MARK: Password reset, signed out

    struct ResetRequestPage {
        let chrome: Chrome? = nil
        let csrf: String
        let action: String
        let signInHref: String
        let email: Field
        /// The one answer, whatever the email.
        let sent: Bool
        let error: String?
    }

    /// A visitor needs a session before posting a form, to carry its CSRF token (as on the sign-in page).
    private func ensureSession(_ context: AppContext) {
        if context.session.current == nil { context.session.rotate(to: ConsoleSession()) }
    }

    @Sendable func resetRequestForm(_ request: Request, context: AppContext) async throws -> Response {
        ensureSession(context)
        return try resetRequestPage(email: Field(value: "", error: nil), sent: false, error: nil, context: context, status: .ok)
    }

    @Sendable func requestReset(_ request: Request, context: AppContext) async throws -> Response {
        let form = try await request.form(context)
        let email = form.text("email")
        do {
            try await services.requestPasswordReset(email: email, address: context.remoteAddress)
        } catch StoreError.invalid(_, let message) {
            return try resetRequestPage(email: Field(value: email, error: message.rendered()), sent: false, error: nil, context: context, status: .unprocessableContent)
        } catch let throttled as Throttled {
            return try resetRequestPage(email: Field(value: email, error: nil), sent: false, error: throttled.message, context: context, status: .tooManyRequests)
        }
        return try resetRequestPage(email: Field(value: "", error: nil), sent: true, error: nil, context: context, status: .ok)
    }

    private func resetRequestPage(email: Field, sent: Bool, error: String?, context: AppContext, status: HTTPResponse.Status) throws -> Response {
        let html = try services.render("password_reset_request", ResetRequestPage(
            csrf: context.session.current?.csrfToken ?? "", action: URLs.passwordResets.path, signInHref: URLs.signIn.path,
            email: email, sent: sent, error: error), status: status)
        return try html.response(status: status)
    }

    struct ResetPage {
        let chrome: Chrome? = nil
        let csrf: String
        let action: String
        let signInHref: String
        let requestHref: String
        let password: Field
        /// The link can still be used: the form is shown.
        let live: Bool
        /// The password was just set.
        let done: Bool
    }

    @Sendable func resetForm(_ request: Request, context: AppContext) async throws -> Response {
        ensureSession(context)
        let token = context.parameters.get("token") ?? ""
        let live = try await PasswordResetStore(database: services.database).isLive(token: token)
        return try resetPage(token: token, password: Field(value: "", error: nil), live: live, done: false, context: context,
                             status: live ? .ok : .notFound)
    }

    @Sendable func reset(_ request: Request, context: AppContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let form = try await request.form(context)
        do {
            try await services.resetPassword(token: token, password: form["password"] ?? "", address: context.remoteAddress)
        } catch StoreError.invalid(_, let message) {
            return try resetPage(token: token, password: Field(value: "", error: message.rendered()), live: true, done: false, context: context, status: .unprocessableContent)
        } catch StoreError.notFound {
            return try resetPage(token: token, password: Field(value: "", error: nil), live: false, done: false, context: context, status: .notFound)
        }
        return try resetPage(token: token, password: Field(value: "", error: nil), live: false, done: true, context: context, status: .ok)
    }

    private func resetPage(token: String, password: Field, live: Bool, done: Bool, context: AppContext, status: HTTPResponse.Status) throws -> Response {
        let html = try services.render("password_reset", ResetPage(
            csrf: context.session.current?.csrfToken ?? "", action: URLs.passwordReset(token: SecretToken.isWellFormed(token) ? token : "").path,
            signInHref: URLs.signIn.path, requestHref: URLs.passwordResets.path, password: password, live: live, done: done), status: status)
        return try html.response(status: status)
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

extension PeopleController.UserEditPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "accountName": accountName
        case "accountHref": accountHref
        case "email": email
        case "csrf": csrf
        case "action": action
        case "name": self.name
        case "roles": roles
        case "roleError": roleError
        case "statuses": statuses
        case "statusError": statusError
        case "locales": locales
        case "localeError": localeError
        case "formError": formError
        default: nil
        }
    }
}

extension PeopleController.ProfilePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "email": email
        case "accountName": accountName
        case "role": role
        case "who": who
        case "profileAction": profileAction
        case "passwordAction": passwordAction
        case "name": self.name
        case "locales": locales
        case "localeError": localeError
        case "currentPassword": currentPassword
        case "password": password
        case "profileError": profileError
        case "passwordError": passwordError
        default: nil
        }
    }
}

extension PeopleController.ResetRequestPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "action": action
        case "signInHref": signInHref
        case "email": email
        case "sent": sent
        case "error": error
        default: nil
        }
    }
}

extension PeopleController.ResetPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "action": action
        case "signInHref": signInHref
        case "requestHref": requestHref
        case "password": password
        case "live": live
        case "done": done
        default: nil
        }
    }
}
