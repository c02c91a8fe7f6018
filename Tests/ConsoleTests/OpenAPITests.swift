import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import XCTest

/// The project's OpenAPI document lists every route of the API, with every method, and nothing more.
final class OpenAPITests: XCTestCase {
    /// `path method` pairs of `openapi/openapi.yaml`, read from its `paths:` block.
    static func documented() throws -> Set<String> {
        let text = try String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("openapi/openapi.yaml"), encoding: .utf8)
        var pairs: Set<String> = []
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.hasPrefix(" ") && !line.isEmpty { break }  // the next top-level key
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "),
                      let method = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" }) {
                pairs.insert("\(method.uppercased()) \(path)")
            }
        }
        return pairs
    }

    func testTheDocumentCoversEveryAPIRoute() async throws {
        let database = try await TestDatabase.application()
        let router = try await buildRouter(configuration: TestConsole.configuration(), database: database, logger: TestDatabase.logger("openapi"))
        let routes = Set(router.routes.map { route -> String in
            let path = "/" + route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method.rawValue) \(path)"
        }.filter { $0.contains(" /api/v1/") && !$0.hasSuffix("/openapi.yaml") })
        let documented = try Self.documented()
        XCTAssertGreaterThan(routes.count, 50)
        XCTAssertEqual(routes.subtracting(documented).sorted(), [], "routes missing from openapi/openapi.yaml")
        XCTAssertEqual(documented.subtracting(routes).sorted(), [], "documented routes the API does not have")
    }

    func testTheDocumentIsServed() async throws {
        try await withConsole { client, _, _ in
            let response = try await client.execute(uri: "/api/v1/openapi.yaml", method: .get)
            XCTAssertEqual(response.status, .ok)
            XCTAssertTrue(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
        }
    }
}
