import Commerce
import Foundation
import MariaDB

/// The audit trail: written in the same transaction as the change it records.
public enum AuditLog {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// Records one change of an object owned by `account`.
    public static func record<State: Encodable>(
        on db: MariaDBDatabase, actor: Actor?, account: Account, objectType: String, objectID: Int64?,
        action: String, before: State?, after: State?
    ) async throws {
        func text(_ state: State?) throws -> MariaDBData {
            guard let state else { return .null }
            return .string(String(decoding: try encoder.encode(state), as: UTF8.self))
        }
        try await db.query(
            """
            INSERT INTO audit_log (occurred_at, actor_user_id, actor_email, actor_account_id, account_id, account_path,
              object_type, object_id, action, before_state, after_state, address)
            VALUES (UTC_TIMESTAMP(6), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [actor.map { .int($0.userID) } ?? .null, .string(actor?.email ?? "system"),
             actor.map { .int($0.accountID) } ?? .null, .int(account.id), .string(account.path),
             .string(objectType), objectID.map { .int($0) } ?? .null, .string(action),
             try text(before), try text(after), .string(actor?.address ?? "")]
        )
    }

    /// One entry as the caller may see it: `actor` and `address` are white-labelled (`ShownActor`).
    public struct Entry: Sendable {
        public var id: Int64
        public var occurredAt: Date
        public var actor: String
        public var accountID: Int64
        public var accountName: String
        public var objectType: String
        public var objectID: Int64?
        public var action: String
        public var before: String?
        public var after: String?
        public var address: String
    }

    public struct Filter: Sendable {
        public var accountID: Int64?
        public var objectType: String?
        /// One object's history (with `objectType`).
        public var objectID: Int64?
        /// Entries of the subtree's accounts whose name contains this text.
        public var accountName: String?
        /// Entries by the subtree's users whose email or name contains this text (`system`: by no user).
        /// Users above the viewer's account are never matched: who they are is not the viewer's to learn.
        public var user: String?
        /// Entries on or after this UTC date, and on or before `through`.
        public var from: BusinessDate?
        public var through: BusinessDate?
        public init(accountID: Int64? = nil, objectType: String? = nil, objectID: Int64? = nil, accountName: String? = nil,
                    user: String? = nil, from: BusinessDate? = nil, through: BusinessDate? = nil) {
            self.accountID = accountID
            self.objectType = objectType
            self.objectID = objectID
            self.accountName = accountName
            self.user = user
            self.from = from
            self.through = through
        }
    }

    /// Entries about the caller's subtree, newest first. The page is chosen from the log alone, then
    /// joined to the account names: joined first, the optimizer drove the query from the accounts
    /// (their `audit_log_account` index) and sorted the whole subtree's log for every page (about a
    /// second for the provider at 100,000 entries).
    public static func list(on db: MariaDBDatabase, in scope: TenantScope, filter: Filter = Filter(),
                            page: PageRequest = PageRequest()) async throws -> Page<Entry> {
        var conditions = ["l.account_path LIKE ?"]
        var binds: [MariaDBData] = [.string(scope.pathPattern)]
        if let ancestor = scope.ancestorCondition(table: "l.") { conditions.append(ancestor.sql); binds.append(ancestor.bind) }
        if let accountID = filter.accountID {
            conditions.append("l.account_id = ?")
            binds.append(.int(accountID))
        }
        if let objectType = filter.objectType, !objectType.isEmpty {
            conditions.append("l.object_type = ?")
            binds.append(.string(objectType))
        }
        if let objectID = filter.objectID {
            conditions.append("l.object_id = ?")
            binds.append(.int(objectID))
        }
        if let name = filter.accountName, !name.isEmpty {
            conditions.append("l.account_id IN (SELECT n.id FROM accounts n WHERE n.path LIKE ? AND n.name LIKE ?)")
            binds += [.string(scope.pathPattern), .string("%" + likeEscaped(name) + "%")]
        }
        if let user = filter.user, !user.isEmpty {
            if user.lowercased() == ShownActor.system.name {
                conditions.append("l.actor_user_id IS NULL")
            } else {
                conditions.append("""
                    l.actor_user_id IN (SELECT u.id FROM users u JOIN accounts ua ON ua.id = u.account_id
                      WHERE ua.path LIKE ? AND (u.email LIKE ? OR u.name LIKE ?))
                    """)
                let pattern = "%" + likeEscaped(user) + "%"
                binds += [.string(scope.pathPattern), .string(pattern), .string(pattern)]
            }
        }
        if let from = filter.from {
            conditions.append("l.occurred_at >= ?")
            binds.append(.string(from.description))
        }
        if let through = filter.through {
            conditions.append("l.occurred_at < ?")
            binds.append(.string(through.adding(days: 1).description))
        }
        if let cursor = page.cursor {
            conditions.append("l.id < ?")
            binds.append(.int(cursor))
        }
        binds.append(.int(Int64(page.limit + 1)))
        let rows = try await db.rows(
            """
            SELECT l.id, l.occurred_at, l.actor_email, aa.path AS actor_path, l.account_id, l.account_path, a.name AS account_name, l.object_type, l.object_id,
              l.action, l.before_state, l.after_state, l.address
            FROM (SELECT * FROM audit_log l WHERE \(conditions.joined(separator: " AND ")) ORDER BY l.id DESC LIMIT ?) l
            JOIN accounts a ON a.id = l.account_id LEFT JOIN accounts aa ON aa.id = l.actor_account_id
            ORDER BY l.id DESC
            """, binds)
        let viewpoint = try await Viewpoint.of(scope, on: db)
        var entries = try rows.map { row in
            let shown = ShownActor.of(email: try row.decode(column: "actor_email", as: String.self), address: try row.decode(column: "address", as: String.self),
                                      accountPath: try row.decode(column: "actor_path", as: String?.self), seenFrom: viewpoint)
            let objectType = try row.decode(column: "object_type", as: String.self)
            // A restriction's record names who restricted and why: below the staff of the
            // restricted account, neither is shown (DOMAIN.md 8).
            let restrictedPath = try row.decode(column: "account_path", as: String.self)
            let statesShown = objectType != "restriction" || Policy.seesRestrictionReason(scope.actor, restrictedPath: restrictedPath)
            return Entry(id: try row.decode(column: "id", as: Int64.self),
                         occurredAt: try row.decode(column: "occurred_at", as: Date.self),
                         actor: shown.name,
                         accountID: try row.decode(column: "account_id", as: Int64.self),
                         accountName: try row.decode(column: "account_name", as: String.self),
                         objectType: objectType,
                         objectID: try row.decode(column: "object_id", as: Int64?.self),
                         action: try row.decode(column: "action", as: String.self),
                         before: statesShown ? try row.decode(column: "before_state", as: String?.self) : nil,
                         after: statesShown ? try row.decode(column: "after_state", as: String?.self) : nil,
                         address: shown.address)
        }
        var next: Int64?
        if entries.count > page.limit {
            entries.removeLast()
            next = entries.last?.id
        }
        return Page(items: entries, nextCursor: next)
    }
}
