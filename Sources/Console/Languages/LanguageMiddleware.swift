import HTTPTypes
import Hummingbird
import Localization
import Storage

/// The language of every answer before anyone is known: `?lang=bn` (the sign-in page's switch,
/// remembered in a cookie), else that cookie, else the browser's `Accept-Language`, else English.
/// Outermost but for the static files, so error pages and the API's errors speak it too.
struct VisitorLanguageMiddleware: RouterMiddleware {
    typealias Context = AppContext
    static let cookieName = "console_lang"
    let secureCookie: Bool

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        let chosen = request.uri.path.hasPrefix("/api/") ? nil : request.query("lang").flatMap(Language.init(rawValue:))
        let cookie = request.cookies[Self.cookieName].flatMap { Language(rawValue: $0.value) }
        let language = chosen ?? cookie ?? Language.preferred(acceptLanguage: request.headers[.acceptLanguage]) ?? .en
        var response = try await Language.$current.withValue(language) { try await next(request, context) }
        if let chosen, chosen != cookie { response.headers[values: .setCookie].append(Self.cookie(chosen, secure: secureCookie)) }
        return response
    }

    static func cookie(_ language: Language, secure: Bool) -> String {
        Cookie(name: cookieName, value: language.rawValue, maxAge: 31_536_000, path: "/", secure: secure, httpOnly: true, sameSite: .lax).description
    }
}

/// Signed in, the user's own choice (`PUT /api/v1/me {"locale"}`, the profile page) wins, and the
/// cookie follows it so the pages after signing out keep the language.
struct UserLanguageMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let secureCookie: Bool

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard let actor = context.actor else { return try await next(request, context) }
        var response = try await Language.$current.withValue(Language(rawValue: actor.locale.rawValue) ?? .en) { try await next(request, context) }
        let cookie = request.cookies[VisitorLanguageMiddleware.cookieName]?.value
        if !request.uri.path.hasPrefix("/api/"), cookie != actor.locale.rawValue {
            response.headers[values: .setCookie].append(VisitorLanguageMiddleware.cookie(Language(rawValue: actor.locale.rawValue) ?? .en, secure: secureCookie))
        }
        return response
    }
}
