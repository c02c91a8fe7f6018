@testable import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// `/healthz` tells a load balancer whether this node can reach the database; `/` says what the console is.
final class HealthAndHomeTests: XCTestCase {
    func testHealthIs200WhenTheDatabaseAnswers() async throws {
        let database = try await TestDatabase.application()
        let app = try await buildApplication(configuration: TestConsole.configuration(), database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "application/json")
                let body = String(buffer: response.body)
                XCTAssertTrue(body.contains(#""status":"ok""#), body)
            }
        }
    }

    func testHealthIs503WhenTheDatabaseIsDown() async throws {
        // Nothing listens on port 1: every connection attempt is refused at once.
        var down = TestDatabase.configuration(database: "console_test")
        down.endpoint = .tcp(host: "127.0.0.1", port: 1)
        down.connectTimeout = 1
        let pool = MariaDBConnectionPool(configuration: down, logger: TestDatabase.logger("down"))
        let database = MariaDBDatabase(pool: pool, logger: TestDatabase.logger("down"))
        let app = try await buildApplication(configuration: TestConsole.configuration(database: down), database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                XCTAssertEqual(response.status, .serviceUnavailable)
                let body = String(buffer: response.body)
                XCTAssertTrue(body.contains(#""status":"unavailable""#), body)
                XCTAssertTrue(body.contains("cannot connect"), body)
            }
        }
        await pool.shutdown()
    }

    /// A balancer only needs the 503; the operator reading `/healthz` needs to know why.
    func testHealthSaysWhyTheDatabaseDoesNotServe() {
        XCTAssertEqual(HealthController.why(MariaDBError(kind: .connection, code: 2002, message: "Can't connect")), "unreachable")
        XCTAssertEqual(HealthController.why(MariaDBError(kind: .server, code: 1047, message: "WSREP has not yet prepared node for application use")),
                       "cut off from its Galera cluster (not in the primary component)")
        XCTAssertEqual(HealthController.why(MariaDBError(kind: .poolTimeout, message: "no connection")), "no connection free (pool exhausted)")
        XCTAssertEqual(HealthController.why(MariaDBError(kind: .server, code: 1146, message: "Table 'console.business_clock' doesn't exist")), "answers with an error")
    }

    func testLiveServerAnswersHealthOverHTTP() async throws {
        let database = try await TestDatabase.application()
        let app = try await buildApplication(configuration: TestConsole.configuration(), database: database, logger: TestDatabase.logger("app"))
        try await app.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
            }
        }
    }

    func testStartPageSaysWhatTheConsoleIsAndLoadsBootstrap() async throws {
        let database = try await TestDatabase.application()
        let app = try await buildApplication(configuration: TestConsole.configuration(), database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                XCTAssertTrue(html.contains(#"id="home-heading""#))
                XCTAssertTrue(html.contains("its resellers at any depth, and their customers"))
                XCTAssertTrue(html.contains(#"href="/vendor/bootstrap/css/bootstrap.min.css""#))
            }
            try await client.execute(uri: "/vendor/bootstrap/css/bootstrap.min.css", method: .get) { response in
                XCTAssertEqual(response.status, .ok, "Debian's libjs-bootstrap5 is served by the app")
                XCTAssertGreaterThan(response.body.readableBytes, 100_000)
            }
            try await client.execute(uri: "/assets/console.css", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
            }
        }
    }
}

/// Configuration is read in one place, and a wrong value names its variable.
final class ConfigurationTests: XCTestCase {
    let base = ["DATABASE_USER": "console", "DATABASE_NAME": "console", "DATABASE_HOST": "127.0.0.1"]

    func testReadsDiscreteVariablesWithDefaults() throws {
        let configuration = try ConsoleConfiguration.fromEnvironment(base.merging(["DATABASE_PORT": "3407", "DATABASE_POOL_SIZE": "16"]) { $1 })
        XCTAssertEqual(configuration.database.endpoint, .tcp(host: "127.0.0.1", port: 3407))
        XCTAssertEqual(configuration.database.poolSize, 16)
        XCTAssertEqual(configuration.port, 8080)
        XCTAssertEqual(configuration.host, "127.0.0.1")
        XCTAssertFalse(configuration.testMode)
    }

    func testReadsADatabaseURLWithASocket() throws {
        let configuration = try ConsoleConfiguration.fromEnvironment(
            ["DATABASE_URL": "mariadb://app:s%40cret@localhost/billing?socket=/run/mysqld/mysqld.sock", "CONSOLE_TEST_MODE": "1"])
        XCTAssertEqual(configuration.database.endpoint, .socket(path: "/run/mysqld/mysqld.sock"))
        XCTAssertEqual(configuration.database.user, "app")
        XCTAssertEqual(configuration.database.password, "s@cret")
        XCTAssertEqual(configuration.database.database, "billing")
        XCTAssertTrue(configuration.testMode)
    }

    func testMalformedOrMissingSettingsNameTheVariable() {
        let cases: [([String: String], String)] = [
            (base.merging(["PORT": "eighty"]) { $1 }, "PORT"),
            (base.merging(["DATABASE_PORT": "70000"]) { $1 }, "DATABASE_PORT"),
            (base.merging(["DATABASE_POOL_SIZE": "0"]) { $1 }, "DATABASE_POOL_SIZE"),
            (base.merging(["CONSOLE_TEST_MODE": "maybe"]) { $1 }, "CONSOLE_TEST_MODE"),
            (base.merging(["LOG_LEVEL": "loud"]) { $1 }, "LOG_LEVEL"),
            (["DATABASE_URL": "postgres://x@y/z"], "DATABASE_URL"),
            ([:], "DATABASE_URL"),
            (["DATABASE_USER": "console"], "DATABASE_NAME"),
        ]
        for (variables, expected) in cases {
            XCTAssertThrowsError(try ConsoleConfiguration.fromEnvironment(variables), "\(variables)") { error in
                XCTAssertEqual((error as? ConsoleConfiguration.Invalid)?.variable, expected, "\(variables)")
            }
        }
    }
}
