import Commerce
import Foundation
import Localization
import MariaDB

/// Resellers' brands: what each account's users see (`Brand.seen(along:)`), and the settings a
/// reseller's admins keep.
public struct BrandStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    static let linkColumns = """
        a.id, a.kind, a.name, a.contact_email, b.brand_name, b.slug, b.support_email, b.primary_color
        """

    /// The brand seen by the account at `path` (`"/1/4/9/"`): one statement, the chain's accounts
    /// by primary key. Pages, invoices and emails all take their brand from here.
    public func brand(seenBy path: String, on db: MariaDBDatabase? = nil) async throws -> Brand {
        let ids = path.split(separator: "/").compactMap { Int64($0) }
        guard !ids.isEmpty else { throw StoreError.notFound("account path \(path.prefix(40))") }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let rows = try await (db ?? database).rows(
            "SELECT \(Self.linkColumns) FROM accounts a LEFT JOIN account_brands b ON b.account_id = a.id WHERE a.id IN (\(marks)) ORDER BY a.depth",
            ids.map { .int($0) })
        guard let brand = Brand.seen(along: try rows.map(Self.link)) else { throw StoreError.notFound("account path \(path.prefix(40))") }
        return brand
    }

    /// The same for an account known by id (a worker's), whatever the tenant: two statements.
    public func brand(seenByAccountID id: Int64, on db: MariaDBDatabase? = nil) async throws -> Brand {
        let rows = try await (db ?? database).rows("SELECT path FROM accounts WHERE id = ?", [.int(id)])
        guard let row = rows.first else { throw StoreError.notFound("account \(id)") }
        return try await brand(seenBy: try row.decode(column: "path", as: String.self), on: db)
    }

    /// The sign-in page's brand for a slug (`/signin?brand=` or a mapped host name); for no slug or
    /// an unknown one, the provider's name: the console's own, revealing nothing. One statement.
    /// Nil only before the provider exists (a fresh install).
    public func brand(slug: String?) async throws -> Brand? {
        let known = slug.flatMap { BrandSlug.isValid($0) ? $0 : nil }
        let rows = try await database.rows(
            """
            SELECT 1 AS branded, \(Self.linkColumns) FROM account_brands b JOIN accounts a ON a.id = b.account_id WHERE b.slug = ?
            UNION ALL
            SELECT 0 AS branded, a.id, a.kind, a.name, a.contact_email, NULL, NULL, NULL, NULL FROM accounts a WHERE a.parent_id IS NULL
            ORDER BY branded DESC LIMIT 1
            """, [known.map { .string($0) } ?? .null])
        return try rows.first.flatMap { Brand.seen(along: [try Self.link($0)]) }
    }

    static func link(_ row: MariaDBRow) throws -> BrandLink {
        BrandLink(accountID: try row.decode(column: "id", as: Int64.self),
                  kind: AccountKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .customer,
                  name: try row.decode(column: "name", as: String.self),
                  contactEmail: try row.decode(column: "contact_email", as: String.self), settings: try settings(row))
    }

    /// A row's brand columns; nil when the account has no brand (a LEFT JOIN's NULLs).
    static func settings(_ row: MariaDBRow) throws -> BrandSettings? {
        try row.decode(column: "brand_name", as: String?.self).map { name in
            BrandSettings(brandName: name, slug: try row.decode(column: "slug", as: String.self),
                          supportEmail: try row.decode(column: "support_email", as: String.self),
                          primaryColor: try row.decode(column: "primary_color", as: String.self))
        }
    }

    // MARK: A reseller's own settings

    /// A reseller of the caller's subtree and its brand settings (nil before any were set). Outside
    /// the subtree, or not a reseller: 404; customers: 403.
    public func settings(of accountID: Int64, in scope: TenantScope) async throws -> (account: Account, settings: BrandSettings?) {
        let account = try await AccountStore(database: database).account(accountID, in: scope)
        try Policy.require(scope.actor, .seeBranding, .init("error.forbidden.see_brand"))
        guard account.kind == .reseller else { throw StoreError.notFound("brand of account \(accountID): only resellers have one") }
        return (account, try await ownSettings(accountID, on: database))
    }

    /// What a form or a request body holds; checked by `set`.
    public struct Draft: Sendable {
        public var brandName: String
        public var supportEmail: String
        public var primaryColor: String
        /// Nil keeps the reseller's slug, or for its first brand makes one from the brand's name.
        public var slug: String?

        public init(brandName: String, supportEmail: String, primaryColor: String, slug: String?) {
            self.brandName = brandName
            self.supportEmail = supportEmail
            self.primaryColor = primaryColor
            self.slug = slug
        }
    }

    /// Sets a reseller's brand, with its audit entry. Fields wrong: 422 naming each; the slug of
    /// another reseller's brand: 409 `slug`.
    public func set(_ draft: Draft, for accountID: Int64, in scope: TenantScope) async throws -> BrandSettings {
        var errors = ValidationErrors()
        let name = errors.check("brand_name") { try PlainText.required(draft.brandName, maximumLength: 100) }
        let email = errors.check("support_email") { try EmailAddress.parse(draft.supportEmail) }
        let color = errors.check("primary_color") { try BrandColor.parse(draft.primaryColor) }
        let typedSlug = draft.slug.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        let slug = typedSlug.flatMap { typed in errors.check("slug") { try BrandSlug.parse(typed) } }
        do {
            return try await database.withTransaction { tx in
                let account = try await AccountStore(database: tx).account(accountID, in: scope, on: tx, forUpdate: true)
                try Policy.require(scope.actor, .manageBranding, .init("error.forbidden.set_brand"))
                guard account.kind == .reseller else { throw StoreError.notFound("brand of account \(accountID): only resellers have one") }
                try errors.throwIfAny()
                guard let name, let email, let color else { throw errors }
                let before = try await ownSettings(accountID, on: tx)
                let chosenSlug = slug ?? before?.slug ?? BrandSlug.suggested(from: name)
                guard BrandSlug.isValid(chosenSlug) else {
                    throw StoreError.invalid(field: "slug", message: .init("error.brand.slug_missing", ["rule": .text(BrandSlug.Refusal.notASlug.description)]))
                }
                let taken = try await tx.rows("SELECT account_id FROM account_brands WHERE slug = ? AND account_id <> ?", [.string(chosenSlug), .int(accountID)])
                guard taken.isEmpty else { throw Self.slugTaken(chosenSlug) }
                let after = BrandSettings(brandName: name, slug: chosenSlug, supportEmail: email, primaryColor: color.hex)
                try await tx.query(
                    """
                    INSERT INTO account_brands (account_id, brand_name, slug, support_email, primary_color, created_at, updated_at, created_by, updated_by)
                    VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?)
                    ON DUPLICATE KEY UPDATE brand_name = VALUES(brand_name), slug = VALUES(slug), support_email = VALUES(support_email),
                      primary_color = VALUES(primary_color), updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)
                    """,
                    [.int(accountID), .string(name), .string(chosenSlug), .string(email), .string(color.hex),
                     .int(scope.actor.userID), .int(scope.actor.userID)])
                try await AuditLog.record(on: tx, actor: scope.actor, account: account, objectType: "brand", objectID: accountID,
                                          action: before == nil ? "create" : "update", before: before, after: after)
                return after
            }
        } catch let error as MariaDBError where error.isDuplicateKey {
            // Two resellers claimed one slug at once: the second meets the unique key.
            throw Self.slugTaken(slug ?? BrandSlug.suggested(from: draft.brandName))
        }
    }

    static func slugTaken(_ slug: String) -> StoreError {
        .conflict(code: "slug", message: .init("error.brand.slug_taken", ["slug": .text(slug)]))
    }

    func ownSettings(_ accountID: Int64, on db: MariaDBDatabase) async throws -> BrandSettings? {
        let rows = try await db.rows("SELECT brand_name, slug, support_email, primary_color FROM account_brands WHERE account_id = ?", [.int(accountID)])
        return try rows.first.flatMap(Self.settings)
    }
}
