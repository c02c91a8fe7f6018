import MariaDB

extension TenantScope {
    /// The depths whose ancestor ids the long lists' tables carry (migrations/0013_list_indexes.sql).
    static let indexedAncestorDepths = 2...4

    /// For a scope at depth 2 to 4, `ancestorN = ?`: the same rows as the path prefix, which the
    /// `(ancestorN, id)` index reads newest first, so a list stops after its page whoever owns the
    /// newest rows. Nil for the provider (every row is its own: the primary key is the order) and for
    /// deeper scopes (the path index). Lists add it beside the path condition, never instead of it.
    func ancestorCondition(table alias: String = "") -> (sql: String, bind: MariaDBData)? {
        let depth = actor.accountPath.split(separator: "/").count
        guard Self.indexedAncestorDepths.contains(depth) else { return nil }
        return ("\(alias)ancestor\(depth) = ?", .int(actor.accountID))
    }
}
