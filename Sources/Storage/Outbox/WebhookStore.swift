import Commerce
import Foundation
import Localization
import MariaDB

/// An account's webhook: where its events (and its subtree's) are POSTed, signed with its secret.
public struct Webhook: Sendable, Equatable {
    public var id: Int64
    public var accountID: Int64
    public var accountName: String
    public var accountPath: String
    public var url: String
    public var events: [String]
    public var createdAt: Date

    static let select = """
        SELECT w.id, w.account_id, a.name AS account_name, w.account_path, w.url, w.events, w.created_at
        FROM webhooks w JOIN accounts a ON a.id = w.account_id
        """

    init(row: MariaDBRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        accountID = try row.decode(column: "account_id", as: Int64.self)
        accountName = try row.decode(column: "account_name", as: String.self)
        accountPath = try row.decode(column: "account_path", as: String.self)
        url = try row.decode(column: "url", as: String.self)
        events = try row.decode(column: "events", as: String.self).split(separator: ",").map(String.init)
        createdAt = try row.decode(column: "created_at", as: Date.self)
    }
}

/// One delivery to a webhook with every attempt, newest first, as its Deliveries page lists it.
public struct WebhookDelivery: Sendable, Equatable {
    public struct Attempt: Sendable, Equatable {
        public var attemptedAt: Date
        public var responseCode: Int?
        public var error: String?
        public var durationMilliseconds: Int
    }
    public var id: Int64
    public var eventUUID: String
    public var eventType: String
    public var objectType: String
    public var objectID: Int64?
    public var status: String
    public var attemptCount: Int
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?
    public var lastResponseCode: Int?
    public var lastError: String?
    public var createdAt: Date
    public var attempts: [Attempt]
}

/// What the audit log keeps of a webhook (never its secret).
struct WebhookAudit: Encodable {
    let url: String
    let events: [String]
    init(_ webhook: Webhook) {
        url = webhook.url
        events = webhook.events
    }
}

/// Webhooks of the caller's subtree. An account's admins register them for their own account; a
/// webhook hears the events of its account and of every account below it (a reseller's webhook
/// hears about its customers' invoices), never those above or beside it.
public struct WebhookStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// At most this many live webhooks per account.
    public static let maximumPerAccount = 20

    /// Registers a webhook for the caller's own account; answers it with its secret, shown this once.
    public func create(url raw: String, events rawEvents: [String], in scope: TenantScope) async throws -> (webhook: Webhook, secret: String) {
        try Policy.require(scope.actor, .manageWebhooks, .init("error.forbidden.register_webhooks"))
        guard let url = WebhookURL.parse(raw) else { throw StoreError.invalid(field: "url", message: .init("error.webhook.url")) }
        let events = try Self.parseEvents(rawEvents)
        let secret = Self.newSecret()
        return try await database.withTransaction { tx in
            let account = try await AccountStore(database: tx).account(scope.actor.accountID, in: scope, on: tx, forUpdate: true)
            let live = try await tx.rows("SELECT COUNT(*) AS n FROM webhooks WHERE account_id = ? AND deleted_at IS NULL", [.int(account.id)])
            guard try live.first?.decode(column: "n", as: Int.self) ?? 0 < Self.maximumPerAccount else {
                throw StoreError.conflict(code: "too_many_webhooks", message: .init("error.webhook.too_many", ["count": .number(Int64(Self.maximumPerAccount))]))
            }
            let id = Int64(try await tx.query(
                "INSERT INTO webhooks (account_id, account_path, url, events, secret, created_at, created_by) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), ?)",
                [.int(account.id), .string(account.path), .string(url), .string(events.joined(separator: ",")), .string(secret), .int(scope.actor.userID)]
            ).lastInsertID)
            let webhook = try await self.webhook(id, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: account, objectType: "webhook", objectID: id, action: "create",
                                      before: nil as WebhookAudit?, after: WebhookAudit(webhook))
            return (webhook, secret)
        }
    }

    /// 32 random bytes from the system's generator, as hex, after `whsec_`.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "whsec_" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The event types a webhook may subscribe to, each once, in the order given.
    static func parseEvents(_ raw: [String]) throws -> [String] {
        guard !raw.isEmpty, raw.count <= 20 else {
            throw StoreError.invalid(field: "events", message: .init("error.webhook.choose_event"))
        }
        var events: [String] = []
        for name in raw {
            guard let type = OutboxEventType(rawValue: name), type.reachesWebhooks else {
                throw StoreError.invalid(field: "events", message: .init("error.webhook.events", ["events": .text(OutboxEventType.webhookTypes.map(\.rawValue).joined(separator: ", "))]))
            }
            if !events.contains(type.rawValue) { events.append(type.rawValue) }
        }
        return events
    }

    /// Live webhooks of the caller's subtree, newest first.
    public func list(in scope: TenantScope, page: PageRequest = PageRequest()) async throws -> Page<Webhook> {
        var binds: [MariaDBData] = [.string(scope.pathPattern)]
        var cursor = ""
        if let after = page.cursor {
            cursor = " AND w.id < ?"
            binds.append(.int(after))
        }
        binds.append(.int(Int64(page.limit + 1)))
        let rows = try await database.rows("\(Webhook.select) WHERE w.account_path LIKE ? AND w.deleted_at IS NULL\(cursor) ORDER BY w.id DESC LIMIT ?", binds)
        return Page(fetched: try rows.map(Webhook.init(row:)), limit: page.limit, id: \.id)
    }

    /// A live webhook of the caller's subtree; 404 otherwise.
    public func webhook(_ id: Int64, in scope: TenantScope, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> Webhook {
        let rows = try await (db ?? database).rows(
            "\(Webhook.select) WHERE w.id = ? AND w.account_path LIKE ? AND w.deleted_at IS NULL\(forUpdate ? " FOR UPDATE" : "")",
            [.int(id), .string(scope.pathPattern)])
        guard let row = rows.first else { throw StoreError.notFound("webhook \(id)") }
        return try Webhook(row: row)
    }

    /// Deletes a webhook (admins of its account or above): nothing more is sent to it; what was
    /// waiting is cancelled; its deliveries' history stays in the database.
    @discardableResult
    public func delete(_ id: Int64, in scope: TenantScope) async throws -> Webhook {
        _ = try await webhook(id, in: scope)
        try Policy.require(scope.actor, .manageWebhooks, .init("error.forbidden.delete_webhooks"))
        return try await database.withTransaction { tx in
            let webhook = try await self.webhook(id, in: scope, on: tx, forUpdate: true)
            let account = try await AccountStore(database: tx).account(webhook.accountID, in: scope, on: tx)
            try await tx.query("UPDATE webhooks SET deleted_at = UTC_TIMESTAMP(6) WHERE id = ?", [.int(id)])
            try await tx.query("UPDATE outbox_deliveries SET status = 'cancelled', claimed_by = NULL, claimed_until = NULL WHERE webhook_id = ? AND status = 'pending'",
                               [.int(id)])
            try await AuditLog.record(on: tx, actor: scope.actor, account: account, objectType: "webhook", objectID: id, action: "delete",
                                      before: WebhookAudit(webhook), after: nil as WebhookAudit?)
            return webhook
        }
    }

    /// A live webhook's deliveries, newest first, each with its attempts.
    public func deliveries(of id: Int64, in scope: TenantScope, page: PageRequest = PageRequest()) async throws -> Page<WebhookDelivery> {
        _ = try await webhook(id, in: scope)
        var binds: [MariaDBData] = [.int(id)]
        var cursor = ""
        if let after = page.cursor {
            cursor = " AND d.id < ?"
            binds.append(.int(after))
        }
        binds.append(.int(Int64(page.limit + 1)))
        let rows = try await database.rows(
            """
            SELECT d.id, e.event_uuid, e.type, e.object_type, e.object_id, d.status, d.attempts, d.next_attempt_at, d.delivered_at,
              d.last_response_code, d.last_error, d.created_at
            FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id
            WHERE d.webhook_id = ? AND d.channel = 'webhook'\(cursor) ORDER BY d.id DESC LIMIT ?
            """, binds)
        var deliveries = try rows.map { row in
            let status = try row.decode(column: "status", as: String.self)
            return WebhookDelivery(
                id: try row.decode(column: "id", as: Int64.self), eventUUID: try row.decode(column: "event_uuid", as: String.self),
                eventType: try row.decode(column: "type", as: String.self), objectType: try row.decode(column: "object_type", as: String.self),
                objectID: try row.decode(column: "object_id", as: Int64?.self), status: status,
                attemptCount: try row.decode(column: "attempts", as: Int.self),
                nextAttemptAt: status == "pending" ? try row.decode(column: "next_attempt_at", as: Date.self) : nil,
                deliveredAt: try row.decode(column: "delivered_at", as: Date?.self),
                lastResponseCode: try row.decode(column: "last_response_code", as: Int?.self), lastError: try row.decode(column: "last_error", as: String?.self),
                createdAt: try row.decode(column: "created_at", as: Date.self), attempts: [])
        }
        let shown = Page(fetched: deliveries, limit: page.limit, id: \.id)
        deliveries = shown.items
        if !deliveries.isEmpty {
            let marks = Array(repeating: "?", count: deliveries.count).joined(separator: ", ")
            let attempts = try await database.rows(
                "SELECT delivery_id, attempted_at, response_code, error, duration_ms FROM outbox_attempts WHERE delivery_id IN (\(marks)) ORDER BY id DESC",
                deliveries.map { .int($0.id) })
            var byDelivery: [Int64: [WebhookDelivery.Attempt]] = [:]
            for row in attempts {
                byDelivery[try row.decode(column: "delivery_id", as: Int64.self), default: []].append(
                    WebhookDelivery.Attempt(attemptedAt: try row.decode(column: "attempted_at", as: Date.self),
                                            responseCode: try row.decode(column: "response_code", as: Int?.self),
                                            error: try row.decode(column: "error", as: String?.self),
                                            durationMilliseconds: try row.decode(column: "duration_ms", as: Int.self)))
            }
            for index in deliveries.indices { deliveries[index].attempts = byDelivery[deliveries[index].id] ?? [] }
        }
        return Page(items: deliveries, nextCursor: shown.nextCursor)
    }

    // MARK: The delivery worker's side

    /// The webhook fan-out of new events: every live webhook at or above the event's account that
    /// subscribes to its type (never a password reset).
    public static func subscribers(of events: [OutboxEvent], on tx: MariaDBDatabase) async throws -> [OutboxDestination] {
        let ids = events.filter { OutboxEventType(rawValue: $0.type)?.reachesWebhooks ?? false }.map(\.id)
        guard !ids.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        return try await tx.rows(
            """
            SELECT e.id AS event_id, w.id AS webhook_id, w.account_id, w.account_path
            FROM outbox_events e JOIN webhooks w ON e.account_path LIKE CONCAT(w.account_path, '%')
            WHERE e.id IN (\(marks)) AND w.deleted_at IS NULL AND FIND_IN_SET(e.type, w.events) > 0
            """, ids.map { .int($0) }).map { row in
                let webhookID = try row.decode(column: "webhook_id", as: Int64.self)
                return OutboxDestination(eventID: try row.decode(column: "event_id", as: Int64.self), channel: "webhook", destination: String(webhookID),
                                         webhookID: webhookID, accountID: try row.decode(column: "account_id", as: Int64.self),
                                         accountPath: try row.decode(column: "account_path", as: String.self))
            }
    }

    /// Where a delivery goes and the secret it is signed with; nil once the webhook is deleted.
    public func target(_ webhookID: Int64) async throws -> (url: String, secret: String)? {
        try await database.rows("SELECT url, secret FROM webhooks WHERE id = ? AND deleted_at IS NULL", [.int(webhookID)]).first.map {
            (try $0.decode(column: "url", as: String.self), try $0.decode(column: "secret", as: String.self))
        }
    }
}
