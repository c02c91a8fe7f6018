import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TestSupport
import XCTest

/// `/healthz` is written out by hand (no formatter, no encoder per request): the same JSON as
/// before, whole milliseconds, no session and no cookie.
final class HealthAnswerTests: XCTestCase {
    func testHealthAnswersItsJSONWithWholeMillisecondsAndNoCookie() async throws {
        try await withConsole { client, _, _ in
            let health = try await client.execute(uri: "/healthz", method: .get)
            XCTAssertEqual(health.status, .ok)
            XCTAssertNotNil(health.text.wholeMatch(of: /\{"status":"ok","database":"reachable in \d+ ms"\}/), health.text)
            XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(health.body.readableBytesView)) as? [String: String])
            XCTAssertEqual(health.headers[.cacheControl], "no-store")
            XCTAssertEqual(health.headers[values: .setCookie], [])
        }
    }
}
