import Foundation
import Localization
import MariaDB
import Storage

/// The rules staff set for the built-in test connector, per resource code: whether it fails
/// provisioning of changes touching the resource, and (for the vendor check of reductions)
/// whether reductions are allowed and the minimum that must remain. Provider staff read them;
/// provider admins set them.
public struct TestConnectorRules: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    public typealias Rule = TestConnectorRule

    public func list(by actor: Actor) async throws -> [Rule] {
        guard Policy.allows(actor, .seeProviderArea) else { throw StoreError.notFound("connector rules") }
        return try await TestConnectorStore(database: database).rules()
    }

    /// Sets the rule of one resource; fields left nil keep their value (or the default: allowed, 0, no failure).
    public func set(resourceCode: String, reductionsAllowed: Bool?, minQuantity: Int64?, failProvisioning: Bool?, by actor: Actor) async throws -> Rule {
        guard Policy.allows(actor, .seeProviderArea) else { throw StoreError.notFound("connector rules") }
        guard Policy.allows(actor, .setConnectorRules) else { throw StoreError.forbidden(.init("error.forbidden.connector_rules")) }
        let code = resourceCode.trimmingCharacters(in: .whitespaces)
        guard try await ResourceStore(database: database).codes().values.contains(code) else {
            throw StoreError.invalid(field: "resource_code", message: .init("error.connector.no_resource", ["code": .text(code)]))
        }
        if let minQuantity, minQuantity < 0 { throw StoreError.invalid(field: "min_quantity", message: .init("error.connector.min_quantity")) }
        let store = TestConnectorStore(database: database)
        return try await database.withTransaction { tx in
            let before = try await store.rule(code, on: tx, forUpdate: true)
            try await TestConnectorStore.save(resourceCode: code, reductionsAllowed: reductionsAllowed ?? before?.reductionsAllowed ?? true,
                                              minQuantity: minQuantity ?? before?.minQuantity ?? 0,
                                              failProvisioning: failProvisioning ?? before?.failProvisioning ?? false, by: actor.userID, on: tx)
            guard let after = try await store.rule(code, on: tx) else { throw StoreError.notFound("connector rule \(code)") }
            let provider = try await AccountStore(database: tx).account(actor.accountID, in: actor.scope, on: tx)
            try await AuditLog.record(on: tx, actor: actor, account: provider, objectType: "connector_rule", objectID: nil, action: "set \(code)",
                                      before: before.map(RuleAudit.init), after: RuleAudit(after))
            return after
        }
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
