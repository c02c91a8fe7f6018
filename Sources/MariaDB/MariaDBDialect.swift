import Foundation
import SQLKit

/// How SQLKit writes SQL for MariaDB 10.11.
public struct MariaDBDialect: SQLDialect {
    public init() {}

    public var name: String { "mariadb" }
    public var identifierQuote: any SQLExpression { SQLRaw("`") }
    public var literalStringQuote: any SQLExpression { SQLRaw("'") }
    public var supportsAutoIncrement: Bool { true }
    public var autoIncrementClause: any SQLExpression { SQLRaw("AUTO_INCREMENT") }
    public func bindPlaceholder(at position: Int) -> any SQLExpression { SQLRaw("?") }
    public func literalBoolean(_ value: Bool) -> any SQLExpression { SQLRaw(value ? "TRUE" : "FALSE") }
    public var enumSyntax: SQLEnumSyntax { .inline }
    public var supportsDropBehavior: Bool { true }
    /// MariaDB has RETURNING for INSERT and DELETE but not UPDATE; SQLKit can't tell them
    /// apart, so it is off and inserts read `lastInsertID` instead.
    public var supportsReturning: Bool { false }
    public var triggerSyntax: SQLTriggerSyntax {
        .init(create: [.supportsBody, .supportsOrder, .supportsDefiner, .requiresForEachRow], drop: [])
    }
    public var alterTableSyntax: SQLAlterTableSyntax {
        .init(alterColumnDefinitionClause: SQLRaw("MODIFY COLUMN"), alterColumnDefinitionTypeKeyword: nil, allowsBatch: true)
    }
    public func customDataType(for dataType: SQLDataType) -> (any SQLExpression)? {
        // REAL means DOUBLE on MariaDB only while REAL_AS_FLOAT is off: say DOUBLE outright.
        if case .real = dataType { return SQLRaw("DOUBLE") }
        return nil
    }
    /// Identifiers are limited to 64 characters: a longer constraint name is shortened with a
    /// stable hash of the whole so two long names stay distinct.
    public func normalizeSQLConstraint(identifier: any SQLExpression) -> any SQLExpression {
        guard let name = (identifier as? SQLIdentifier)?.string, name.utf8.count > 64 else { return identifier }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let digest = String(hash, radix: 16)
        return SQLIdentifier(String(name.prefix(64 - 1 - digest.count)) + "_" + digest)
    }
    public var upsertSyntax: SQLUpsertSyntax { .mysqlLike }
    public var unionFeatures: SQLUnionFeatures {
        [.union, .unionAll, .intersect, .intersectAll, .except, .exceptAll]
    }
    public var sharedSelectLockExpression: (any SQLExpression)? { SQLRaw("LOCK IN SHARE MODE") }
    public var exclusiveSelectLockExpression: (any SQLExpression)? { SQLRaw("FOR UPDATE") }
    public func nestedSubpathExpression(in column: any SQLExpression, for path: [String]) -> (any SQLExpression)? {
        guard !path.isEmpty else { return nil }
        let jsonPath = "$." + path.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ".")
        return SQLFunction("JSON_EXTRACT", args: column, SQLLiteral.string(jsonPath))
    }
}
