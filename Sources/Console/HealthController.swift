import Foundation
import Hummingbird
import MariaDB
import Storage

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
                try await DatabaseProbe.ping(on: database)
                // Written out: a duration formatter and a fresh encoder took ~80 µs of CPU per request.
                let body = #"{"status":"ok","database":"reachable in \#(Self.milliseconds(ContinuousClock.now - started)) ms"}"#
                return Response(status: .ok, headers: Self.headers, body: .init(byteBuffer: ByteBuffer(string: body)))
            } catch {
                return try Self.json(Health(status: "unavailable", database: Self.why(error), error: "\(error)"), .serviceUnavailable)
            }
        }
    }

    /// What an operator reads first: why this node's database does not serve it.
    static func why(_ error: any Error) -> String {
        guard let database = error as? MariaDBError else { return "unreachable" }
        switch database.kind {
        case .poolTimeout: return "no connection free (pool exhausted)"
        case .server where [MariaDBError.clusterNodeNotReadyCode, MariaDBError.errorDuringCommitCode].contains(database.code):
            return "cut off from its Galera cluster (not in the primary component)"
        case .server where database.isBusy: return "busy (lock conflicts)"
        case .server: return "answers with an error"
        default: return "unreachable"
        }
    }

    private static let headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]

    /// Whole milliseconds, half up.
    static func milliseconds(_ elapsed: Duration) -> Int64 {
        let (seconds, attoseconds) = elapsed.components
        return seconds * 1000 + (attoseconds + 500_000_000_000_000) / 1_000_000_000_000_000
    }

    private static func json(_ health: Health, _ status: HTTPResponse.Status) throws -> Response {
        let body = try JSONEncoder().encode(health)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
