import Commerce
import Foundation
import Localization
import MariaDB

/// A restriction on an account (DOMAIN.md 8), with who imposed it and, once lifted, who lifted it.
public struct Restriction: Sendable, Equatable {
    public var id: Int64
    public var accountID: Int64
    public var accountName: String
    public var accountPath: String
    public var restrictingAccountID: Int64
    public var restrictingAccountName: String
    /// Whoever is at or above this path may lift it.
    public var restrictingAccountPath: String
    public var reason: String
    public var createdAt: Date
    public var createdBy: String
    public var liftedAt: Date?
    public var liftedBy: String?

    public var isActive: Bool { liftedAt == nil }

    /// What those below the restricted account, and customers, read instead of the reason (DOMAIN.md 8).
    public static let reasonWithheld = "Changes are restricted by your seller; ask them why"
}

/// A plan the restricting account keeps changeable under its restrictions.
public struct RestrictionException: Sendable, Equatable {
    public var id: Int64
    public var accountID: Int64
    public var planID: Int64
    public var planName: String
    public var createdAt: Date
}

/// Restrictions and exceptions lists. Staff (admins and operators) restrict accounts strictly below
/// their own; whoever is at or above the restricting account may lift it. Every list reads through
/// the caller's scope.
public struct RestrictionStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    private static let select = """
        SELECT r.*, a.name AS account_name, ra.name AS restricting_name, ra.path AS restricting_path, cu.email AS created_email, lu.email AS lifted_email
        FROM restrictions r JOIN accounts a ON a.id = r.account_id JOIN accounts ra ON ra.id = r.restricting_account_id
        JOIN users cu ON cu.id = r.created_by LEFT JOIN users lu ON lu.id = r.lifted_by
        """

    private func requireStaff(_ actor: Actor) throws {
        guard Policy.allows(actor, .restrict) else { throw StoreError.forbidden(.init("error.forbidden.restrict")) }
    }

    public func restrict(account id: Int64, reason raw: String, in scope: TenantScope) async throws -> Restriction {
        let target = try await AccountStore(database: database).account(id, in: scope)
        try requireStaff(scope.actor)
        guard target.id != scope.actor.accountID else { throw StoreError.invalid(field: "account_id", message: .init("error.restriction.below_own")) }
        guard let reason = try? PlainText.required(raw, maximumLength: 500, multiLine: true) else {
            throw StoreError.invalid(field: "reason", message: .init("error.restriction.reason"))
        }
        return try await database.withTransaction { tx in
            _ = try await AccountStore(database: tx).account(id, in: scope, on: tx, forUpdate: true)
            let existing = try await tx.rows("SELECT id FROM restrictions WHERE account_id = ? AND restricting_account_id = ? AND lifted_at IS NULL",
                                             [.int(id), .int(scope.actor.accountID)])
            guard existing.isEmpty else {
                throw StoreError.conflict(code: "already_restricted", message: .init("error.restriction.already", ["account": .text(target.name), "by": .text(scope.actor.accountName)]))
            }
            let restrictionID = Int64(try await tx.query(
                """
                INSERT INTO restrictions (account_id, account_path, restricting_account_id, reason, created_at, created_by)
                VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), ?)
                """, [.int(id), .string(target.path), .int(scope.actor.accountID), .string(reason), .int(scope.actor.userID)]).lastInsertID)
            let restriction = try await self.restriction(restrictionID, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: target, objectType: "restriction", objectID: restrictionID, action: "restrict",
                                      before: nil as RestrictionAudit?, after: RestrictionAudit(restriction))
            return restriction
        }
    }

    /// Lifts a restriction imposed by the caller's account or an account below it.
    public func lift(_ id: Int64, in scope: TenantScope) async throws -> Restriction {
        let found = try await restriction(id, in: scope)
        try requireStaff(scope.actor)
        return try await database.withTransaction { tx in
            let before = try await restriction(id, in: scope, on: tx, forUpdate: true)
            guard scope.contains(path: before.restrictingAccountPath) else {
                throw StoreError.forbidden(.init("error.forbidden.lift_restriction", ["account": .text(before.restrictingAccountName)]))
            }
            guard before.isActive else { throw StoreError.invalid(field: "id", message: .init("error.restriction.lifted")) }
            try await tx.query("UPDATE restrictions SET lifted_at = UTC_TIMESTAMP(6), lifted_by = ? WHERE id = ?", [.int(scope.actor.userID), .int(id)])
            let after = try await restriction(id, in: scope, on: tx)
            let account = try await AccountStore(database: tx).account(found.accountID, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: account, objectType: "restriction", objectID: id, action: "lift",
                                      before: RestrictionAudit(before), after: RestrictionAudit(after))
            return after
        }
    }

    public func restriction(_ id: Int64, in scope: TenantScope, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> Restriction {
        let rows = try await (db ?? database).rows("\(Self.select) WHERE r.id = ? AND r.account_path LIKE ?\(forUpdate ? " FOR UPDATE" : "")",
                                                   [.int(id), .string(scope.pathPattern)])
        guard let row = rows.first else { throw StoreError.notFound("restriction \(id)") }
        return try Self.restriction(row, seenBy: scope.actor, from: try await Viewpoint.of(scope, on: db ?? database))
    }

    /// Restrictions on accounts of the caller's subtree (its own account included), newest first.
    public func list(in scope: TenantScope, activeOnly: Bool = false, page: PageRequest = PageRequest()) async throws -> Page<Restriction> {
        var conditions = ["r.account_path LIKE ?"]
        var binds: [MariaDBData] = [.string(scope.pathPattern)]
        if activeOnly { conditions.append("r.lifted_at IS NULL") }
        if let cursor = page.cursor { conditions.append("r.id < ?"); binds.append(.int(cursor)) }
        binds.append(.int(Int64(page.limit + 1)))
        let viewer = try await Viewpoint.of(scope, on: database)
        let items = try await database.rows("\(Self.select) WHERE \(conditions.joined(separator: " AND ")) ORDER BY r.id DESC LIMIT ?", binds)
            .map { try Self.restriction($0, seenBy: scope.actor, from: viewer) }
        return Page(fetched: items, limit: page.limit, id: \.id)
    }

    /// The active restrictions that cover an account at `path` (on it or on an account above it).
    /// For the order engine, which checks every change, whoever asks.
    public func covering(path: String, on db: MariaDBDatabase? = nil) async throws -> [Restriction] {
        try await (db ?? database).rows("\(Self.select) WHERE r.lifted_at IS NULL AND ? LIKE CONCAT(r.account_path, '%') ORDER BY LENGTH(r.account_path), r.id",
                                        [.string(path)]).map(Self.restriction)
    }

    /// Of the given accounts, the ids of those an active restriction covers, with the first reason
    /// as `viewer` may read it (`Policy.seesRestrictionReason`; otherwise `Restriction.reasonWithheld`).
    public func restricted(_ accounts: [Account], seenBy viewer: Actor) async throws -> [Int64: String] {
        guard !accounts.isEmpty else { return [:] }
        let conditions = Array(repeating: "? LIKE CONCAT(account_path, '%')", count: accounts.count).joined(separator: " OR ")
        let active = try await database.rows("SELECT account_path, reason FROM restrictions WHERE lifted_at IS NULL AND (\(conditions)) ORDER BY id",
                                             accounts.map { .string($0.path) })
            .map { (path: try $0.decode(column: "account_path", as: String.self), reason: try $0.decode(column: "reason", as: String.self)) }
        var result: [Int64: String] = [:]
        for account in accounts {
            if let hit = active.first(where: { account.path.hasPrefix($0.path) }) {
                result[account.id] = Policy.seesRestrictionReason(viewer, restrictedPath: hit.path) ? hit.reason : Restriction.reasonWithheld
            }
        }
        return result
    }

    // MARK: Exceptions

    public func exceptions(in scope: TenantScope) async throws -> [RestrictionException] {
        try await database.rows(
            """
            SELECT e.*, p.name AS plan_name FROM restriction_exceptions e JOIN plans p ON p.id = e.plan_id
            WHERE e.account_id = ? ORDER BY p.name
            """, [.int(scope.actor.accountID)]).map(Self.exception)
    }

    /// The plans an account keeps changeable under the restrictions it imposed.
    public func exceptionPlans(of accountID: Int64, on db: MariaDBDatabase? = nil) async throws -> Set<Int64> {
        Set(try await (db ?? database).rows("SELECT plan_id FROM restriction_exceptions WHERE account_id = ?", [.int(accountID)])
            .map { try $0.decode(column: "plan_id", as: Int64.self) })
    }

    public func addException(plan planID: Int64, in scope: TenantScope) async throws -> RestrictionException {
        guard Policy.allows(scope.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.exceptions")) }
        let plan = try await PlanStore(database: database).plan(planID, in: scope)
        try requireStaff(scope.actor)
        do {
            return try await database.withTransaction { tx in
                let id = Int64(try await tx.query(
                    "INSERT INTO restriction_exceptions (account_id, account_path, plan_id, created_at, created_by) VALUES (?, ?, ?, UTC_TIMESTAMP(6), ?)",
                    [.int(scope.actor.accountID), .string(scope.actor.accountPath), .int(plan.id), .int(scope.actor.userID)]).lastInsertID)
                let account = try await AccountStore(database: tx).account(scope.actor.accountID, in: scope, on: tx)
                try await AuditLog.record(on: tx, actor: scope.actor, account: account, objectType: "restriction_exception", objectID: id, action: "add",
                                          before: nil as String?, after: plan.name)
                return try Self.exception(try await tx.rows(
                    "SELECT e.*, p.name AS plan_name FROM restriction_exceptions e JOIN plans p ON p.id = e.plan_id WHERE e.id = ?", [.int(id)])[0])
            }
        } catch let error as MariaDBError where error.isDuplicateKey {
            throw StoreError.conflict(code: "exception_exists", message: .init("error.restriction.exception_exists", ["plan": .text(plan.name)]))
        }
    }

    public func removeException(_ id: Int64, in scope: TenantScope) async throws {
        guard Policy.allows(scope.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.exceptions")) }
        guard try await !database.rows("SELECT id FROM restriction_exceptions WHERE id = ? AND account_id = ?", [.int(id), .int(scope.actor.accountID)]).isEmpty else {
            throw StoreError.notFound("restriction exception \(id)")
        }
        try requireStaff(scope.actor)
        try await database.withTransaction { tx in
            let rows = try await tx.rows(
                "SELECT e.*, p.name AS plan_name FROM restriction_exceptions e JOIN plans p ON p.id = e.plan_id WHERE e.id = ? AND e.account_id = ? FOR UPDATE",
                [.int(id), .int(scope.actor.accountID)])
            guard let row = rows.first else { throw StoreError.notFound("restriction exception \(id)") }
            let exception = try Self.exception(row)
            try await tx.query("DELETE FROM restriction_exceptions WHERE id = ?", [.int(id)])
            let account = try await AccountStore(database: tx).account(scope.actor.accountID, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: account, objectType: "restriction_exception", objectID: id, action: "remove",
                                      before: exception.planName, after: nil as String?)
        }
    }

    /// A restriction as a viewer sees it (white label, DOMAIN.md 1): imposed or lifted from above the
    /// viewer's account, it shows as the viewer's seller, by name, as every action from above does (`ShownActor`).
    /// Its reason only to those `Policy.seesRestrictionReason` names (DOMAIN.md 8).
    static func restriction(_ row: MariaDBRow, seenBy actor: Actor, from viewer: Viewpoint) throws -> Restriction {
        var restriction = try restriction(row)
        if !Policy.seesRestrictionReason(actor, restrictedPath: restriction.accountPath) { restriction.reason = Restriction.reasonWithheld }
        guard !restriction.restrictingAccountPath.hasPrefix(viewer.accountPath) else { return restriction }
        // The seller is the last account of the viewer's path above its own.
        restriction.restrictingAccountID = viewer.accountPath.split(separator: "/").dropLast().last.flatMap { Int64($0) } ?? restriction.restrictingAccountID
        func shown(_ email: String) -> String {
            ShownActor.of(email: email, address: "", accountPath: restriction.restrictingAccountPath, seenFrom: viewer).name
        }
        restriction.restrictingAccountName = viewer.sellerName ?? restriction.restrictingAccountName
        restriction.createdBy = shown(restriction.createdBy)
        restriction.liftedBy = restriction.liftedBy.map(shown)
        return restriction
    }

    static func restriction(_ row: MariaDBRow) throws -> Restriction {
        Restriction(
            id: try row.decode(column: "id", as: Int64.self), accountID: try row.decode(column: "account_id", as: Int64.self),
            accountName: try row.decode(column: "account_name", as: String.self), accountPath: try row.decode(column: "account_path", as: String.self),
            restrictingAccountID: try row.decode(column: "restricting_account_id", as: Int64.self),
            restrictingAccountName: try row.decode(column: "restricting_name", as: String.self),
            restrictingAccountPath: try row.decode(column: "restricting_path", as: String.self), reason: try row.decode(column: "reason", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self), createdBy: try row.decode(column: "created_email", as: String.self),
            liftedAt: try row.decode(column: "lifted_at", as: Date?.self), liftedBy: try row.decode(column: "lifted_email", as: String?.self))
    }

    static func exception(_ row: MariaDBRow) throws -> RestrictionException {
        RestrictionException(id: try row.decode(column: "id", as: Int64.self), accountID: try row.decode(column: "account_id", as: Int64.self),
                             planID: try row.decode(column: "plan_id", as: Int64.self), planName: try row.decode(column: "plan_name", as: String.self),
                             createdAt: try row.decode(column: "created_at", as: Date.self))
    }
}

struct RestrictionAudit: Encodable {
    var account: String
    var restrictedBy: String
    var reason: String
    var lifted: Bool

    init(_ restriction: Restriction) {
        account = restriction.accountName
        restrictedBy = restriction.restrictingAccountName
        reason = restriction.reason
        lifted = !restriction.isActive
    }
}
