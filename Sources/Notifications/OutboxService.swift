import AsyncHTTPClient
import Logging
import MariaDB
import ServiceLifecycle
import Storage

/// The outbox worker as a service of `serve` and `console worker`: it stops with the process, and
/// its HTTP client is shut down after the last delivery.
public struct OutboxService: Service {
    let database: MariaDBDatabase
    let logger: Logger
    let poll: Duration
    /// Channels beside webhooks (email), built by whoever starts the service.
    let otherChannels: [any OutboxChannel]
    /// `WEBHOOK_ALLOW_PRIVATE_ADDRESSES` (`WebhookChannel.allowPrivateAddresses`).
    let allowPrivateWebhookAddresses: Bool

    public init(database: MariaDBDatabase, logger: Logger, poll: Duration = .seconds(1), otherChannels: [any OutboxChannel] = [],
                allowPrivateWebhookAddresses: Bool = false) {
        self.database = database
        self.logger = logger
        self.poll = poll
        self.otherChannels = otherChannels
        self.allowPrivateWebhookAddresses = allowPrivateWebhookAddresses
    }

    public func run() async throws {
        try await Self.withWorker(database: database, logger: logger, otherChannels: otherChannels,
                                  allowPrivateWebhookAddresses: allowPrivateWebhookAddresses) { worker in
            await cancelWhenGracefulShutdown {
                await worker.run(pollInterval: poll)
            }
        }
    }

    /// A worker with the webhook channel (and `otherChannels`) for the time of `body`; its HTTP
    /// client is shut down after it.
    public static func withWorker<R>(database: MariaDBDatabase, logger: Logger, otherChannels: [any OutboxChannel] = [],
                                     allowPrivateWebhookAddresses: Bool = false,
                                     _ body: (OutboxWorker) async throws -> R) async throws -> R {
        try await HTTPClient.withHTTPClient(configuration: WebhookChannel.clientConfiguration) { client in
            let webhooks = WebhookChannel(store: WebhookStore(database: database), client: client, allowPrivateAddresses: allowPrivateWebhookAddresses)
            return try await body(OutboxWorker(database: database, channels: [webhooks] + otherChannels, logger: logger))
        }
    }
}
