import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The client's address behind a load balancer (issue 14). A request whose connection comes from
/// a trusted proxy (`TRUSTED_PROXIES`, e.g. the HAProxy in front of several app nodes) is from
/// the address that proxy put in `X-Forwarded-For`; from anyone else the header is ignored, since
/// a client can send whatever it likes. The sign-in throttle, sessions and the audit log then see
/// each client, not one proxy for everybody.
struct ForwardedForMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let trusted: Set<String>

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard !trusted.isEmpty, let peer = context.peerAddress, trusted.contains(peer) else { return try await next(request, context) }
        var context = context
        context.forwardedAddress = ForwardedFor.client(forwardedFor: request.headers[values: .xForwardedFor], trusted: trusted)
        return try await next(request, context)
    }
}

enum ForwardedFor {
    /// Addresses read from the headers at most; a longer chain is not believed past them.
    static let maximumHops = 16

    /// The nearest address in the chain that is not a trusted proxy: each proxy appends the address
    /// it was reached from, so the rightmost untrusted one is the first the operator's own proxies
    /// saw (anything left of it the client may have written itself). Nil when there is none or an
    /// entry is not an IP address.
    static func client(forwardedFor values: [String], trusted: Set<String>) -> String? {
        let hops = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        for hop in hops.reversed().prefix(maximumHops) {
            guard let address = normalized(hop.trimmingCharacters(in: .whitespaces)) else { return nil }
            if !trusted.contains(address) { return address }
        }
        return nil
    }

    /// An IPv4 or IPv6 address in its canonical text, or nil.
    static func normalized(_ text: some StringProtocol) -> String? {
        guard !text.isEmpty, text.count <= 45, let address = try? SocketAddress(ipAddress: String(text), port: 0) else { return nil }
        return address.ipAddress
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
