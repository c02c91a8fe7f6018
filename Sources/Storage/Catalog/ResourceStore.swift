import Commerce
import Foundation
import Localization
import MariaDB

public enum ResourceKind: String, Codable, Sendable, CaseIterable {
    case quantity, license, composite
}

/// Something plans sell: CPU cores, GB of RAM, a licence, or a bundle of those.
public struct Resource: Sendable, Equatable {
    public var id: Int64
    public var code: String
    public var name: String
    public var unit: String
    public var kind: ResourceKind
    /// −1 is unlimited.
    public var minUnits: Int64
    public var maxUnits: Int64
    public var components: [Component]

    public struct Component: Sendable, Equatable {
        public var resourceID: Int64
        public var code: String
        public var amount: Int64
    }

    /// Only a resource that is either absent or present once can be switched for another (DOMAIN.md 3).
    public var canFormUpgradePair: Bool { minUnits == 0 && maxUnits == 1 }
}

public struct ResourceDraft: Sendable {
    public var code: String
    public var name: String
    public var unit: String
    public var kind: ResourceKind
    public var minUnits: Int64
    public var maxUnits: Int64
    public var components: [(resourceID: Int64, amount: Int64)]

    public init(code: String, name: String, unit: String, kind: ResourceKind, minUnits: Int64, maxUnits: Int64,
                components: [(resourceID: Int64, amount: Int64)] = []) {
        self.code = code
        self.name = name
        self.unit = unit
        self.kind = kind
        self.minUnits = minUnits
        self.maxUnits = maxUnits
        self.components = components
    }
}

/// The provider's resources. Everyone reads them; provider admins change them.
public struct ResourceStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    public func all() async throws -> [Resource] { try await load(id: nil) }

    /// Every resource, or the one with `id`, each with its components.
    private func load(id only: Int64?) async throws -> [Resource] {
        let filter = only == nil ? "" : " WHERE id = ?"
        let componentFilter = only == nil ? "" : " WHERE c.resource_id = ?"
        let binds: [MariaDBData] = only.map { [.int($0)] } ?? []
        let rows = try await database.rows("SELECT id, code, name, unit, kind, min_units, max_units FROM resources\(filter) ORDER BY code", binds)
        let components = try await database.rows(
            "SELECT c.resource_id, c.component_id, r.code, c.amount FROM resource_components c JOIN resources r ON r.id = c.component_id\(componentFilter) ORDER BY r.code",
            binds)
        var byResource: [Int64: [Resource.Component]] = [:]
        for row in components {
            byResource[try row.decode(column: "resource_id", as: Int64.self), default: []].append(
                Resource.Component(resourceID: try row.decode(column: "component_id", as: Int64.self),
                                   code: try row.decode(column: "code", as: String.self), amount: try row.decode(column: "amount", as: Int64.self)))
        }
        return try rows.map { row in
            let id = try row.decode(column: "id", as: Int64.self)
            return Resource(id: id, code: try row.decode(column: "code", as: String.self), name: try row.decode(column: "name", as: String.self),
                            unit: try row.decode(column: "unit", as: String.self),
                            kind: ResourceKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .quantity,
                            minUnits: try row.decode(column: "min_units", as: Int64.self), maxUnits: try row.decode(column: "max_units", as: Int64.self),
                            components: byResource[id] ?? [])
        }
    }

    /// Resource codes by id, for labels.
    public func codes() async throws -> [Int64: String] {
        var codes: [Int64: String] = [:]
        for row in try await database.rows("SELECT id, code FROM resources") {
            codes[try row.decode(column: "id", as: Int64.self)] = try row.decode(column: "code", as: String.self)
        }
        return codes
    }

    public func resource(_ id: Int64) async throws -> Resource {
        guard let found = try await load(id: id).first else { throw StoreError.notFound("resource \(id)") }
        return found
    }

    public func create(_ draft: ResourceDraft, by actor: Actor) async throws -> Resource {
        guard Policy.allows(actor, .manageCatalog) else { throw StoreError.forbidden(.init("error.forbidden.resources")) }
        var errors = ValidationErrors()
        let code = draft.code.trimmingCharacters(in: .whitespaces)
        if code.isEmpty || code.count > 64 || !code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) {
            errors.add("code", .init("error.resource.code"))
        }
        _ = errors.check("name") { try PlainText.required(draft.name, maximumLength: 200) }
        if draft.unit.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("unit", .init("error.resource.unit")) }
        _ = errors.check("unit") { try PlainText.parse(draft.unit, maximumLength: 50) }
        _ = errors.check("min_units") { try Units.checked(draft.minUnits) }
        _ = errors.check("max_units") { try Units.checked(draft.maxUnits) }
        for (index, component) in draft.components.enumerated() {
            _ = errors.check("components.\(index).amount") { try Units.checked(component.amount) }
        }
        if draft.minUnits < 0 { errors.add("min_units", .init("error.resource.min")) }
        if draft.maxUnits < -1 || draft.maxUnits == 0 && draft.minUnits > 0 || (draft.maxUnits >= 0 && draft.maxUnits < draft.minUnits) {
            errors.add("max_units", .init("error.resource.max"))
        }
        if draft.kind == .composite && draft.components.isEmpty { errors.add("components", .init("error.resource.composite_empty")) }
        if draft.kind != .composite && !draft.components.isEmpty { errors.add("components", .init("error.resource.components_only_composite")) }
        if draft.components.contains(where: { $0.amount <= 0 }) { errors.add("components", .init("error.resource.component_amount")) }
        try errors.throwIfAny()
        return try await database.withTransaction { tx in
            for component in draft.components {
                let found = try await tx.rows("SELECT kind FROM resources WHERE id = ?", [.int(component.resourceID)])
                guard let kind = try found.first?.decode(column: "kind", as: String.self) else {
                    throw StoreError.invalid(field: "components", message: .init("error.resource.no_component", ["id": .text(String(component.resourceID))]))
                }
                if kind == ResourceKind.composite.rawValue {
                    throw StoreError.invalid(field: "components", message: .init("error.resource.nested_bundle"))
                }
            }
            let result: MariaDBResult
            do {
                result = try await tx.query(
                    """
                    INSERT INTO resources (code, name, unit, kind, min_units, max_units, created_at, updated_at, created_by, updated_by)
                    VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?)
                    """, [.string(code), .string(draft.name.trimmingCharacters(in: .whitespaces)), .string(draft.unit.trimmingCharacters(in: .whitespaces)),
                          .string(draft.kind.rawValue), .int(draft.minUnits), .int(draft.maxUnits), .int(actor.userID), .int(actor.userID)])
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw StoreError.conflict(code: "resource_exists", message: .init("error.resource.exists", ["code": .text(code)]))
            }
            let id = Int64(result.lastInsertID)
            for component in draft.components {
                try await tx.query("INSERT INTO resource_components (resource_id, component_id, amount) VALUES (?, ?, ?)",
                                   [.int(id), .int(component.resourceID), .int(component.amount)])
            }
            try await CatalogAudit.record(on: tx, actor: actor, objectType: "resource", objectID: id, action: "create",
                                          after: ["code": code, "kind": draft.kind.rawValue, "min_units": String(draft.minUnits), "max_units": String(draft.maxUnits)])
            return Resource(id: id, code: code, name: draft.name, unit: draft.unit, kind: draft.kind, minUnits: draft.minUnits,
                            maxUnits: draft.maxUnits, components: [])
        }
    }

    /// Changes a resource's name, unit and default limits. A resource in an upgrade pair keeps
    /// min 0 / max 1, since a pair needs exactly that.
    public func update(_ id: Int64, name: String, unit: String, minUnits: Int64, maxUnits: Int64, by actor: Actor) async throws -> Resource {
        guard Policy.allows(actor, .manageCatalog) else { throw StoreError.forbidden(.init("error.forbidden.resources")) }
        let before = try await resource(id)
        var errors = ValidationErrors()
        _ = errors.check("name") { try PlainText.required(name, maximumLength: 200) }
        if unit.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("unit", .init("error.resource.unit")) }
        _ = errors.check("unit") { try PlainText.parse(unit, maximumLength: 50) }
        _ = errors.check("min_units") { try Units.checked(minUnits) }
        _ = errors.check("max_units") { try Units.checked(maxUnits) }
        if minUnits < 0 { errors.add("min_units", .init("error.resource.min")) }
        if maxUnits < -1 || (maxUnits >= 0 && maxUnits < minUnits) { errors.add("max_units", .init("error.resource.max")) }
        let pairs = try await ResourceUpgradeStore(database: database).list(resourceID: id)
        if !pairs.isEmpty && !(minUnits == 0 && maxUnits == 1) {
            errors.add("max_units", .init("error.resource.in_pairs", ["code": .text(before.code), "count": .number(Int64(pairs.count))]))
        }
        try errors.throwIfAny()
        try await database.withTransaction { tx in
            try await tx.query("UPDATE resources SET name = ?, unit = ?, min_units = ?, max_units = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?",
                               [.string(name.trimmingCharacters(in: .whitespaces)), .string(unit.trimmingCharacters(in: .whitespaces)),
                                .int(minUnits), .int(maxUnits), .int(actor.userID), .int(id)])
            try await CatalogAudit.record(on: tx, actor: actor, objectType: "resource", objectID: id, action: "update",
                                          before: ["name": before.name, "unit": before.unit, "min_units": String(before.minUnits), "max_units": String(before.maxUnits)],
                                          after: ["name": name, "unit": unit, "min_units": String(minUnits), "max_units": String(maxUnits)])
        }
        return try await resource(id)
    }

    /// What still uses a resource: plans that include it, bundles made of it, pairs with it.
    public func uses(of id: Int64) async throws -> [String] {
        var uses: [String] = []
        for row in try await database.rows(
            "SELECT p.name FROM plan_resources pr JOIN plans p ON p.id = pr.plan_id WHERE pr.resource_id = ? ORDER BY p.name", [.int(id)]) {
            uses.append("plan “\(try row.decode(column: "name", as: String.self))”")
        }
        for row in try await database.rows(
            "SELECT r.code FROM resource_components c JOIN resources r ON r.id = c.resource_id WHERE c.component_id = ? ORDER BY r.code", [.int(id)]) {
            uses.append("bundle \(try row.decode(column: "code", as: String.self))")
        }
        for pair in try await ResourceUpgradeStore(database: database).list(resourceID: id) {
            uses.append("upgrade pair \(pair.from.code) → \(pair.to.code)")
        }
        return uses
    }

    /// Deletes a resource nothing uses; otherwise refuses, naming what uses it (`resource_in_use`).
    public func delete(_ id: Int64, by actor: Actor) async throws {
        guard Policy.allows(actor, .manageCatalog) else { throw StoreError.forbidden(.init("error.forbidden.resources")) }
        let resource = try await resource(id)
        let uses = try await uses(of: id)
        guard uses.isEmpty else {
            throw StoreError.conflict(code: "resource_in_use", message: .init("error.resource.in_use", ["code": .text(resource.code), "uses": .text(uses.joined(separator: ", "))]))
        }
        try await database.withTransaction { tx in
            try await tx.query("DELETE FROM resource_components WHERE resource_id = ?", [.int(id)])
            try await tx.query("DELETE FROM resources WHERE id = ?", [.int(id)])
            try await CatalogAudit.record(on: tx, actor: actor, objectType: "resource", objectID: id, action: "delete",
                                          before: ["code": resource.code, "name": resource.name], after: nil)
        }
    }
}
