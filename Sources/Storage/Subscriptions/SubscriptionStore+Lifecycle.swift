import Commerce
import Foundation
import MariaDB

/// The writes of a subscription's life the order engine decides (inside its transactions, under
/// the subscription's row lock): created by a sales order, changed by an order, rolled into the
/// next period, suspended, reactivated and cancelled by the billing cycle.
extension SubscriptionStore {
    /// A new subscription of a completed sales order, with its resources (`additional` by resource id).
    public static func create(customer: Account, plan: Plan, status: SubscriptionStatus, period: BillingPeriod, paidUntil: BusinessDate, anchorDay: Int,
                              pricedAt: Date, additional: [Int64: Int64], createdBy: Int64?, on tx: MariaDBDatabase) async throws -> Int64 {
        let id = Int64(try await tx.query(
            """
            INSERT INTO subscriptions (customer_id, customer_path, plan_id, period_months, status, period_start, period_end, paid_until, anchor_day,
              priced_at, individual_prices, created_at, updated_at, created_by, updated_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?)
            """, [.int(customer.id), .string(customer.path), .int(plan.id), .int(Int64(period.months)), .string(status.rawValue),
                  period.start.mariaDB, period.end.mariaDB, paidUntil.mariaDB, .int(Int64(anchorDay)), pricedAt.mariaDBData,
                  createdBy.map { .int($0) } ?? .null, createdBy.map { .int($0) } ?? .null]).lastInsertID)
        try await SubscriptionMonths.countCreated(id, on: tx)
        for rate in plan.resources {
            try await addResource(rate.resourceID, included: rate.included, additional: additional[rate.resourceID] ?? 0, to: id, on: tx)
        }
        return id
    }

    /// Subscriptions by id whatever the tenant, in id order (the billing run's batches), locked with `forUpdate`.
    public func subscriptionsForWorker(_ ids: [Int64], forUpdate: Bool = false, on db: MariaDBDatabase? = nil) async throws -> [Subscription] {
        guard !ids.isEmpty else { return [] }
        let db = db ?? database
        return try await hydrate(try await db.rows(
            "SELECT * FROM subscriptions WHERE id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", "))) ORDER BY id\(forUpdate ? " FOR UPDATE" : "")",
            ids.map { .int($0) }), on: db)
    }

    // MARK: Resources

    public static func addResource(_ resourceID: Int64, included: Int64, additional: Int64 = 0, to subscriptionID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("INSERT INTO subscription_resources (subscription_id, resource_id, included, additional, usage_units) VALUES (?, ?, ?, ?, 0)",
                           [.int(subscriptionID), .int(resourceID), .int(included), .int(additional)])
    }

    public static func removeResource(_ resourceID: Int64, from subscriptionID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("DELETE FROM subscription_resources WHERE subscription_id = ? AND resource_id = ?", [.int(subscriptionID), .int(resourceID)])
    }

    public static func setIncluded(_ included: Int64, of resourceID: Int64, in subscriptionID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE subscription_resources SET included = ? WHERE subscription_id = ? AND resource_id = ?",
                           [.int(included), .int(subscriptionID), .int(resourceID)])
    }

    public static func setAdditional(_ additional: Int64, of resourceID: Int64, in subscriptionID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE subscription_resources SET additional = ? WHERE subscription_id = ? AND resource_id = ?",
                           [.int(additional), .int(subscriptionID), .int(resourceID)])
    }

    // MARK: Plan and period

    /// A new plan, priced at `pricedAt`; with `newPeriod`, a new billing period starting with it.
    public static func switchPlan(_ subscriptionID: Int64, to planID: Int64, pricedAt: Date,
                                  newPeriod: (period: BillingPeriod, paidUntil: BusinessDate, anchorDay: Int)? = nil, on tx: MariaDBDatabase) async throws {
        if let newPeriod {
            try await tx.query(
                "UPDATE subscriptions SET plan_id = ?, priced_at = ?, period_months = ?, period_start = ?, period_end = ?, paid_until = ?, anchor_day = ? WHERE id = ?",
                [.int(planID), pricedAt.mariaDBData, .int(Int64(newPeriod.period.months)), newPeriod.period.start.mariaDB, newPeriod.period.end.mariaDB,
                 newPeriod.paidUntil.mariaDB, .int(Int64(newPeriod.anchorDay)), .int(subscriptionID)])
        } else {
            try await tx.query("UPDATE subscriptions SET plan_id = ?, priced_at = ? WHERE id = ?", [.int(planID), pricedAt.mariaDBData, .int(subscriptionID)])
        }
    }

    /// Paid through at least `end` (a later `paid_until` stays).
    public static func extendPaidUntil(_ subscriptionID: Int64, to end: BusinessDate, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE subscriptions SET paid_until = GREATEST(COALESCE(paid_until, ?), ?) WHERE id = ?", [end.mariaDB, end.mariaDB, .int(subscriptionID)])
    }

    /// Paid (or invoiced) through `end`; nil: through the current period's end.
    public static func setPaidUntil(_ subscriptionID: Int64, to end: BusinessDate?, on tx: MariaDBDatabase) async throws {
        if let end {
            try await tx.query("UPDATE subscriptions SET paid_until = ? WHERE id = ?", [end.mariaDB, .int(subscriptionID)])
        } else {
            try await tx.query("UPDATE subscriptions SET paid_until = period_end WHERE id = ?", [.int(subscriptionID)])
        }
    }

    /// The next period starts, the scheduled change is cleared, and the status becomes `status` if
    /// given (clearing a billing suspension), only while the period is still the one that began on
    /// `from`. Answers whether it rolled over.
    public static func rollOver(_ subscriptionID: Int64, from start: BusinessDate, to next: BillingPeriod, status: SubscriptionStatus?,
                                on tx: MariaDBDatabase) async throws -> Bool {
        try await tx.query(
            """
            UPDATE subscriptions SET period_start = ?, period_end = ?, status = COALESCE(?, status),
              suspended_by_billing = IF(? IS NULL, suspended_by_billing, FALSE), scheduled_change = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE id = ? AND period_start = ?
            """, [next.start.mariaDB, next.end.mariaDB, status.map { .string($0.rawValue) } ?? .null, status.map { .string($0.rawValue) } ?? .null,
                  .int(subscriptionID), start.mariaDB]).affectedRows == 1
    }

    // MARK: Status

    /// Suspended for an unpaid renewal, only while the status is still `from`.
    public static func suspendForBilling(_ subscriptionID: Int64, from status: SubscriptionStatus, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE subscriptions SET status = 'suspended', suspended_by_billing = TRUE, updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND status = ?",
                           [.int(subscriptionID), .string(status.rawValue)])
    }

    /// Active again: the renewal that a billing suspension waited for is paid.
    public static func reactivate(_ subscriptionID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE subscriptions SET status = 'active', suspended_by_billing = FALSE, updated_at = UTC_TIMESTAMP(6) WHERE id = ?",
                           [.int(subscriptionID)])
    }

    /// Cancelled, read-only from now on: at once (a cancellation order, which clears a cancellation
    /// at the period end) or at its period end (which stays marked so).
    public static func cancel(_ subscriptionID: Int64, atPeriodEnd: Bool, on tx: MariaDBDatabase) async throws {
        if atPeriodEnd {
            try await tx.query("UPDATE subscriptions SET status = 'cancelled', cancelled_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6) WHERE id = ?",
                               [.int(subscriptionID)])
        } else {
            try await tx.query("UPDATE subscriptions SET status = 'cancelled', cancelled_at = UTC_TIMESTAMP(6), cancel_at_period_end = FALSE WHERE id = ?",
                               [.int(subscriptionID)])
        }
        try await SubscriptionMonths.countCancelled(subscriptionID, on: tx)
    }

    public static func setCancelAtPeriodEnd(_ subscriptionID: Int64, _ cancel: Bool, by userID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE subscriptions SET cancel_at_period_end = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?",
                           [cancel.mariaDBData, .int(userID), .int(subscriptionID)])
    }

    /// The change scheduled for the next period, as change JSON; nil clears it.
    public static func setScheduledChange(_ subscriptionID: Int64, _ json: String?, by userID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE subscriptions SET scheduled_change = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?",
                           [json.map { .string($0) } ?? .null, .int(userID), .int(subscriptionID)])
    }

    /// Stamps who changed the subscription last (an order's submitter; nil for the engine itself).
    public static func touch(_ subscriptionID: Int64, by userID: Int64?, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE subscriptions SET updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?",
                           [userID.map { .int($0) } ?? .null, .int(subscriptionID)])
    }
}
