import Commerce
import Foundation

/// The API's answers as JSON bytes, byte for byte what `APIJSON.encoder` (Foundation's `JSONEncoder`,
/// `.sortedKeys`, `.iso8601` dates) writes, without its tree: values are written straight into one
/// byte buffer, and an object whose keys were not written in sorted order is reordered once, when it
/// closes (issue 13: building and serializing Foundation's tree was 40% of a 50-row list's CPU).
///
/// Foundation's rules it follows: keys sorted by their UTF-8 bytes; a key written twice keeps its
/// last value (keys equal as Swift strings are one key, spelled as first written); strings escape
/// `"` `\` `/`, \b \f \n \r \t and other control characters as \u00xx; integers and floating-point
/// numbers by their `description` (a float's trailing ".0" dropped); a `Date` as ISO 8601 to the
/// second in UTC; `Data` as Base64, `URL` as its absolute string, `Decimal` by its description; a
/// nested value that encodes nothing as `{}`.
///
/// Whatever the streaming writer cannot reproduce exactly (a container used again after another
/// one was opened after it, `superEncoder`, a container asked for after a single value was written,
/// a non-finite float, a top-level value that encodes nothing, an error a value swallowed) is
/// encoded again by Foundation's encoder, so its answer (bytes or error) is Foundation's.
enum APIJSONEncoder {
    static func encode<T: Encodable>(_ value: T, fallback: JSONEncoder = APIJSON.encoder) throws -> [UInt8] {
        let writer = APIJSONWriter()
        do {
            try writer.encodeValue(value, parent: nil, key: nil)
            if !writer.needsFoundation { return writer.output() }
        } catch {
            if !writer.needsFoundation { throw error }
        }
        return Array(try fallback.encode(value))
    }
}

/// Thrown inside the writer when Foundation has to encode the value instead.
private struct NeedsFoundation: Error {}

/// The coding path, linked from the innermost key outwards; built into an array only when asked.
final class APIJSONPath {
    let parent: APIJSONPath?
    let key: any CodingKey

    init(parent: APIJSONPath?, key: any CodingKey) {
        self.parent = parent
        self.key = key
    }

    static func array(_ node: APIJSONPath?) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var node = node
        while let current = node {
            keys.append(current.key)
            node = current.parent
        }
        return keys.reversed()
    }
}

/// An array element's key, as Foundation spells it in coding paths.
private struct APIJSONIndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// The bytes written so far: a growing allocation without an array's copy-on-write checks on
/// every append. Freed by its owner (`APIJSONWriter`).
struct APIJSONBytes {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    func free() { base.deallocate() }

    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let grown = max(capacity * 2, count + extra)
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        new.update(from: base, count: count)
        base.deallocate()
        base = new
        capacity = grown
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func truncate(_ newCount: Int) { count = min(count, newCount) }

    /// Bytes `start..<end`, valid until the next append.
    func slice(_ start: Int, _ end: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + start, count: end - start)
    }
}

/// Encodes values into its buffer; the containers below write through it.
final class APIJSONWriter {
    let state: UnsafeMutablePointer<APIJSONBuffer>

    init() {
        state = .allocate(capacity: 1)
        state.initialize(to: APIJSONBuffer())
    }

    deinit {
        state.pointee.bytes.free()
        state.pointee.scratch.free()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    func output() -> [UInt8] { Array(state.pointee.bytes.slice(0, state.pointee.bytes.count)) }
    var needsFoundation: Bool {
        get { state.pointee.needsFoundation }
        set { state.pointee.needsFoundation = newValue }
    }

    // MARK: Values

    func encodeValue<T: Encodable>(_ value: T, parent: APIJSONPath?, key: (any CodingKey)?) throws {
        if T.self == Date.self {
            state.pointee.writeDate(Self.cast(value, to: Date.self))
        } else if T.self == String.self {
            state.pointee.writeString(Self.cast(value, to: String.self))
        } else if T.self == Int64.self {
            state.pointee.writeInteger(Self.cast(value, to: Int64.self))
        } else if T.self == Int.self {
            state.pointee.writeInteger(Self.cast(value, to: Int.self))
        } else if T.self == Bool.self {
            state.pointee.writeBool(Self.cast(value, to: Bool.self))
        } else if T.self == Double.self {
            try state.pointee.writeFloat(Self.cast(value, to: Double.self))
        } else if T.self == Float.self {
            try state.pointee.writeFloat(Self.cast(value, to: Float.self))
        } else if T.self == Decimal.self {
            state.pointee.append(Self.cast(value, to: Decimal.self).description)
        } else if T.self == URL.self {
            state.pointee.writeString(Self.cast(value, to: URL.self).absoluteString)
        } else if T.self == Data.self {
            state.pointee.writeString(Self.cast(value, to: Data.self).base64EncodedString())
        } else {
            try encodeComposite(value, path: key.map { APIJSONPath(parent: parent, key: $0) } ?? parent)
        }
    }

    @inline(__always)
    private static func cast<T, U>(_ value: T, to: U.Type) -> U {
        withUnsafePointer(to: value) { UnsafeRawPointer($0).load(as: U.self) }
    }

    private func encodeComposite<T: Encodable>(_ value: T, path: APIJSONPath?) throws {
        let index = state.pointee.slots.count
        let id = state.pointee.newID()
        let start = state.pointee.bytes.count
        state.pointee.slots.append(APIJSONBuffer.Slot(id: id, frameBase: state.pointee.frames.count, start: start, state: .empty))
        do {
            try value.encode(to: APIJSONValueEncoder(writer: self, path: path, slotIndex: index, slotID: id))
        } catch {
            // A value that catches this error and goes on would leave the writer's state unknown.
            state.pointee.needsFoundation = true
            throw error
        }
        guard state.pointee.slots.count == index + 1 else { throw state.pointee.foundation() }
        state.pointee.closeFrames(downTo: state.pointee.slots[index].frameBase)
        if case .empty = state.pointee.slots[index].state {
            // Foundation: a nested value that encodes nothing is `{}`; at the top it is an error.
            if index == 0 { throw state.pointee.foundation() }
            state.pointee.append("{}")
        }
        state.pointee.slots.removeLast()
    }

    /// Whether the encoder of slot `index` may write now: its `encode(to:)` is the innermost running.
    func isCurrent(_ index: Int, _ id: Int) -> Bool {
        !state.pointee.needsFoundation && state.pointee.slots.count == index + 1 && state.pointee.slots[index].id == id
    }

}

/// The writer's state. It lives behind a pointer the writer owns: reached through the pointer, its
/// arrays are not checked for overlapping access at run time at every byte (a class's stored
/// arrays are, and those checks cost more than the writing).
struct APIJSONBuffer {
    /// An open object or array.
    struct Frame {
        let id: Int
        let isObject: Bool
        /// Offset of its `{` or `[`.
        let start: Int
        /// Its first key in `entries` (objects).
        let entryBase: Int
        var count: Int
        /// The parent's entry this frame is the value of (a nested container), or -1.
        let entryIndex: Int
    }

    /// One `"key":value` of an open object, as offsets into `bytes`.
    struct Entry {
        let keyStart: Int
        let valueStart: Int
        var end: Int
        let key: String
        /// The key is printable ASCII written without escapes: its bytes in `bytes` are its UTF-8.
        let simple: Bool
    }

    /// A value being encoded by its own `encode(to:)`.
    struct Slot {
        enum State { case empty, single, keyed(Int), unkeyed(Int) }
        let id: Int
        let frameBase: Int
        let start: Int
        var state: State
    }

    var bytes = APIJSONBytes(capacity: 16_384)
    var frames: [Frame] = []
    var entries: [Entry] = []
    var slots: [Slot] = []
    var scratch = APIJSONBytes(capacity: 1_024)
    /// Recently sorted objects' keys (as written) and their sorted order (`sortedOrder`).
    var orders: [(keys: [String], order: [(key: Int, value: Int)])] = []
    var nextOrder = 0
    var nextID = 0
    var needsFoundation = false

    init() {
        frames.reserveCapacity(8)
        entries.reserveCapacity(64)
        slots.reserveCapacity(8)
    }

    fileprivate mutating func newID() -> Int {
        nextID += 1
        return nextID
    }

    /// Gives the value up to Foundation.
    fileprivate mutating func foundation() -> NeedsFoundation {
        needsFoundation = true
        return NeedsFoundation()
    }

    // MARK: Slots and frames

    mutating func openFrame(isObject: Bool, entryIndex: Int) -> Int {
        let id = newID()
        bytes.append(isObject ? UInt8(ascii: "{") : UInt8(ascii: "["))
        frames.append(Frame(id: id, isObject: isObject, start: bytes.count - 1, entryBase: entries.count, count: 0, entryIndex: entryIndex))
        return id
    }

    /// Makes frame `id` the innermost open one, closing the containers opened after it; nil when it
    /// is closed or belongs to a value outside the one being encoded.
    mutating func enter(_ id: Int) -> Int? {
        guard !needsFoundation, let slot = slots.last else { return nil }
        var index = frames.count - 1
        while index >= slot.frameBase, frames[index].id != id { index -= 1 }
        guard index >= slot.frameBase else { return nil }
        closeFrames(downTo: index + 1)
        return index
    }

    mutating func closeFrames(downTo count: Int) {
        while frames.count > count {
            let frame = frames.removeLast()
            if frame.isObject { closeObject(frame) } else { bytes.append(UInt8(ascii: "]")) }
            if frame.entryIndex >= 0 { entries[frame.entryIndex].end = bytes.count }
        }
    }

    /// Starts `"key":` in object frame `id`; the entry's index, to end after its value.
    mutating func beginEntry(_ id: Int, _ key: String) throws -> Int {
        guard let index = enter(id) else { throw foundation() }
        if frames[index].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[index].count += 1
        let keyStart = bytes.count
        let simple = writeString(key)
        bytes.append(UInt8(ascii: ":"))
        entries.append(Entry(keyStart: keyStart, valueStart: bytes.count, end: -1, key: key, simple: simple))
        return entries.count - 1
    }

    mutating func endEntry(_ entry: Int) {
        entries[entry].end = bytes.count
    }

    /// Starts an element of array frame `id`; its index.
    mutating func beginElement(_ id: Int) throws -> Int {
        guard let index = enter(id) else { throw foundation() }
        let count = frames[index].count
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[index].count += 1
        return count
    }

    func count(of id: Int) -> Int {
        frames.last { $0.id == id }?.count ?? 0
    }

    /// Closes an object: already in order (the usual answer's keys) it only needs its `}`; otherwise
    /// its entries are written again sorted, a repeated key keeping its last value.
    private mutating func closeObject(_ frame: Frame) {
        let base = frame.entryBase
        let end = entries.count
        defer { entries.removeSubrange(base..<end) }
        var inOrder = true
        if end - base > 1 {
            for i in (base + 1)..<end where !(entries[i - 1].simple && entries[i].simple && compareKeys(i - 1, i) < 0) {
                inOrder = false
                break
            }
        }
        if inOrder {
            bytes.append(UInt8(ascii: "}"))
            return
        }

        let order = sortedOrder(base, end)
        let contentStart = frame.start + 1
        scratch.truncate(0)
        scratch.append(contentsOf: bytes.slice(contentStart, bytes.count))
        bytes.truncate(contentStart)
        for (n, pair) in order.enumerated() {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            let key = entries[base + pair.key], value = entries[base + pair.value]
            bytes.append(contentsOf: scratch.slice(key.keyStart - contentStart, key.valueStart - contentStart))
            bytes.append(contentsOf: scratch.slice(value.valueStart - contentStart, value.end - contentStart))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// The entries of an object in written order: (entry whose key, entry whose value is written),
    /// counted from its first entry. The objects of one type come with the same keys in the same
    /// order, so a few recent orders are kept and reused rather than sorted again.
    private mutating func sortedOrder(_ base: Int, _ end: Int) -> [(key: Int, value: Int)] {
        let allSimple = entries[base..<end].allSatisfy(\.simple)
        if allSimple {
            for cached in orders where cached.keys.count == end - base
                && zip(cached.keys, entries[base..<end]).allSatisfy({ $0 == $1.key }) {
                return cached.order
            }
        }
        var kept: [(key: Int, value: Int)] = []
        kept.reserveCapacity(end - base)
        if allSimple {
            for i in base..<end { kept.append((i, i)) }
        } else {
            // Foundation's object is a [String: value]: keys equal as Swift strings are one key.
            var seen: [String: Int] = [:]
            for i in base..<end {
                if let at = seen[entries[i].key] {
                    kept[at].value = i
                } else {
                    seen[entries[i].key] = kept.count
                    kept.append((i, i))
                }
            }
        }
        kept.sort { a, b in
            let order = compareKeys(a.key, b.key)
            return order < 0 || (order == 0 && a.key < b.key)
        }
        var unique: [(key: Int, value: Int)] = []
        unique.reserveCapacity(kept.count)
        for pair in kept {
            if let last = unique.last, compareKeys(base + last.key, pair.key) == 0 {
                unique[unique.count - 1].value = pair.value - base
            } else {
                unique.append((pair.key - base, pair.value - base))
            }
        }
        if allSimple {
            let keys = entries[base..<end].map(\.key)
            if orders.count < 8 { orders.append((keys, unique)) } else { orders[nextOrder % 8] = (keys, unique) }
            nextOrder += 1
        }
        return unique
    }

    /// Foundation's `.sortedKeys` order: the keys' UTF-8 bytes, lexicographically.
    private func compareKeys(_ a: Int, _ b: Int) -> Int {
        let left = entries[a], right = entries[b]
        if left.simple && right.simple {
            let l = bytes.slice(left.keyStart + 1, left.valueStart - 2)
            let r = bytes.slice(right.keyStart + 1, right.valueStart - 2)
            let common = min(l.count, r.count)
            if common > 0, let lb = l.baseAddress, let rb = r.baseAddress {
                let order = memcmp(lb, rb, common)
                if order != 0 { return Int(order) }
            }
            return l.count - r.count
        }
        var l = left.key.utf8.makeIterator(), r = right.key.utf8.makeIterator()
        while true {
            switch (l.next(), r.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    // MARK: Primitives

    @inline(__always)
    mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func writeNull() { append("null") }

    mutating func writeBool(_ value: Bool) {
        if value { append("true") } else { append("false") }
    }

    mutating func writeInteger<I: FixedWidthInteger>(_ value: I) {
        if I.bitWidth <= 64 {
            if I.isSigned {
                let wide = Int64(truncatingIfNeeded: value)
                if wide < 0 { bytes.append(UInt8(ascii: "-")) }
                writeDigits(wide.magnitude)
            } else {
                writeDigits(UInt64(truncatingIfNeeded: value))
            }
        } else {
            append(value.description)
        }
    }

    private mutating func writeDigits(_ value: UInt64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            var rest = value
            repeat {
                index -= 1
                digits[index] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
                rest /= 10
            } while rest != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index...]))
        }
    }

    mutating func writeFloat<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F) throws {
        // Foundation throws for NaN and infinities (naming the coding path): let it.
        guard value.isFinite else { throw foundation() }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        append(text)
    }

    /// `"2026-12-03T06:00:00Z"`: whole seconds from 1900 to 9999 directly; anything else (fractions,
    /// far years) through the formatter Foundation's `.iso8601` uses.
    mutating func writeDate(_ date: Date) {
        let seconds = date.timeIntervalSince1970
        guard seconds >= -2_208_988_800, seconds < 253_402_300_800, seconds.rounded(.down) == seconds else {
            writeString(date.formatted(.iso8601))
            return
        }
        let total = Int64(seconds)
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondOfDay = total - days * 86_400
        let civil = BusinessDate(ordinal: Int(days))
        let year = Int64(civil.year), month = Int64(civil.month), day = Int64(civil.day)
        let hour = secondOfDay / 3_600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        let fields: [(value: Int64, width: Int, then: UInt8)] = [
            (year, 4, UInt8(ascii: "-")), (month, 2, UInt8(ascii: "-")), (day, 2, UInt8(ascii: "T")),
            (hour, 2, UInt8(ascii: ":")), (minute, 2, UInt8(ascii: ":")), (second, 2, UInt8(ascii: "Z")),
        ]
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 22) { out in
            out[0] = UInt8(ascii: "\"")
            var index = 1
            for field in fields {
                var rest = field.value
                for i in stride(from: index + field.width - 1, through: index, by: -1) {
                    out[i] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
                    rest /= 10
                }
                out[index + field.width] = field.then
                index += field.width + 1
            }
            out[21] = UInt8(ascii: "\"")
            bytes.append(contentsOf: UnsafeBufferPointer(out))
        }
    }

    /// A JSON string escaped as Foundation's JSONWriter escapes it; whether it was printable ASCII
    /// needing no escape.
    @discardableResult
    mutating func writeString(_ value: String) -> Bool {
        bytes.append(UInt8(ascii: "\""))
        var text = value
        let simple = text.withUTF8 { utf8 -> Bool in
            var simple = true
            var mark = 0
            for (index, byte) in utf8.enumerated() {
                if byte >= 0x80 { simple = false; continue }
                let escape: StaticString
                switch byte {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case UInt8(ascii: "/"): escape = "\\/"
                case 0x08: escape = "\\b"
                case 0x0C: escape = "\\f"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x00...0x1F: escape = ""
                default: continue
                }
                simple = false
                if index > mark { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[mark..<index])) }
                mark = index + 1
                if escape.utf8CodeUnitCount > 0 {
                    append(escape)
                } else {
                    // \u00xx, lowercase hex: the high nibble is 0 or 1.
                    append("\\u00")
                    bytes.append(UInt8(ascii: "0") &+ (byte >> 4))
                    let low = byte & 0xF
                    bytes.append(low < 10 ? UInt8(ascii: "0") &+ low : UInt8(ascii: "a") &+ (low &- 10))
                }
            }
            if utf8.count > mark { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[mark...])) }
            return simple
        }
        bytes.append(UInt8(ascii: "\""))
        return simple
    }
}

// MARK: - Encoder and containers

/// The encoder one value's `encode(to:)` is given.
struct APIJSONValueEncoder: Encoder {
    let writer: APIJSONWriter
    let path: APIJSONPath?
    let slotIndex: Int
    let slotID: Int

    var codingPath: [any CodingKey] { APIJSONPath.array(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(APIJSONKeyedContainer<Key>(writer: writer, frameID: frame(object: true), path: path))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        APIJSONUnkeyedContainer(writer: writer, frameID: frame(object: false), path: path)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        APIJSONSingleValueContainer(writer: writer, path: path, slotIndex: slotIndex, slotID: slotID)
    }

    /// The value's object or array, opened on first use and shared by later containers (as
    /// Foundation shares them); -1 when Foundation has to encode the value.
    private func frame(object: Bool) -> Int {
        guard writer.isCurrent(slotIndex, slotID) else {
            writer.needsFoundation = true
            return -1
        }
        switch writer.state.pointee.slots[slotIndex].state {
        case .empty:
            let id = writer.state.pointee.openFrame(isObject: object, entryIndex: -1)
            writer.state.pointee.slots[slotIndex].state = object ? .keyed(id) : .unkeyed(id)
            return id
        case .keyed(let id) where object:
            return writer.state.pointee.enter(id) == nil ? -1 : id
        case .unkeyed(let id) where !object:
            return writer.state.pointee.enter(id) == nil ? -1 : id
        default:
            writer.needsFoundation = true
            return -1
        }
    }
}

/// An encoder Foundation has to stand in for (`superEncoder`): everything it is asked throws.
private struct APIJSONDeadEncoder: Encoder {
    let writer: APIJSONWriter
    let path: APIJSONPath?
    var codingPath: [any CodingKey] { APIJSONPath.array(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(APIJSONKeyedContainer<Key>(writer: writer, frameID: -1, path: path))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        APIJSONUnkeyedContainer(writer: writer, frameID: -1, path: path)
    }
    func singleValueContainer() -> any SingleValueEncodingContainer {
        APIJSONSingleValueContainer(writer: writer, path: path, slotIndex: -1, slotID: -1)
    }
}

struct APIJSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: APIJSONWriter
    let frameID: Int
    let path: APIJSONPath?

    var codingPath: [any CodingKey] { APIJSONPath.array(path) }

    private func write(_ key: Key, _ body: () -> Void) throws {
        let entry = try writer.state.pointee.beginEntry(frameID, key.stringValue)
        body()
        writer.state.pointee.endEntry(entry)
    }

    mutating func encodeNil(forKey key: Key) throws { try write(key) { writer.state.pointee.writeNull() } }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try write(key) { writer.state.pointee.writeBool(value) } }
    mutating func encode(_ value: String, forKey key: Key) throws { try write(key) { writer.state.pointee.writeString(value) } }
    mutating func encode(_ value: Int, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try write(key) { writer.state.pointee.writeInteger(value) } }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        let entry = try writer.state.pointee.beginEntry(frameID, key.stringValue)
        try writer.state.pointee.writeFloat(value)
        writer.state.pointee.endEntry(entry)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        let entry = try writer.state.pointee.beginEntry(frameID, key.stringValue)
        try writer.state.pointee.writeFloat(value)
        writer.state.pointee.endEntry(entry)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let entry = try writer.state.pointee.beginEntry(frameID, key.stringValue)
        try writer.encodeValue(value, parent: path, key: key)
        writer.state.pointee.endEntry(entry)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(APIJSONKeyedContainer<NestedKey>(writer: writer, frameID: nested(object: true, key), path: APIJSONPath(parent: path, key: key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        APIJSONUnkeyedContainer(writer: writer, frameID: nested(object: false, key), path: APIJSONPath(parent: path, key: key))
    }

    /// A nested container under `key`; Foundation's merging of one asked twice is left to Foundation.
    private func nested(object: Bool, _ key: Key) -> Int {
        let name = key.stringValue
        guard let index = writer.state.pointee.enter(frameID),
              !writer.state.pointee.entries[writer.state.pointee.frames[index].entryBase...].contains(where: { $0.key == name }),
              let entry = try? writer.state.pointee.beginEntry(frameID, name) else {
            writer.needsFoundation = true
            return -1
        }
        return writer.state.pointee.openFrame(isObject: object, entryIndex: entry)
    }

    mutating func superEncoder() -> any Encoder {
        writer.needsFoundation = true
        return APIJSONDeadEncoder(writer: writer, path: path)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        writer.needsFoundation = true
        return APIJSONDeadEncoder(writer: writer, path: path)
    }
}

struct APIJSONUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: APIJSONWriter
    let frameID: Int
    let path: APIJSONPath?

    var codingPath: [any CodingKey] { APIJSONPath.array(path) }
    var count: Int { writer.state.pointee.count(of: frameID) }

    private func write(_ body: () -> Void) throws {
        _ = try writer.state.pointee.beginElement(frameID)
        body()
    }

    mutating func encodeNil() throws { try write { writer.state.pointee.writeNull() } }
    mutating func encode(_ value: Bool) throws { try write { writer.state.pointee.writeBool(value) } }
    mutating func encode(_ value: String) throws { try write { writer.state.pointee.writeString(value) } }
    mutating func encode(_ value: Int) throws { try write { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: Int8) throws { try write { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: Int16) throws { try write { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: Int32) throws { try write { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: Int64) throws { try write { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt) throws { try write { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt8) throws { try write { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt16) throws { try write { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt32) throws { try write { writer.state.pointee.writeInteger(value) } }
    mutating func encode(_ value: UInt64) throws { try write { writer.state.pointee.writeInteger(value) } }

    mutating func encode(_ value: Double) throws {
        _ = try writer.state.pointee.beginElement(frameID)
        try writer.state.pointee.writeFloat(value)
    }

    mutating func encode(_ value: Float) throws {
        _ = try writer.state.pointee.beginElement(frameID)
        try writer.state.pointee.writeFloat(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = try writer.state.pointee.beginElement(frameID)
        try writer.encodeValue(value, parent: path, key: APIJSONIndexKey(index: index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let (id, index) = nested(object: true)
        return KeyedEncodingContainer(APIJSONKeyedContainer<NestedKey>(writer: writer, frameID: id, path: APIJSONPath(parent: path, key: APIJSONIndexKey(index: index))))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (id, index) = nested(object: false)
        return APIJSONUnkeyedContainer(writer: writer, frameID: id, path: APIJSONPath(parent: path, key: APIJSONIndexKey(index: index)))
    }

    private func nested(object: Bool) -> (id: Int, index: Int) {
        guard let index = try? writer.state.pointee.beginElement(frameID) else {
            writer.needsFoundation = true
            return (-1, 0)
        }
        return (writer.state.pointee.openFrame(isObject: object, entryIndex: -1), index)
    }

    mutating func superEncoder() -> any Encoder {
        writer.needsFoundation = true
        return APIJSONDeadEncoder(writer: writer, path: path)
    }
}

struct APIJSONSingleValueContainer: SingleValueEncodingContainer {
    let writer: APIJSONWriter
    let path: APIJSONPath?
    let slotIndex: Int
    let slotID: Int

    var codingPath: [any CodingKey] { APIJSONPath.array(path) }

    /// The slot takes one value; a second one (Foundation's precondition failure) is an error here.
    private func begin(_ value: @autoclosure () -> Any) throws {
        guard writer.isCurrent(slotIndex, slotID) else { throw writer.state.pointee.foundation() }
        switch writer.state.pointee.slots[slotIndex].state {
        case .empty:
            writer.state.pointee.slots[slotIndex].state = .single
        case .single:
            throw EncodingError.invalidValue(value(), .init(codingPath: codingPath, debugDescription: "Attempt to encode value through single value container when previously value already encoded."))
        case .keyed, .unkeyed:
            throw writer.state.pointee.foundation()
        }
    }

    mutating func encodeNil() throws { try begin(Optional<Int>.none as Any); writer.state.pointee.writeNull() }
    mutating func encode(_ value: Bool) throws { try begin(value); writer.state.pointee.writeBool(value) }
    mutating func encode(_ value: String) throws { try begin(value); writer.state.pointee.writeString(value) }
    mutating func encode(_ value: Int) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { try begin(value); writer.state.pointee.writeInteger(value) }
    mutating func encode(_ value: Double) throws { try begin(value); try writer.state.pointee.writeFloat(value) }
    mutating func encode(_ value: Float) throws { try begin(value); try writer.state.pointee.writeFloat(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try begin(value)
        try writer.encodeValue(value, parent: path, key: nil)
    }
}
