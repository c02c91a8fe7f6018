import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// Sign-in and sign-out pages.
struct AuthController: Sendable {
    let services: ConsoleServices

    func addRoutes(to router: Router<AppContext>) {
        router.get(URLs.signIn.route, use: show)
        router.post(URLs.signIn.route, use: signIn)
        router.post(URLs.signOut.route, use: signOut)
    }

    struct SignInPage {
        let chrome: Chrome? = nil
        let csrf: String
        let next: String
        let email: String
        let error: String?
        /// The language switch: each language, named in itself, linking to this page in it.
        let languages: [LanguageLink]
    }

    struct LanguageLink {
        let code: String
        let name: String
        let href: String
        let current: Bool
    }

    /// `?lang=bn` on this page (the language middleware keeps it in a cookie), keeping where to go
    /// next and the brand the page wears; nothing else of the query is echoed (an unknown `brand`
    /// that the page ignores stays out of its links too).
    static func languageLinks(_ request: Request) -> [LanguageLink] {
        let next = request.query("next").map { "next=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") }
        let brand = request.query("brand") != nil ? PageBrand.current?.slug.map { "brand=" + $0 } : nil
        let kept = [next, brand].compactMap { $0 }
        return Language.allCases.map { language in
            LanguageLink(code: language.rawValue, name: Catalogs.shared.render(LocalizedText("language." + language.rawValue), in: language),
                         href: URLs.signIn.path + "?" + (kept + ["lang=\(language.rawValue)"]).joined(separator: "&"), current: language == Language.current)
        }
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        if context.actor != nil { return redirect(.dashboard) }
        // A visitor needs a session before signing in, to carry the form's CSRF token.
        if context.session.current == nil { context.session.rotate(to: ConsoleSession()) }
        return try page(request.query("next").flatMap(Self.safeNext) ?? "", email: "", error: nil, status: .ok, request: request, context: context)
    }

    @Sendable func signIn(_ request: Request, context: AppContext) async throws -> Response {
        let form = try await request.form(context)
        let email = form.text("email").lowercased()
        let next = form.text("next")
        switch try await services.signIn(email: email, password: form["password"] ?? "", address: context.remoteAddress) {
        case .signedIn(let userID):
            context.session.rotate(to: ConsoleSession(userID: userID, signedInAt: Date()))
            return redirect(to: Self.safeNext(next) ?? URLs.dashboard.path)
        case .wrongCredentials:
            return try page(next, email: email, error: Localization.text("signin.wrong"), status: .unauthorized, request: request, context: context)
        case .throttled(let minutes):
            return try page(next, email: email, error: Localization.text("signin.throttled", ["minutes": .number(Int64(minutes))]),
                            status: .tooManyRequests, request: request, context: context)
        }
    }

    @Sendable func signOut(_ request: Request, context: AppContext) async throws -> Response {
        context.session.clear()
        return redirect(.signIn)
    }

    private func page(_ next: String, email: String, error: String?, status: HTTPResponse.Status, request: Request, context: AppContext) throws -> Response {
        let html = try services.render("signin", SignInPage(csrf: context.session.current?.csrfToken ?? "", next: next, email: email, error: error,
                                                            languages: Self.languageLinks(request)), status: status)
        return try html.response(status: status)
    }

    /// Only a path on this console, never another host. Browsers drop tabs and newlines from a
    /// `Location` and read a backslash as a slash, so `/<tab>/evil.example` would leave; the same
    /// holds after percent-decoding. Anything doubtful goes to the default page.
    static func safeNext(_ next: String) -> String? {
        guard next.utf8.count <= 2048, let decoded = next.removingPercentEncoding else { return nil }
        for candidate in [next, decoded] {
            guard candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"),
                  !candidate.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return nil }
        }
        return next
    }
}

enum SignInOutcome {
    case signedIn(userID: Int64)
    case wrongCredentials
    case throttled(minutes: Int)
}

extension ConsoleServices {
    /// The one sign-in check behind the page and `POST /api/v1/tokens`: throttled, timing-even, recorded.
    func signIn(email: String, password: String, address: String) async throws -> SignInOutcome {
        let throttle = SignInThrottle(database: database)
        // Admitting records the attempt as a failure, in one step with the count it is judged by.
        let attempt: Int64
        switch try await throttle.admit(email: email, address: address) {
        case .refused(let minutes):
            return .throttled(minutes: minutes)
        case .proceed(let delay, let admitted):
            if delay > .zero { try await Task.sleep(for: delay) }
            attempt = admitted
        }
        let candidate = try await UserStore(database: database).signInCandidate(email: email)
        let verified = try await passwords.verify(password, hash: candidate?.passwordHash ?? passwords.decoyHash)
        guard verified, let candidate else {
            try await throttle.recordFailure(attempt, address: address)
            return .wrongCredentials
        }
        try await throttle.recordSuccess(email: email)
        return .signedIn(userID: candidate.userID)
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

extension AuthController.SignInPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "next": next
        case "email": email
        case "error": error
        case "languages": languages
        default: nil
        }
    }
}

extension AuthController.LanguageLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "code": code
        case "name": self.name
        case "href": href
        case "current": current
        default: nil
        }
    }
}
