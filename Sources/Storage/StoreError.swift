/// Why a store refused: each turns into one HTTP status in one place (the console's error mapping).
public enum StoreError: Error, Equatable, Sendable {
    /// Absent, or outside the caller's subtree: existence is not revealed (404).
    case notFound(String)
    /// Inside the subtree, but the caller's tier or role may not do it (403).
    case forbidden(String)
    /// A field is wrong (422, `code` is the field name).
    case invalid(field: String, message: String)
    /// A duplicate (409).
    case conflict(code: String, message: String)
}

/// Field-level problems of a form or a request body, all at once.
public struct ValidationErrors: Error, Sendable, Equatable {
    public private(set) var fields: [(field: String, message: String)] = []

    public init() {}

    public mutating func add(_ field: String, _ message: String) {
        fields.append((field, message))
    }

    public var isEmpty: Bool { fields.isEmpty }

    public func message(for field: String) -> String? { fields.first { $0.field == field }?.message }

    public func throwIfAny() throws {
        if !isEmpty { throw self }
    }

    public static func == (a: ValidationErrors, b: ValidationErrors) -> Bool {
        a.fields.map { "\($0.field):\($0.message)" } == b.fields.map { "\($0.field):\($0.message)" }
    }
}
