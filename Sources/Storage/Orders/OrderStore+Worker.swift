import Commerce
import Foundation
import MariaDB

/// What the engine's workers (provisioning, expiry, the billing run) read and write of orders,
/// whatever the tenant: they act on orders already reached in scope, or on their own schedule.
extension OrderStore {
    // MARK: Expiry

    /// Unpaid orders whose `expires_at` has passed at `now` (business time), oldest first, 500 at a time.
    public func dueToExpire(at now: Date) async throws -> [Int64] {
        try await database.rows(
            "SELECT id FROM orders WHERE status = 'awaiting_payment' AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY id LIMIT 500",
            [now.mariaDBData]).map { try $0.decode(column: "id", as: Int64.self) }
    }

    // MARK: Provisioning claims

    /// Orders in `provisioning` that no worker holds and that are due for an attempt, oldest first.
    public func unclaimedProvisioning(limit: Int) async throws -> [Int64] {
        try await database.rows(
            """
            SELECT id FROM orders WHERE status = 'provisioning' AND (claimed_until IS NULL OR claimed_until < UTC_TIMESTAMP(6))
              AND (next_attempt_at IS NULL OR next_attempt_at <= UTC_TIMESTAMP(6)) ORDER BY id LIMIT ?
            """, [.int(Int64(limit))]).map { try $0.decode(column: "id", as: Int64.self) }
    }

    /// Claims an order for `seconds` with a token, counting the attempt, unless another worker holds
    /// it: a conditional update committed before any side effect. Answers whether it is ours.
    public func claim(_ id: Int64, token: String, for seconds: Int) async throws -> Bool {
        try await database.query(
            """
            UPDATE orders SET claim_token = ?, claimed_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, attempts = attempts + 1
            WHERE id = ? AND status = 'provisioning' AND (claimed_until IS NULL OR claimed_until < UTC_TIMESTAMP(6))
            """, [.string(token), .int(Int64(seconds)), .int(id)]).affectedRows == 1
    }

    /// Extends a claim still held with `token` to `seconds` from now; false when it is no longer
    /// this worker's (it expired and another worker took the order, or the order moved on).
    public func renew(_ id: Int64, token: String, for seconds: Int) async throws -> Bool {
        try await database.query(
            "UPDATE orders SET claimed_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND WHERE id = ? AND claim_token = ? AND status = 'provisioning'",
            [.int(Int64(seconds)), .int(id), .string(token)]).affectedRows == 1
    }

    /// Lets go of a claim still held with `token`; the order is tried again in `seconds`.
    public func release(_ id: Int64, token: String, retryIn seconds: Int) async throws {
        try await database.query(
            "UPDATE orders SET claim_token = NULL, claimed_until = NULL, next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND WHERE id = ? AND claim_token = ?",
            [.int(Int64(seconds)), .int(id), .string(token)])
    }

    /// Locks the order's row and answers whether it is still in `provisioning` under the claim `token`.
    public static func lockClaim(_ id: Int64, token: String, on tx: MariaDBDatabase) async throws -> Bool {
        let rows = try await tx.rows("SELECT status, claim_token FROM orders WHERE id = ? FOR UPDATE", [.int(id)])
        guard let row = rows.first else { return false }
        return try row.decode(column: "status", as: String.self) == OrderStatus.provisioning.rawValue
            && row.decode(column: "claim_token", as: String?.self) == token
    }

    /// A sales order names the subscription it created.
    public static func setSubscription(of orderID: Int64, to subscriptionID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE orders SET subscription_id = ? WHERE id = ?", [.int(subscriptionID), .int(orderID)])
    }

    // MARK: Billing

    /// The renewal order issued under a period's key, if any.
    public static func renewal(keyed key: String, on tx: MariaDBDatabase) async throws -> Int64? {
        try await tx.rows("SELECT id, status FROM orders WHERE renewal_key = ?", [.string(key)]).first?.decode(column: "id", as: Int64.self)
    }

    /// What the subscription was before the first change of the period that is not billed yet: the
    /// `priced_against` of its first completed postpaid change or switch since `periodStart`.
    public static func firstUnbilledPostpaidChange(of subscriptionID: Int64, since periodStart: BusinessDate, on tx: MariaDBDatabase) async throws -> String? {
        try await tx.rows(
            """
            SELECT priced_against FROM orders WHERE subscription_id = ? AND status = 'completed' AND billed_invoice_id IS NULL AND billing_type = 'postpaid'
              AND kind IN ('change', 'switch') AND effective_date >= ? ORDER BY id LIMIT 1
            """, [.int(subscriptionID), periodStart.mariaDB]).first.map { try $0.decode(column: "priced_against", as: String.self) }
    }

    /// The completed postpaid orders of a subscription not yet on an invoice, locked, oldest first.
    public static func lockUnbilledPostpaid(of subscriptionID: Int64, on tx: MariaDBDatabase) async throws -> [Int64] {
        try await tx.rows(
            """
            SELECT id FROM orders WHERE subscription_id = ? AND billing_type = 'postpaid' AND status = 'completed' AND billed_invoice_id IS NULL
            ORDER BY id FOR UPDATE
            """, [.int(subscriptionID)]).map { try $0.decode(column: "id", as: Int64.self) }
    }

    /// The orders are on the invoice now.
    public static func markBilled(_ orderIDs: [Int64], on invoiceID: Int64, on tx: MariaDBDatabase) async throws {
        for orderID in orderIDs {
            try await tx.query("UPDATE orders SET billed_invoice_id = ? WHERE id = ?", [.int(invoiceID), .int(orderID)])
        }
    }

    /// What the last completed renewal of a subscription was sold at (plan currency, after discount).
    public static func lastRenewalSold(of subscriptionID: Int64, on db: MariaDBDatabase) async throws -> Int64? {
        try await db.rows(
            "SELECT plan_subtotal - plan_discount AS paid FROM orders WHERE subscription_id = ? AND kind = 'renewal' AND status = 'completed' ORDER BY id DESC LIMIT 1",
            [.int(subscriptionID)]).first?.decode(column: "paid", as: Int64.self)
    }
}
