import Foundation
import MariaDB

/// What a person or a system should hear about (DOMAIN.md 11). The raw values are the `type` of
/// `outbox_events`, of a webhook body, and of the `events` a webhook subscribes to.
public enum OutboxEventType: String, Sendable, CaseIterable, Codable {
    case invoiceIssued = "invoice_issued"
    case paymentReceived = "payment_received"
    case orderCompleted = "order_completed"
    case orderFailed = "order_failed"
    case renewalDue = "renewal_due"
    case subscriptionSuspended = "subscription_suspended"
    case passwordReset = "password_reset"

    /// A password reset carries a sign-in link for one person: it goes by email to that person only,
    /// never to a webhook.
    public var reachesWebhooks: Bool { self != .passwordReset }

    public static var webhookTypes: [OutboxEventType] { allCases.filter(\.reachesWebhooks) }
}

/// The outbox: events written in the transaction of the change that causes them, delivered after
/// commit by the delivery worker (at least once; receivers de-duplicate by `event_uuid`).
public enum Outbox {
    /// One event to record.
    public struct Draft: Sendable {
        public var type: OutboxEventType
        public var accountID: Int64
        public var accountPath: String
        public var objectType: String
        public var objectID: Int64?
        /// The event's object as JSON (an object, snake_case keys), what a webhook receives as `object`.
        public var payload: String

        public init<Payload: Encodable>(type: OutboxEventType, accountID: Int64, accountPath: String, objectType: String, objectID: Int64?,
                                        payload: Payload) throws {
            self.type = type
            self.accountID = accountID
            self.accountPath = accountPath
            self.objectType = objectType
            self.objectID = objectID
            self.payload = String(decoding: try AuditLog.encoder.encode(payload), as: UTF8.self)
        }

        public init<Payload: Encodable>(type: OutboxEventType, account: Account, objectType: String, objectID: Int64?, payload: Payload) throws {
            try self.init(type: type, accountID: account.id, accountPath: account.path, objectType: objectType, objectID: objectID, payload: payload)
        }
    }

    /// Records one event on `tx`, the transaction of the change that causes it: a rollback (or a
    /// retry of the whole transaction) leaves no event behind, a commit leaves exactly one.
    public static func record<Payload: Encodable>(on tx: MariaDBDatabase, type: OutboxEventType, account: Account, objectType: String,
                                                  objectID: Int64?, payload: Payload) async throws {
        try await record(on: tx, [Draft(type: type, account: account, objectType: objectType, objectID: objectID, payload: payload)])
    }

    /// Records several events in one statement per 500 (a billing run's batch).
    public static func record(on tx: MariaDBDatabase, _ drafts: [Draft]) async throws {
        var start = drafts.startIndex
        while start < drafts.endIndex {
            let chunk = drafts[start..<min(start + 500, drafts.endIndex)]
            var binds: [MariaDBData] = []
            binds.reserveCapacity(chunk.count * 7)
            for draft in chunk {
                binds += [.string(UUID().uuidString.lowercased()), .string(draft.type.rawValue), .int(draft.accountID), .string(draft.accountPath),
                          .string(draft.objectType), draft.objectID.map { .int($0) } ?? .null, .string(draft.payload)]
            }
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))", count: chunk.count).joined(separator: ", ")
            try await tx.query(
                "INSERT INTO outbox_events (event_uuid, type, account_id, account_path, object_type, object_id, payload, occurred_at) VALUES \(values)",
                binds)
            start = chunk.endIndex
        }
    }
}
