import Commerce
import HTTPTypes
import Hummingbird
import Localization
import Mustache
import Storage

/// The brand of the page being answered, resolved once per page request by `BrandMiddleware`
/// and read by `ConsoleServices.render`, which hands it to the layout as `brand`.
enum PageBrand {
    @TaskLocal static var current: Brand?
}

/// A brand as the layout and the Branding page's preview show it.
struct BrandView {
    let name: String
    let supportEmail: String
    /// `#1f6feb`.
    let color: String
    /// The stylesheet that paints `background` (inline styles are refused by the pages' CSP).
    let stylesheet: String
    /// The class with the brand's colour as background.
    let background: String
    /// Bootstrap's navbar variant: `dark` for light text on a dark colour, `light` for dark text.
    let navbar: String
    /// The text colour on it, for Bootstrap's `text-*`, `link-*` and `btn-outline-*`: `light` or `dark`.
    let text: String
    /// `?brand=northwind`, which keeps the sign-in form on the brand's page; empty for no brand.
    let signInQuery: String

    init(name: String, supportEmail: String, color: BrandColor, slug: String?) {
        self.name = name
        self.supportEmail = supportEmail
        self.color = color.hex
        stylesheet = ThemeStylesheet.path(for: color)
        background = ThemeStylesheet.className(for: color)
        navbar = color.text == .light ? "dark" : "light"
        text = color.text.rawValue
        signInQuery = slug.map { "?brand=\($0)" } ?? ""
    }

    init(_ brand: Brand) {
        self.init(name: brand.name, supportEmail: brand.supportEmail, color: brand.color, slug: brand.slug)
    }

    /// Where no brand was resolved (an error answered before the request's brand was known):
    /// the product's name, never the provider's.
    static let neutral = BrandView(name: "Reseller console", supportEmail: "", color: .standard, slug: nil)
}

/// Every rendered page as the templates read it: the page's own names, and `brand`.
struct PageFrame: MustacheParent {
    let page: any MustacheParent
    let brand: BrandView

    func child(named name: String) -> Any? {
        switch name {
        case "brand": brand
        // The catalog (`{{t.some.key}}`) and the language (`{{language.code}}`) of every page.
        case "t": CatalogView()
        case "language": LanguageView(language: Language.current)
        default: page.child(named: name)
        }
    }
}

/// `/theme/1f6feb.css`: one rule giving a brand's colour to its class. Made from the name alone
/// (no database), so it is cached for good.
enum ThemeStylesheet {
    static let route = "/theme/:file"

    static func path(for color: BrandColor) -> String { "/theme/\(color.digits).css" }

    static func className(for color: BrandColor) -> String { "brand-bg-\(color.digits)" }

    /// The stylesheet for a file name like `1f6feb.css`; nil for anything else.
    static func css(file: String) -> String? {
        guard file.hasSuffix(".css"), let color = try? BrandColor.parse("#" + file.dropLast(4)), color.digits == file.dropLast(4) else { return nil }
        return ".\(className(for: color)){background-color:\(color.hex)}\n"
    }
}

/// Resolves the brand of every page request: a signed-in user's is the nearest branded reseller
/// at or above their account; a visitor's comes from `?brand=<slug>`, the host name's mapping
/// (`BRAND_HOSTS`), or the brand cookie a signed-in user's last page left (so the sign-in page
/// after signing out, or after a session ran out, still wears it). One statement per page.
struct BrandMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let store: BrandStore
    let hosts: [String: String]
    let secureCookie: Bool
    static let cookieName = "console_brand"

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard !["/api/", "/theme/", "/assets/", "/vendor/"].contains(where: path.hasPrefix), path != "/healthz", path != "/metrics" else {
            return try await next(request, context)
        }
        let cookie = request.cookies[Self.cookieName]?.value
        let brand: Brand?
        if let actor = context.actor {
            brand = try await store.brand(seenBy: actor.accountPath)
        } else {
            let slug = request.query("brand") ?? host(of: request).flatMap { hosts[$0] } ?? cookie
            brand = try await store.brand(slug: slug)
        }
        var response = try await PageBrand.$current.withValue(brand) { try await next(request, context) }
        // Signed in, the cookie follows the user's brand (set, changed, or dropped for none).
        if context.actor != nil, cookie != brand?.slug {
            let value = brand?.slug ?? ""
            response.headers[values: .setCookie].append(Cookie(name: Self.cookieName, value: value, maxAge: value.isEmpty ? 0 : 31_536_000, path: "/",
                                                              secure: secureCookie, httpOnly: true, sameSite: .lax).description)
        }
        return response
    }

    /// The host the request was sent to, without its port, lower-cased.
    private func host(of request: Request) -> String? {
        // A `Host` field only where the client put one among the fields (tests); servers carry it as the authority.
        guard let authority = request.headers[HTTPField.Name("Host")!] ?? request.head.authority else { return nil }
        let bare = authority.split(separator: ":", maxSplits: 1).first.map(String.init) ?? authority
        return bare.lowercased()
    }
}

// MARK: Values by name for the templates

extension BrandView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "supportEmail": supportEmail
        case "color": color
        case "stylesheet": stylesheet
        case "background": background
        case "navbar": navbar
        case "text": text
        case "signInQuery": signInQuery
        default: nil
        }
    }
}
