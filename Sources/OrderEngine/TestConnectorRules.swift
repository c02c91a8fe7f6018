import Foundation
import MariaDB
import Storage

/// The rules staff set for the built-in test connector, per resource code: whether it fails
/// provisioning of changes touching the resource, and (for the vendor check of reductions)
/// whether reductions are allowed and the minimum that must remain. Provider staff read them;
/// provider admins set them.
public struct TestConnectorRules: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    public struct Rule: Sendable, Equatable {
        public var resourceCode: String
        public var reductionsAllowed: Bool
        public var minQuantity: Int64
        public var failProvisioning: Bool
        public var updatedAt: Date
    }

    public func list(by actor: Actor) async throws -> [Rule] {
        guard Policy.allows(actor, .seeProviderArea) else { throw StoreError.notFound("connector rules") }
        return try await database.rows("SELECT * FROM test_connector_rules ORDER BY resource_code").map(Self.rule)
    }

    /// Sets the rule of one resource; fields left nil keep their value (or the default: allowed, 0, no failure).
    public func set(resourceCode: String, reductionsAllowed: Bool?, minQuantity: Int64?, failProvisioning: Bool?, by actor: Actor) async throws -> Rule {
        guard Policy.allows(actor, .seeProviderArea) else { throw StoreError.notFound("connector rules") }
        guard Policy.allows(actor, .setConnectorRules) else { throw StoreError.forbidden("only provider admins set the test connector's rules") }
        let code = resourceCode.trimmingCharacters(in: .whitespaces)
        guard try await ResourceStore(database: database).codes().values.contains(code) else {
            throw StoreError.invalid(field: "resource_code", message: "There is no resource \(code).")
        }
        if let minQuantity, minQuantity < 0 { throw StoreError.invalid(field: "min_quantity", message: "min_quantity is 0 or more.") }
        return try await database.withTransaction { tx in
            let before = try await tx.rows("SELECT * FROM test_connector_rules WHERE resource_code = ? FOR UPDATE", [.string(code)]).first.map(Self.rule)
            try await tx.query(
                """
                INSERT INTO test_connector_rules (resource_code, reductions_allowed, min_quantity, fail_provisioning, updated_at, updated_by)
                VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), ?)
                ON DUPLICATE KEY UPDATE reductions_allowed = VALUES(reductions_allowed), min_quantity = VALUES(min_quantity),
                  fail_provisioning = VALUES(fail_provisioning), updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)
                """, [.string(code), (reductionsAllowed ?? before?.reductionsAllowed ?? true).mariaDBData, .int(minQuantity ?? before?.minQuantity ?? 0),
                      (failProvisioning ?? before?.failProvisioning ?? false).mariaDBData, .int(actor.userID)])
            let after = try Self.rule(try await tx.rows("SELECT * FROM test_connector_rules WHERE resource_code = ?", [.string(code)])[0])
            let provider = try await AccountStore(database: tx).account(actor.accountID, in: actor.scope, on: tx)
            try await AuditLog.record(on: tx, actor: actor, account: provider, objectType: "connector_rule", objectID: nil, action: "set \(code)",
                                      before: before.map(RuleAudit.init), after: RuleAudit(after))
            return after
        }
    }

    static func rule(_ row: MariaDBRow) throws -> Rule {
        Rule(resourceCode: try row.decode(column: "resource_code", as: String.self), reductionsAllowed: try row.decode(column: "reductions_allowed", as: Bool.self),
             minQuantity: try row.decode(column: "min_quantity", as: Int64.self), failProvisioning: try row.decode(column: "fail_provisioning", as: Bool.self),
             updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }
}

struct RuleAudit: Encodable {
    var reductionsAllowed: Bool
    var minQuantity: Int64
    var failProvisioning: Bool

    init(_ rule: TestConnectorRules.Rule) {
        reductionsAllowed = rule.reductionsAllowed
        minQuantity = rule.minQuantity
        failProvisioning = rule.failProvisioning
    }
}
