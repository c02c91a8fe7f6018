import Commerce
import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// A reseller's Branding page (its API twin is `BrandingAPI`), and the theme stylesheets.
struct BrandingController: Sendable {
    let services: ConsoleServices

    /// `/accounts/7/branding`.
    static func path(account: Int64) -> String { "/accounts/\(account)/branding" }
    static let route = RouterPath("/accounts/:id/branding")

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(Self.route, use: show)
        group.post(Self.route, use: save)
    }

    /// Public: the sign-in page wears the brand before anyone signs in.
    func addThemeRoute(to router: Router<AppContext>) {
        router.get(RouterPath(ThemeStylesheet.route)) { _, context -> Response in
            guard let css = ThemeStylesheet.css(file: context.parameters.get("file") ?? "") else { throw HTTPError(.notFound) }
            return Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=31536000, immutable"],
                            body: .init(byteBuffer: .init(string: css)))
        }
    }

    var store: BrandStore { BrandStore(database: services.database) }

    struct Page {
        let chrome: Chrome
        let accountName: String
        let accountHref: String
        let csrf: String
        let action: String
        let canEdit: Bool
        let brandName: Field
        let supportEmail: Field
        let primaryColor: Field
        let slug: Field
        /// `/signin?brand=northwind`, once the brand is saved.
        let signInLink: String?
        /// The top bar as the subtree will see it: the saved brand, or what was typed and refused.
        let preview: BrandView
        let formError: String?
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let (account, settings) = try await store.settings(of: id, in: context.scope)
        var form = FormData("")
        if let settings {
            form.set("brand_name", settings.brandName)
            form.set("support_email", settings.supportEmail)
            form.set("primary_color", settings.primaryColor)
            form.set("slug", settings.slug)
        } else {
            form.set("brand_name", account.name)
            form.set("support_email", account.contactEmail)
            form.set("primary_color", BrandColor.standard.hex)
        }
        return try page(account, form, saved: settings, errors: nil, context: context, status: .ok)
    }

    @Sendable func save(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let (account, saved) = try await store.settings(of: id, in: context.scope)
        try Policy.require(context.actor, .manageBranding, .init("error.forbidden.set_brand"))
        let form = try await request.form(context)
        do {
            let settings = try await store.set(.init(brandName: form["brand_name"] ?? "", supportEmail: form["support_email"] ?? "",
                                                     primaryColor: form["primary_color"] ?? "", slug: form["slug"]),
                                               for: id, in: context.scope)
            context.session.update { $0.flash = Localization.text("branding.saved", ["name": .text(settings.brandName)]) }
            return redirect(to: Self.path(account: id))
        } catch let invalid as ValidationErrors {
            return try page(account, form, saved: saved, errors: invalid, context: context, status: .unprocessableContent)
        } catch StoreError.invalid(let field, let message) {
            var errors = ValidationErrors()
            errors.add(field, message)
            return try page(account, form, saved: saved, errors: errors, context: context, status: .unprocessableContent)
        } catch StoreError.conflict(let field, let message) {
            var errors = ValidationErrors()
            errors.add(field, message)
            return try page(account, form, saved: saved, errors: errors, context: context, status: .conflict)
        }
    }

    private func page(_ account: Account, _ form: FormData, saved: BrandSettings?, errors: ValidationErrors?, context: SignedInContext,
                      status: HTTPResponse.Status) throws -> Response {
        let typedColor = (try? BrandColor.parse(form.text("primary_color"))) ?? .standard
        let previewName = form.text("brand_name").isEmpty ? account.name : String(form.text("brand_name").prefix(100))
        let section: Chrome.Section = account.id == context.actor.accountID ? .branding : .resellers
        let html = try services.render("branding", Page(
            chrome: Chrome(actor: context.actor, session: context.session, section: section),
            accountName: account.name, accountHref: URLs.account(account.id).path, csrf: context.session.current?.csrfToken ?? "",
            action: Self.path(account: account.id), canEdit: Policy.allows(context.actor, .manageBranding),
            brandName: Field(form.text("brand_name"), errors, "brand_name"), supportEmail: Field(form.text("support_email"), errors, "support_email"),
            primaryColor: Field(form.text("primary_color"), errors, "primary_color"), slug: Field(form.text("slug"), errors, "slug"),
            signInLink: saved.map { "/signin?brand=\($0.slug)" },
            preview: BrandView(name: previewName, supportEmail: form.text("support_email"), color: typedColor, slug: nil),
            formError: errors.map { _ in Localization.text("branding.form_error") }
        ), status: status)
        return try html.response(status: status)
    }
}

// MARK: Values by name for the templates

extension BrandingController.Page: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "accountName": accountName
        case "accountHref": accountHref
        case "csrf": csrf
        case "action": action
        case "canEdit": canEdit
        case "brandName": brandName
        case "supportEmail": supportEmail
        case "primaryColor": primaryColor
        case "slug": slug
        case "signInLink": signInLink
        case "preview": preview
        case "formError": formError
        default: nil
        }
    }
}
