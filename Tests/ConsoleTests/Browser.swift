import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MariaDB
import NIOCore
import Storage
import TestSupport
import XCTest

/// A minimal browser over Hummingbird's test client: keeps cookies, finds CSRF tokens, submits forms.
final class Browser {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var address = "127.0.0.1"

    init(_ client: any TestClientProtocol) { self.client = client }

    var sessionID: String? { cookies["console_session"] }

    @discardableResult
    func get(_ uri: String) async throws -> TestResponse {
        try await send(uri, .get, body: nil, contentType: nil)
    }

    /// Posts a form, with the session's CSRF token unless `csrf` is false.
    @discardableResult
    func post(_ uri: String, _ form: [String: String], csrf: Bool = true) async throws -> TestResponse {
        var fields = form
        if csrf, fields["_csrf"] == nil { fields["_csrf"] = try await csrfToken() }
        let body = fields.map { "\(encode($0.key))=\(encode($0.value))" }.joined(separator: "&")
        return try await send(uri, .post, body: body, contentType: "application/x-www-form-urlencoded")
    }

    func send(_ uri: String, _ method: HTTPRequest.Method, body: String?, contentType: String?, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if let contentType { headers[.contentType] = contentType }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        for line in response.headers[values: .setCookie] {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    /// The CSRF token of the current session, read from a page the way a browser would.
    func csrfToken() async throws -> String {
        let page = try await get(cookies.isEmpty ? "/signin" : "/dashboard")
        var html = String(buffer: page.body)
        if page.status == .seeOther { html = String(buffer: try await get("/signin").body) }
        guard let range = html.range(of: #"name="_csrf" value=""#) else { throw NoToken() }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    struct NoToken: Error {}

    func signIn(_ email: String, _ password: String = TenancyFixture.password) async throws -> TestResponse {
        _ = try await get("/signin")
        return try await post("/signin", ["email": email, "password": password, "next": ""])
    }

    private func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}

/// The API as an integration would call it.
struct APIClient {
    let client: any TestClientProtocol

    func token(_ email: String, _ password: String = TenancyFixture.password) async throws -> String {
        let response = try await call(.post, "/api/v1/tokens", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        guard response.status == .created, let token = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any],
              let value = token["token"] as? String else { throw Failed(status: response.status.code, body: String(buffer: response.body)) }
        return value
    }

    struct Failed: Error {
        let status: Int
        let body: String
    }

    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil, idempotencyKey: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The decoded JSON object of an API answer.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }

    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

/// Builds the app on the test database with a fresh tenancy fixture.
func withConsole(_ body: @escaping @Sendable (any TestClientProtocol, TenancyFixture, MariaDBDatabase) async throws -> Void) async throws {
    let database = try await TestDatabase.application()
    let fixture = try await TenancyFixture.make(database)
    var configuration = TestConsole.configuration()
    configuration.bcryptCost = 4
    let app = try await buildApplication(configuration: configuration, database: database, logger: TestDatabase.logger("app"))
    try await app.test(.router) { client in
        try await body(client, fixture, database)
    }
}

/// Row counts and latest change times of the tenant tables: equal before and after means nothing changed.
func snapshot(_ database: MariaDBDatabase) async throws -> String {
    let row = try await database.rows("""
        SELECT (SELECT CONCAT(COUNT(*), '/', COALESCE(MAX(updated_at), '')) FROM accounts) AS accounts,
               (SELECT CONCAT(COUNT(*), '/', COALESCE(MAX(updated_at), '')) FROM users) AS users,
               (SELECT COUNT(*) FROM audit_log) AS audit,
               (SELECT CONCAT(COUNT(*), '/', COALESCE(MAX(updated_at), ''), '/', COALESCE(GROUP_CONCAT(status ORDER BY id), '')) FROM orders) AS orders,
               (SELECT CONCAT(COUNT(*), '/', COALESCE(GROUP_CONCAT(status ORDER BY id), '')) FROM invoices) AS invoices,
               (SELECT CONCAT((SELECT COUNT(*) FROM payments), '/', (SELECT COUNT(*) FROM credit_entries), '/', (SELECT COUNT(*) FROM test_connector_rules), '/', (SELECT CONCAT(COUNT(*), '/', COUNT(lifted_at)) FROM restrictions), '/',
                       (SELECT COUNT(*) FROM restriction_exceptions), '/', (SELECT COUNT(*) FROM reseller_charges))) AS money
        """)[0]
    return "accounts \(try row.decode(column: "accounts", as: String.self)) users \(try row.decode(column: "users", as: String.self)) audit \(try row.decode(column: "audit", as: Int.self))"
        + " orders \(try row.decode(column: "orders", as: String.self)) invoices \(try row.decode(column: "invoices", as: String.self)) money \(try row.decode(column: "money", as: String.self))"
}
