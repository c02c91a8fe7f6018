import Commerce
import Foundation
import Localization
import MariaDB

/// A seller's promo codes: a percentage off each positive line, until a date.
public struct PromoCodeStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    public struct Promo: Sendable, Equatable {
        public var id: Int64
        public var sellerID: Int64
        public var code: String
        public var percent: String
        public var validUntil: BusinessDate
    }

    /// The percentage as a fraction when `code` is the seller's and still valid on `day`.
    public func valid(code: String, seller: Int64, on day: BusinessDate) async throws -> Rational? {
        let rows = try await database.rows("SELECT percent, valid_until FROM promo_codes WHERE seller_id = ? AND code = ?", [.int(seller), .string(code)])
        guard let row = rows.first, let until = BusinessDate(try row.decode(column: "valid_until", as: String.self)), day <= until,
              let percent = Pricing.fraction(try row.decode(column: "percent", as: String.self)) else { return nil }
        return percent / Rational(100)
    }

    /// Creates a code for the caller's account (staff admins of the selling account).
    public func create(code raw: String, percent: String, validUntil: String, in scope: TenantScope) async throws -> Promo {
        let actor = scope.actor
        guard Policy.allows(actor, .sell(sellerAccountID: actor.accountID)) else { throw StoreError.forbidden(.init("error.forbidden.promo_codes_create")) }
        var errors = ValidationErrors()
        let code = (try? PlainText.required(raw, maximumLength: 64)) ?? ""
        if code.isEmpty || code.contains(" ") { errors.add("code", .init("error.promo.code")) }
        let bounded = try? Percent.parse(percent)
        if bounded == nil || bounded!.scaled == 0 { errors.add("percent", .init("error.promo.percent")) }
        let until = errors.check("valid_until") { try BusinessDate.parse(validUntil) }
        try errors.throwIfAny()
        let percentText = bounded!.text
        let seller = try await AccountStore(database: database).account(actor.accountID, in: scope)
        return try await database.withTransaction { tx in
            let id: Int64
            do {
                id = Int64(try await tx.query(
                    "INSERT INTO promo_codes (seller_id, seller_path, code, percent, valid_until, created_at, created_by) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), ?)",
                    [.int(seller.id), .string(seller.path), .string(code), .decimal(percentText), .string(until!.description), .int(actor.userID)]).lastInsertID)
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw StoreError.conflict(code: "promo_code_exists", message: .init("error.promo.exists", ["code": .text(code)]))
            }
            try await AuditLog.record(on: tx, actor: actor, account: seller, objectType: "promo_code", objectID: id, action: "create",
                                      before: nil as [String: String]?, after: ["code": code, "percent": percentText, "valid_until": until!.description])
            return Promo(id: id, sellerID: seller.id, code: code, percent: percentText, validUntil: until!)
        }
    }

    /// The caller's account's codes, newest first.
    public func list(in scope: TenantScope) async throws -> [Promo] {
        try await database.rows("SELECT id, seller_id, code, percent, valid_until FROM promo_codes WHERE seller_id = ? ORDER BY id DESC", [.int(scope.actor.accountID)]).map {
            Promo(id: try $0.decode(column: "id", as: Int64.self), sellerID: try $0.decode(column: "seller_id", as: Int64.self),
                  code: try $0.decode(column: "code", as: String.self), percent: try $0.decode(column: "percent", as: String.self),
                  validUntil: BusinessDate(try $0.decode(column: "valid_until", as: String.self)) ?? BusinessDate(year: 1970, month: 1, day: 1))
        }
    }
}
