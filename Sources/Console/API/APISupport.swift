import Commerce
import Foundation
import Hummingbird
import Localization
import NIOCore
import OrderEngine
import Storage

/// An API failure in the contract's shape: `{"error": {"code", "message", "details"}}`.
struct APIError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var details: [String: String] = [:]
    /// A refused submit lists every reason in `details.reasons` (API.md).
    var reasons: [APIReason]? = nil
}

/// One refusal as the API shows it, in quotes and in a refused submit's error.
struct APIReason: Encodable {
    let code: String
    let message: String
    let details: [String: String]?
}

/// The API's JSON. Its snake_case names are spelled by each type's `CodingKeys`, not by a key
/// strategy: converting every key of every answer was a large share of a list's time (issue 13).
enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder = JSONDecoder()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try APIJSONEncoder.encode(value, fallback: encoder))))
    }

    /// Decodes a request body; malformed JSON is 400, a missing or mistyped field 422 naming it.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        do {
            return try decoder.decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            switch error {
            case .dataCorrupted(let context) where context.codingPath.isEmpty:
                throw APIError(status: .badRequest, code: "malformed_json", message: Localization.text("error.api.malformed_json"))
            case .keyNotFound(let key, let context):
                let field = name(context.codingPath + [key])
                throw APIError(status: .unprocessableContent, code: field, message: Localization.text("error.api.required", ["field": .text(field)]))
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                let field = name(context.codingPath)
                throw APIError(status: .unprocessableContent, code: field, message: Localization.text("error.api.wrong_type", ["field": .text(field)]))
            @unknown default:
                throw APIError(status: .badRequest, code: "malformed_json", message: Localization.text("error.api.unreadable"))
            }
        }
    }

    /// `resources.0.resource_code`: the keys are the wire's names.
    private static func name(_ path: [any CodingKey]) -> String {
        path.map { key in key.intValue.map(String.init) ?? key.stringValue }.joined(separator: ".")
    }
}

/// Turns every failure under /api into the contract's JSON error, in one place.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try body(error)
        } catch is NotSignedIn {
            return try body(APIError(status: .unauthorized, code: "unauthorized", message: Localization.text("error.api.unauthorized")))
        } catch let error as StoreError {
            switch error {
            case .notFound(let what): return try body(APIError(status: .notFound, code: "not_found", message: Localization.text("error.api.not_found", ["what": .text(what)])))
            case .forbidden(let why): return try body(APIError(status: .forbidden, code: "forbidden", message: Localization.text("error.api.forbidden", ["why": .text(why.rendered())])))
            case .invalid(let field, let message): return try body(APIError(status: .unprocessableContent, code: field, message: message.rendered()))
            case .conflict(let code, let message): return try body(APIError(status: .conflict, code: code, message: message.rendered()))
            }
        } catch let refused as OrderRefused {
            // DOMAIN.md 5: the first reason's code, all of them in details.reasons.
            return try body(APIError(status: .unprocessableContent, code: refused.first.code.rawValue, message: refused.first.message,
                                     details: refused.first.details, reasons: refused.refusals.map(APIReason.init)))
        } catch let failure as OrderService.PaymentFailed {
            return try body(failure.gatewayError
                ? APIError(status: .badGateway, code: "gateway_error", message: failure.payment.status == .pending
                    ? Localization.text("error.api.gateway_pending")
                    : Localization.text("error.api.gateway_failed"),
                           details: ["payment_id": String(failure.payment.id)])
                : APIError(status: .init(code: 402, reasonPhrase: "Payment Required"), code: "card_declined", message: Localization.text("error.api.card_declined"),
                           details: ["payment_id": String(failure.payment.id)]))
        } catch let errors as ValidationErrors {
            let first = errors.fields.first
            var details: [String: String] = [:]
            for (field, message) in errors.fields where details[field] == nil { details[field] = message }
            return try body(APIError(status: .unprocessableContent, code: first?.field ?? "invalid",
                                     message: first?.message ?? Localization.text("error.api.invalid"), details: details))
        } catch let error as HTTPError {
            return try body(APIError(status: error.status, code: error.status == .notFound ? "not_found" : "http_\(error.status.code)",
                                     message: error.body ?? error.status.reasonPhrase))
        }
    }

    private func body(_ error: APIError) throws -> Response {
        try APIJSON.response(APIErrorEnvelope(error: .init(code: error.code, message: error.message,
                                                            details: .init(fields: error.details, reasons: error.reasons))),
                             status: error.status)
    }
}

struct APIErrorEnvelope: Encodable {
    struct Inner: Encodable {
        let code: String
        let message: String
        let details: Details
        /// The request's id (`X-Request-Id`), as in its log lines.
        var requestId: String? = RequestID.current
        enum CodingKeys: String, CodingKey { case code, message, details, requestId = "request_id" }
    }
    /// Field messages by name, and `reasons` when a rule refused.
    struct Details: Encodable {
        let fields: [String: String]
        let reasons: [APIReason]?

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for (field, message) in fields { try container.encode(message, forKey: Key(stringValue: field)) }
            if let reasons { try container.encode(reasons, forKey: Key(stringValue: "reasons")) }
        }
    }
    let error: Inner
}

/// `Authorization: Bearer <token>` → the actor; cookies are never looked at under /api.
struct BearerMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let tokens: APITokenStore

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        if let token = Self.token(of: request) {
            context.actor = try await tokens.actor(for: token, address: context.remoteAddress)
        }
        guard let locale = context.actor?.locale else { return try await next(request, context) }
        return try await Language.$current.withValue(Language(rawValue: locale.rawValue) ?? .en) { try await next(request, context) }
    }

    /// The bearer token a request carries, if any.
    static func token(of request: Request) -> String? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }
}

/// Query parameters through the bounded types of `Commerce/Bounds.swift`: a value present but
/// out of bounds is 422 naming the parameter; an absent (or empty) one is nil.
extension Request {
    /// `?limit=&cursor=`: `limit` 1…200 (API.md), `cursor` a row id.
    func pageRequest(defaultLimit: Int = 25) throws -> PageRequest {
        let limit = try bounded("limit", PageLimit.self)
        return PageRequest(limit: limit?.int ?? defaultLimit, cursor: try queryID("cursor"))
    }

    /// A row id; present but not a positive whole number is 422 naming it.
    func queryID(_ name: String) throws -> Int64? {
        try bounded(name, RecordID.self)?.value
    }

    func bounded<B: BoundedInteger>(_ name: String, _ type: B.Type) throws -> B? {
        guard let text = uri.queryParameters.get(name), !text.isEmpty else { return nil }
        do { return try B.parse(text) } catch { throw StoreError.invalid(field: name, message: .init("error.field.problem", ["field": .text(name), "problem": .text(error.description)])) }
    }

    /// A query parameter naming one of an enum's values; anything else is 422 naming it.
    func queryEnum<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws -> E? where E.RawValue == String {
        guard let text = uri.queryParameters.get(name), !text.isEmpty else { return nil }
        guard let value = E(rawValue: text) else {
            throw StoreError.invalid(field: name, message: .init("error.field.one_of", ["field": .text(name), "allowed": .text(E.allCases.map(\.rawValue).joined(separator: ", "))]))
        }
        return value
    }

    /// A bounded text query parameter (a search, a code), at most `maximumLength` characters.
    func queryText(_ name: String, maximumLength: Int = 200) throws -> String? {
        guard let raw = uri.queryParameters.get(name) else { return nil }
        do { return try PlainText.parse(raw, maximumLength: maximumLength) } catch { throw StoreError.invalid(field: name, message: .init("error.field.problem", ["field": .text(name), "problem": .text(error.description)])) }
    }
}

/// Bounds of numbers in JSON bodies: a decoded integer outside its type's bounds is 422 naming the field.
enum APIBounds {
    static func check<B: BoundedInteger>(_ value: some BinaryInteger, _ type: B.Type, field: String) throws -> B {
        do { return try B.checked(value) } catch { throw StoreError.invalid(field: field, message: .init("error.field.problem", ["field": .text(field), "problem": .text(error.description)])) }
    }

    static func text(_ raw: String, field: String, maximumLength: Int = 200) throws -> String {
        do { return try PlainText.parse(raw, maximumLength: maximumLength) } catch { throw StoreError.invalid(field: field, message: .init("error.field.problem", ["field": .text(field), "problem": .text(error.description)])) }
    }
}
