import Foundation

extension MariaDBData {
    /// Converts a bound value: our convertible types directly; `nil` to NULL; anything that
    /// encodes as a single value through it; structures and arrays as JSON text.
    public init(encoding value: any Encodable) throws {
        if let direct = value as? any MariaDBDataConvertible {
            self = direct.mariaDBData
            return
        }
        let encoder = SingleValueCapture()
        do {
            try value.encode(to: encoder)
        } catch is NeedsJSON {
            self = try .string(String(decoding: Self.jsonEncoder.encode(value), as: UTF8.self))
            return
        }
        guard let captured = encoder.value else {
            self = try .string(String(decoding: Self.jsonEncoder.encode(value), as: UTF8.self))
            return
        }
        self = captured
    }

    static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}

/// Lets a `MariaDBData` itself be passed where SQLKit takes an `Encodable` bind.
extension MariaDBData: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .int(let v): try container.encode(v)
        case .uint(let v): try container.encode(v)
        case .double(let v): try container.encode(v)
        case .decimal(let v), .string(let v): try container.encode(v)
        case .bytes(let v): try container.encode(Data(v))
        case .datetime(let v): try container.encode(v.description)
        case .date(let v): try container.encode(v.description)
        case .time(let v): try container.encode(v)
        }
    }
}

private struct NeedsJSON: Error {}

/// An encoder that accepts exactly one single value and refuses keyed or unkeyed containers.
private final class SingleValueCapture: Encoder, SingleValueEncodingContainer {
    var value: MariaDBData?
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(ThrowingKeyed<Key>())
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { ThrowingUnkeyed() }
    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() throws { value = .null }
    func encode(_ v: Bool) throws { value = v.mariaDBData }
    func encode(_ v: String) throws { value = .string(v) }
    func encode(_ v: Double) throws { value = .double(v) }
    func encode(_ v: Float) throws { value = .double(Double(v)) }
    func encode(_ v: Int) throws { value = .int(Int64(v)) }
    func encode(_ v: Int8) throws { value = .int(Int64(v)) }
    func encode(_ v: Int16) throws { value = .int(Int64(v)) }
    func encode(_ v: Int32) throws { value = .int(Int64(v)) }
    func encode(_ v: Int64) throws { value = .int(v) }
    func encode(_ v: UInt) throws { value = .uint(UInt64(v)) }
    func encode(_ v: UInt8) throws { value = .uint(UInt64(v)) }
    func encode(_ v: UInt16) throws { value = .uint(UInt64(v)) }
    func encode(_ v: UInt32) throws { value = .uint(UInt64(v)) }
    func encode(_ v: UInt64) throws { value = .uint(v) }
    func encode<T: Encodable>(_ v: T) throws { value = try MariaDBData(encoding: v) }
}

private struct ThrowingKeyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    var codingPath: [any CodingKey] = []
    mutating func encodeNil(forKey key: Key) throws { throw NeedsJSON() }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { throw NeedsJSON() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(ThrowingKeyed<NestedKey>())
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { ThrowingUnkeyed() }
    mutating func superEncoder() -> any Encoder { SingleValueCapture() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { SingleValueCapture() }
}

private struct ThrowingUnkeyed: UnkeyedEncodingContainer {
    var codingPath: [any CodingKey] = []
    var count = 0
    mutating func encodeNil() throws { throw NeedsJSON() }
    mutating func encode<T: Encodable>(_ value: T) throws { throw NeedsJSON() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(ThrowingKeyed<NestedKey>())
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { ThrowingUnkeyed() }
    mutating func superEncoder() -> any Encoder { SingleValueCapture() }
}

/// Decodes one column value: our convertible types directly, other single-value types through
/// their `init(from:)`, and structures or arrays from JSON text.
struct MariaDBDataDecoder: Decoder, SingleValueDecodingContainer {
    let data: MariaDBData
    let column: String
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<D: Decodable>(_ type: D.Type, from data: MariaDBData, column: String) throws -> D {
        do {
            return try direct(D.self, data)
        } catch {
            // Not one of the common types, or a value it refuses: the general path decides.
        }
        if let convertible = D.self as? any MariaDBDataConvertible.Type {
            if let value = convertible.init(mariaDBData: data) as? D { return value }
            if !data.isNull { throw mismatch(D.self, data, column) }
        }
        do {
            return try D(from: MariaDBDataDecoder(data: data, column: column))
        } catch is WantsJSON {
            let text: [UInt8]
            switch data {
            case .string(let v): text = Array(v.utf8)
            case .bytes(let v): text = v
            default: throw mismatch(D.self, data, column)
            }
            return try JSONDecoder().decode(D.self, from: Data(text))
        }
    }

    /// The column types rows are read as most, matched by type identity: the general path's
    /// dynamic casts (a conformance lookup per value) cost more than the read itself. Anything
    /// else, and any value these refuse, takes the general path and its errors.
    /// It throws rather than answering an optional: an unspecialized `D?` costs a runtime
    /// metadata lookup per call.
    @inline(__always)
    static func direct<D>(_ type: D.Type, _ data: MariaDBData) throws(NotDirect) -> D {
        // Metatypes compared by identity, from constants: naming `String?.self` here would look
        // its metadata up in the runtime's cache on every call.
        let id = ObjectIdentifier(D.self)
        let known = KnownTypes.shared
        if id == known.string { guard let value = String(mariaDBData: data) else { throw NotDirect() }; return unsafeBitCast(value, to: D.self) }
        if id == known.int64 { guard let value = Int64(mariaDBData: data) else { throw NotDirect() }; return unsafeBitCast(value, to: D.self) }
        if id == known.int { guard let value = Int(mariaDBData: data) else { throw NotDirect() }; return unsafeBitCast(value, to: D.self) }
        if id == known.bool { guard let value = Bool(mariaDBData: data) else { throw NotDirect() }; return unsafeBitCast(value, to: D.self) }
        if id == known.date { guard let value = Date(mariaDBData: data) else { throw NotDirect() }; return unsafeBitCast(value, to: D.self) }
        if id == known.optionalString {
            if data.isNull { return unsafeBitCast(String?.none, to: D.self) }
            guard let value = String(mariaDBData: data) else { throw NotDirect() }; return unsafeBitCast(Optional(value), to: D.self)
        }
        if id == known.optionalInt64 {
            if data.isNull { return unsafeBitCast(Int64?.none, to: D.self) }
            guard let value = Int64(mariaDBData: data) else { throw NotDirect() }; return unsafeBitCast(Optional(value), to: D.self)
        }
        if id == known.optionalInt {
            if data.isNull { return unsafeBitCast(Int?.none, to: D.self) }
            guard let value = Int(mariaDBData: data) else { throw NotDirect() }; return unsafeBitCast(Optional(value), to: D.self)
        }
        if id == known.optionalDate {
            if data.isNull { return unsafeBitCast(Date?.none, to: D.self) }
            guard let value = Date(mariaDBData: data) else { throw NotDirect() }; return unsafeBitCast(Optional(value), to: D.self)
        }
        throw NotDirect()
    }

    static func mismatch(_ type: Any.Type, _ data: MariaDBData, _ column: String) -> DecodingError {
        .typeMismatch(type, .init(codingPath: [], debugDescription: "column '\(column)' holds \(data), not \(type)"))
    }

    // A structure or an array is stored as JSON text: `decode` catches this and uses JSONDecoder.
    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw WantsJSON()
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw WantsJSON()
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { data.isNull }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if data.isNull {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: [], debugDescription: "column '\(column)' is NULL"))
        }
        return try Self.decode(T.self, from: data, column: column)
    }
}

private struct WantsJSON: Error {}

/// The type or the value is not one `MariaDBDataDecoder.direct` reads.
struct NotDirect: Error {}

/// The identities of the types `MariaDBDataDecoder.direct` reads, looked up once.
private struct KnownTypes: Sendable {
    static let shared = KnownTypes()
    let string = ObjectIdentifier(String.self)
    let int64 = ObjectIdentifier(Int64.self)
    let int = ObjectIdentifier(Int.self)
    let bool = ObjectIdentifier(Bool.self)
    let date = ObjectIdentifier(Date.self)
    let optionalString = ObjectIdentifier(String?.self)
    let optionalInt64 = ObjectIdentifier(Int64?.self)
    let optionalInt = ObjectIdentifier(Int?.self)
    let optionalDate = ObjectIdentifier(Date?.self)
}
