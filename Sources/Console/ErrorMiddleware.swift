import Foundation
import HTTPTypes
import Hummingbird
import Localization
import Logging
import MariaDB
import NIOCore

/// The outermost middleware: gives every request an id (`X-Request-Id`, the caller's when it is a
/// sane token) and turns whatever escapes the inner middleware and handlers into an answer with
/// a body. A failure of ours is 500, a database that cannot be reached 503; both are logged with
/// the request id and show it to the caller, JSON under `/api/`, an HTML page elsewhere.
struct RequestErrorMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let services: ConsoleServices

    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap(Self.saneID) ?? context.id
        context.logger[metadataKey: RequestID.metadataKey] = .string(id)
        // For the whole request: every logger's lines (the engine's, the driver's) and every error body carry the id.
        return try await RequestID.$current.withValue(id) {
            var response: Response
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError where error.status.code < 500 {
                response = try answer(error, request, context)
            } catch {
                response = failure(error, request, context, id: id)
            }
            response.headers[Self.header] = id
            return response
        }
    }

    /// Letters, digits, `-`, `_`, `.`, at most 128: anything else is replaced by our own id, so a
    /// caller cannot put line breaks or markup into the log or the page.
    static func saneID(_ text: String) -> String? {
        guard (1...128).contains(text.utf8.count),
              text.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        else { return nil }
        return text
    }

    /// A client error nobody turned into an answer (the router's 404, a path that doesn't decode):
    /// the contract's envelope under /api/, the error page elsewhere, never an empty body.
    private func answer(_ error: any HTTPResponseError, _ request: Request, _ context: AppContext) throws -> Response {
        guard error.status.code >= 400 else { return try error.response(from: request, context: context) }
        let message = (error as? HTTPError)?.body ?? (error.status == .notFound ? Localization.text("error.page.nothing_at_address") : error.status.reasonPhrase)
        let headers = (error as? HTTPError)?.headers ?? [:]
        guard request.uri.path.hasPrefix("/api/") else {
            let title = error.status == .notFound ? Localization.text("error.page.not_found.title") : error.status.reasonPhrase
            return ErrorBody.page(services, status: error.status, title: title, message: message, headers: headers)
        }
        let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
        return ErrorBody.json(status: error.status, code: code, message: message, requestID: nil, headers: headers)
    }

    private func failure(_ error: any Error, _ request: Request, _ context: AppContext, id: String) -> Response {
        let status: HTTPResponse.Status
        let code: String
        let title: String
        let message: String
        if let database = error as? MariaDBError, database.kind == .outcomeUnknown {
            status = .serviceUnavailable
            code = "outcome_unknown"
            title = Localization.text("error.server.outcome_unknown.title")
            message = Localization.text("error.server.outcome_unknown.message")
        } else if let database = error as? MariaDBError, database.isBusy {
            status = .serviceUnavailable
            code = "busy"
            title = Localization.text("error.server.busy.title")
            message = Localization.text("error.server.busy.message")
        } else if let database = error as? MariaDBError, database.isUnavailable {
            status = .serviceUnavailable
            code = "unavailable"
            title = Localization.text("error.server.unavailable.title")
            message = Localization.text("error.server.unavailable.message")
        } else {
            status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            code = "internal"
            title = Localization.text("error.server.internal.title")
            message = Localization.text("error.server.internal.message")
        }
        context.logger.error("request failed", metadata: [
            "http.method": .string(request.method.rawValue), "http.path": .string(LoggedPath.of(request)),
            "http.status": .stringConvertible(status.code), "error": .string(String(reflecting: error)),
        ])
        var response = request.uri.path.hasPrefix("/api/")
            ? ErrorBody.json(status: status, code: code, message: message, requestID: id)
            : ErrorBody.page(services, status: status, title: title, message: message)
        if status == .serviceUnavailable { response.headers[.retryAfter] = "5" }
        return response
    }
}

/// Error answers written here rather than by the API's or the pages' error middleware, which sit
/// inside and may be what failed.
enum ErrorBody {
    struct Envelope: Encodable {
        struct Inner: Encodable {
            let code: String
            let message: String
            let details: [String: String]
            let requestId: String?
            enum CodingKeys: String, CodingKey { case code, message, details, requestId = "request_id" }
        }
        let error: Inner
    }

    static func json(status: HTTPResponse.Status, code: String, message: String, requestID: String?,
                     headers extra: HTTPFields = [:]) -> Response {
        let envelope = Envelope(error: .init(code: code, message: message, details: [:], requestId: requestID ?? RequestID.current))
        let body = (try? APIJSON.encoder.encode(envelope)) ?? Data(#"{"error":{"code":"internal","message":"","details":{}}}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The console's error page; a bare page when the template itself cannot render.
    static func page(_ services: ConsoleServices, status: HTTPResponse.Status, title: String, message: String,
                     headers extra: HTTPFields = [:]) -> Response {
        let html = (try? services.render("error", ErrorPage(chrome: nil, status: Int(status.code), title: title, message: message), status: status).body)
            ?? "<!doctype html><title>\(status.code) \(escape(title))</title><h1>\(escape(title))</h1><p>\(escape(message))</p>"
            + (RequestID.current.map { "<p>Request id: \(escape($0))</p>" } ?? "")
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

private extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}
