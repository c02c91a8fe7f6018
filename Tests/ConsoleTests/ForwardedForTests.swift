@testable import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MariaDB
import TestSupport
import XCTest

/// Behind a load balancer every connection comes from the balancer: the client is the address it
/// forwards in `X-Forwarded-For`, believed only from a proxy in `TRUSTED_PROXIES` (issue 14).
final class ForwardedForTests: XCTestCase {
    /// A failed sign-in through a trusted proxy is recorded under the client's address (the
    /// nearest untrusted hop), not the proxy's; the same header from anyone else is ignored.
    func testTheSignInThrottleSeesTheClientBehindATrustedProxyOnly() async throws {
        let database = try await TestDatabase.application()
        let wrong = ByteBuffer(string: #"{"email":"nobody@example.test","password":"wrong-password-1"}"#)
        let chain = "198.51.100.7, 203.0.113.9"  // the client wrote the first; the balancer appended the second

        var behindProxy = TestConsole.configuration()
        behindProxy.trustedProxies = ["127.0.0.1"]
        let proxied = try await buildApplication(configuration: behindProxy, database: database, logger: TestDatabase.logger("app"))
        try await proxied.test(.live) { client in
            try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json", .init("X-Forwarded-For")!: chain], body: wrong) { response in
                XCTAssertEqual(response.status, .unauthorized)
            }
        }
        let direct = try await buildApplication(configuration: TestConsole.configuration(), database: database, logger: TestDatabase.logger("app"))
        try await direct.test(.live) { client in
            try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json", .init("X-Forwarded-For")!: chain], body: wrong) { response in
                XCTAssertEqual(response.status, .unauthorized)
            }
        }
        let addresses = try await database.rows("SELECT address FROM signin_failures ORDER BY id").map { try $0.decode(column: "address", as: String.self) }
        XCTAssertEqual(addresses, ["203.0.113.9", "127.0.0.1"])
    }

    func testTheClientIsTheNearestHopThatIsNotATrustedProxy() {
        let trusted: Set<String> = ["127.0.0.1", "10.0.0.2"]
        XCTAssertEqual(ForwardedFor.client(forwardedFor: ["203.0.113.9"], trusted: trusted), "203.0.113.9")
        XCTAssertEqual(ForwardedFor.client(forwardedFor: ["1.2.3.4, 203.0.113.9, 10.0.0.2"], trusted: trusted), "203.0.113.9", "proxies of our own are skipped")
        XCTAssertEqual(ForwardedFor.client(forwardedFor: ["1.2.3.4", "2001:DB8::1"], trusted: trusted), "2001:db8::1", "several headers are one list; IPv6 canonical")
        XCTAssertNil(ForwardedFor.client(forwardedFor: ["10.0.0.2"], trusted: trusted), "nothing but proxies")
        XCTAssertNil(ForwardedFor.client(forwardedFor: ["1.2.3.4, not-an-address"], trusted: trusted), "a garbled chain is not believed")
        XCTAssertNil(ForwardedFor.client(forwardedFor: [String(repeating: "9", count: 5000)], trusted: trusted))
        XCTAssertNil(ForwardedFor.client(forwardedFor: [], trusted: trusted))
    }
}

/// `TRUSTED_PROXIES`: IP addresses, kept canonical; anything else stops the console at start.
final class TrustedProxiesConfigurationTests: XCTestCase {
    let base = ["DATABASE_USER": "console", "DATABASE_NAME": "console"]

    func testTrustedProxiesAreIPAddressesOrTheConsoleRefusesToStart() throws {
        let none = try ConsoleConfiguration.fromEnvironment(base)
        XCTAssertEqual(none.trustedProxies, [], "none by default: the peer is the client")
        let two = try ConsoleConfiguration.fromEnvironment(base.merging(["TRUSTED_PROXIES": " 127.0.0.1, 2001:DB8::5 "]) { $1 })
        XCTAssertEqual(two.trustedProxies, ["127.0.0.1", "2001:db8::5"])
        XCTAssertThrowsError(try ConsoleConfiguration.fromEnvironment(base.merging(["TRUSTED_PROXIES": "127.0.0.1, balancer.local"]) { $1 })) { error in
            XCTAssertEqual((error as? ConsoleConfiguration.Invalid)?.variable, "TRUSTED_PROXIES")
        }
    }
}
