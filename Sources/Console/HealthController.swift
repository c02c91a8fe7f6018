import Foundation
import Hummingbird
import MariaDB

/// `/healthz`: 200 when the database answers, 503 when it does not, for load balancers.
struct HealthController: Sendable {
    let database: MariaDBDatabase

    struct Health: ResponseEncodable {
        var status: String
        var database: String
        var error: String?
    }

    func addRoutes(to router: Router<AppContext>) {
        router.get(RouterPath(URLs.health.path)) { _, _ -> Response in
            let started = ContinuousClock.now
            do {
                _ = try await database.query("SELECT 1")
                let elapsed = ContinuousClock.now - started
                return try Self.json(Health(status: "ok", database: "reachable in \(elapsed.formatted(.units(allowed: [.milliseconds])))"), .ok)
            } catch {
                return try Self.json(Health(status: "unavailable", database: "unreachable", error: "\(error)"), .serviceUnavailable)
            }
        }
    }

    private static func json(_ health: Health, _ status: HTTPResponse.Status) throws -> Response {
        let body = try JSONEncoder().encode(health)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
