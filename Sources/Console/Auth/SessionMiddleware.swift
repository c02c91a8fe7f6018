import Foundation
import Hummingbird
import HummingbirdAuth
import Localization
import Storage

/// Loads the session named by the cookie, resolves its user, and after the handler writes back
/// what changed: a rotated session gets a new id (the old one is deleted, so a planted id is
/// useless after sign-in), a cleared one is deleted and its cookie expired, and an active one
/// has its idle expiry pushed forward at most once a minute.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppContext

    let storage: SessionStorage<ConsoleSession>
    /// Updates go straight to the driver, update-only: `SessionStorage.update` would insert an
    /// ended session again (see `MariaDBPersistDriver.update`).
    let persist: MariaDBPersistDriver
    static let keyPrefix = "session."
    let users: UserStore
    let cookieName: String
    let secureCookie: Bool
    let idleTimeout: Duration

    init(persist: MariaDBPersistDriver, users: UserStore, secureCookie: Bool, idleTimeout: Duration, cookieName: String = "console_session") {
        self.storage = SessionStorage(persist, configuration: .init(
            sessionCookieParameters: .init(name: cookieName, secure: secureCookie, sameSite: .lax), keyPrefix: Self.keyPrefix))
        self.persist = persist
        self.users = users
        self.cookieName = cookieName
        self.secureCookie = secureCookie
        self.idleTimeout = idleTimeout
    }

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        // The JSON API authenticates by bearer token only; a cookie there means nothing.
        if request.uri.path.hasPrefix("/api/") { return try await next(request, context) }
        var context = context
        var ttl: Duration?
        if let loaded = try? await storage.loadWithTTL(request: request) {
            context.session = SessionBox(loaded.session)
            ttl = loaded.ttl
            if let userID = loaded.session.userID {
                context.actor = try await users.actor(userID: userID, address: context.remoteAddress)
            }
        }
        let box = context.session
        var response = try await next(request, context)
        let hadSession = storage.getId(request: request) != nil && ttl != nil
        switch box.change {
        case .rotated:
            if hadSession { _ = try? await storage.delete(request: request) }
            if let session = box.current {
                let issued = try await storage.save(session: session, expiresIn: idleTimeout)
                response.headers[values: .setCookie].append(cookie(issued.value, maxAge: idleTimeout).description)
            }
        case .cleared:
            if hadSession { _ = try? await storage.delete(request: request) }
            response.headers[values: .setCookie].append(cookie("", maxAge: .zero).description)
        case .updated:
            if let session = box.current, hadSession, let id = storage.getId(request: request) {
                try await persist.update(key: Self.keyPrefix + id, value: session, expires: idleTimeout)
                response.headers[values: .setCookie].append(cookie(id, maxAge: idleTimeout).description)
            }
        case .none:
            // Sliding idle expiry, written at most once a minute per session.
            if let session = box.current, let ttl, ttl < idleTimeout - .seconds(60), let id = storage.getId(request: request) {
                try await persist.update(key: Self.keyPrefix + id, value: session, expires: idleTimeout)
                response.headers[values: .setCookie].append(cookie(id, maxAge: idleTimeout).description)
            }
        }
        return response
    }

    /// HttpOnly always, SameSite=Lax, Secure when served over https.
    private func cookie(_ value: String, maxAge: Duration) -> Cookie {
        Cookie(name: cookieName, value: value, maxAge: Int(maxAge.components.seconds), path: "/",
               secure: secureCookie, httpOnly: true, sameSite: .lax)
    }
}

/// State-changing page requests must carry the session's CSRF token in the `_csrf` field
/// (or an `X-CSRF-Token` header); otherwise 403 and the handler never runs.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = AppContext

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch, .delete].contains(request.method), !request.uri.path.hasPrefix("/api/") else {
            return try await next(request, context)
        }
        var request = request
        let expected = context.session.current?.csrfToken
        var sent = request.headers[.init("X-CSRF-Token")!]
        if sent == nil {
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            sent = FormData(String(buffer: body))["_csrf"]
        }
        guard let expected, let sent, constantTimeEqual(expected, sent) else {
            throw HTTPError(.forbidden, message: Localization.text("error.csrf"))
        }
        return try await next(request, context)
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
