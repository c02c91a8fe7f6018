import Foundation
import Hummingbird
import Localization
import Storage

/// A reseller's brand through the API (API.md): the Branding page's twin.
struct BrandingAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.get("accounts/:id/branding", use: show)
        api.put("accounts/:id/branding", use: set)
    }

    var store: BrandStore { BrandStore(database: services.database) }

    struct BrandingBody: Decodable {
        let brandName: String
        let supportEmail: String
        let primaryColor: String
        let slug: String?
        enum CodingKeys: String, CodingKey { case brandName = "brand_name", supportEmail = "support_email", primaryColor = "primary_color", slug }
    }

    /// A reseller's brand; before one is set, only `account_id` (optional fields are omitted, never null).
    struct BrandingJSON: Encodable {
        let accountId: Int64
        let brandName: String?
        let slug: String?
        let supportEmail: String?
        let primaryColor: String?
        let signinPath: String?

        init(accountID: Int64, _ settings: BrandSettings?) {
            accountId = accountID
            brandName = settings?.brandName
            slug = settings?.slug
            supportEmail = settings?.supportEmail
            primaryColor = settings?.primaryColor
            signinPath = settings.map { "/signin?brand=\($0.slug)" }
        }

        enum CodingKeys: String, CodingKey {
            case accountId = "account_id", brandName = "brand_name", slug, supportEmail = "support_email", primaryColor = "primary_color", signinPath = "signin_path"
        }
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let (account, settings) = try await store.settings(of: id, in: context.scope)
        return try APIJSON.response(BrandingJSON(accountID: account.id, settings))
    }

    @Sendable func set(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        // Tenant scope and role first, so a foreign id is 404 and a refused role 403 whatever the body.
        _ = try await store.settings(of: id, in: context.scope)
        try Policy.require(context.actor, .manageBranding, .init("error.forbidden.set_brand"))
        let body = try await APIJSON.decode(BrandingBody.self, from: request, context: context)
        let settings = try await store.set(.init(brandName: body.brandName, supportEmail: body.supportEmail, primaryColor: body.primaryColor, slug: body.slug),
                                           for: id, in: context.scope)
        return try APIJSON.response(BrandingJSON(accountID: id, settings))
    }
}
