import AsyncHTTPClient
import Commerce
import Crypto
import Foundation
import MariaDB
import NIOCore
import NIOHTTP1
import NIOPosix
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// Webhooks (DOMAIN.md 11): each delivery is a POST of the event as JSON, signed with
/// `X-Signature: sha256=<hex HMAC-SHA256 of the exact body under the webhook's secret>`, with the
/// event id in `X-Event-Id` for de-duplication. A 2xx ends it; any other status, a redirect, a
/// refused connection or no answer within `timeout` is tried again later.
public struct WebhookChannel: OutboxChannel {
    public let name = "webhook"
    let store: WebhookStore
    let client: HTTPClient
    /// The longest a receiver may take to answer, connection included.
    public var timeout: TimeAmount = .seconds(10)
    /// False (the default): a webhook whose host is or resolves to a loopback, private,
    /// link-local or reserved address is refused for good (`NetworkAddress`), so an account's
    /// admin can't make the console call into the provider's own network.
    public var allowPrivateAddresses: Bool

    /// `client` should not follow redirects (`WebhookChannel.clientConfiguration`).
    public init(store: WebhookStore, client: HTTPClient, allowPrivateAddresses: Bool = false) {
        self.store = store
        self.client = client
        self.allowPrivateAddresses = allowPrivateAddresses
    }

    /// No redirects (a 3xx is not an acceptance), bounded connect and read times.
    public static var clientConfiguration: HTTPClient.Configuration {
        HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10)))
    }

    public func destinations(for events: [OutboxEvent], on tx: MariaDBDatabase) async throws -> [OutboxDestination] {
        try await WebhookStore.subscribers(of: events, on: tx)
    }

    public func deliver(_ delivery: OutboxDelivery) async -> OutboxAttemptResult {
        let target: (url: String, secret: String)?
        do {
            guard let webhookID = delivery.webhookID else { return .cancelled(reason: "not a webhook delivery") }
            target = try await store.target(webhookID)
        } catch {
            return .failed(code: nil, error: "could not read the webhook: \(error)")
        }
        guard let target else { return .cancelled(reason: "the webhook was deleted") }
        if !allowPrivateAddresses, let refusal = await Self.privateAddressRefusal(target.url) {
            return .rejected(code: nil, error: refusal)
        }
        let body = Self.body(of: delivery.event)
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "reseller-console-webhooks")
        request.headers.add(name: "X-Event-Id", value: delivery.event.uuid)
        request.headers.add(name: "X-Event-Type", value: delivery.event.type)
        request.headers.add(name: "X-Delivery-Attempt", value: String(delivery.attempt))
        request.headers.add(name: "X-Signature", value: "sha256=" + Self.signature(of: body, secret: target.secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: timeout)
            // Read (and drop) at most 64 KB of the answer, so the connection can be reused.
            _ = try? await response.body.collect(upTo: 65_536)
            let code = Int(response.status.code)
            return (200..<300).contains(code) ? .delivered(code: code) : .failed(code: code, error: "HTTP \(code)")
        } catch {
            return .failed(code: nil, error: String(describing: error))
        }
    }

    /// The body a receiver gets: the event's id (a UUID), type, time, account and object, keys sorted.
    public static func body(of event: OutboxEvent) -> [UInt8] {
        let occurred = event.occurredAt.formatted(.iso8601)  // 2026-12-03T18:00:00Z
        let objectID = event.objectID.map(String.init) ?? "null"
        let text = "{\"account_id\":\(event.accountID),\"id\":\"\(event.uuid)\",\"object\":\(event.payload),\"object_id\":\(objectID),"
            + "\"object_type\":\"\(event.objectType)\",\"occurred_at\":\"\(occurred)\",\"type\":\"\(event.type)\"}"
        return Array(text.utf8)
    }

    /// Why `url` may not be called: its host is, or resolves to, an address that is not public
    /// (every address it resolves to must be public). Nil when it may, or when it does not resolve
    /// (the request then fails and is tried again like any unreachable receiver). The HTTP client
    /// resolves the name again: a name that changes its answer in between is not caught here.
    static func privateAddressRefusal(_ url: String) async -> String? {
        guard let named = URLComponents(string: url)?.host, !named.isEmpty else { return "the address has no host" }
        let host = named.hasPrefix("[") && named.hasSuffix("]") ? String(named.dropFirst().dropLast()) : named
        let addresses = (try? await NIOThreadPool.singleton.runIfActive { Self.resolve(host) }) ?? []
        guard let refused = addresses.first(where: { !NetworkAddress.isPublic($0) }) else { return nil }
        return "refused: \(host) is on a loopback, private or reserved network (\(Self.text(of: refused))); webhooks are delivered to public addresses only"
    }

    /// Every IPv4 and IPv6 address `host` resolves to (getaddrinfo, blocking: run it off the event loops).
    static func resolve(_ host: String) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [[UInt8]] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET:
                    var ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    addresses.append(withUnsafeBytes(of: &ip) { Array($0) })
                case AF_INET6:
                    var ip = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    addresses.append(withUnsafeBytes(of: &ip) { Array($0) })
                default: break
                }
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }

    private static func text(of bytes: [UInt8]) -> String {
        bytes.count == 4 ? bytes.map(String.init).joined(separator: ".")
            : stride(from: 0, to: bytes.count, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    /// Lower-case hex of HMAC-SHA256 of `body` under `secret`.
    public static func signature(of body: [UInt8], secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }
}
