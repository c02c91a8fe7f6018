import Foundation
import Hummingbird
import Localization
import Storage

/// The JSON API twins of the console's pages (API.md), with the same stores, scope and audit.
struct APIController: Sendable {
    let services: ConsoleServices

    func addRoutes(to router: Router<AppContext>) {
        let api = router.group("api/v1")
        // The bearer's actor first, so the errors below are written in the user's language.
        api.add(middleware: BearerMiddleware(tokens: APITokenStore(database: services.database)))
        api.add(middleware: APIErrorMiddleware())
        api.post("tokens", use: createToken)
        api.get("openapi.yaml", use: openAPI)
        let authed = api.group(context: SignedInContext.self)
        authed.post("accounts", use: createAccount)
        authed.get("accounts", use: listAccounts)
        authed.get("accounts/:id", use: showAccount)
        authed.post("accounts/:id/users", use: createUser)
        authed.get("accounts/:id/users", use: listUsers)
        CatalogAPI(services: services).addRoutes(to: authed)
        PlansAPI(services: services).addRoutes(to: authed)
        SubscriptionsAPI(services: services).addRoutes(to: authed)
        OrdersAPI(services: services).addRoutes(to: authed)
        RestrictionsAPI(services: services).addRoutes(to: authed)
        WebhooksAPI(services: services).addRoutes(to: authed)
        BillingAPI(services: services).addRoutes(to: authed)
        InvoicePDFController(services: services).addAPIRoutes(to: authed)
        PeopleAPI(services: services).addRoutes(api: api, authed: authed)
        AuditAPI(services: services).addRoutes(to: authed)
        BrandingAPI(services: services).addRoutes(to: authed)
        AccountLifecycleAPI(services: services).addRoutes(to: authed)
        DashboardController(services: services).addAPIRoutes(to: authed)
    }

    /// The project's OpenAPI document of this API (`openapi/openapi.yaml`), public like the contract.
    @Sendable func openAPI(_ request: Request, context: AppContext) async throws -> Response {
        let file = services.configuration.rootDirectory.appendingPathComponent("openapi/openapi.yaml")
        guard let data = FileManager.default.contents(atPath: file.path) else { throw HTTPError(.notFound) }
        return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8", .cacheControl: "max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Tokens

    struct TokenRequest: Decodable {
        let email: String
        let password: String
    }

    struct TokenResponse: Encodable {
        let token: String
        let expiresAt: Date
        enum CodingKeys: String, CodingKey { case token, expiresAt = "expires_at" }
    }

    @Sendable func createToken(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await APIJSON.decode(TokenRequest.self, from: request, context: context)
        switch try await services.signIn(email: body.email, password: body.password, address: context.remoteAddress) {
        case .signedIn(let userID):
            let issued = try await APITokenStore(database: services.database).issue(userID: userID)
            return try APIJSON.response(TokenResponse(token: issued.token, expiresAt: issued.expiresAt), status: .created)
        case .wrongCredentials:
            throw APIError(status: .unauthorized, code: "invalid_credentials", message: Localization.text("error.api.invalid_credentials"))
        case .throttled(let minutes):
            throw APIError(status: .tooManyRequests, code: "throttled",
                           message: Localization.text("error.api.throttled", ["minutes": .number(Int64(minutes))]))
        }
    }

    // MARK: Accounts

    struct AccountRequest: Decodable {
        let kind: String
        let parentId: Int64?
        let name: String
        let currency: String
        let taxRate: String?
        let contactName: String?
        let contactEmail: String?
        let contactPhone: String?
        let address: String?
        enum CodingKeys: String, CodingKey {
            case kind, parentId = "parent_id", name, currency, taxRate = "tax_rate", contactName = "contact_name", contactEmail = "contact_email", contactPhone = "contact_phone", address
        }
    }

    @Sendable func createAccount(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(AccountRequest.self, from: request, context: context)
        guard let kind = AccountKind(rawValue: body.kind), kind != .provider else {
            throw APIError(status: .unprocessableContent, code: "kind", message: Localization.text("error.api.kind_account"))
        }
        let account = try await AccountStore(database: services.database).create(
            AccountDraft(kind: kind, parentID: body.parentId ?? context.actor.accountID, name: body.name,
                         currency: body.currency, taxRate: body.taxRate ?? "0", contactName: body.contactName ?? "",
                         contactEmail: body.contactEmail ?? "", contactPhone: body.contactPhone ?? "", address: body.address ?? ""),
            in: context.scope)
        return try APIJSON.response(AccountJSON(account), status: .created)
    }

    struct ListResponse<Item: Encodable>: Encodable {
        let items: [Item]
        let nextCursor: Int64?
        enum CodingKeys: String, CodingKey { case items, nextCursor = "next_cursor" }
    }

    @Sendable func listAccounts(_ request: Request, context: SignedInContext) async throws -> Response {
        let store = AccountStore(database: services.database)
        let filter = try ListQuery.accounts(request)
        if CSVResponse.wanted(request) { return try await ListExports(database: services.database).accounts(filter, in: context.scope, logger: context.logger) }
        if let parentID = filter.parentID { _ = try await store.account(parentID, in: context.scope) }
        let page = try await store.list(in: context.scope, filter: filter, page: try request.pageRequest(defaultLimit: 50))
        return try APIJSON.response(ListResponse(items: page.items.map(AccountJSON.init), nextCursor: page.nextCursor))
    }

    @Sendable func showAccount(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(AccountJSON(try await AccountStore(database: services.database).account(id, in: context.scope)))
    }

    // MARK: Users

    struct UserRequest: Decodable {
        let email: String
        let password: String
        let role: String
        let name: String?
    }

    @Sendable func createUser(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let account = try await AccountStore(database: services.database).account(id, in: context.scope)
        guard Policy.allows(context.actor, .manageUsers(own: account.id == context.actor.accountID)) else {
            throw StoreError.forbidden(.init("error.forbidden.add_users"))
        }
        let body = try await APIJSON.decode(UserRequest.self, from: request, context: context)
        guard let role = Role(rawValue: body.role) else {
            throw APIError(status: .unprocessableContent, code: "role", message: Localization.text("error.api.role"))
        }
        if let problem = PasswordRule.problem(body.password) {
            throw APIError(status: .unprocessableContent, code: "password", message: problem.rendered())
        }
        let hash = try await services.passwords.hash(body.password)
        let user = try await UserStore(database: services.database).create(
            UserDraft(email: body.email, name: body.name ?? "", role: role, passwordHash: hash), accountID: id, in: context.scope)
        return try APIJSON.response(UserJSON(user), status: .created)
    }

    @Sendable func listUsers(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let users = try await UserStore(database: services.database).users(of: id, in: context.scope)
        return try APIJSON.response(ListResponse(items: users.map(UserJSON.init), nextCursor: nil))
    }
}

struct AccountJSON: Encodable {
    let id: Int64
    let kind: String
    let parentId: Int64?
    let name: String
    let currency: String
    let taxRate: String
    let status: String
    let contactName: String
    let contactEmail: String
    let contactPhone: String
    let address: String
    let createdAt: Date
    /// When the status last changed (suspended, lifted, closed); omitted until it first does.
    let statusChangedAt: Date?

    init(_ account: Account) {
        id = account.id
        kind = account.kind.rawValue
        parentId = account.parentID
        name = account.name
        currency = account.currency
        taxRate = account.taxRateDisplay
        status = account.status.rawValue
        contactName = account.contactName
        contactEmail = account.contactEmail
        contactPhone = account.contactPhone
        address = account.address
        createdAt = account.createdAt
        statusChangedAt = account.statusChangedAt
    }
    enum CodingKeys: String, CodingKey {
        case id, kind, parentId = "parent_id", name, currency, taxRate = "tax_rate", status, contactName = "contact_name", contactEmail = "contact_email", contactPhone = "contact_phone", address, createdAt = "created_at"
        case statusChangedAt = "status_changed_at"
    }
}

struct UserJSON: Encodable {
    let id: Int64
    let accountId: Int64
    let email: String
    let name: String
    let role: String
    let status: String
    let locale: String

    init(_ user: User) {
        id = user.id
        accountId = user.accountID
        email = user.email
        name = user.name
        role = user.role.rawValue
        status = user.status.rawValue
        locale = user.locale.rawValue
    }
    enum CodingKeys: String, CodingKey { case id, accountId = "account_id", email, name, role, status, locale }
}
