import CMariaDB
import Foundation

/// How a result column is read, from its field type, flags and character set.
enum ColumnKind {
    case integer(unsigned: Bool)
    case real
    case decimal
    case date
    case datetime
    case time
    case text
    case binary

    /// Character set number 63 is `binary`: BLOB, BINARY and VARBINARY columns carry bytes, not text.
    private static let binaryCharset: UInt32 = 63

    init(field: MYSQL_FIELD) {
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            self = .integer(unsigned: field.flags & UInt32(UNSIGNED_FLAG) != 0)
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            self = .real
        case MYSQL_TYPE_DECIMAL, MYSQL_TYPE_NEWDECIMAL:
            self = .decimal
        case MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE:
            self = .date
        case MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP:
            self = .datetime
        case MYSQL_TYPE_TIME:
            self = .time
        case MYSQL_TYPE_BIT, MYSQL_TYPE_GEOMETRY:
            self = .binary
        default:
            self = field.charsetnr == Self.binaryCharset ? .binary : .text
        }
    }

    /// Converts a text-protocol cell.
    func fromText(_ bytes: UnsafeRawBufferPointer, sql: String) throws -> MariaDBData {
        if case .binary = self { return .bytes(Array(bytes)) }
        let text = String(decoding: bytes, as: UTF8.self)
        switch self {
        case .integer:
            if let value = Int64(text) { return .int(value) }
            if let value = UInt64(text) { return .uint(value) }
        case .real:
            if let value = Double(text) { return .double(value) }
        case .decimal:
            return .decimal(text)
        case .date:
            if let value = MariaDBCalendarDate(text) { return .date(value) }
        case .datetime:
            if let value = MariaDBTimestamp(text) { return .datetime(value) }
        case .time:
            if let value = parseTime(text) { return .time(value) }
        case .text:
            return .string(text)
        case .binary:
            break
        }
        throw MariaDBError(kind: .conversion, message: "cannot read '\(text.prefix(40))' as \(self)", sql: sql)
    }

    private func parseTime(_ text: String) -> Int64? {
        let negative = text.hasPrefix("-")
        let body = negative ? text.dropFirst() : Substring(text)
        let clock = body.split(separator: ".", maxSplits: 1)
        let hms = clock[0].split(separator: ":")
        guard hms.count == 3, let h = Int64(hms[0]), let m = Int64(hms[1]), let s = Int64(hms[2]) else { return nil }
        var micros = ((h * 60 + m) * 60 + s) * 1_000_000
        if clock.count == 2 {
            let digits = String(clock[1].prefix(6))
            guard let f = Int64(digits) else { return nil }
            micros += f * Int64(pow(10.0, Double(6 - digits.count)))
        }
        return negative ? -micros : micros
    }
}

/// Parameter buffers for one execution, alive until the statement has run.
final class ParameterBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let count: Int
    private var allocations: [UnsafeMutableRawPointer] = []

    init(_ values: [MariaDBData]) {
        count = values.count
        binds = .allocate(capacity: max(count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
        for (i, value) in values.enumerated() { bind(value, at: i) }
    }

    private func storage(_ size: Int) -> UnsafeMutableRawPointer {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 8)
        allocations.append(pointer)
        return pointer
    }

    private func bind(_ value: MariaDBData, at i: Int) {
        switch value {
        case .null:
            binds[i].buffer_type = MYSQL_TYPE_NULL
        case .int(let number):
            let buffer = storage(8)
            buffer.storeBytes(of: number, as: Int64.self)
            binds[i].buffer_type = MYSQL_TYPE_LONGLONG
            binds[i].buffer = buffer
        case .uint(let number):
            let buffer = storage(8)
            buffer.storeBytes(of: number, as: UInt64.self)
            binds[i].buffer_type = MYSQL_TYPE_LONGLONG
            binds[i].buffer = buffer
            binds[i].is_unsigned = 1
        case .double(let number):
            let buffer = storage(8)
            buffer.storeBytes(of: number, as: Double.self)
            binds[i].buffer_type = MYSQL_TYPE_DOUBLE
            binds[i].buffer = buffer
        case .decimal(let text):
            bindBytes(Array(text.utf8), type: MYSQL_TYPE_NEWDECIMAL, at: i)
        case .string(let text):
            bindBytes(Array(text.utf8), type: MYSQL_TYPE_STRING, at: i)
        case .bytes(let bytes):
            bindBytes(bytes, type: MYSQL_TYPE_BLOB, at: i)
        case .datetime(let stamp):
            bindTime(date: stamp.date, hour: stamp.hour, minute: stamp.minute, second: stamp.second,
                     micro: stamp.microsecond, type: MYSQL_TYPE_DATETIME, timeType: MYSQL_TIMESTAMP_DATETIME, at: i)
        case .date(let day):
            bindTime(date: day, hour: 0, minute: 0, second: 0, micro: 0,
                     type: MYSQL_TYPE_DATE, timeType: MYSQL_TIMESTAMP_DATE, at: i)
        case .time(let micros):
            let magnitude = micros.magnitude
            let seconds = Int(magnitude / 1_000_000)
            var time = MYSQL_TIME()
            time.hour = UInt32(seconds / 3600)
            time.minute = UInt32(seconds / 60 % 60)
            time.second = UInt32(seconds % 60)
            time.second_part = UInt(magnitude % 1_000_000)
            time.neg = micros < 0 ? 1 : 0
            time.time_type = MYSQL_TIMESTAMP_TIME
            let buffer = storage(MemoryLayout<MYSQL_TIME>.size)
            buffer.storeBytes(of: time, as: MYSQL_TIME.self)
            binds[i].buffer_type = MYSQL_TYPE_TIME
            binds[i].buffer = buffer
        }
    }

    private func bindBytes(_ bytes: [UInt8], type: enum_field_types, at i: Int) {
        let buffer = storage(bytes.count)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        let length = storage(MemoryLayout<UInt>.size).bindMemory(to: UInt.self, capacity: 1)
        length.pointee = UInt(bytes.count)
        binds[i].buffer_type = type
        binds[i].buffer = buffer
        binds[i].buffer_length = UInt(bytes.count)
        binds[i].length = length
    }

    private func bindTime(date: MariaDBCalendarDate, hour: Int, minute: Int, second: Int, micro: Int,
                          type: enum_field_types, timeType: enum_mysql_timestamp_type, at i: Int) {
        var time = MYSQL_TIME()
        time.year = UInt32(date.year)
        time.month = UInt32(date.month)
        time.day = UInt32(date.day)
        time.hour = UInt32(hour)
        time.minute = UInt32(minute)
        time.second = UInt32(second)
        time.second_part = UInt(micro)
        time.time_type = timeType
        let buffer = storage(MemoryLayout<MYSQL_TIME>.size)
        buffer.storeBytes(of: time, as: MYSQL_TIME.self)
        binds[i].buffer_type = type
        binds[i].buffer = buffer
    }

    func deallocate() {
        for pointer in allocations { pointer.deallocate() }
        binds.deinitialize(count: max(count, 1))
        binds.deallocate()
    }
}

/// Result buffers for one execution; variable-length columns grow when a value is truncated.
final class ResultBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let kinds: [ColumnKind]
    private let fieldTypes: [enum_field_types]
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<my_bool>
    private let errors: UnsafeMutablePointer<my_bool>
    private var buffers: [UnsafeMutableRawPointer]
    private var capacities: [Int]
    private let count: Int

    /// Deliberately small so that long values take the re-fetch path instead of wasting memory.
    static let initialVariableCapacity = 256

    init(fields: UnsafeBufferPointer<MYSQL_FIELD>) {
        count = fields.count
        let n = max(count, 1)
        binds = .allocate(capacity: n)
        binds.initialize(repeating: MYSQL_BIND(), count: n)
        lengths = .allocate(capacity: n)
        lengths.initialize(repeating: 0, count: n)
        nulls = .allocate(capacity: n)
        nulls.initialize(repeating: 0, count: n)
        errors = .allocate(capacity: n)
        errors.initialize(repeating: 0, count: n)
        kinds = fields.map(ColumnKind.init(field:))
        fieldTypes = fields.map(\.type)
        buffers = []
        capacities = []
        for i in 0..<count {
            let (type, size) = Self.binding(for: kinds[i], fieldType: fieldTypes[i])
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            buffers.append(buffer)
            capacities.append(size)
            binds[i].buffer_type = type
            binds[i].buffer = buffer
            binds[i].buffer_length = UInt(size)
            binds[i].length = lengths + i
            binds[i].is_null = nulls + i
            binds[i].error = errors + i
            if case .integer(let unsigned) = kinds[i] { binds[i].is_unsigned = unsigned ? 1 : 0 }
        }
    }

    private static func binding(for kind: ColumnKind, fieldType: enum_field_types) -> (enum_field_types, Int) {
        switch kind {
        case .integer: return (MYSQL_TYPE_LONGLONG, 8)
        case .real: return (MYSQL_TYPE_DOUBLE, 8)
        case .date, .datetime, .time: return (fieldType, MemoryLayout<MYSQL_TIME>.size)
        case .decimal, .text: return (MYSQL_TYPE_STRING, initialVariableCapacity)
        case .binary: return (MYSQL_TYPE_BLOB, initialVariableCapacity)
        }
    }

    func needsRefetch(_ column: Int) -> Bool {
        nulls[column] == 0 && Int(lengths[column]) > capacities[column]
    }

    func grow(_ column: Int) {
        let size = Int(lengths[column])
        buffers[column].deallocate()
        buffers[column] = .allocate(byteCount: size, alignment: 8)
        capacities[column] = size
        binds[column].buffer = buffers[column]
        binds[column].buffer_length = UInt(size)
    }

    func value(_ column: Int, sql: String) throws -> MariaDBData {
        if nulls[column] != 0 { return .null }
        let buffer = buffers[column]
        switch kinds[column] {
        case .integer(let unsigned):
            if unsigned {
                let number = buffer.load(as: UInt64.self)
                return number <= UInt64(Int64.max) ? .int(Int64(number)) : .uint(number)
            }
            return .int(buffer.load(as: Int64.self))
        case .real:
            return .double(buffer.load(as: Double.self))
        case .decimal, .text:
            let bytes = UnsafeRawBufferPointer(start: buffer, count: min(Int(lengths[column]), capacities[column]))
            let text = String(decoding: bytes, as: UTF8.self)
            if case .decimal = kinds[column] { return .decimal(text) }
            return .string(text)
        case .binary:
            return .bytes(Array(UnsafeRawBufferPointer(start: buffer, count: min(Int(lengths[column]), capacities[column]))))
        case .date, .datetime, .time:
            let time = buffer.load(as: MYSQL_TIME.self)
            let day = MariaDBCalendarDate(year: Int(time.year), month: Int(time.month), day: Int(time.day))
            switch kinds[column] {
            case .date:
                return .date(day)
            case .datetime:
                return .datetime(MariaDBTimestamp(date: day, hour: Int(time.hour), minute: Int(time.minute),
                                                  second: Int(time.second), microsecond: Int(time.second_part)))
            default:
                let micros = ((Int64(time.day) * 24 + Int64(time.hour)) * 60 + Int64(time.minute)) * 60_000_000
                    + Int64(time.second) * 1_000_000 + Int64(time.second_part)
                return .time(time.neg != 0 ? -micros : micros)
            }
        }
    }

    func deallocate() {
        for buffer in buffers { buffer.deallocate() }
        let n = max(count, 1)
        binds.deinitialize(count: n)
        binds.deallocate()
        lengths.deallocate()
        nulls.deallocate()
        errors.deallocate()
    }
}
