import Foundation
import MariaDB

/// A rule staff set for the built-in test connector, per resource code.
public struct TestConnectorRule: Sendable, Equatable {
    public var resourceCode: String
    public var reductionsAllowed: Bool
    public var minQuantity: Int64
    public var failProvisioning: Bool
    public var updatedAt: Date
}

/// The built-in test connector's tables: the rules staff set (`test_connector_rules`) and the
/// connector's own record of what it applied per order (`test_connector_applied`), as a vendor keeps.
public struct TestConnectorStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    // MARK: Rules

    public func rules() async throws -> [TestConnectorRule] {
        try await database.rows("SELECT * FROM test_connector_rules ORDER BY resource_code").map(Self.rule)
    }

    /// The rule of one resource, if staff set one (locked with `forUpdate`, inside a transaction).
    public func rule(_ resourceCode: String, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> TestConnectorRule? {
        try await (db ?? database).rows("SELECT * FROM test_connector_rules WHERE resource_code = ?\(forUpdate ? " FOR UPDATE" : "")", [.string(resourceCode)])
            .first.map(Self.rule)
    }

    /// Writes the rule of one resource whole.
    public static func save(resourceCode: String, reductionsAllowed: Bool, minQuantity: Int64, failProvisioning: Bool, by userID: Int64,
                            on tx: MariaDBDatabase) async throws {
        try await tx.query(
            """
            INSERT INTO test_connector_rules (resource_code, reductions_allowed, min_quantity, fail_provisioning, updated_at, updated_by)
            VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), ?)
            ON DUPLICATE KEY UPDATE reductions_allowed = VALUES(reductions_allowed), min_quantity = VALUES(min_quantity),
              fail_provisioning = VALUES(fail_provisioning), updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)
            """, [.string(resourceCode), reductionsAllowed.mariaDBData, .int(minQuantity), failProvisioning.mariaDBData, .int(userID)])
    }

    /// Of these resource codes, the ones staff set to fail provisioning, sorted.
    public func failingProvisioning(among codes: [String]) async throws -> [String] {
        guard !codes.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: codes.count).joined(separator: ", ")
        return try await database.rows(
            "SELECT resource_code FROM test_connector_rules WHERE fail_provisioning AND resource_code IN (\(marks)) ORDER BY resource_code",
            codes.map { .string($0) }).map { try $0.decode(column: "resource_code", as: String.self) }
    }

    // MARK: What the connector applied

    /// Records the outcome of an order unless one is recorded already (the first answer stands).
    public func record(order orderID: Int64, subscription subscriptionID: Int64?, outcome: String) async throws {
        try await database.query(
            "INSERT IGNORE INTO test_connector_applied (order_id, subscription_id, outcome, applied_at) VALUES (?, ?, ?, UTC_TIMESTAMP(6))",
            [.int(orderID), subscriptionID.map { .int($0) } ?? .null, .string(String(outcome.prefix(500)))])
    }

    /// The outcome recorded for an order, if any.
    public func outcome(of orderID: Int64) async throws -> String? {
        try await database.rows("SELECT outcome FROM test_connector_applied WHERE order_id = ?", [.int(orderID)])
            .first?.decode(column: "outcome", as: String.self)
    }

    static func rule(_ row: MariaDBRow) throws -> TestConnectorRule {
        TestConnectorRule(resourceCode: try row.decode(column: "resource_code", as: String.self),
                          reductionsAllowed: try row.decode(column: "reductions_allowed", as: Bool.self),
                          minQuantity: try row.decode(column: "min_quantity", as: Int64.self),
                          failProvisioning: try row.decode(column: "fail_provisioning", as: Bool.self),
                          updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }
}
