import Foundation
import MariaDB

/// An event as the delivery worker reads it back.
public struct OutboxEvent: Sendable, Equatable {
    public var id: Int64
    /// What receivers de-duplicate by.
    public var uuid: String
    public var type: String
    public var accountID: Int64
    public var accountPath: String
    public var objectType: String
    public var objectID: Int64?
    /// A JSON object (snake_case keys).
    public var payload: String
    public var occurredAt: Date

    public init(id: Int64, uuid: String, type: String, accountID: Int64, accountPath: String, objectType: String, objectID: Int64?, payload: String,
                occurredAt: Date) {
        self.id = id
        self.uuid = uuid
        self.type = type
        self.accountID = accountID
        self.accountPath = accountPath
        self.objectType = objectType
        self.objectID = objectID
        self.payload = payload
        self.occurredAt = occurredAt
    }

    static let columns = "e.id, e.event_uuid, e.type, e.account_id, e.account_path, e.object_type, e.object_id, e.payload, e.occurred_at"

    init(row: MariaDBRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        uuid = try row.decode(column: "event_uuid", as: String.self)
        type = try row.decode(column: "type", as: String.self)
        accountID = try row.decode(column: "account_id", as: Int64.self)
        accountPath = try row.decode(column: "account_path", as: String.self)
        objectType = try row.decode(column: "object_type", as: String.self)
        objectID = try row.decode(column: "object_id", as: Int64?.self)
        payload = try row.decode(column: "payload", as: String.self)
        occurredAt = try row.decode(column: "occurred_at", as: Date.self)
    }
}

/// Where one event goes on one channel: a channel's fan-out answers these.
public struct OutboxDestination: Sendable, Equatable {
    public var eventID: Int64
    /// `webhook`, `email`.
    public var channel: String
    /// The webhook's id as text, or the recipient's address (at most 320 characters).
    public var destination: String
    public var webhookID: Int64?
    /// Who owns the destination (the webhook's account, the recipient's account): its tenant scope.
    public var accountID: Int64
    public var accountPath: String

    public init(eventID: Int64, channel: String, destination: String, webhookID: Int64? = nil, accountID: Int64, accountPath: String) {
        self.eventID = eventID
        self.channel = channel
        self.destination = destination
        self.webhookID = webhookID
        self.accountID = accountID
        self.accountPath = accountPath
    }
}

/// A delivery claimed by a worker, with its event.
public struct OutboxDelivery: Sendable, Equatable {
    public var id: Int64
    public var channel: String
    public var destination: String
    public var webhookID: Int64?
    public var accountID: Int64
    /// This attempt's number, from 1.
    public var attempt: Int
    public var createdAt: Date
    public var event: OutboxEvent

    public init(id: Int64, channel: String, destination: String, webhookID: Int64?, accountID: Int64, attempt: Int, createdAt: Date, event: OutboxEvent) {
        self.id = id
        self.channel = channel
        self.destination = destination
        self.webhookID = webhookID
        self.accountID = accountID
        self.attempt = attempt
        self.createdAt = createdAt
        self.event = event
    }
}

/// How one attempt ended, and what becomes of the delivery.
public struct OutboxAttempt: Sendable, Equatable {
    public enum Next: Sendable, Equatable {
        case delivered
        case retry(inSeconds: Int)
        case failed
        /// The destination is gone (a deleted webhook).
        case cancelled
    }
    public var responseCode: Int?
    public var error: String?
    public var durationMilliseconds: Int
    public var next: Next

    public init(responseCode: Int?, error: String?, durationMilliseconds: Int, next: Next) {
        self.responseCode = responseCode
        self.error = error
        self.durationMilliseconds = durationMilliseconds
        self.next = next
    }
}

/// The worker's side of the outbox: fan-out of new events, claims, attempts. Safe on several nodes:
/// a delivery is claimed by a conditional update (no `GET_LOCK`), a claim runs out, and two nodes'
/// fan-outs of one event write the same rows, so Galera certification lets one of them commit.
public struct OutboxStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    // MARK: Fan-out

    /// Events not fanned out yet, oldest first. A plain read, not a locking one: under REPEATABLE
    /// READ a locking read of the unfanned range would lock the gap where new events go, and every
    /// store's transaction that records one would wait for the fan-out. Two workers fanning out the
    /// same events write the same deliveries (a unique key) and mark the same rows: one of them waits
    /// or retries, and nothing is delivered twice for it.
    public static func eventsToFanOut(limit: Int, on tx: MariaDBDatabase) async throws -> [OutboxEvent] {
        try await tx.rows(
            "SELECT \(OutboxEvent.columns) FROM outbox_events e WHERE e.fanned_out_at IS NULL ORDER BY e.id LIMIT ?",
            [.int(Int64(limit))]).map(OutboxEvent.init(row:))
    }

    /// Writes the deliveries of fanned-out events (a repeat of one does nothing) and marks the events done.
    public static func fanOut(_ events: [Int64], to destinations: [OutboxDestination], on tx: MariaDBDatabase) async throws {
        guard !events.isEmpty else { return }
        var start = 0
        while start < destinations.count {
            let chunk = destinations[start..<min(start + 500, destinations.count)]
            var binds: [MariaDBData] = []
            for d in chunk {
                binds += [.int(d.eventID), .string(d.channel), .string(String(d.destination.prefix(320))), d.webhookID.map { .int($0) } ?? .null,
                          .int(d.accountID), .string(d.accountPath)]
            }
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, 'pending', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))", count: chunk.count).joined(separator: ", ")
            try await tx.query(
                """
                INSERT INTO outbox_deliveries (event_id, channel, destination, webhook_id, account_id, account_path, status, next_attempt_at, created_at)
                VALUES \(values) ON DUPLICATE KEY UPDATE id = id
                """, binds)
            start = chunk.endIndex
        }
        let marks = Array(repeating: "?", count: events.count).joined(separator: ", ")
        try await tx.query("UPDATE outbox_events SET fanned_out_at = UTC_TIMESTAMP(6) WHERE id IN (\(marks))", events.map { .int($0) })
    }

    // MARK: Claims

    /// Deliveries of `channels` due now that no worker holds, oldest first.
    public func due(channels: [String], limit: Int) async throws -> [Int64] {
        guard !channels.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: channels.count).joined(separator: ", ")
        return try await database.rows(
            """
            SELECT id FROM outbox_deliveries WHERE status = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(6)
              AND (claimed_until IS NULL OR claimed_until < UTC_TIMESTAMP(6)) AND channel IN (\(marks)) ORDER BY next_attempt_at, id LIMIT ?
            """, channels.map { .string($0) } + [.int(Int64(limit))]).map { try $0.decode(column: "id", as: Int64.self) }
    }

    /// Claims a due delivery for `seconds` unless another worker holds it: a conditional update,
    /// committed before anything is sent. Answers whether it is this worker's now.
    public func claim(_ id: Int64, worker: String, for seconds: Int) async throws -> Bool {
        try await database.query(
            """
            UPDATE outbox_deliveries SET claimed_by = ?, claimed_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, attempts = attempts + 1
            WHERE id = ? AND status = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(6) AND (claimed_until IS NULL OR claimed_until < UTC_TIMESTAMP(6))
            """, [.string(worker), .int(Int64(seconds)), .int(id)]).affectedRows == 1
    }

    /// A delivery claimed by `worker`, with its event; nil when the claim is no longer its own.
    public func claimed(_ id: Int64, worker: String) async throws -> OutboxDelivery? {
        let rows = try await database.rows(
            """
            SELECT d.id AS delivery_id, d.channel, d.destination, d.webhook_id, d.account_id AS delivery_account_id, d.attempts, d.created_at, \(OutboxEvent.columns)
            FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id
            WHERE d.id = ? AND d.claimed_by = ? AND d.status = 'pending'
            """, [.int(id), .string(worker)])
        return try rows.first.map { row in
            OutboxDelivery(id: try row.decode(column: "delivery_id", as: Int64.self), channel: try row.decode(column: "channel", as: String.self),
                           destination: try row.decode(column: "destination", as: String.self),
                           webhookID: try row.decode(column: "webhook_id", as: Int64?.self),
                           accountID: try row.decode(column: "delivery_account_id", as: Int64.self),
                           attempt: try row.decode(column: "attempts", as: Int.self), createdAt: try row.decode(column: "created_at", as: Date.self),
                           event: try OutboxEvent(row: row))
        }
    }

    /// Records an attempt (always: it happened) and, while the claim is still `worker`'s, what
    /// becomes of the delivery; the claim is let go.
    public func finish(_ id: Int64, worker: String, _ attempt: OutboxAttempt) async throws {
        let error = attempt.error.map { String($0.prefix(500)) }
        try await database.withTransaction { tx in
            try await tx.query(
                "INSERT INTO outbox_attempts (delivery_id, attempted_at, worker, response_code, error, duration_ms) VALUES (?, UTC_TIMESTAMP(6), ?, ?, ?, ?)",
                [.int(id), .string(worker), attempt.responseCode.map { .int(Int64($0)) } ?? .null, error.map { .string($0) } ?? .null,
                 .int(Int64(attempt.durationMilliseconds))])
            let status: String, delay: Int64
            switch attempt.next {
            case .delivered: (status, delay) = ("delivered", 0)
            case .retry(let seconds): (status, delay) = ("pending", Int64(seconds))
            case .failed: (status, delay) = ("failed", 0)
            case .cancelled: (status, delay) = ("cancelled", 0)
            }
            try await tx.query(
                """
                UPDATE outbox_deliveries SET status = ?, next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, claimed_by = NULL, claimed_until = NULL,
                  last_response_code = ?, last_error = ?, delivered_at = IF(? = 'delivered', UTC_TIMESTAMP(6), NULL)
                WHERE id = ? AND claimed_by = ? AND status = 'pending'
                """,
                [.string(status), .int(delay), attempt.responseCode.map { .int(Int64($0)) } ?? .null, error.map { .string($0) } ?? .null, .string(status),
                 .int(id), .string(worker)])
        }
    }
}
