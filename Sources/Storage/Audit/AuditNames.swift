import MariaDB

extension AuditLog {
    /// A plan an entry names by id, with the currency its recorded amounts are in.
    public struct PlanName: Sendable, Equatable {
        public var id: Int64
        public var name: String
        public var currency: String
    }

    /// The names behind the resource codes and ids and the plan ids of a page of entries: at most one
    /// statement each, whatever the page holds. Resources are the provider's catalog, seen by all; the
    /// plans asked for are those the caller's own entries name.
    public static func names(resourceIDs: Set<Int64>, resourceCodes: Set<String>, planIDs: Set<Int64>,
                             on db: MariaDBDatabase) async throws -> (resources: [ResourceLabel], plans: [PlanName]) {
        let resources = try await ResourceLabels.load(ids: resourceIDs, codes: resourceCodes, on: db)
        var plans: [PlanName] = []
        if !planIDs.isEmpty {
            plans = try await db.rows("SELECT id, name, currency FROM plans WHERE id IN (\(Array(repeating: "?", count: planIDs.count).joined(separator: ", ")))",
                                      planIDs.sorted().map { .int($0) }).map { row in
                PlanName(id: try row.decode(column: "id", as: Int64.self), name: try row.decode(column: "name", as: String.self),
                         currency: try row.decode(column: "currency", as: String.self))
            }
        }
        return (resources, plans)
    }
}
