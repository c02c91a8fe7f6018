import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// Accounts of the subtree: list with search, detail with users, and the forms that create
/// resellers, customers and users.
struct AccountsController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.accounts.route, use: index)
        group.get(URLs.newAccount.route, use: new)
        group.post(URLs.accounts.route, use: create)
        group.get(URLs.account(0).route, use: show)
        group.post(URLs.account(0).route, use: update)
        group.post(URLs.accountStatus(0).route, use: setStatus)
        group.get(URLs.newUser(account: 0).route, use: newUser)
        group.post(URLs.users(account: 0).route, use: createUser)
    }

    var accounts: AccountStore { AccountStore(database: services.database) }

    // MARK: List

    struct IndexPage {
        let chrome: Chrome
        let heading: String
        let kind: String
        let search: String
        let rows: [AccountRow]
        let empty: Bool
        let nextHref: String?
        let newHref: String?
        let newLabel: String
        /// "Export CSV": the list as a file, with the page's filters (issue 16).
        var exportHref: String? = nil
    }

    @Sendable func index(_ request: Request, context: SignedInContext) async throws -> HTML {
        let kind = request.query("kind").flatMap(AccountKind.init(rawValue:))
        let search = request.query("q") ?? ""
        let page = try await accounts.list(
            in: context.scope, filter: .init(kind: kind, search: search),
            page: PageRequest(limit: 25, cursor: request.query("cursor").flatMap { Int64($0) })
        )
        let actor = context.actor
        let heading: String
        let section: Chrome.Section
        switch kind {
        case .reseller?: (heading, section) = (Localization.text(actor.accountKind == .provider ? "accounts.index.heading_resellers" : "accounts.index.heading_sub_resellers"), .resellers)
        case .customer?: (heading, section) = (Localization.text("accounts.index.heading_customers"), .customers)
        default: (heading, section) = (Localization.text("accounts.index.heading_accounts"), .dashboard)
        }
        var next: String?
        if let cursor = page.nextCursor {
            var query = ["cursor=\(cursor)"]
            if let kind { query.append("kind=\(kind.rawValue)") }
            if !search.isEmpty { query.append("q=" + (search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
            next = URLs.accounts.path + "?" + query.joined(separator: "&")
        }
        let canCreate = Policy.allows(actor, .manageAccountsBelow(parentKind: actor.accountKind))
        let newKind = kind ?? .customer
        let restricted = try await RestrictionStore(database: services.database).restricted(page.items, seenBy: context.actor)
        return try services.render("accounts_index", IndexPage(
            chrome: Chrome(actor: actor, session: context.session, section: section),
            heading: heading, kind: kind?.rawValue ?? "", search: search,
            rows: page.items.map { AccountRow($0, restriction: restricted[$0.id]) }, empty: page.items.isEmpty, nextHref: next,
            newHref: canCreate ? URLs.newAccount.path + "?kind=\(newKind.rawValue)" : nil,
            newLabel: Localization.text(newKind == .reseller ? (actor.accountKind == .provider ? "accounts.index.new_reseller" : "accounts.index.new_sub_reseller") : "accounts.index.new_customer"),
            exportHref: ExportController.href(.export(.accounts), from: request)
        ))
    }

    // MARK: Detail

    struct ShowPage {
        let chrome: Chrome
        let account: AccountRow
        let lineage: [Crumb]
        let contactName: String
        let contactEmail: String
        let contactPhone: String
        let address: String
        let users: [UserRow]
        let children: [AccountRow]
        let hasChildren: Bool
        let canAddUser: Bool
        let canAddChildren: Bool
        let newUserHref: String
        let newResellerHref: String
        let newCustomerHref: String
        let auditHref: String
        let canRestrict: Bool
        let newServiceHref: String?
        /// A reseller's Branding page, for those who may read it.
        let brandingHref: String?
        let restrictAction: String
        let restrictionsHref: String
        let csrf: String
        /// Status, who changed it and when, the edit form and the suspend / lift / close buttons.
        let lifecycle: AccountLifecyclePanel
    }

    struct Crumb {
        let name: String
        let href: String
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> HTML {
        let id = try context.parameters.require("id", as: Int64.self)
        return try await showPage(try await accounts.account(id, in: context.scope), edit: nil, context: context)
    }

    /// The account page; `edit` keeps what was typed into its edit form, with the fields' problems (422).
    func showPage(_ account: Account, edit: AccountEditForm?, context: SignedInContext, status: HTTPResponse.Status = .ok) async throws -> HTML {
        let id = account.id
        let users = try await UserStore(database: services.database).users(of: account)
        let children = account.kind == .customer ? [] : try await accounts.list(
            in: context.scope, filter: .init(parentID: id), page: PageRequest(limit: 50)).items
        let lineage = try await accounts.lineage(of: account, in: context.scope)
        let actor = context.actor
        let section: Chrome.Section = actor.accountKind == .customer ? .users : (account.kind == .reseller ? .resellers : .customers)
        return try services.render("accounts_show", ShowPage(
            chrome: Chrome(actor: actor, session: context.session, section: section),
            account: AccountRow(account, restriction: try await RestrictionStore(database: services.database).restricted([account], seenBy: context.actor)[account.id]),
            lineage: lineage.dropLast().map { Crumb(name: $0.name, href: URLs.account($0.id).path) },
            contactName: account.contactName, contactEmail: account.contactEmail, contactPhone: account.contactPhone,
            address: account.address, users: users.map(UserRow.init), children: children.map { AccountRow($0) },
            hasChildren: !children.isEmpty,
            canAddUser: Policy.allows(actor, .manageUsers(own: id == actor.accountID)),
            canAddChildren: Policy.allows(actor, .manageAccountsBelow(parentKind: account.kind)),
            newUserHref: URLs.newUser(account: id).path,
            newResellerHref: URLs.newAccount.path + "?kind=reseller&parent_id=\(id)",
            newCustomerHref: URLs.newAccount.path + "?kind=customer&parent_id=\(id)",
            auditHref: URLs.audit.path + "?account_id=\(id)",
            canRestrict: Policy.allows(actor, .restrict) && id != actor.accountID,
            newServiceHref: account.kind == .customer && Policy.allows(actor, .order) ? URLs.newSubscription.path + "?customer_id=\(id)" : nil,
            brandingHref: account.kind == .reseller && Policy.allows(actor, .seeBranding) ? BrandingController.path(account: id) : nil,
            restrictAction: URLs.restrictions.path, restrictionsHref: URLs.restrictions.path,
            csrf: context.session.current?.csrfToken ?? "",
            lifecycle: try await lifecyclePanel(account, edit: edit, context: context)
        ), status: status)
    }

    // MARK: Create an account

    struct NewAccountPage {
        let chrome: Chrome
        let heading: String
        let csrf: String
        let kinds: [Option]
        let parents: [Option]
        let name: Field
        let currency: Field
        let taxRate: Field
        let contactName: Field
        let contactEmail: Field
        let contactPhone: Field
        let address: Field
        let kindError: String?
        let parentError: String?
        let formError: String?
    }

    @Sendable func new(_ request: Request, context: SignedInContext) async throws -> Response {
        let kind = request.query("kind").flatMap(AccountKind.init(rawValue:)) ?? .customer
        let parentID = request.query("parent_id").flatMap { Int64($0) } ?? context.actor.accountID
        let parent = try await accounts.account(parentID, in: context.scope)
        guard Policy.allows(context.actor, .manageAccountsBelow(parentKind: parent.kind)) else {
            throw StoreError.forbidden(.init("error.forbidden.create_accounts"))
        }
        var values = FormData("")
        values = values.with(["kind": kind.rawValue, "parent_id": String(parentID), "currency": parent.currency, "tax_rate": "0.00"])
        return try await newAccountPage(values, errors: nil, context: context, status: .ok)
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await request.form(context)
        var errors = ValidationErrors()
        let kind = AccountKind(rawValue: form.text("kind"))
        if kind == nil || kind == .provider { errors.add("kind", .init("error.account.choose_kind")) }
        let parentID = Int64(form.text("parent_id"))
        if parentID == nil { errors.add("parent_id", .init("error.account.choose_parent")) }
        guard let kind, let parentID, errors.isEmpty else {
            return try await newAccountPage(form, errors: errors, context: context, status: .unprocessableContent)
        }
        let draft = AccountDraft(kind: kind, parentID: parentID, name: form.text("name"), currency: form.text("currency"),
                                 taxRate: form.text("tax_rate"), contactName: form.text("contact_name"),
                                 contactEmail: form.text("contact_email"), contactPhone: form.text("contact_phone"),
                                 address: form.text("address"))
        do {
            let account = try await accounts.create(draft, in: context.scope)
            context.session.update { $0.flash = Localization.text(kind == .reseller ? "accounts.new.created_reseller" : "accounts.new.created_customer", ["name": .text(account.name)]) }
            return redirect(.account(account.id))
        } catch let invalid as ValidationErrors {
            return try await newAccountPage(form, errors: invalid, context: context, status: .unprocessableContent)
        } catch StoreError.invalid(let field, let message) {
            var invalid = ValidationErrors()
            invalid.add(field, message)
            return try await newAccountPage(form, errors: invalid, context: context, status: .unprocessableContent)
        }
    }

    private func newAccountPage(_ form: FormData, errors: ValidationErrors?, context: SignedInContext,
                                status: HTTPResponse.Status) async throws -> Response {
        let actor = context.actor
        // Possible sellers: the caller's own account and the resellers below it.
        var parents = [try await accounts.account(actor.accountID, in: context.scope)]
        if actor.accountKind != .customer {
            parents += try await accounts.list(in: context.scope, filter: .init(kind: .reseller), page: PageRequest(limit: 200)).items
        }
        let selectedParent = form.text("parent_id")
        let kind = form.text("kind")
        let html = try services.render("accounts_new", NewAccountPage(
            chrome: Chrome(actor: actor, session: context.session, section: kind == "reseller" ? .resellers : .customers),
            heading: Localization.text(kind == "reseller" ? "accounts.new.heading_reseller" : "accounts.new.heading_customer"),
            csrf: context.session.current?.csrfToken ?? "",
            kinds: [Option(value: "customer", label: Localization.text("accounts.kind.customer"), selected: kind != "reseller"),
                    Option(value: "reseller", label: Localization.text("accounts.kind.reseller"), selected: kind == "reseller")],
            parents: parents.map { Option(value: String($0.id), label: Localization.text("accounts.new.parent_option", ["name": .text($0.name), "kind": .text(Localization.text("accounts.kind_word." + $0.kind.rawValue)), "currency": .text($0.currency)]), selected: String($0.id) == selectedParent) },
            name: Field(form.text("name"), errors, "name"),
            currency: Field(form.text("currency"), errors, "currency"),
            taxRate: Field(form.text("tax_rate"), errors, "tax_rate"),
            contactName: Field(form.text("contact_name"), errors, "contact_name"),
            contactEmail: Field(form.text("contact_email"), errors, "contact_email"),
            contactPhone: Field(form.text("contact_phone"), errors, "contact_phone"),
            address: Field(form.text("address"), errors, "address"),
            kindError: errors?.message(for: "kind"), parentError: errors?.message(for: "parent_id"),
            formError: errors.map { _ in Localization.text("accounts.form_error") }
        ), status: status)
        return try html.response(status: status)
    }

    // MARK: Create a user

    struct NewUserPage {
        let chrome: Chrome
        let account: AccountRow
        /// "Add a user to Acme Corp", in the reader's word order.
        var heading: String = ""
        let csrf: String
        let action: String
        let email: Field
        let name: Field
        let password: Field
        let roles: [Option]
        let roleError: String?
        let formError: String?
    }

    @Sendable func newUser(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let account = try await accounts.account(id, in: context.scope)
        guard Policy.allows(context.actor, .manageUsers(own: id == context.actor.accountID)) else {
            throw StoreError.forbidden(.init("error.forbidden.add_users"))
        }
        return try newUserPage(account, FormData("").with(["role": "operator"]), errors: nil, context: context, status: .ok)
    }

    @Sendable func createUser(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let account = try await accounts.account(id, in: context.scope)
        guard Policy.allows(context.actor, .manageUsers(own: id == context.actor.accountID)) else {
            throw StoreError.forbidden(.init("error.forbidden.add_users"))
        }
        let form = try await request.form(context)
        var errors = ValidationErrors()
        let role = Role(rawValue: form.text("role"))
        if role == nil { errors.add("role", .init("error.user.choose_role")) }
        let password = form["password"] ?? ""
        if let problem = PasswordRule.problem(password) { errors.add("password", problem) }
        guard let role, errors.isEmpty else {
            return try newUserPage(account, form, errors: errors, context: context, status: .unprocessableContent)
        }
        do {
            let hash = try await services.passwords.hash(password)
            let user = try await UserStore(database: services.database).create(
                UserDraft(email: form.text("email"), name: form.text("name"), role: role, passwordHash: hash), accountID: id, in: context.scope)
            context.session.update { $0.flash = Localization.text("users.new.added", ["email": .text(user.email), "role": .text(Localization.text("audit.value." + user.role.rawValue))]) }
            return redirect(.account(id))
        } catch let invalid as ValidationErrors {
            return try newUserPage(account, form, errors: invalid, context: context, status: .unprocessableContent)
        }
    }

    private func newUserPage(_ account: Account, _ form: FormData, errors: ValidationErrors?, context: SignedInContext,
                             status: HTTPResponse.Status) throws -> Response {
        let role = form.text("role")
        let html = try services.render("users_new", NewUserPage(
            chrome: Chrome(actor: context.actor, session: context.session, section: context.actor.accountKind == .customer ? .users : .customers),
            account: AccountRow(account), heading: Localization.text("users.new.heading", ["account": .text(account.name)]),
            csrf: context.session.current?.csrfToken ?? "", action: URLs.users(account: account.id).path,
            email: Field(form.text("email"), errors, "email"), name: Field(form.text("name"), errors, "name"),
            password: Field("", errors, "password"),
            roles: PeopleController.roleOptions(selected: role),
            roleError: errors?.message(for: "role"), formError: errors.map { _ in Localization.text("users.form_error") }
        ), status: status)
        return try html.response(status: status)
    }
}

/// An account as a row or a header.
struct AccountRow {
    let id: Int64
    let href: String
    let name: String
    let kind: String
    let kindLabel: String
    let currency: String
    let taxRate: String
    let status: String
    let isActive: Bool
    let contactEmail: String
    let created: String
    /// The reason of the restriction that covers the account, if one does.
    var restriction: String?

    init(_ account: Account, restriction: String? = nil) {
        self.restriction = restriction
        id = account.id
        href = URLs.account(account.id).path
        name = account.name
        kind = account.kind.rawValue
        kindLabel = Localization.text("accounts.kind." + account.kind.rawValue)
        currency = account.currency
        taxRate = Format.digits(account.taxRateDisplay)
        status = Localization.text("accounts.state." + account.status.rawValue)
        isActive = account.status == .active
        contactEmail = account.contactEmail
        created = Format.dateTime(account.createdAt)
    }
}

struct UserRow {
    let id: Int64
    let email: String
    let name: String
    let role: String
    let status: String
    /// Role and status in the reader's language.
    let roleText: String
    let statusText: String
    /// The user's page; the row's edit form posts there too.
    let editHref: String
    let roles: [Option]
    let statuses: [Option]

    init(_ user: User) {
        id = user.id
        email = user.email
        name = user.name
        role = user.role.rawValue
        status = user.status.rawValue
        roleText = Localization.text("users.role." + user.role.rawValue)
        statusText = Localization.text("users.state." + user.status.rawValue)
        editHref = URLs.user(user.id).path
        roles = PeopleController.roleOptions(selected: user.role.rawValue)
        statuses = PeopleController.statusOptions(selected: user.status.rawValue)
    }
}

extension FormData {
    func with(_ extra: [String: String]) -> FormData {
        var copy = self
        for (key, value) in extra { copy.set(key, value) }
        return copy
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.
// (`self.name`: a bare `name` is the parameter.)

extension AccountsController.IndexPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "heading": heading
        case "kind": kind
        case "search": search
        case "rows": rows
        case "empty": empty
        case "nextHref": nextHref
        case "newHref": newHref
        case "newLabel": newLabel
        case "exportHref": exportHref
        default: nil
        }
    }
}

extension AccountsController.ShowPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "account": account
        case "lineage": lineage
        case "contactName": contactName
        case "contactEmail": contactEmail
        case "contactPhone": contactPhone
        case "address": address
        case "users": users
        case "children": children
        case "hasChildren": hasChildren
        case "canAddUser": canAddUser
        case "canAddChildren": canAddChildren
        case "newUserHref": newUserHref
        case "newResellerHref": newResellerHref
        case "newCustomerHref": newCustomerHref
        case "auditHref": auditHref
        case "canRestrict": canRestrict
        case "newServiceHref": newServiceHref
        case "brandingHref": brandingHref
        case "restrictAction": restrictAction
        case "restrictionsHref": restrictionsHref
        case "csrf": csrf
        case "lifecycle": lifecycle
        default: nil
        }
    }
}

extension AccountsController.Crumb: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "href": href
        default: nil
        }
    }
}

extension AccountsController.NewAccountPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "heading": heading
        case "csrf": csrf
        case "kinds": kinds
        case "parents": parents
        case "name": self.name
        case "currency": currency
        case "taxRate": taxRate
        case "contactName": contactName
        case "contactEmail": contactEmail
        case "contactPhone": contactPhone
        case "address": address
        case "kindError": kindError
        case "parentError": parentError
        case "formError": formError
        default: nil
        }
    }
}

extension AccountsController.NewUserPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "account": account
        case "heading": heading
        case "csrf": csrf
        case "action": action
        case "email": email
        case "name": self.name
        case "password": password
        case "roles": roles
        case "roleError": roleError
        case "formError": formError
        default: nil
        }
    }
}

extension AccountRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "href": href
        case "name": self.name
        case "kind": kind
        case "kindLabel": kindLabel
        case "currency": currency
        case "taxRate": taxRate
        case "status": status
        case "isActive": isActive
        case "contactEmail": contactEmail
        case "created": created
        case "restriction": restriction
        default: nil
        }
    }
}

extension UserRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "email": email
        case "name": self.name
        case "role": role
        case "status": status
        case "roleText": roleText
        case "statusText": statusText
        case "editHref": editHref
        case "roles": roles
        case "statuses": statuses
        default: nil
        }
    }
}
