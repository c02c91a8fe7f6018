import Commerce
import Foundation
import Localization
import MariaDB
import Storage

/// An order priced inside its submit's transaction: what refuses it, the order to write, and how
/// its upstream levels are priced (DOMAIN.md 7).
struct OrderDraft {
    var refusals: [Refusal] = []
    var order: NewOrder
    /// What the customer's seller sold it at (plan currency): the first upstream level's `sold`.
    var sold: Int64
    /// What it costs at a seller's own prices: each upstream level's amount.
    var owed: (_ seller: Int64) async throws -> Int64
}

extension OrderService {
    /// The one submit of changes, sales orders and cancellations. In one transaction: the lock that
    /// serializes these submits, a replay of an idempotency key (per user, 24 hours: the same key and
    /// body give the same order, another body is a conflict), the price, the order with its upstream
    /// levels, the key, the audit, and last the invoice's number (the seller's counter row, which
    /// serializes that seller's orders, is held for one statement); after it, the bell when the
    /// order provisions at once. A duplicate
    /// key at commit is a replay when the key names an order by then, else `raced` (or the error).
    func submitOrder<Held>(idempotencyKey key: String?, fingerprint: String, raced: Refusal? = nil, in scope: TenantScope,
                           lock: (_ tx: MariaDBDatabase, _ now: Date) async throws -> Held,
                           price: (_ held: Held, _ tx: MariaDBDatabase, _ now: Date) async throws -> OrderDraft) async throws -> SubmitResult {
        try Self.validate(key)
        let now = try await clock.now()
        do {
            let result = try await database.withTransaction { tx -> SubmitResult in
                let held = try await lock(tx, now)
                if let key, let earlier = try await Self.keyed(key, fingerprint: fingerprint, actor: scope.actor, on: tx) {
                    return SubmitResult(order: try await OrderStore(database: tx).order(earlier, in: scope, on: tx), replayed: true)
                }
                let draft = try await price(held, tx, now)
                guard draft.refusals.isEmpty else { throw OrderRefused(refusals: draft.refusals) }
                let written = try await Self.writeNumberingLast(draft, actor: scope.actor, on: tx)
                let id = written.id
                if let key { try await Self.remember(key, fingerprint: fingerprint, order: id, actor: scope.actor, on: tx) }
                let order = try await OrderStore(database: tx).order(id, in: scope, on: tx)
                try await AuditLog.record(on: tx, actor: scope.actor, account: draft.order.customer, objectType: "order", objectID: id, action: "submit",
                                          before: nil as OrderAudit?, after: OrderAudit(order))
                try await written.numberInvoice(on: tx)
                return SubmitResult(order: order, replayed: false)
            }
            if result.order.status == .provisioning && !result.replayed { bell?.ring() }
            return result
        } catch let error as MariaDBError where error.isDuplicateKey {
            if let key, let earlier = try await Self.keyed(key, fingerprint: fingerprint, actor: scope.actor, on: database) {
                return SubmitResult(order: try await OrderStore(database: database).order(earlier, in: scope), replayed: true)
            }
            if let raced { throw OrderRefused(refusals: [raced]) }
            throw error
        }
    }

    /// Writes a priced order and its upstream levels (inside the caller's transaction): submits and renewals.
    static func write(_ draft: OrderDraft, actor: Actor?, on tx: MariaDBDatabase) async throws -> Int64 {
        let written = try await writeNumberingLast(draft, actor: actor, on: tx)
        try await written.numberInvoice(on: tx)
        return written.id
    }

    /// The same, leaving the invoice's number to the caller's last statement (`numberInvoice`).
    static func writeNumberingLast(_ draft: OrderDraft, actor: Actor?, on tx: MariaDBDatabase) async throws -> WrittenOrder {
        let written = try await OrderWriter.write(draft.order, actor: actor, on: tx)
        try await UpstreamCharges.price(orderID: written.id, plan: draft.order.plan, customer: draft.order.customer, sold: draft.sold, on: tx, owed: draft.owed)
        return written
    }

    /// A key is 1 to 255 printable ASCII characters.
    static func validate(_ key: String?) throws {
        guard let key else { return }
        guard !key.isEmpty, key.unicodeScalars.count <= 255, key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw StoreError.invalid(field: "Idempotency-Key", message: .init("error.order.idempotency_key"))
        }
    }

    static func remember(_ key: String, fingerprint: String, order: Int64, actor: Actor, on tx: MariaDBDatabase) async throws {
        try await IdempotencyKeyStore.remember(key, fingerprint: fingerprint, order: order, userID: actor.userID, on: tx)
    }

    static func keyed(_ key: String, fingerprint: String, actor: Actor, on db: MariaDBDatabase) async throws -> Int64? {
        try await IdempotencyKeyStore.order(keyed: key, fingerprint: fingerprint, userID: actor.userID, on: db)
    }
}
