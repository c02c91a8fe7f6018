import Commerce
import Foundation
import Localization
import MariaDB

/// A resource upgrade configuration: one pair, From → To (DOMAIN.md 3).
public struct ResourceUpgrade: Sendable, Equatable {
    public var id: Int64
    public var from: Resource
    public var to: Resource
    /// Going back To → From is allowed (never with a licence on either side).
    public var downgradable: Bool
    public var active: Bool
    public var upgradeFee: Money
}

/// Resource upgrade pairs: defined once, shown on both resources and in the general list.
public struct ResourceUpgradeStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    /// All pairs, or those where `resourceID` is From or To.
    public func list(resourceID: Int64? = nil) async throws -> [ResourceUpgrade] {
        let resources = Dictionary(uniqueKeysWithValues: try await ResourceStore(database: database).all().map { ($0.id, $0) })
        var sql = """
            SELECT u.id, u.from_resource_id, u.to_resource_id, u.downgradable, u.active, u.upgrade_fee_minor, u.fee_currency, c.exponent
            FROM resource_upgrades u JOIN currencies c ON c.code = u.fee_currency
            """
        var binds: [MariaDBData] = []
        if let resourceID {
            sql += " WHERE u.from_resource_id = ? OR u.to_resource_id = ?"
            binds = [.int(resourceID), .int(resourceID)]
        }
        sql += " ORDER BY u.id"
        return try await database.rows(sql, binds).compactMap { row in
            guard let from = resources[try row.decode(column: "from_resource_id", as: Int64.self)],
                  let to = resources[try row.decode(column: "to_resource_id", as: Int64.self)] else { return nil }
            return ResourceUpgrade(
                id: try row.decode(column: "id", as: Int64.self), from: from, to: to,
                downgradable: try row.decode(column: "downgradable", as: Bool.self), active: try row.decode(column: "active", as: Bool.self),
                upgradeFee: Money(minorUnits: try row.decode(column: "upgrade_fee_minor", as: Int64.self),
                                  currency: Currency(code: try row.decode(column: "fee_currency", as: String.self), exponent: try row.decode(column: "exponent", as: Int.self))))
        }
    }

    public func upgrade(_ id: Int64) async throws -> ResourceUpgrade {
        guard let found = try await list().first(where: { $0.id == id }) else { throw StoreError.notFound("resource upgrade \(id)") }
        return found
    }

    /// Defines a pair. Refused: either side not min 0 / max 1 (`from_resource_id` / `to_resource_id`),
    /// From = To, the pair or its reverse existing (`pair_exists`), downgradable with a licence (`downgradable`).
    public func create(fromID: Int64, toID: Int64, downgradable: Bool, active: Bool, upgradeFee: String, feeCurrency: String,
                       by actor: Actor) async throws -> ResourceUpgrade {
        guard Policy.allows(actor, .manageCatalog) else { throw StoreError.forbidden(.init("error.forbidden.resource_upgrades")) }
        let resources = try await ResourceStore(database: database).all()
        var errors = ValidationErrors()
        let from = resources.first { $0.id == fromID }
        let to = resources.first { $0.id == toID }
        if from == nil { errors.add("from_resource_id", .init("error.upgrade.no_resource")) }
        if to == nil { errors.add("to_resource_id", .init("error.upgrade.no_resource")) }
        if let from, !from.canFormUpgradePair {
            errors.add("from_resource_id", .init("error.upgrade.not_pairable", ["code": .text(from.code), "min": .number(from.minUnits), "max": .number(from.maxUnits)]))
        }
        if let to, !to.canFormUpgradePair {
            errors.add("to_resource_id", .init("error.upgrade.not_pairable", ["code": .text(to.code), "min": .number(to.minUnits), "max": .number(to.maxUnits)]))
        }
        if fromID == toID { errors.add("to_resource_id", .init("error.upgrade.same_resource")) }
        if downgradable, from?.kind == .license || to?.kind == .license {
            errors.add("downgradable", .init("error.upgrade.licence_downgradable"))
        }
        let currency = try await CurrencyStore(database: database).currency(feeCurrency.uppercased())
        if currency == nil { errors.add("upgrade_fee", .init("error.currency.undefined", ["code": .text(feeCurrency)])) }
        var fee: Money?
        if let currency {
            do { fee = try Money.parseBounded(upgradeFee.isEmpty ? "0" : upgradeFee, currency: currency) } catch { errors.add("upgrade_fee", error.localized) }
        }
        try errors.throwIfAny()
        guard let fee else { throw errors }
        return try await database.withTransaction { tx in
            let result: MariaDBResult
            do {
                result = try await tx.query(
                    """
                    INSERT INTO resource_upgrades (from_resource_id, to_resource_id, downgradable, active, upgrade_fee_minor, fee_currency,
                      created_at, updated_at, created_by, updated_by)
                    VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?)
                    """, [.int(fromID), .int(toID), downgradable.mariaDBData, active.mariaDBData, .int(fee.minorUnits), .string(fee.currency.code),
                          .int(actor.userID), .int(actor.userID)])
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw StoreError.conflict(code: "pair_exists", message: .init("error.upgrade.pair_exists"))
            }
            let id = Int64(result.lastInsertID)
            try await CatalogAudit.record(on: tx, actor: actor, objectType: "resource_upgrade", objectID: id, action: "create",
                                          after: Self.auditState(fromID: fromID, toID: toID, downgradable: downgradable, active: active, fee: fee))
            return ResourceUpgrade(id: id, from: from!, to: to!, downgradable: downgradable, active: active, upgradeFee: fee)
        }
    }

    /// Toggles `active` and `downgradable`; a licence pair stays non-downgradable.
    public func update(_ id: Int64, active: Bool?, downgradable: Bool?, by actor: Actor) async throws -> ResourceUpgrade {
        guard Policy.allows(actor, .manageCatalog) else { throw StoreError.forbidden(.init("error.forbidden.resource_upgrades")) }
        let before = try await upgrade(id)
        if downgradable == true, before.from.kind == .license || before.to.kind == .license {
            var errors = ValidationErrors()
            errors.add("downgradable", .init("error.upgrade.licence_downgradable"))
            throw errors
        }
        var after = before
        after.active = active ?? before.active
        after.downgradable = downgradable ?? before.downgradable
        let final = after
        try await database.withTransaction { tx in
            try await tx.query("UPDATE resource_upgrades SET active = ?, downgradable = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?",
                               [final.active.mariaDBData, final.downgradable.mariaDBData, .int(actor.userID), .int(id)])
            try await CatalogAudit.record(
                on: tx, actor: actor, objectType: "resource_upgrade", objectID: id, action: "update",
                before: Self.auditState(fromID: before.from.id, toID: before.to.id, downgradable: before.downgradable, active: before.active, fee: before.upgradeFee),
                after: Self.auditState(fromID: final.from.id, toID: final.to.id, downgradable: final.downgradable, active: final.active, fee: final.upgradeFee))
        }
        return final
    }

    private static func auditState(fromID: Int64, toID: Int64, downgradable: Bool, active: Bool, fee: Money) -> [String: String] {
        ["from_resource_id": String(fromID), "to_resource_id": String(toID), "downgradable": String(downgradable),
         "active": String(active), "upgrade_fee": fee.description]
    }
}
