import Foundation
import Hummingbird
import Storage

/// Webhooks through the API (API.md): an account's admins register URLs for chosen events; the
/// secret is answered once, by the `POST` that creates the webhook.
struct WebhooksAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.post("webhooks", use: create)
        api.get("webhooks", use: list)
        api.get("webhooks/:id", use: show)
        api.delete("webhooks/:id", use: delete)
        api.get("webhooks/:id/deliveries", use: deliveries)
    }

    var store: WebhookStore { WebhookStore(database: services.database) }

    struct CreateBody: Decodable {
        let url: String
        let events: [String]
    }

    struct WebhookJSON: Encodable {
        let id: Int64
        let accountId: Int64
        let accountName: String
        let url: String
        let events: [String]
        let createdAt: Date
        /// Only in the answer to the `POST` that created it.
        let secret: String?

        init(_ webhook: Webhook, secret: String? = nil) {
            id = webhook.id
            accountId = webhook.accountID
            accountName = webhook.accountName
            url = webhook.url
            events = webhook.events
            createdAt = webhook.createdAt
            self.secret = secret
        }
        enum CodingKeys: String, CodingKey {
            case id, accountId = "account_id", accountName = "account_name", url, events, createdAt = "created_at", secret
        }
    }

    struct DeliveryJSON: Encodable {
        struct AttemptJSON: Encodable {
            let attemptedAt: Date
            let responseCode: Int?
            let error: String?
            let durationMs: Int
            enum CodingKeys: String, CodingKey { case attemptedAt = "attempted_at", responseCode = "response_code", error, durationMs = "duration_ms" }
        }
        let id: Int64
        let eventId: String
        let eventType: String
        let objectType: String
        let objectId: Int64?
        let status: String
        let attemptCount: Int
        let nextAttemptAt: Date?
        let deliveredAt: Date?
        let lastResponseCode: Int?
        let lastError: String?
        let createdAt: Date
        let attempts: [AttemptJSON]

        init(_ d: WebhookDelivery) {
            id = d.id
            eventId = d.eventUUID
            eventType = d.eventType
            objectType = d.objectType
            objectId = d.objectID
            status = d.status
            attemptCount = d.attemptCount
            nextAttemptAt = d.nextAttemptAt
            deliveredAt = d.deliveredAt
            lastResponseCode = d.lastResponseCode
            lastError = d.lastError
            createdAt = d.createdAt
            attempts = d.attempts.map {
                AttemptJSON(attemptedAt: $0.attemptedAt, responseCode: $0.responseCode, error: $0.error, durationMs: $0.durationMilliseconds)
            }
        }
        enum CodingKeys: String, CodingKey {
            case id, eventId = "event_id", eventType = "event_type", objectType = "object_type", objectId = "object_id", status,
                 attemptCount = "attempt_count", nextAttemptAt = "next_attempt_at", deliveredAt = "delivered_at",
                 lastResponseCode = "last_response_code", lastError = "last_error", createdAt = "created_at", attempts
        }
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await APIJSON.decode(CreateBody.self, from: request, context: context)
        let created = try await store.create(url: body.url, events: body.events, in: context.scope)
        return try APIJSON.response(WebhookJSON(created.webhook, secret: created.secret), status: .created)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> Response {
        let page = try await store.list(in: context.scope, page: try request.pageRequest())
        return try APIJSON.response(APIController.ListResponse(items: page.items.map { WebhookJSON($0) }, nextCursor: page.nextCursor))
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try APIJSON.response(WebhookJSON(try await store.webhook(id, in: context.scope)))
    }

    @Sendable func delete(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        try await store.delete(id, in: context.scope)
        return Response(status: .noContent)
    }

    @Sendable func deliveries(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let page = try await store.deliveries(of: id, in: context.scope, page: try request.pageRequest())
        return try APIJSON.response(APIController.ListResponse(items: page.items.map(DeliveryJSON.init), nextCursor: page.nextCursor))
    }
}
