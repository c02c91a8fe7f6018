import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// Turns what stores and handlers throw into pages, in one place: 404 for what is absent or
/// outside the subtree, 403 for what the tier or role may not do, a redirect to sign-in for
/// pages that need a user.
struct PageErrorMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let services: ConsoleServices

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard !request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch is NotSignedIn {
            let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            let target = URLs.signIn.path + "?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            return Response(status: .seeOther, headers: [.location: target])
        } catch let error as StoreError {
            switch error {
            case .notFound: return try page(.notFound, Localization.text("error.page.not_found.title"), Localization.text("error.page.not_found.message"), context)
            case .forbidden(let why):
                return try page(.forbidden, Localization.text("error.page.forbidden.title"), Localization.text("error.page.forbidden.message", ["why": .text(why.rendered())]), context)
            case .invalid(_, let message), .conflict(_, let message):
                return try page(.unprocessableContent, Localization.text("error.page.invalid.title"), message.rendered(), context)
            }
        } catch let error as HTTPError where error.status == .forbidden {
            return try page(error.status, Localization.text("error.page.forbidden.title"), error.body ?? Localization.text("error.page.forbidden.plain"), context)
        }
        // A 404 from the router passes on: `NotFoundPageMiddleware` renders what nobody serves.
    }

    fileprivate func page(_ status: HTTPResponse.Status, _ title: String, _ message: String, _ context: AppContext) throws -> Response {
        let chrome = context.actor.map { Chrome(actor: $0, session: context.session, section: .dashboard) }
        let html = try services.render("error", ErrorPage(chrome: chrome, status: Int(status.code), title: title, message: message), status: status)
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: .init(string: html.body)))
    }
}

/// The last word on unknown URLs (static assets are answered further out): a 404 page rather than a bare status.
struct NotFoundPageMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let services: ConsoleServices

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && !request.uri.path.hasPrefix("/api/") {
            return try PageErrorMiddleware(services: services).page(.notFound, Localization.text("error.page.not_found.title"), Localization.text("error.page.nothing_at_address"), context)
        }
    }
}

struct ErrorPage {
    let chrome: Chrome?
    let status: Int
    let title: String
    let message: String
    /// Shown on every error page, so whoever reports a failure can quote it (it is in the log lines).
    var requestID: String? = RequestID.current
}

/// A 303 to another page, as after every successful form.
func redirect(_ url: URLs) -> Response {
    Response(status: .seeOther, headers: [.location: url.path])
}

func redirect(to location: String) -> Response {
    Response(status: .seeOther, headers: [.location: location])
}

extension Request {
    /// The form body of a POST.
    func form(_ context: some RequestContext) async throws -> FormData {
        var request = self
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        return FormData(String(buffer: body))
    }

    func query(_ name: String) -> String? {
        uri.queryParameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// `2026-04-26 14:05 UTC`; the calendar made once (a row's time took 8 µs, now 2).
func displayTime(_ date: Date) -> String {
    let parts = utcCalendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    func two(_ number: Int?) -> String { (number ?? 0) < 10 ? "0\(number ?? 0)" : "\(number ?? 0)" }
    return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)) UTC"
}

private let utcCalendar: Calendar = {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar
}()

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

/// A `{{#text}}…{{/text}}` section pushes the String itself, so every name looked up inside it
/// asks the String first: reflection found no named child in a String, and neither does this.
extension String: @retroactive MustacheParent {
    public func child(named name: String) -> Any? { nil }
}

extension ErrorPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "status": status
        case "title": title
        case "message": message
        case "requestID": requestID
        default: nil
        }
    }
}
