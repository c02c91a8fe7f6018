import Foundation
import Hummingbird
import Localization
import Storage

/// People through the API (API.md "Accounts, people, credit, documents"): an admin changes a user;
/// each user reads and changes themselves; anyone asks for a password reset link and uses it.
struct PeopleAPI: Sendable {
    let services: ConsoleServices

    /// `api`: anyone (the reset link); `authed`: a signed-in user.
    func addRoutes(api: RouterGroup<AppContext>, authed: RouterGroup<SignedInContext>) {
        api.post("password-resets", use: requestReset)
        api.post("password-resets/:token", use: reset)
        authed.get("me", use: me)
        authed.put("me", use: updateMe)
        authed.put("me/password", use: changePassword)
        authed.patch("users/:id", use: updateUser)
    }

    var users: UserStore { UserStore(database: services.database) }

    // MARK: Users

    struct UserPatch: Decodable {
        let name: String?
        let role: String?
        let status: String?
        let locale: String?
    }

    @Sendable func updateUser(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        // Whose it is before what the body says: a user outside the subtree is 404, whatever the body.
        let user = try await users.user(id, in: context.scope)
        try Policy.require(context.actor, .manageUsers(own: user.accountID == context.actor.accountID), .init("error.forbidden.change_users"))
        let body = try await APIJSON.decode(UserPatch.self, from: request, context: context)
        let change = UserChange(name: body.name, role: try Self.parse(body.role, Role.self, field: "role"),
                                status: try Self.parse(body.status, UserStatus.self, field: "status"),
                                locale: try Self.parse(body.locale, UserLocale.self, field: "locale"))
        return try APIJSON.response(UserJSON(try await users.update(id, change, in: context.scope)))
    }

    /// One of an enum's values, or 422 naming the field and the values it takes.
    static func parse<E: RawRepresentable & CaseIterable>(_ text: String?, _ type: E.Type, field: String) throws -> E? where E.RawValue == String {
        guard let text else { return nil }
        guard let value = E(rawValue: text) else {
            throw StoreError.invalid(field: field, message: .init("error.field.one_of", ["field": .text(field), "allowed": .text(E.allCases.map(\.rawValue).joined(separator: ", "))]))
        }
        return value
    }

    // MARK: Me

    struct MeResponse: Encodable {
        struct UserJSON: Encodable {
            let id: Int64
            let email: String
            let name: String
            let role: String
            let locale: String
        }
        struct AccountJSON: Encodable {
            let id: Int64
            let kind: String
            let name: String
        }
        let user: UserJSON
        let account: AccountJSON

        init(user: UserJSON, account: AccountJSON) {
            self.user = user
            self.account = account
        }

        init(_ actor: Actor, _ user: User) {
            self.init(user: UserJSON(id: user.id, email: user.email, name: user.name, role: user.role.rawValue, locale: user.locale.rawValue),
                      account: AccountJSON(id: actor.accountID, kind: actor.accountKind.rawValue, name: actor.accountName))
        }
    }

    @Sendable func me(_ request: Request, context: SignedInContext) async throws -> Response {
        try APIJSON.response(MeResponse(context.actor, try await users.user(context.actor.userID, in: context.scope)))
    }

    struct MePatch: Decodable {
        let name: String?
        let locale: String?
    }

    @Sendable func updateMe(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(MePatch.self, from: request, context: context)
        let user = try await users.updateProfile(name: body.name, locale: try Self.parse(body.locale, UserLocale.self, field: "locale"), of: context.actor)
        return try APIJSON.response(MeResponse(context.actor, user))
    }

    struct PasswordChange: Decodable {
        let currentPassword: String
        let password: String
        enum CodingKeys: String, CodingKey { case currentPassword = "current_password", password }
    }

    @Sendable func changePassword(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(PasswordChange.self, from: request, context: context)
        do {
            try await services.changeOwnPassword(context.actor, current: body.currentPassword, new: body.password,
                                                 keepingToken: BearerMiddleware.token(of: request))
        } catch let throttled as Throttled {
            throw APIError(status: .tooManyRequests, code: "throttled", message: throttled.message)
        }
        return Response(status: .noContent)
    }

    // MARK: Password reset

    struct ResetRequest: Decodable {
        let email: String
    }

    /// The one answer to every reset request, whether the email has a user or not.
    struct ResetAccepted: Encodable {
        let message = "If a user of this console has this email address, a link to set a new password is on its way. It works once, within an hour."
    }

    @Sendable func requestReset(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await APIJSON.decode(ResetRequest.self, from: request, context: context)
        do {
            try await services.requestPasswordReset(email: body.email, address: context.remoteAddress)
        } catch let throttled as Throttled {
            throw APIError(status: .tooManyRequests, code: "throttled", message: throttled.message)
        }
        return try APIJSON.response(ResetAccepted(), status: .accepted)
    }

    struct NewPassword: Decodable {
        let password: String
    }

    @Sendable func reset(_ request: Request, context: AppContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let body = try await APIJSON.decode(NewPassword.self, from: request, context: context)
        do {
            try await services.resetPassword(token: token, password: body.password, address: context.remoteAddress)
        } catch StoreError.notFound {
            throw APIError(status: .notFound, code: "reset_link_invalid", message: Localization.text("error.api.reset_link_invalid"))
        }
        return Response(status: .noContent)
    }
}
