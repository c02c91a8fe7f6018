import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MariaDB
import NIOCore
import TestSupport
import XCTest

/// Static files are answered from memory, read once at start (issue 13, "cheap edges"): their own
/// content type, a strong `ETag` a browser revalidates with (304), `Cache-Control`, HEAD; no
/// session, no cookie, no database; the security headers still on; unknown paths the 404 page.
final class StaticAssetsTests: XCTestCase {
    static let root = TestDatabase.repositoryRoot

    func testAnAssetIsItsFileWithItsTypeAStrongETagAndCacheControl() async throws {
        try await withConsole { client, _, _ in
            let css = try await client.execute(uri: "/assets/console.css", method: .get)
            XCTAssertEqual(css.status, .ok)
            XCTAssertEqual(Data(css.body.readableBytesView), try Data(contentsOf: Self.root.appendingPathComponent("Assets/console.css")))
            XCTAssertEqual(css.headers[.contentType], "text/css; charset=utf-8")
            XCTAssertEqual(css.headers[.cacheControl], "public, max-age=3600")
            let tag = try XCTUnwrap(css.headers[.eTag])
            XCTAssertTrue(tag.hasPrefix("\"") && tag.hasSuffix("\"") && !tag.hasPrefix("W/"), "a strong tag: \(tag)")

            let js = try await client.execute(uri: "/assets/console.js", method: .get)
            XCTAssertEqual(js.headers[.contentType], "text/javascript; charset=utf-8")
            XCTAssertNotEqual(js.headers[.eTag], tag, "each file its own tag")

            let bootstrap = try await client.execute(uri: "/vendor/bootstrap/css/bootstrap.min.css", method: .get)
            XCTAssertEqual(bootstrap.status, .ok, "Debian's libjs-bootstrap5, through its symbolic links")
            XCTAssertGreaterThan(bootstrap.body.readableBytes, 100_000)
            XCTAssertEqual(bootstrap.headers[.cacheControl], "public, max-age=86400")
            let script = try await client.execute(uri: "/vendor/bootstrap/js/bootstrap.bundle.min.js", method: .get)
            XCTAssertEqual(script.headers[.contentType], "text/javascript; charset=utf-8")
            let map = try await client.execute(uri: "/vendor/bootstrap/css/bootstrap.min.css.map", method: .get)
            XCTAssertEqual(map.headers[.contentType], "application/json")

            for answer in [css, js, bootstrap] {
                XCTAssertEqual(answer.headers[.xContentTypeOptions], "nosniff", "the security headers stay on assets")
                XCTAssertTrue(answer.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            }
        }
    }

    func testIfNoneMatchWithTheCurrentTagIs304WithoutABody() async throws {
        try await withConsole { client, _, _ in
            let first = try await client.execute(uri: "/assets/console.css", method: .get)
            let tag = try XCTUnwrap(first.headers[.eTag])
            for sent in [tag, "\"other\", \(tag)", "W/\(tag)", "*"] {
                let again = try await client.execute(uri: "/assets/console.css", method: .get, headers: [.ifNoneMatch: sent])
                XCTAssertEqual(again.status, .notModified, sent)
                XCTAssertEqual(again.body.readableBytes, 0, sent)
                XCTAssertEqual(again.headers[.eTag], tag, sent)
                XCTAssertEqual(again.headers[.cacheControl], "public, max-age=3600", sent)
            }
            let stale = try await client.execute(uri: "/assets/console.css", method: .get, headers: [.ifNoneMatch: "\"0-0\""])
            XCTAssertEqual(stale.status, .ok, "another tag gets the file")
            XCTAssertEqual(stale.body.readableBytes, first.body.readableBytes)
        }
    }

    func testHEADAnswersTheHeadersOfGETWithoutTheBody() async throws {
        try await withConsole { client, _, _ in
            let get = try await client.execute(uri: "/vendor/bootstrap/css/bootstrap.min.css", method: .get)
            let head = try await client.execute(uri: "/vendor/bootstrap/css/bootstrap.min.css", method: .head)
            XCTAssertEqual(head.status, .ok)
            XCTAssertEqual(head.body.readableBytes, 0)
            XCTAssertEqual(head.headers[.contentLength], String(get.body.readableBytes))
            XCTAssertEqual(head.headers[.eTag], get.headers[.eTag])
            XCTAssertEqual(head.headers[.contentType], "text/css; charset=utf-8")
        }
    }

    /// An asset needs no user: a signed-in customer's stylesheet reads no session, no user and no
    /// credit badge (each a query before), and sets no cookie. Counted from the driver's log of
    /// every statement it runs.
    func testAnAssetRunsNoQueryAndSetsNoCookieEvenForASignedInCustomer() async throws {
        let shared = try await TestDatabase.application()
        let fixture = try await TenancyFixture.make(shared)
        let statements = CapturedLogs()
        var logger = Logger(label: "sql") { _ in statements }
        logger.logLevel = .debug
        let database = MariaDBDatabase(pool: shared.pool, logger: logger)
        var configuration = TestConsole.configuration()
        configuration.bcryptCost = 4
        let app = try await buildApplication(configuration: configuration, database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            let browser = Browser(client)
            let signedIn = try await browser.signIn(fixture.users["c1.admin"]!)
            XCTAssertEqual(signedIn.status, .seeOther, signedIn.text)
            let before = statements.entries.count
            let dashboard = try await browser.get("/dashboard")
            XCTAssertEqual(dashboard.status, .ok)
            XCTAssertGreaterThan(statements.entries.count, before, "a page's statements are seen")

            let seen = statements.entries.count
            for uri in ["/assets/console.css", "/assets/console.js", "/vendor/bootstrap/css/bootstrap.min.css"] {
                let asset = try await browser.get(uri)
                XCTAssertEqual(asset.status, .ok, uri)
                XCTAssertEqual(asset.headers[values: .setCookie], [], uri)
            }
            XCTAssertEqual(statements.entries.dropFirst(seen).map(\.message), [], "no statement for an asset")

            let anonymous = try await client.execute(uri: "/assets/console.css", method: .get)
            XCTAssertEqual(anonymous.headers[values: .setCookie], [])
        }
    }

    func testAnUnknownAssetIsThe404PageAndNothingOutsideTheFoldersIsReachable() async throws {
        try await withConsole { client, _, _ in
            let absent = try await client.execute(uri: "/assets/nothing.css", method: .get)
            XCTAssertEqual(absent.status, .notFound)
            XCTAssertTrue(absent.text.contains("id=\"error-page\""), "the console's 404 page")
            XCTAssertEqual(absent.headers[.xFrameOptions], "DENY")
            for uri in ["/assets/../Package.swift", "/assets/%2e%2e/Package.swift", "/assets//console.css/../../Package.swift",
                        "/vendor/bootstrap/../../../../etc/passwd", "/assets/", "/assets", "/vendor/bootstrap/css"] {
                let answer = try await client.execute(uri: uri, method: .get)
                XCTAssertNotEqual(answer.status, .ok, uri)
                XCTAssertFalse(answer.text.contains("PackageDescription") || answer.text.contains("root:"), uri)
            }
        }
    }

    /// The folders are read once at start: every regular file, symbolic links followed (Debian's
    /// package is made of them), hidden files and dangling links left out.
    func testTheFoldersAreReadOnceAtStartWithLinksFollowedAndHiddenFilesLeftOut() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("css"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("body{}".utf8).write(to: folder.appendingPathComponent("css/real.css"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("css/linked.css"),
                                                   withDestinationURL: folder.appendingPathComponent("css/real.css"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("dangling.js"),
                                                   withDestinationURL: folder.appendingPathComponent("gone.js"))
        try Data("secret".utf8).write(to: folder.appendingPathComponent(".env"))

        let database = try await TestDatabase.application()
        var configuration = TestConsole.configuration()
        configuration.bootstrapDirectory = folder
        let app = try await buildApplication(configuration: configuration, database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            let linked = try await client.execute(uri: "/vendor/bootstrap/css/linked.css", method: .get)
            XCTAssertEqual(linked.status, .ok)
            XCTAssertEqual(linked.text, "body{}")
            // Changed after start: still what was read at start.
            try Data("changed".utf8).write(to: folder.appendingPathComponent("css/real.css"))
            let real = try await client.execute(uri: "/vendor/bootstrap/css/real.css", method: .get)
            XCTAssertEqual(real.text, "body{}")
            XCTAssertEqual(real.headers[.eTag], linked.headers[.eTag], "same bytes, same tag")
            for absent in ["/vendor/bootstrap/.env", "/vendor/bootstrap/dangling.js"] {
                let answer = try await client.execute(uri: absent, method: .get)
                XCTAssertEqual(answer.status, .notFound, absent)
            }
        }
    }
}

private extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
}
