import MariaDB

/// Subscriptions recorded and cancelled per customer and UTC month (`subscription_months`,
/// migration 0022), kept in the transaction that records or cancels one, so the provider's
/// dashboard counts a month of a million subscriptions from one row per customer instead of a
/// million rows. The month is the one of the row's own `created_at` / `cancelled_at`.
public enum SubscriptionMonths {
    /// After a subscription's row is inserted.
    public static func countCreated(_ subscriptionID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query(
            """
            INSERT INTO subscription_months (month, customer_id, customer_path, created, cancelled)
            SELECT DATE_FORMAT(created_at, '%Y-%m-01'), customer_id, customer_path, 1, 0 FROM subscriptions WHERE id = ?
            ON DUPLICATE KEY UPDATE created = created + 1
            """, [.int(subscriptionID)])
    }

    /// After a subscription's row is marked cancelled.
    public static func countCancelled(_ subscriptionID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query(
            """
            INSERT INTO subscription_months (month, customer_id, customer_path, created, cancelled)
            SELECT DATE_FORMAT(cancelled_at, '%Y-%m-01'), customer_id, customer_path, 0, 1 FROM subscriptions WHERE id = ? AND cancelled_at IS NOT NULL
            ON DUPLICATE KEY UPDATE cancelled = cancelled + 1
            """, [.int(subscriptionID)])
    }
}
