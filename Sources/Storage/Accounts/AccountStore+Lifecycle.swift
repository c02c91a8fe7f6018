import Commerce
import Foundation
import Localization
import MariaDB

/// What an edit of an account changes: each field given is set, each nil kept.
public struct AccountChanges: Sendable, Equatable {
    public var name: String?
    public var contactName: String?
    public var contactEmail: String?
    public var contactPhone: String?
    public var address: String?
    public var taxRate: String?
    public var status: AccountStatus?

    public init(name: String? = nil, contactName: String? = nil, contactEmail: String? = nil, contactPhone: String? = nil,
                address: String? = nil, taxRate: String? = nil, status: AccountStatus? = nil) {
        self.name = name
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.contactPhone = contactPhone
        self.address = address
        self.taxRate = taxRate
        self.status = status
    }
}

/// The bounds of an account's own fields, for creating and editing alike: nil with the field's
/// problem added to `errors`.
enum AccountFields {
    static func name(_ raw: String, _ errors: inout ValidationErrors) -> String? {
        errors.check("name") { try PlainText.required(raw, maximumLength: 200) }
    }

    static func contactName(_ raw: String, _ errors: inout ValidationErrors) -> String? {
        errors.check("contact_name") { try PlainText.parse(raw, maximumLength: 200) }
    }

    /// Empty is allowed (no contact email); anything else must be an address.
    static func contactEmail(_ raw: String, _ errors: inout ValidationErrors) -> String? {
        raw.trimmingCharacters(in: .whitespaces).isEmpty ? "" : errors.check("contact_email") { try EmailAddress.parse(raw) }
    }

    static func contactPhone(_ raw: String, _ errors: inout ValidationErrors) -> String? {
        errors.check("contact_phone") { try PlainText.parse(raw, maximumLength: 50) }
    }

    static func address(_ raw: String, _ errors: inout ValidationErrors) -> String? {
        errors.check("address") { try PlainText.parse(raw, maximumLength: 2000, multiLine: true) }
    }

    static func taxRate(_ raw: String, _ errors: inout ValidationErrors) -> String? {
        guard let rate = TaxRate.parse(raw) else {
            errors.add("tax_rate", .init("error.account.tax_rate"))
            return nil
        }
        return rate
    }
}

/// Who changed an account's status last, and when, as the viewer may see them (white label).
public struct StatusChange: Sendable, Equatable {
    public var status: AccountStatus
    public var at: Date
    public var by: ShownActor
}

extension AccountStore {
    /// Edits an account below the caller's own, and suspends, lifts or closes it (issue 15): admins
    /// of an ancestor only. A closed account is final and read-only (409 `account_closed`); closing
    /// needs every subscription of the subtree cancelled and no order open in it (409). One audit
    /// entry with the account before and after.
    public func update(_ id: Int64, _ changes: AccountChanges, in scope: TenantScope) async throws -> Account {
        try await database.withTransaction { tx in
            let before = try await account(id, in: scope, on: tx, forUpdate: true)
            try Policy.require(scope.actor, .editAccount(own: id == scope.actor.accountID), .init("error.forbidden.edit_account"))
            guard before.status != .closed else {
                throw StoreError.conflict(code: "account_closed", message: .init("error.account.closed", ["account": .text(before.name)]))
            }
            var errors = ValidationErrors()
            var after = before
            if let raw = changes.name, let name = AccountFields.name(raw, &errors) { after.name = name }
            if let raw = changes.contactName, let value = AccountFields.contactName(raw, &errors) { after.contactName = value }
            if let raw = changes.contactEmail, let value = AccountFields.contactEmail(raw, &errors) { after.contactEmail = value }
            if let raw = changes.contactPhone, let value = AccountFields.contactPhone(raw, &errors) { after.contactPhone = value }
            if let raw = changes.address, let value = AccountFields.address(raw, &errors) { after.address = value }
            var taxRate: String?
            if let raw = changes.taxRate { taxRate = AccountFields.taxRate(raw, &errors) }
            try errors.throwIfAny()
            let newStatus = changes.status ?? before.status
            if newStatus == .closed, let blocker = try await closeBlocker(before, on: tx) { throw blocker }
            let statusChanges = newStatus != before.status
            try await tx.query(
                """
                UPDATE accounts SET name = ?, contact_name = ?, contact_email = ?, contact_phone = ?, address = ?,
                  tax_rate = COALESCE(?, tax_rate), status = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ?\(statusChanges
                    ? ", status_changed_at = UTC_TIMESTAMP(6), status_changed_by = ?" : "")
                WHERE id = ?
                """,
                [.string(after.name), .string(after.contactName), .string(after.contactEmail), .string(after.contactPhone), .string(after.address),
                 taxRate.map { .decimal($0) } ?? .null, .string(newStatus.rawValue), .int(scope.actor.userID)]
                    + (statusChanges ? [.int(scope.actor.userID)] : []) + [.int(id)])
            let updated = try await account(id, in: scope, on: tx)
            let action: String
            switch (before.status, newStatus) {
            case (_, .closed) where statusChanges: action = "close"
            case (_, .suspended) where statusChanges: action = "suspend"
            case (.suspended, .active): action = "lift"
            default: action = "update"
            }
            try await AuditLog.record(on: tx, actor: scope.actor, account: updated, objectType: "account", objectID: id,
                                      action: action, before: AccountAudit(before), after: AccountAudit(updated))
            return updated
        }
    }

    /// Why the account can't be closed yet: a subscription of its subtree not cancelled, or an order
    /// still awaiting payment or provisioning there (it could make one).
    private func closeBlocker(_ account: Account, on tx: MariaDBDatabase) async throws -> StoreError? {
        let row = try await tx.rows(
            """
            SELECT (SELECT COUNT(*) FROM subscriptions WHERE customer_path LIKE ? AND status <> 'cancelled') AS running,
                   (SELECT COUNT(*) FROM orders WHERE customer_path LIKE ? AND status IN ('awaiting_payment', 'provisioning')) AS open
            """, [.string(account.path + "%"), .string(account.path + "%")])[0]
        let running = try row.decode(column: "running", as: Int64.self), open = try row.decode(column: "open", as: Int64.self)
        if running > 0 {
            return .conflict(code: "subscriptions_not_cancelled",
                             message: .init("error.account.open_subscriptions.\(running == 1 ? "one" : "many")\(account.kind == .customer ? "" : "_subtree")", ["account": .text(account.name), "count": .number(running)]))
        }
        if open > 0 {
            return .conflict(code: "orders_open",
                             message: .init("error.account.open_orders.\(open == 1 ? "one" : "many")", ["account": .text(account.name), "count": .number(open)]))
        }
        return nil
    }

    /// The customer `id` on `path` (in `scope`, else not found) and the hold over its orders, from one
    /// read of the accounts along its path: a quote reads its customer anyway, so the hold costs no
    /// statement there.
    public func customerAndHold(_ id: Int64, path: String, viewer: Actor?, in scope: TenantScope,
                                on db: MariaDBDatabase? = nil) async throws -> (customer: Account, hold: AccountHold?) {
        let chain = try await accounts(along: path, on: db)
        guard let customer = chain.first(where: { $0.id == id }), scope.contains(path: customer.path) else {
            throw StoreError.notFound("account \(id)")
        }
        return (customer, Self.hold(in: chain, over: customer, viewer: viewer))
    }

    /// The hold over a customer already read.
    public func hold(over customer: Account, viewer: Actor?, on db: MariaDBDatabase? = nil) async throws -> AccountHold? {
        Self.hold(in: try await accounts(along: customer.path, on: db), over: customer, viewer: viewer)
    }

    /// The accounts whose ids make up `path`, from the root down to its last.
    private func accounts(along path: String, on db: MariaDBDatabase?) async throws -> [Account] {
        let ids = path.split(separator: "/").compactMap { Int64($0) }
        guard !ids.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        return try await (db ?? database).rows("SELECT \(Account.columns) FROM accounts WHERE id IN (\(marks)) ORDER BY depth", ids.map { .int($0) })
            .map(Account.init(row:))
    }

    /// The account at or above `customer` that holds its orders (a closed one first, else the
    /// nearest suspended one), named only when it is in the viewer's subtree; nil when all are active.
    static func hold(in chain: [Account], over customer: Account, viewer: Actor?) -> AccountHold? {
        let ancestry = Set(customer.ancestry)
        let held = chain.filter { ancestry.contains($0.id) && $0.status != .active }
        guard let account = held.first(where: { $0.status == .closed }) ?? held.max(by: { $0.depth < $1.depth }) else { return nil }
        let seen = viewer.map { TenantScope(actor: $0).contains(path: account.path) } ?? true
        return AccountHold(kind: account.status == .closed ? .closed : .suspended, accountName: seen ? account.name : nil,
                           isCustomer: account.id == customer.id)
    }

    /// The account's last status change as `scope`'s actor may see it; nil when it never changed.
    public func statusChange(of account: Account, in scope: TenantScope) async throws -> StatusChange? {
        guard let at = account.statusChangedAt else { return nil }
        var by = ShownActor.system
        if let userID = account.statusChangedBy {
            let rows = try await database.rows("SELECT u.email, a.path FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = ?", [.int(userID)])
            if let row = rows.first {
                by = ShownActor.of(email: try row.decode(column: "email", as: String.self), address: "",
                                   accountPath: try row.decode(column: "path", as: String.self), seenFrom: try await Viewpoint.of(scope, on: database))
            }
        }
        return StatusChange(status: account.status, at: at, by: by)
    }
}
