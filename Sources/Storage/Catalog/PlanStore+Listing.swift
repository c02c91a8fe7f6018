import MariaDB

extension PlanStore {
    /// What a list of plans shows beside each plan, for the whole list at once (two queries whatever
    /// its length): which of them are delegated to `sellerID`, and each one's switch targets the scope
    /// may see (owned in its subtree or delegated to its account, as `plan(_:in:)` finds them).
    public func listing(of plans: [Plan], seller sellerID: Int64, in scope: TenantScope) async throws -> (delegated: Set<Int64>, switchPaths: [Int64: [Int64]]) {
        guard !plans.isEmpty else { return ([], [:]) }
        let ids = plans.map { MariaDBData.int($0.id) }
        let marks = Array(repeating: "?", count: plans.count).joined(separator: ", ")
        let delegated = Set(try await database.rows("SELECT plan_id FROM plan_delegations WHERE reseller_id = ? AND plan_id IN (\(marks))", [.int(sellerID)] + ids)
            .map { try $0.decode(column: "plan_id", as: Int64.self) })
        var paths: [Int64: [Int64]] = [:]
        for row in try await database.rows(
            """
            SELECT s.plan_id, s.to_plan_id FROM plan_switch_paths s JOIN plans p ON p.id = s.to_plan_id JOIN currencies c ON c.code = p.currency
            WHERE s.plan_id IN (\(marks)) AND (p.owner_path LIKE ? OR EXISTS (SELECT 1 FROM plan_delegations d WHERE d.plan_id = p.id AND d.reseller_id = ?))
            ORDER BY s.plan_id, s.to_plan_id
            """, ids + [.string(scope.pathPattern), .int(scope.actor.accountID)]) {
            paths[try row.decode(column: "plan_id", as: Int64.self), default: []].append(try row.decode(column: "to_plan_id", as: Int64.self))
        }
        return (delegated, paths)
    }
}
