#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import Synchronization

/// `LOG_FORMAT`: how log lines look.
public enum LogFormat: String, Sendable {
    /// swift-log's own text lines (the default).
    case text
    /// One JSON object per line (`JSONLogHandler`), for log shippers.
    case json
}

/// The request a task works for: set by `RequestErrorMiddleware` around the whole request, so every
/// line logged while it runs carries its id, through whatever logger (the request's, the engine's,
/// the driver's), once the logging system has `metadataProvider`.
public enum RequestID {
    @TaskLocal public static var current: String?
    /// The key the id is logged under (Hummingbird's own, which the request's logger already has).
    public static let metadataKey = "hb.request.id"
    public static let metadataProvider = Logger.MetadataProvider {
        guard let id = RequestID.current else { return [:] }
        return [RequestID.metadataKey: .string(id)]
    }
}

public enum LoggingSetup {
    private static let done = Atomic(false)

    /// Chooses the log handler for the whole process, once (swift-log allows one bootstrap; a
    /// second call is ignored). Both formats write to standard error, as before.
    public static func bootstrap(format: LogFormat) {
        guard done.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        switch format {
        case .text:
            LoggingSystem.bootstrap({ label, provider in StreamLogHandler.standardError(label: label, metadataProvider: provider) },
                                    metadataProvider: RequestID.metadataProvider)
        case .json:
            LoggingSystem.bootstrap({ label, provider in JSONLogHandler(label: label, metadataProvider: provider, write: JSONLogHandler.standardError) },
                                    metadataProvider: RequestID.metadataProvider)
        }
    }
}

/// One JSON object per line: `time` (ISO 8601, UTC, milliseconds), `level`, `message`, `label`,
/// then every metadata entry as its own key (nested dictionaries flattened as `outer.inner`, lists as
/// arrays of strings); a metadata key equal to one of the four is written with a leading `_`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable (String) -> Void

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        write(Self.line(time: Date(), level: event.level, message: event.message.description, label: label, metadata: merged))
    }

    static let reserved: Set<String> = ["time", "level", "message", "label"]

    /// The line without its newline; keys after the first four sorted, so lines compare.
    static func line(time: Date, level: Logger.Level, message: String, label: String, metadata: Logger.Metadata) -> String {
        var out = "{\"time\":\"\(iso8601(time))\",\"level\":\"\(level.rawValue)\",\"message\":"
        appendString(message, to: &out)
        out += ",\"label\":"
        appendString(label, to: &out)
        var flat: [(String, Logger.Metadata.Value)] = []
        flatten(metadata, prefix: "", into: &flat)
        for (key, value) in flat.sorted(by: { $0.0 < $1.0 }) {
            out += ","
            appendString(reserved.contains(key) ? "_" + key : key, to: &out)
            out += ":"
            if case .array(let items) = value {
                out += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { out += "," }
                    appendString(item.description, to: &out)
                }
                out += "]"
            } else {
                appendString(value.description, to: &out)
            }
        }
        out += "}"
        return out
    }

    private static func flatten(_ metadata: Logger.Metadata, prefix: String, into flat: inout [(String, Logger.Metadata.Value)]) {
        for (key, value) in metadata {
            if case .dictionary(let inner) = value {
                flatten(inner, prefix: prefix + key + ".", into: &flat)
            } else {
                flat.append((prefix + key, value))
            }
        }
    }

    /// A JSON string: quotes, backslashes and every control character escaped (RFC 8259), the
    /// rest as it is (UTF-8), so a value can never end its string or the line early.
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `2026-12-03T21:30:05.123Z`.
    static func iso8601(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        let millis = Int((interval - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    private static let lock = Mutex(())

    /// Writes a whole line to standard error at once (lines of concurrent tasks never interleave).
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in writeToStandardError(buffer.baseAddress! + offset, buffer.count - offset) }
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

private func writeToStandardError(_ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(2, pointer, count)
    #else
    Darwin.write(2, pointer, count)
    #endif
}
