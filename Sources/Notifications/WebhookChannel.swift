import AsyncHTTPClient
import Crypto
import Foundation
import MariaDB
import NIOCore
import NIOHTTP1
import Storage

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

    /// `client` should not follow redirects (`WebhookChannel.clientConfiguration`).
    public init(store: WebhookStore, client: HTTPClient) {
        self.store = store
        self.client = client
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

    /// Lower-case hex of HMAC-SHA256 of `body` under `secret`.
    public static func signature(of body: [UInt8], secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }
}
