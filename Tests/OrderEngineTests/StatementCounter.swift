import Foundation
import Logging
import MariaDB
import Storage

/// Counts the statements a database handle sends (the driver logs each one at debug level), so a
/// test counts its own SQL whatever else the server is running.
final class StatementCounter: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level == .debug else { return }
        lock.withLock { kept.append(event.message.description) }
    }

    /// The statements sent since the last call.
    func take() -> [String] {
        lock.withLock {
            defer { kept = [] }
            return kept
        }
    }

    /// A handle on the same pool whose statements this counter sees.
    static func counting(_ database: MariaDBDatabase) -> (MariaDBDatabase, StatementCounter) {
        let counter = StatementCounter()
        var logger = Logger(label: "statements") { _ in counter }
        logger.logLevel = .debug
        return (MariaDBDatabase(pool: database.pool, logger: logger), counter)
    }
}
