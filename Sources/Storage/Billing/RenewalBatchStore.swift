import Commerce
import Foundation
import MariaDB

/// What the billing run reads of a whole batch of subscriptions at once, inside its transaction:
/// which renewals are issued already, which subscriptions have an open order, and which accounts
/// an active restriction covers.
public enum RenewalBatchStore {
    /// Of the renewal keys, those an order was issued under.
    public static func issuedRenewals(_ keys: [String], on tx: MariaDBDatabase) async throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return Set(try await tx.rows("SELECT renewal_key FROM orders WHERE renewal_key IN (\(RenewalBatchWriter.marks(keys.count)))", keys.map { .string($0) })
            .map { try $0.decode(column: "renewal_key", as: String.self) })
    }

    /// Of the subscriptions, those with an order awaiting payment or provisioning.
    public static func withOpenOrders(_ ids: [Int64], on tx: MariaDBDatabase) async throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        return Set(try await tx.rows("SELECT open_subscription_id FROM orders WHERE open_subscription_id IN (\(RenewalBatchWriter.marks(ids.count)))",
                                     ids.map { .int($0) })
            .map { try $0.decode(column: "open_subscription_id", as: Int64.self) })
    }

    /// Of the account paths, those under an active restriction (the account's or an ancestor's).
    public static func restricted(_ paths: Set<String>, on tx: MariaDBDatabase) async throws -> Set<String> {
        guard !paths.isEmpty else { return [] }
        let list = Array(paths)
        let active = try await tx.rows(
            "SELECT DISTINCT account_path FROM restrictions WHERE lifted_at IS NULL AND ("
                + Array(repeating: "? LIKE CONCAT(account_path, '%')", count: list.count).joined(separator: " OR ") + ")",
            list.map { .string($0) }).map { try $0.decode(column: "account_path", as: String.self) }
        return Set(list.filter { path in active.contains { path.hasPrefix($0) } })
    }
}
