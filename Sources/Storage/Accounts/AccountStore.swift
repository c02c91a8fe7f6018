import Commerce
import Foundation
import Localization
import MariaDB

/// Accounts of the tree, always read through a tenant scope.
public struct AccountStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    public struct Filter: Sendable {
        public var kind: AccountKind?
        public var parentID: Int64?
        /// Matches name or contact email, anywhere in them.
        public var search: String?

        public init(kind: AccountKind? = nil, parentID: Int64? = nil, search: String? = nil) {
            self.kind = kind
            self.parentID = parentID
            self.search = search
        }
    }

    /// One account of the caller's subtree; anything else is `notFound`.
    public func account(_ id: Int64, in scope: TenantScope, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> Account {
        let rows = try await (db ?? database).rows(
            "SELECT \(Account.columns) FROM accounts WHERE id = ? AND path LIKE ?\(forUpdate ? " FOR UPDATE" : "")",
            [.int(id), .string(scope.pathPattern)]
        )
        guard let row = rows.first else { throw StoreError.notFound("account \(id)") }
        return try Account(row: row)
    }

    /// An account by id whatever the tenant: only for the order engine's workers.
    public func accountForWorker(_ id: Int64, on db: MariaDBDatabase? = nil) async throws -> Account {
        let rows = try await (db ?? database).rows("SELECT \(Account.columns) FROM accounts WHERE id = ?", [.int(id)])
        guard let row = rows.first else { throw StoreError.notFound("account \(id)") }
        return try Account(row: row)
    }

    /// Names of accounts of the subtree by id, for lists that show whose a row is.
    public func names(_ ids: Set<Int64>, in scope: TenantScope) async throws -> [Int64: String] {
        guard !ids.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        var names: [Int64: String] = [:]
        for row in try await database.rows("SELECT id, name FROM accounts WHERE id IN (\(marks)) AND path LIKE ?",
                                           ids.sorted().map { .int($0) } + [.string(scope.pathPattern)]) {
            names[try row.decode(column: "id", as: Int64.self)] = try row.decode(column: "name", as: String.self)
        }
        return names
    }

    /// Accounts of the subtree below the caller's own, newest first.
    public func list(in scope: TenantScope, filter: Filter = Filter(), page: PageRequest = PageRequest()) async throws -> Page<Account> {
        var conditions = ["path LIKE ?", "id <> ?"]
        var binds: [MariaDBData] = [.string(scope.pathPattern), .int(scope.actor.accountID)]
        if let kind = filter.kind {
            conditions.append("kind = ?")
            binds.append(.string(kind.rawValue))
        }
        if let parentID = filter.parentID {
            conditions.append("parent_id = ?")
            binds.append(.int(parentID))
        }
        if let search = filter.search?.trimmingCharacters(in: .whitespaces), !search.isEmpty {
            conditions.append("(name LIKE ? ESCAPE '\\' OR contact_email LIKE ? ESCAPE '\\')")
            let pattern = "%" + likeEscaped(search) + "%"
            binds += [.string(pattern), .string(pattern)]
        }
        if let cursor = page.cursor {
            conditions.append("id < ?")
            binds.append(.int(cursor))
        }
        binds.append(.int(Int64(page.limit + 1)))
        let rows = try await database.rows(
            "SELECT \(Account.columns) FROM accounts WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?", binds
        )
        var accounts = try rows.map(Account.init(row:))
        var next: Int64?
        if accounts.count > page.limit {
            accounts.removeLast()
            next = accounts.last?.id
        }
        return Page(items: accounts, nextCursor: next)
    }

    /// How many accounts of each kind the subtree below the caller holds.
    public func counts(in scope: TenantScope) async throws -> [AccountKind: Int] {
        let rows = try await database.rows(
            // Each kind's subtree range of the (kind, path) index, read from the index alone.
            "SELECT kind, COUNT(*) AS n FROM accounts WHERE kind IN ('reseller', 'customer') AND path LIKE ? AND id <> ? GROUP BY kind",
            [.string(scope.pathPattern), .int(scope.actor.accountID)]
        )
        var counts: [AccountKind: Int] = [:]
        for row in rows {
            if let kind = AccountKind(rawValue: try row.decode(column: "kind", as: String.self)) {
                counts[kind] = try row.decode(column: "n", as: Int.self)
            }
        }
        return counts
    }

    /// Creates a reseller or a customer below a parent of the caller's subtree, with its audit entry.
    public func create(_ draft: AccountDraft, in scope: TenantScope) async throws -> Account {
        var errors = ValidationErrors()
        let name = AccountFields.name(draft.name, &errors) ?? ""
        let contactName = AccountFields.contactName(draft.contactName, &errors) ?? ""
        let contactPhone = AccountFields.contactPhone(draft.contactPhone, &errors) ?? ""
        let address = AccountFields.address(draft.address, &errors) ?? ""
        if draft.kind == .provider { errors.add("kind", .init("error.account.one_provider")) }
        let currency = draft.currency.trimmingCharacters(in: .whitespaces).uppercased()
        let isCode = currency.count == 3 && currency.allSatisfy({ $0.isASCII && $0.isLetter })
        if !isCode { errors.add("currency", .init("error.account.currency_code")) }
        guard let taxRate = AccountFields.taxRate(draft.taxRate, &errors) else { throw errors }
        let email = AccountFields.contactEmail(draft.contactEmail, &errors) ?? ""

        return try await database.withTransaction { tx in
            // Locks the parent: two children created at once get consistent paths.
            let parent = try await account(draft.parentID, in: scope, on: tx, forUpdate: true)
            guard scope.actor.accountKind.isStaff else { throw StoreError.forbidden(.init("error.forbidden.customer_accounts")) }
            guard parent.kind != .customer else {
                throw StoreError.invalid(field: "parent_id", message: .init("error.account.customer_leaf"))
            }
            guard parent.status != .closed else {
                throw StoreError.conflict(code: "account_closed", message: .init("error.account.closed_parent", ["account": .text(parent.name)]))
            }
            guard Policy.allows(scope.actor, .manageAccountsBelow(parentKind: parent.kind)) else {
                throw StoreError.forbidden(.init("error.forbidden.create_accounts"))
            }
            if draft.kind == .customer && currency != parent.currency {
                errors.add("currency", .init("error.account.seller_currency", ["currency": .text(parent.currency)]))
            } else if isCode, try await CurrencyStore(database: tx).currency(currency) == nil {
                errors.add("currency", .init("error.account.unknown_currency", ["currency": .text(currency)]))
            }
            try errors.throwIfAny()
            let inserted = try await tx.query(
                """
                INSERT INTO accounts (parent_id, kind, name, path, depth, currency, tax_rate, status,
                  contact_name, contact_email, contact_phone, address, created_at, updated_at, created_by, updated_by)
                VALUES (?, ?, ?, '', ?, ?, ?, 'active', ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?)
                """,
                [.int(parent.id), .string(draft.kind.rawValue), .string(name), .int(Int64(parent.depth + 1)),
                 .string(currency), .decimal(taxRate), .string(contactName), .string(email),
                 .string(contactPhone), .string(address), .int(scope.actor.userID), .int(scope.actor.userID)]
            )
            let id = Int64(inserted.lastInsertID)
            try await tx.query("UPDATE accounts SET path = ? WHERE id = ?", [.string(parent.path + "\(id)/"), .int(id)])
            let account = try await self.account(id, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: account, objectType: "account", objectID: id,
                                      action: "create", before: nil as AccountAudit?, after: AccountAudit(account))
            return account
        }
    }

    /// The chain from the caller's own account down to `account`, for breadcrumbs.
    public func lineage(of account: Account, in scope: TenantScope) async throws -> [Account] {
        let ids = account.ancestry
        guard !ids.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let rows = try await database.rows(
            "SELECT \(Account.columns) FROM accounts WHERE id IN (\(placeholders)) AND path LIKE ? ORDER BY depth",
            ids.map { .int($0) } + [.string(scope.pathPattern)]
        )
        return try rows.map(Account.init(row:))
    }
}

/// What the audit log keeps of an account.
struct AccountAudit: Encodable {
    var name: String
    var kind: String
    var parentID: Int64?
    var currency: String
    var taxRate: String
    var status: String
    var contactName: String
    var contactEmail: String
    var contactPhone: String
    var address: String

    init(_ account: Account) {
        name = account.name
        kind = account.kind.rawValue
        parentID = account.parentID
        currency = account.currency
        taxRate = account.taxRateDisplay
        status = account.status.rawValue
        contactName = account.contactName
        contactEmail = account.contactEmail
        contactPhone = account.contactPhone
        address = account.address
    }
}

/// `%`, `_` and `\` typed by a person match themselves in a LIKE pattern.
func likeEscaped(_ text: String) -> String {
    var escaped = ""
    for character in text {
        if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
        escaped.append(character)
    }
    return escaped
}
