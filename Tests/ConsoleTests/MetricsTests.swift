@testable import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MariaDB
import NIOConcurrencyHelpers
import NIOCore
import Storage
import TestSupport
import XCTest

/// `/metrics` (issue 16, item 5): who may read it, and what it says of requests.
final class MetricsAccessTests: XCTestCase {
    static let token = "scrape-token-0123456789abcdef"
    let forwarded: HTTPFields = [.xForwardedFor: "203.0.113.9"]

    /// This machine reads the metrics without a token; a loopback peer that relays someone else
    /// (a balancer on the same host says so in X-Forwarded-For or Forwarded) does not.
    func testALoopbackPeerReadsTheMetricsUnlessItRelaysSomeoneElse() {
        let access = MetricsAccess(token: nil)
        XCTAssertTrue(access.allows(peer: "127.0.0.1", headers: [:]))
        XCTAssertTrue(access.allows(peer: "127.0.0.53", headers: [:]))
        XCTAssertTrue(access.allows(peer: "::1", headers: [:]))
        XCTAssertFalse(access.allows(peer: "127.0.0.1", headers: forwarded), "the balancer on this host relays a client")
        XCTAssertFalse(access.allows(peer: "127.0.0.1", headers: [MetricsAccess.forwarded: "for=203.0.113.9"]))
        XCTAssertFalse(access.allows(peer: "10.0.0.7", headers: [:]), "another machine")
        XCTAssertFalse(access.allows(peer: "128.0.0.1", headers: [:]))
        XCTAssertFalse(access.allows(peer: nil, headers: [:]))
        XCTAssertFalse(access.allows(peer: "10.0.0.7", headers: [.authorization: "Bearer " + Self.token]), "no METRICS_TOKEN: no token opens it")
    }

    /// With METRICS_TOKEN set, its bearer token reads the metrics from anywhere, relayed or not;
    /// any other token, scheme or spelling does not.
    func testTheMetricsTokenReadsTheMetricsFromAnywhere() {
        let access = MetricsAccess(token: Self.token)
        XCTAssertTrue(access.allows(peer: "10.0.0.7", headers: [.authorization: "Bearer " + Self.token]))
        XCTAssertTrue(access.allows(peer: "127.0.0.1", headers: [.authorization: "bearer " + Self.token, .xForwardedFor: "203.0.113.9"]))
        XCTAssertFalse(access.allows(peer: "10.0.0.7", headers: [:]))
        XCTAssertFalse(access.allows(peer: "10.0.0.7", headers: [.authorization: "Bearer " + Self.token.dropLast()]), "a prefix")
        XCTAssertFalse(access.allows(peer: "10.0.0.7", headers: [.authorization: "Bearer " + Self.token + "0"]), "longer")
        XCTAssertFalse(access.allows(peer: "10.0.0.7", headers: [.authorization: "Basic " + Self.token]))
        XCTAssertFalse(access.allows(peer: "10.0.0.7", headers: [.authorization: Self.token]))
        XCTAssertFalse(access.allows(peer: "10.0.0.7", headers: [.authorization: "Bearer "]))
    }

    func testTheComparisonLooksAtEveryByte() {
        XCTAssertTrue(MetricsAccess.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        XCTAssertFalse(MetricsAccess.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        XCTAssertFalse(MetricsAccess.constantTimeEqual(Array("abc".utf8), Array("ab".utf8)))
        XCTAssertFalse(MetricsAccess.constantTimeEqual([], Array("a".utf8)))
        XCTAssertFalse(MetricsAccess.constantTimeEqual(Array(repeating: 0, count: 256), Array(repeating: 0, count: 0)), "a length difference of 256 is still a difference")
    }

    /// METRICS_TOKEN and LOG_FORMAT are read at start; a bad value stops the console naming it.
    func testTheTokenAndTheLogFormatAreCheckedAtStart() throws {
        let base = ["DATABASE_USER": "console", "DATABASE_NAME": "console"]
        let plain = try ConsoleConfiguration.fromEnvironment(base)
        XCTAssertNil(plain.metricsToken)
        XCTAssertEqual(plain.logFormat, .text)
        let set = try ConsoleConfiguration.fromEnvironment(base.merging(["METRICS_TOKEN": Self.token, "LOG_FORMAT": "JSON"]) { $1 })
        XCTAssertEqual(set.metricsToken, Self.token)
        XCTAssertEqual(set.logFormat, .json)
        for (variable, value) in [("METRICS_TOKEN", "short"), ("METRICS_TOKEN", "has a space in it, long enough"), ("LOG_FORMAT", "xml")] {
            XCTAssertThrowsError(try ConsoleConfiguration.fromEnvironment(base.merging([variable: value]) { $1 })) { error in
                XCTAssertEqual((error as? ConsoleConfiguration.Invalid)?.variable, variable)
            }
        }
    }

    /// Over a real socket (the peer is 127.0.0.1): served directly; through a trusted proxy on the
    /// same host, 404 like an unknown address unless the token comes with it.
    func testThroughTheBalancerTheMetricsNeedTheToken() async throws {
        let database = try await TestDatabase.application()
        var configuration = TestConsole.configuration()
        configuration.trustedProxies = ["127.0.0.1"]
        configuration.metricsToken = Self.token
        let app = try await buildApplication(configuration: configuration, database: database, logger: TestDatabase.logger("metrics"))
        let forwarded = self.forwarded
        try await app.test(.live) { client in
            let direct = try await client.execute(uri: "/metrics", method: .get)
            XCTAssertEqual(direct.status, .ok)
            XCTAssertTrue(direct.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let relayed = try await client.execute(uri: "/metrics", method: .get, headers: forwarded)
            XCTAssertEqual(relayed.status, .notFound)
            XCTAssertFalse(String(buffer: relayed.body).contains("console_http_requests_total"))
            let wrong = try await client.execute(uri: "/metrics", method: .get, headers: [.xForwardedFor: "203.0.113.9", .authorization: "Bearer wrong-token-0123456789"])
            XCTAssertEqual(wrong.status, .notFound)
            let withToken = try await client.execute(uri: "/metrics", method: .get, headers: [.xForwardedFor: "203.0.113.9", .authorization: "Bearer " + Self.token])
            XCTAssertEqual(withToken.status, .ok)
            XCTAssertTrue(String(buffer: withToken.body).contains("console_http_requests_total"))
        }
    }
}

final class MetricsRequestLabelTests: XCTestCase {
    /// Requests are counted under the route's pattern, never the path a client sent, so the label
    /// set stays bounded: two subscriptions are one series, and paths nobody serves one more.
    func testRequestsAreCountedByRoutePatternMethodAndStatus() async throws {
        let database = try await TestDatabase.application()
        var configuration = TestConsole.configuration()
        configuration.metricsToken = MetricsAccessTests.token
        let metrics = ConsoleMetrics()
        let app = try await buildApplication(configuration: configuration, database: database, logger: TestDatabase.logger("metrics"), metrics: metrics)
        try await app.test(.router) { client in
            for id in [918_273, 645_546] {
                let answer = try await client.execute(uri: "/api/v1/subscriptions/\(id)", method: .get)
                XCTAssertEqual(answer.status, .unauthorized)
            }
            for path in ["/no-such-page-4711", "/api/v1/no-such-thing-4712", "/x/y/z-4713"] {
                _ = try await client.execute(uri: path, method: .get)
            }
            _ = try await client.execute(uri: "/healthz", method: HTTPRequest.Method("BREW")!)
            _ = try await client.execute(uri: "/healthz", method: .get)

            let scrape = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer " + MetricsAccessTests.token])
            XCTAssertEqual(scrape.status, .ok)
            let text = String(buffer: scrape.body)
            XCTAssertTrue(text.contains(#"console_http_requests_total{route="/api/v1/subscriptions/{id}",method="GET",status="401"} 2"#), text)
            XCTAssertTrue(text.contains(#"console_http_requests_total{route="unmatched",method="GET",status="404"} 3"#), text)
            XCTAssertTrue(text.contains(#"console_http_requests_total{route="/healthz",method="GET",status="200"} 1"#), text)
            XCTAssertTrue(text.contains(#"method="other""#), "an invented method is one label")
            for raw in ["918273", "645546", "4711", "4712", "4713", "BREW"] {
                XCTAssertFalse(text.contains(raw), "no raw path or method in a label: \(raw)")
            }
            XCTAssertTrue(text.contains(#"console_http_request_duration_seconds_count{route="/api/v1/subscriptions/{id}",method="GET"} 2"#), text)
            XCTAssertTrue(text.contains(#"console_http_request_duration_seconds_bucket{route="/healthz",method="GET",le="0.005"}"#))
            // Read from the database at the scrape: the pool, orders, backlogs.
            XCTAssertTrue(text.contains("console_database_up 1"), text)
            XCTAssertTrue(text.contains(#"console_db_pool_connections{state="in_use"}"#))
            XCTAssertTrue(text.contains("console_db_pool_waiting 0"))
            XCTAssertTrue(text.contains(#"console_orders{kind="change",status="provisioning"}"#))
            XCTAssertTrue(text.contains(#"console_outbox_pending_deliveries{channel="webhook"}"#))
            XCTAssertTrue(text.contains("console_provisioning_backlog "))
        }
    }

    /// The scrape counts orders by kind and status from the database: an upgrade ordered is one
    /// more `change/awaiting_payment`; placed two hours ago, the oldest unpaid order is 7,200 s old;
    /// cancelled, it moves to `change/cancelled`.
    func testOrdersByKindAndStatusAndTheOldestOpenOrderComeFromTheDatabase() async throws {
        try await withQuoteWorld { w, id in
            let pool = MariaDBConnectionPool(configuration: TestDatabase.configuration(database: TestDatabase.applicationDatabaseName))
            let database = MariaDBDatabase(pool: pool)
            func count(_ gauges: OperationsGauges, _ kind: OrderKind, _ status: OrderStatus) -> Int64 {
                gauges.orders.first { $0.kind == kind && $0.status == status }?.count ?? 0
            }
            let before = try await OperationsGauges.read(on: database)
            let order = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                             json: #"{"switch":{"from_resource_code":"support_basic","to_resource_code":"support_premium"}}"#)
            XCTAssertEqual(order.status, .created, order.text)
            let orderID = try XCTUnwrap(order.json["id"] as? Int)
            let kind = try XCTUnwrap(OrderKind(rawValue: order.json["kind"] as? String ?? ""))
            XCTAssertEqual(kind, .change, "a resource upgrade is a change order")
            try await database.query("UPDATE orders SET created_at = UTC_TIMESTAMP(6) - INTERVAL 2 HOUR WHERE id = ?", [.int(Int64(orderID))])
            let placed = try await OperationsGauges.read(on: database)
            XCTAssertEqual(count(placed, kind, .awaitingPayment), count(before, kind, .awaitingPayment) + 1)
            XCTAssertGreaterThanOrEqual(placed.oldestAwaitingPaymentSeconds, 7200)
            XCTAssertLessThan(placed.oldestAwaitingPaymentSeconds, 7300)
            XCTAssertFalse(placed.orders.contains { $0.status == .completed }, "completed orders are not counted (that would scan every order)")

            let cancelled = try await w.api.call(.post, "/api/v1/orders/\(orderID)/cancel", token: w.reseller)
            XCTAssertEqual(cancelled.status, .ok, cancelled.text)
            let after = try await OperationsGauges.read(on: database)
            XCTAssertEqual(count(after, kind, .awaitingPayment), count(before, kind, .awaitingPayment))
            XCTAssertEqual(count(after, kind, .cancelled), count(before, kind, .cancelled) + 1)
            await pool.shutdown()
        }
    }
}
