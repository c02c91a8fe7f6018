import Foundation
import HTTPTypes
import Hummingbird
import MariaDB
import NIOCore

/// `GET /metrics`: every metric in Prometheus' text format, for the scraper only.
///
/// Served to a caller on this machine (a loopback peer that no proxy relayed), or to anyone with
/// `Authorization: Bearer <METRICS_TOKEN>`. Anyone else gets the same 404 as an unknown address:
/// the metrics tell the business's volumes, and a refusal that named the endpoint would tell
/// that it exists.
struct MetricsController: Sendable {
    let metrics: ConsoleMetrics
    let database: MariaDBDatabase
    let access: MetricsAccess

    static let path = "/metrics"
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func addRoutes(to router: Router<AppContext>) {
        router.get(RouterPath(Self.path)) { request, context -> Response in
            guard access.allows(peer: context.peerAddress, headers: request.headers) else { throw HTTPError(.notFound) }
            let body = await metrics.scrape(pool: database.pool, database: database)
            return Response(status: .ok, headers: [.contentType: Self.contentType, .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}

/// Who may read `/metrics`: one rule, tested on its own (MetricsAccessTests).
struct MetricsAccess: Sendable {
    /// `METRICS_TOKEN`, when set.
    let token: String?

    /// A loopback peer is this machine only when nothing relayed the request: a balancer on the
    /// same host connects from loopback for every client, and says so with `X-Forwarded-For`
    /// (or `Forwarded`), whether or not it is a trusted proxy. Otherwise the bearer token decides.
    func allows(peer: String?, headers: HTTPFields) -> Bool {
        if let peer, Self.isLoopback(peer), headers[.xForwardedFor] == nil, headers[Self.forwarded] == nil { return true }
        guard let token, !token.isEmpty, let presented = Self.bearer(headers[.authorization]) else { return false }
        return Self.constantTimeEqual(Array(presented.utf8), Array(token.utf8))
    }

    static let forwarded = HTTPField.Name("Forwarded")!

    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }

    static func bearer(_ value: String?) -> String? {
        guard let value, value.utf8.count <= 1024 else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Compares every byte whatever differs first, so the time taken does not tell how much of a
    /// guess was right (the length of the token aside).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        difference |= a.count == b.count ? 0 : 1
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
