import Commerce
import Foundation
import Localization
import MariaDB

/// Currencies and exchange rates: read by everyone, changed by provider admins.
public struct CurrencyStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    public struct Row: Sendable, Equatable {
        public var currency: Currency
        public var name: String
    }

    public struct Rate: Sendable, Equatable {
        public var id: Int64
        public var from: String
        public var to: String
        public var rate: RateValue
        public var effectiveFrom: Date
        public var createdAt: Date
    }

    public func all() async throws -> [Row] {
        try await database.rows("SELECT code, name, exponent FROM currencies ORDER BY code").map { row in
            Row(currency: Currency(code: try row.decode(column: "code", as: String.self), exponent: try row.decode(column: "exponent", as: Int.self)),
                name: try row.decode(column: "name", as: String.self))
        }
    }

    public func currency(_ code: String) async throws -> Currency? {
        let rows = try await database.rows("SELECT code, exponent FROM currencies WHERE code = ?", [.string(code)])
        return try rows.first.map { Currency(code: try $0.decode(column: "code", as: String.self), exponent: try $0.decode(column: "exponent", as: Int.self)) }
    }

    public func create(code rawCode: String, name rawName: String, exponent: Int, by actor: Actor) async throws -> Row {
        guard Policy.allows(actor, .manageCatalog) else { throw StoreError.forbidden(.init("error.forbidden.currencies")) }
        var errors = ValidationErrors()
        let code = rawCode.trimmingCharacters(in: .whitespaces).uppercased()
        if !Currency.isValidCode(code) { errors.add("code", .init("error.currency.code")) }
        if !Currency.allowedExponents.contains(exponent) { errors.add("exponent", .init("error.currency.exponent")) }
        let name = errors.check("name") { try PlainText.required(rawName, maximumLength: 100) } ?? ""
        try errors.throwIfAny()
        return try await database.withTransaction { tx in
            do {
                try await tx.query("INSERT INTO currencies (code, name, exponent, created_at, updated_at, created_by, updated_by) VALUES (?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?)",
                                   [.string(code), .string(name), .int(Int64(exponent)), .int(actor.userID), .int(actor.userID)])
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw StoreError.conflict(code: "currency_exists", message: .init("error.currency.exists", ["code": .text(code)]))
            }
            let row = Row(currency: Currency(code: code, exponent: exponent), name: name)
            try await CatalogAudit.record(on: tx, actor: actor, objectType: "currency", objectID: nil, action: "create",
                                          after: ["code": code, "name": name, "exponent": String(exponent)])
            return row
        }
    }

    /// Renames a currency. Its code and minor-unit digits never change: amounts are stored in them.
    public func rename(_ code: String, to name: String, by actor: Actor) async throws {
        guard Policy.allows(actor, .manageCatalog) else { throw StoreError.forbidden(.init("error.forbidden.currencies")) }
        guard try await currency(code) != nil else { throw StoreError.notFound("currency \(code)") }
        let trimmed: String
        do { trimmed = try PlainText.required(name, maximumLength: 100) } catch { throw StoreError.invalid(field: "name", message: error.localized) }
        try await database.withTransaction { tx in
            try await tx.query("UPDATE currencies SET name = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE code = ?",
                               [.string(trimmed), .int(actor.userID), .string(code)])
            try await CatalogAudit.record(on: tx, actor: actor, objectType: "currency", objectID: nil, action: "rename", after: ["code": code, "name": trimmed])
        }
    }

    /// Records a rate `1 from = rate to` effective from a moment (history is kept; the same pair and moment twice is a conflict).
    public func addRate(from rawFrom: String, to rawTo: String, rate text: String, effectiveFrom: Date, by actor: Actor) async throws -> Rate {
        guard Policy.allows(actor, .manageCatalog) else { throw StoreError.forbidden(.init("error.forbidden.rates")) }
        var errors = ValidationErrors()
        let from = rawFrom.uppercased(), to = rawTo.uppercased()
        var rate: RateValue?
        do { rate = try RateValue.parseBounded(text) } catch { errors.add("rate", .init("error.rate.decimals", ["problem": .text(error.description)])) }
        if from == to { errors.add("to", .init("error.rate.same_currency")) }
        if try await currency(from) == nil { errors.add("from", .init("error.currency.undefined", ["code": .text(from)])) }
        if try await currency(to) == nil { errors.add("to", .init("error.currency.undefined", ["code": .text(to)])) }
        try errors.throwIfAny()
        guard let rate else { throw errors }
        return try await database.withTransaction { tx in
            let result: MariaDBResult
            do {
                result = try await tx.query(
                    "INSERT INTO currency_rates (from_code, to_code, rate, effective_from, created_at, created_by) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), ?)",
                    [.string(from), .string(to), .decimal(rate.text), effectiveFrom.mariaDBData, .int(actor.userID)])
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw StoreError.conflict(code: "rate_exists", message: .init("error.rate.exists", ["from": .text(from), "to": .text(to)]))
            }
            let id = Int64(result.lastInsertID)
            try await CatalogAudit.record(on: tx, actor: actor, objectType: "currency_rate", objectID: id, action: "create",
                                          after: ["from": from, "to": to, "rate": rate.text, "effective_from": ISO8601DateFormatter().string(from: effectiveFrom)])
            return try await rates(from: from, to: to, on: tx).first { $0.id == id }!
        }
    }

    /// The rate in effect at `moment`: the newest whose effective time is not after it.
    /// Never derived from the reverse pair, never 1.0: absent is `nil`, which callers report as `rate_missing`.
    public func rate(from: String, to: String, at moment: Date) async throws -> Rate? {
        let rows = try await database.rows(
            """
            SELECT id, from_code, to_code, rate, effective_from, created_at FROM currency_rates
            WHERE from_code = ? AND to_code = ? AND effective_from <= ? ORDER BY effective_from DESC, id DESC LIMIT 1
            """, [.string(from), .string(to), moment.mariaDBData])
        return try rows.first.map(Self.rate(row:))
    }

    /// A pair's history, newest first (all pairs when none is given).
    public func rates(from: String? = nil, to: String? = nil, on db: MariaDBDatabase? = nil) async throws -> [Rate] {
        var conditions: [String] = []
        var binds: [MariaDBData] = []
        if let from { conditions.append("from_code = ?"); binds.append(.string(from)) }
        if let to { conditions.append("to_code = ?"); binds.append(.string(to)) }
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try await (db ?? database).rows(
            "SELECT id, from_code, to_code, rate, effective_from, created_at FROM currency_rates \(clause) ORDER BY from_code, to_code, effective_from DESC LIMIT 500",
            binds).map(Self.rate(row:))
    }

    private static func rate(row: MariaDBRow) throws -> Rate {
        let text = try row.decode(column: "rate", as: String.self)
        return Rate(id: try row.decode(column: "id", as: Int64.self), from: try row.decode(column: "from_code", as: String.self),
                    to: try row.decode(column: "to_code", as: String.self), rate: try RateValue.parse(text),
                    effectiveFrom: try row.decode(column: "effective_from", as: Date.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self))
    }
}

/// Catalog changes are the provider's: their audit entries belong to the provider account.
enum CatalogAudit {
    static func record(on db: MariaDBDatabase, actor: Actor, objectType: String, objectID: Int64?, action: String,
                       before: [String: String]? = nil, after: [String: String]?) async throws {
        let provider = try await AccountStore(database: db).account(actor.accountID, in: actor.scope, on: db)
        try await AuditLog.record(on: db, actor: actor, account: provider, objectType: objectType, objectID: objectID,
                                  action: action, before: before, after: after)
    }
}
