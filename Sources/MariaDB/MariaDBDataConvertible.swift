import Foundation

/// A Swift type that maps directly onto one `MariaDBData` value, both ways.
public protocol MariaDBDataConvertible {
    var mariaDBData: MariaDBData { get }
    init?(mariaDBData: MariaDBData)
}

extension Int64: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .int(self) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .int(let v): self = v
        case .uint(let v): guard let v = Int64(exactly: v) else { return nil }; self = v
        // Exact integers only: "12.00" is accepted, "12.50" is not.
        case .decimal(let text), .string(let text): guard let v = exactInteger(text) else { return nil }; self = v
        default: return nil
        }
    }
}

extension UInt64: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .uint(self) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .int(let v): guard let v = UInt64(exactly: v) else { return nil }; self = v
        case .uint(let v): self = v
        case .decimal(let text), .string(let text): guard let v = UInt64(text) else { return nil }; self = v
        default: return nil
        }
    }
}


extension Int: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .int(Int64(self)) }
    public init?(mariaDBData data: MariaDBData) {
        guard let v = Int64(mariaDBData: data), let r = Int(exactly: v) else { return nil }
        self = r
    }
}

extension Int32: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .int(Int64(self)) }
    public init?(mariaDBData data: MariaDBData) {
        guard let v = Int64(mariaDBData: data), let r = Int32(exactly: v) else { return nil }
        self = r
    }
}

extension Int16: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .int(Int64(self)) }
    public init?(mariaDBData data: MariaDBData) {
        guard let v = Int64(mariaDBData: data), let r = Int16(exactly: v) else { return nil }
        self = r
    }
}

extension Int8: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .int(Int64(self)) }
    public init?(mariaDBData data: MariaDBData) {
        guard let v = Int64(mariaDBData: data), let r = Int8(exactly: v) else { return nil }
        self = r
    }
}

extension UInt: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .uint(UInt64(self)) }
    public init?(mariaDBData data: MariaDBData) {
        guard let v = UInt64(mariaDBData: data), let r = UInt(exactly: v) else { return nil }
        self = r
    }
}

extension UInt32: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .uint(UInt64(self)) }
    public init?(mariaDBData data: MariaDBData) {
        guard let v = UInt64(mariaDBData: data), let r = UInt32(exactly: v) else { return nil }
        self = r
    }
}

extension UInt16: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .uint(UInt64(self)) }
    public init?(mariaDBData data: MariaDBData) {
        guard let v = UInt64(mariaDBData: data), let r = UInt16(exactly: v) else { return nil }
        self = r
    }
}

extension UInt8: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .uint(UInt64(self)) }
    public init?(mariaDBData data: MariaDBData) {
        guard let v = UInt64(mariaDBData: data), let r = UInt8(exactly: v) else { return nil }
        self = r
    }
}

extension Bool: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .int(self ? 1 : 0) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .int(let v): self = v != 0
        case .uint(let v): self = v != 0
        case .string(let text):
            switch text.lowercased() {
            case "1", "true": self = true
            case "0", "false": self = false
            default: return nil
            }
        default: return nil
        }
    }
}

extension String: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .string(self) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .string(let v), .decimal(let v): self = v
        case .int(let v): self = String(v)
        case .uint(let v): self = String(v)
        case .date(let v): self = v.description
        case .datetime(let v): self = v.description
        // Binary columns may hold UTF-8 text (JSON functions on some servers answer in binary).
        case .bytes(let v): guard let text = String(validating: v, as: UTF8.self) else { return nil }; self = text
        default: return nil
        }
    }
}

/// Doubles come from FLOAT / DOUBLE columns and integers only: a DECIMAL is refused, so an
/// amount cannot slip into floating point by accident.
extension Double: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .double(self) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .double(let v): self = v
        case .int(let v): self = Double(v)
        case .uint(let v): self = Double(v)
        default: return nil
        }
    }
}

extension Float: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .double(Double(self)) }
    public init?(mariaDBData data: MariaDBData) {
        guard let v = Double(mariaDBData: data) else { return nil }
        self = Float(v)
    }
}

/// Foundation's Decimal is exact in base 10 and is read from the decimal text, never a Double.
extension Decimal: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .decimal(self.description) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .decimal(let text), .string(let text):
            guard let v = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
            self = v
        case .int(let v): self = Decimal(v)
        case .uint(let v): self = Decimal(v)
        default: return nil
        }
    }
}

extension Date: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .datetime(MariaDBTimestamp(self)) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .datetime(let v): self = v.instant
        case .date(let v): self = MariaDBTimestamp(date: v, hour: 0, minute: 0, second: 0, microsecond: 0).instant
        case .double(let v): self = Date(timeIntervalSince1970: v)
        default: return nil
        }
    }
}

extension MariaDBCalendarDate: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .date(self) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .date(let v): self = v
        case .datetime(let v): self = v.date
        case .string(let text): guard let v = MariaDBCalendarDate(text) else { return nil }; self = v
        default: return nil
        }
    }
}

extension MariaDBTimestamp: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .datetime(self) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .datetime(let v): self = v
        case .date(let v): self = MariaDBTimestamp(date: v, hour: 0, minute: 0, second: 0, microsecond: 0)
        default: return nil
        }
    }
}

extension Data: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .bytes(Array(self)) }
    public init?(mariaDBData data: MariaDBData) {
        switch data {
        case .bytes(let v): self = Data(v)
        case .string(let v): self = Data(v.utf8)
        default: return nil
        }
    }
}

extension UUID: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { .string(uuidString.lowercased()) }
    public init?(mariaDBData data: MariaDBData) {
        guard case .string(let text) = data, let v = UUID(uuidString: text) else { return nil }
        self = v
    }
}

extension MariaDBData: MariaDBDataConvertible {
    public var mariaDBData: MariaDBData { self }
    public init?(mariaDBData data: MariaDBData) { self = data }
}

/// "12", "-3", "12.000" → Int64; "12.5" → nil.
private func exactInteger(_ text: String) -> Int64? {
    if let v = Int64(text) { return v }
    guard let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].allSatisfy({ $0 == "0" }) else { return nil }
    return Int64(text[..<dot])
}
