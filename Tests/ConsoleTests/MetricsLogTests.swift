@testable import Console
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

/// `LOG_FORMAT=json` and the request id in every log line and on every error answer (issue 16, item 5).
final class MetricsLogTests: XCTestCase {
    /// Lines written by a JSON handler, kept to assert on.
    final class Lines: Sendable {
        private let kept = NIOLockedValueBox<[String]>([])
        var all: [String] { kept.withLockedValue { $0 } }
        var objects: [[String: Any]] { all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } }
        func write(_ line: String) { kept.withLockedValue { $0.append(line) } }
    }

    func logger(_ label: String, _ lines: Lines) -> Logger {
        var logger = Logger(label: label) { label in
            JSONLogHandler(label: label, metadataProvider: RequestID.metadataProvider, write: { lines.write($0) })
        }
        logger.logLevel = .debug
        return logger
    }

    /// One object per line: time, level, message, label, then the metadata flattened; whatever a
    /// value holds (quotes, line breaks, control characters, Bengali) stays inside its string.
    func testAJSONLineIsOneObjectWithItsMetadataFlattenedAndEscaped() throws {
        let time = Date(timeIntervalSince1970: 1_796_339_405.25)  // 2026-12-03T23:10:05.250Z
        let line = JSONLogHandler.line(time: time, level: .error, message: "failed \"here\"\nnext line", label: "console", metadata: [
            "error": .string("a\tb\u{1}c\\d"), "who": .dictionary(["name": "রহিম", "id": .stringConvertible(7)]),
            "list": .array(["x", "y\"z"]), "level": "a metadata key named level",
        ])
        XCTAssertFalse(line.contains("\n"), "one line")
        XCTAssertTrue(line.hasPrefix(#"{"time":"2026-12-03T23:10:05.250Z","level":"error","message":"failed \"here\"\nnext line","label":"console","#), line)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["message"] as? String, "failed \"here\"\nnext line")
        XCTAssertEqual(object["error"] as? String, "a\tb\u{1}c\\d")
        XCTAssertEqual(object["who.name"] as? String, "রহিম")
        XCTAssertEqual(object["who.id"] as? String, "7")
        XCTAssertEqual(object["list"] as? [String], ["x", "y\"z"])
        XCTAssertEqual(object["level"] as? String, "error", "the line's own level wins")
        XCTAssertEqual(object["_level"] as? String, "a metadata key named level")
        XCTAssertTrue(line.contains(#"\u0001"#))
    }

    /// A request sent with `X-Request-Id: abc-123` that logs through the engine's logger (not the
    /// request's) and then fails: every JSON line of that request carries abc-123 — the handler's,
    /// the engine's and the failure's — and the 500 page and JSON body show it.
    func testTheRequestIDIsInEveryLogLineOfItsRequestAndOnItsErrorAnswers() async throws {
        let database = try await TestDatabase.application()
        let lines = Lines()
        let engine = logger("engine", lines)
        let router = try await buildRouter(configuration: TestConsole.configuration(), database: database, logger: logger("console", lines))
        struct Broken: Error {}
        router.get("/api/v1/broken-for-logs") { _, context -> Response in
            context.logger.info("handler starts")
            // Deeper, in a child task, through a logger that knows nothing of the request.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { engine.notice("engine step", metadata: ["order": "41"]) }
                try await group.waitForAll()
            }
            throw Broken()
        }
        router.get("/page-broken-for-logs") { _, _ -> Response in throw Broken() }
        let app = Application(router: router, logger: logger("app", lines))
        try await app.test(.router) { client in
            let api = try await client.execute(uri: "/api/v1/broken-for-logs", method: .get, headers: [RouterEdgeTests.requestID: "abc-123"])
            XCTAssertEqual(api.status, .internalServerError)
            XCTAssertEqual(api.headers[RouterEdgeTests.requestID], "abc-123")
            XCTAssertEqual((api.json["error"] as? [String: Any])?["request_id"] as? String, "abc-123")
            engine.info("between requests")

            let page = try await client.execute(uri: "/page-broken-for-logs", method: .get, headers: [RouterEdgeTests.requestID: "def-456"])
            XCTAssertEqual(page.status, .internalServerError)
            XCTAssertTrue(page.text.contains(#"id="error-request-id""#) && page.text.contains("def-456"), page.text)
        }
        let objects = lines.objects
        XCTAssertEqual(objects.count, lines.all.count, "every line is a JSON object")
        func id(of message: String) -> String? { objects.first { $0["message"] as? String == message }?[RequestID.metadataKey] as? String }
        XCTAssertEqual(id(of: "handler starts"), "abc-123")
        XCTAssertEqual(id(of: "engine step"), "abc-123", "the engine's logger, in a child task")
        XCTAssertEqual(objects.first { $0["message"] as? String == "engine step" }?["order"] as? String, "41")
        let failures = objects.filter { $0["message"] as? String == "request failed" }
        XCTAssertEqual(failures.compactMap { $0[RequestID.metadataKey] as? String }, ["abc-123", "def-456"])
        XCTAssertEqual(failures.first?["level"] as? String, "error")
        XCTAssertNil(id(of: "between requests"), "outside a request no id")
    }

    /// Client errors carry the id too: the 404 page and the API's 404, 401 and 422 bodies.
    func testEveryErrorAnswerShowsTheRequestID() async throws {
        try await withConsole { client, _, _ in
            let page = try await client.execute(uri: "/no-such-page", method: .get, headers: [RouterEdgeTests.requestID: "trace-404"])
            XCTAssertEqual(page.status, .notFound)
            XCTAssertTrue(page.text.contains(#"<code>trace-404</code>"#), page.text)
            let missing = try await client.execute(uri: "/api/v1/nothing-here", method: .get, headers: [RouterEdgeTests.requestID: "trace-api-404"])
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertEqual((missing.json["error"] as? [String: Any])?["request_id"] as? String, "trace-api-404")
            let unauthorized = try await client.execute(uri: "/api/v1/me", method: .get, headers: [RouterEdgeTests.requestID: "trace-401"])
            XCTAssertEqual(unauthorized.status, .unauthorized)
            XCTAssertEqual((unauthorized.json["error"] as? [String: Any])?["request_id"] as? String, "trace-401")
            let invalid = try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [RouterEdgeTests.requestID: "trace-422", .contentType: "application/json"],
                                                   body: ByteBuffer(string: #"{"email":"x"}"#))
            XCTAssertTrue([400, 401, 422].contains(invalid.status.code), invalid.text)
            XCTAssertEqual((invalid.json["error"] as? [String: Any])?["request_id"] as? String, "trace-422")
            let wrongMethod = try await client.execute(uri: "/dashboard", method: .put, headers: [RouterEdgeTests.requestID: "trace-405"])
            XCTAssertEqual(wrongMethod.status, .methodNotAllowed)
            XCTAssertTrue(wrongMethod.text.contains("trace-405"))
        }
    }
}
