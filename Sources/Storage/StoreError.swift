import Localization

/// Why a store refused: each turns into one HTTP status in one place (the console's error mapping).
/// Messages are catalog texts (`Locales/*/errors.catalog`), rendered in the reader's language where
/// the answer is written; the codes and field names stay as they are (machine-readable).
public enum StoreError: Error, Equatable, Sendable {
    /// Absent, or outside the caller's subtree: existence is not revealed (404). The text names the
    /// kind of thing for logs only; the answer says nothing more than "not found".
    case notFound(String)
    /// Inside the subtree, but the caller's tier or role may not do it (403).
    case forbidden(LocalizedText)
    /// A field is wrong (422, `code` is the field name).
    case invalid(field: String, message: LocalizedText)
    /// A duplicate (409).
    case conflict(code: String, message: LocalizedText)
}

/// Field-level problems of a form or a request body, all at once.
public struct ValidationErrors: Error, Sendable, Equatable {
    /// Each problem as its catalog text, in the order found.
    public private(set) var entries: [(field: String, text: LocalizedText)] = []

    public init() {}

    public mutating func add(_ field: String, _ text: LocalizedText) {
        entries.append((field, text))
    }

    /// The problems in the current request's language.
    public var fields: [(field: String, message: String)] { entries.map { ($0.field, $0.text.rendered()) } }

    public var isEmpty: Bool { entries.isEmpty }

    public func message(for field: String) -> String? { entries.first { $0.field == field }?.text.rendered() }

    public func throwIfAny() throws {
        if !isEmpty { throw self }
    }

    public static func == (a: ValidationErrors, b: ValidationErrors) -> Bool {
        a.entries.map(\.field) == b.entries.map(\.field) && a.entries.map(\.text) == b.entries.map(\.text)
    }
}

extension OrderStatus {
    /// `awaiting payment`, `পেমেন্টের অপেক্ষায়`: how error messages name the status.
    public var localizedLabel: String { Localization.text("error.order_status.\(rawValue)") }
}

extension InvoiceStatus {
    public var localizedLabel: String { Localization.text("error.invoice_status.\(rawValue)") }
}
