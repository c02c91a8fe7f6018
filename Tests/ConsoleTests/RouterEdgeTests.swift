import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MariaDB
import NIOConcurrencyHelpers
import NIOCore
import TestSupport
import XCTest

/// What the router answers around the handlers: a request id on every answer, a body on every
/// failure of ours (500, or 503 when the database is away), and 405 with `Allow` (API.md).
final class RouterEdgeTests: XCTestCase {
    func testAMethodAPathLacksIs405ListingTheMethodsItHas() async throws {
        try await withConsole { client, _, _ in
            let me = try await client.execute(uri: "/api/v1/me", method: .delete)
            XCTAssertEqual(me.status, .methodNotAllowed)
            XCTAssertEqual(me.headers[.allow], "GET, PUT", "GET /me and PUT /me (one's own name and language)")
            XCTAssertEqual(me.errorCode, "method_not_allowed")

            let tokens = try await client.execute(uri: "/api/v1/tokens", method: .get)
            XCTAssertEqual(tokens.status, .methodNotAllowed)
            XCTAssertEqual(tokens.headers[.allow], "POST")

            let accounts = try await client.execute(uri: "/api/v1/accounts", method: .put)
            XCTAssertEqual(accounts.headers[.allow], "GET, POST", "both methods of /api/v1/accounts")
            let account = try await client.execute(uri: "/api/v1/accounts/7", method: .delete)
            XCTAssertEqual(account.status, .methodNotAllowed, "a path with an id matches its route")

            let page = try await client.execute(uri: "/dashboard", method: .put)
            XCTAssertEqual(page.status, .methodNotAllowed)
            XCTAssertEqual(page.headers[.allow], "GET")
            XCTAssertTrue(page.headers[.contentType]?.hasPrefix("text/html") == true)
            XCTAssertTrue(page.text.contains("id=\"error-page\""), "the console's error page")

            // A path nobody serves stays 404, in the contract's shape under /api.
            let absent = try await client.execute(uri: "/api/v1/nothing-here", method: .delete)
            XCTAssertEqual(absent.status, .notFound)
            XCTAssertEqual(absent.errorCode, "not_found")
            let literal = try await client.execute(uri: "/accounts/new", method: .get)
            XCTAssertNotEqual(literal.status, .methodNotAllowed, "a method the route has passes through")
        }
    }

    /// A client error that no page handles (a path that doesn't decode, or names a parent directory)
    /// still answers with the error page, never an empty body (found by attack, A12).
    func testAPathThatDoesNotDecodeAnswersWithABody() async throws {
        try await withConsole { client, _, _ in
            for uri in ["/%2e%2e/x", "/assets/..%2fPackage.swift"] {
                let answer = try await client.execute(uri: uri, method: .get)
                XCTAssertTrue((400..<500).contains(answer.status.code), "\(uri): \(answer.status)")
                XCTAssertFalse(answer.text.isEmpty, "\(uri) answers with a body")
                XCTAssertFalse(answer.text.contains("Package"), "and never the file")
            }
        }
    }

    func testEveryAnswerCarriesARequestIDTheCallersWhenItIsSane() async throws {
        try await withConsole { client, _, _ in
            let given = try await client.execute(uri: "/healthz", method: .get, headers: [RouterEdgeTests.requestID: "lb-7f3a.2_x"])
            XCTAssertEqual(given.headers[RouterEdgeTests.requestID], "lb-7f3a.2_x")
            for insane in ["two words", String(repeating: "a", count: 129), "<script>", "a\u{7}b"] {
                let replaced = try await client.execute(uri: "/healthz", method: .get, headers: [RouterEdgeTests.requestID: insane])
                let id = try XCTUnwrap(replaced.headers[RouterEdgeTests.requestID])
                XCTAssertNotEqual(id, insane)
                XCTAssertFalse(id.isEmpty)
            }
            let first = try await client.execute(uri: "/signin", method: .get).headers[RouterEdgeTests.requestID]
            let second = try await client.execute(uri: "/api/v1/me", method: .get).headers[RouterEdgeTests.requestID]
            XCTAssertNotNil(first)
            XCTAssertNotEqual(first, second, "each request its own id")
        }
    }

    func testAFailureOfOursIs500WithABodyAndLoggedUnderTheRequestID() async throws {
        let database = try await TestDatabase.application()
        let router = try await buildRouter(configuration: TestConsole.configuration(), database: database, logger: TestDatabase.logger("edge"))
        struct Broken: Error {}
        router.get("/api/v1/broken") { _, _ -> Response in throw Broken() }
        router.get("/broken") { _, _ -> Response in throw Broken() }
        let logs = CapturedLogs()
        let app = Application(router: router, logger: Logger(label: "edge") { _ in logs })
        try await app.test(.router) { client in
            let api = try await client.execute(uri: "/api/v1/broken", method: .get, headers: [RouterEdgeTests.requestID: "trace-500"])
            XCTAssertEqual(api.status, .internalServerError)
            XCTAssertEqual(api.headers[RouterEdgeTests.requestID], "trace-500")
            let error = try XCTUnwrap(api.json["error"] as? [String: Any])
            XCTAssertEqual(error["code"] as? String, "internal")
            XCTAssertEqual(error["request_id"] as? String, "trace-500")
            XCTAssertFalse((error["message"] as? String ?? "").isEmpty)
            XCTAssertFalse(api.text.contains("Broken"), "no internals in the answer")

            let page = try await client.execute(uri: "/broken", method: .get)
            XCTAssertEqual(page.status, .internalServerError)
            let id = try XCTUnwrap(page.headers[RouterEdgeTests.requestID])
            XCTAssertTrue(page.headers[.contentType]?.hasPrefix("text/html") == true)
            XCTAssertTrue(page.text.contains(id), "the page shows the request id")
        }
        let failed = logs.entries.filter { $0.message == "request failed" }
        XCTAssertEqual(failed.count, 2)
        XCTAssertEqual(failed.first?.metadata["hb.request.id"], "trace-500")
        XCTAssertTrue(failed.first?.metadata["error"]?.contains("Broken") == true, "the log names the error")
    }

    func testAnUnreachableDatabaseIs503WithABody() async throws {
        var configuration = TestDatabase.configuration(database: "unreachable")
        configuration.endpoint = .tcp(host: "127.0.0.1", port: 1)
        configuration.connectTimeout = 1
        configuration.poolTimeout = .seconds(2)
        let pool = MariaDBConnectionPool(configuration: configuration, logger: TestDatabase.logger("down"))
        let database = MariaDBDatabase(pool: pool, logger: TestDatabase.logger("down"))
        let router = try await buildRouter(configuration: TestConsole.configuration(database: configuration), database: database, logger: TestDatabase.logger("down"))
        let app = Application(router: router, logger: TestDatabase.logger("down"))
        try await app.test(.router) { client in
            let api = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer " + String(repeating: "ab", count: 32)])
            XCTAssertEqual(api.status, .serviceUnavailable, api.text)
            XCTAssertEqual(api.errorCode, "unavailable")
            XCTAssertNotNil((api.json["error"] as? [String: Any])?["request_id"] as? String)

            // A first visit opens a session, which lives in the database.
            let page = try await client.execute(uri: "/signin", method: .get)
            XCTAssertEqual(page.status, .serviceUnavailable)
            XCTAssertTrue(page.headers[.contentType]?.hasPrefix("text/html") == true)
            XCTAssertTrue(page.text.contains("database"), page.text)
        }
        await pool.shutdown()
    }

    static let requestID = HTTPField.Name("X-Request-Id")!
}

/// A log handler that keeps what it is given, to assert on.
final class CapturedLogs: LogHandler, @unchecked Sendable {
    struct Entry {
        let message: String
        let metadata: [String: String]
    }

    private let lock = NIOLock()
    private var kept: [Entry] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    var entries: [Entry] { lock.withLock { kept } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lock.withLock { kept.append(Entry(message: event.message.description, metadata: all.mapValues(\.description))) }
    }
}
