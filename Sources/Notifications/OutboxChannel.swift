import MariaDB
import Storage

/// A way events reach people or systems (webhooks, email). The delivery worker asks each channel
/// where a batch of new events goes (inside the fan-out transaction), then hands it each claimed
/// delivery of its own after commit.
public protocol OutboxChannel: Sendable {
    /// The channel's name in `outbox_deliveries.channel`: `webhook`, `email`.
    var name: String { get }
    /// The destinations of new events on this channel. Runs inside the fan-out transaction (which
    /// may be retried whole): read through Storage with `tx`, touch nothing outside the database.
    func destinations(for events: [OutboxEvent], on tx: MariaDBDatabase) async throws -> [OutboxDestination]
    /// Sends one claimed delivery, outside any transaction, in bounded time (well under the claim).
    func deliver(_ delivery: OutboxDelivery) async -> OutboxAttemptResult
}

/// How one attempt went, as a channel reports it.
public enum OutboxAttemptResult: Sendable, Equatable {
    /// Accepted (a webhook's 2xx, an SMTP 250): the delivery is done.
    case delivered(code: Int?)
    /// Not accepted (another status, a timeout, a refused connection): tried again later.
    case failed(code: Int?, error: String)
    /// Refused for good (an SMTP 5xx: unknown mailbox, policy): recorded, never tried again.
    case rejected(code: Int?, error: String)
    /// The destination is gone (a deleted webhook): never tried again.
    case cancelled(reason: String)
}
