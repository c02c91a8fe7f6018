import Foundation

/// An error from the server or the client library, with the server's code and SQLSTATE.
public struct MariaDBError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server answered with an error (a constraint, a syntax error, a deadlock...).
        case server
        /// The connection failed or was lost; the connection must not be used again.
        case connection
        /// No connection could be leased from the pool in time.
        case poolTimeout
        /// The pool has been shut down.
        case poolClosed
        /// A value could not be converted to or from what the query needs.
        case conversion
        /// A configuration value is wrong.
        case configuration
        /// The connection was lost while a transaction's COMMIT was on its way: it may or may not
        /// have committed, so the transaction is not run again (it could be done twice).
        case outcomeUnknown
    }

    public var kind: Kind
    /// The server or client error number (1062, 1213, 2006...); 0 when none.
    public var code: Int
    /// The five-character SQLSTATE; `HY000` when none.
    public var sqlState: String
    public var message: String
    /// The statement that failed, for logs; never carries bound values.
    public var sql: String?

    public init(kind: Kind, code: Int = 0, sqlState: String = "HY000", message: String, sql: String? = nil) {
        self.kind = kind
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "MariaDB error \(code) (\(sqlState)): \(message)"
        if let sql { text += " [\(sql.prefix(200))]" }
        return text
    }

    // Server error numbers the application reacts to (mysqld_error.h).
    public static let duplicateEntryCode = 1062
    public static let deadlockCode = 1213
    public static let lockWaitTimeoutCode = 1205
    public static let statementTimeoutCode = 1969
    public static let foreignKeyParentMissingCode = 1452
    public static let foreignKeyChildExistsCode = 1451
    /// A Galera node outside the primary component ("WSREP has not yet prepared node for
    /// application use"): it takes no reads or writes until it rejoins.
    public static let clusterNodeNotReadyCode = 1047
    /// "Failed to read auto-increment value from storage engine": InnoDB's table-level
    /// auto-increment lock, queued behind an `INSERT … SELECT`, ended in a deadlock or a lock
    /// wait timeout; the insert did nothing (seen once by the single-node drill).
    public static let autoIncrementLockFailedCode = 1467
    /// "Error during COMMIT": a Galera node that lost its primary component can't commit.
    public static let errorDuringCommitCode = 1180

    /// A unique or primary key was violated.
    public var isDuplicateKey: Bool { kind == .server && code == Self.duplicateEntryCode }
    /// InnoDB chose this transaction as a deadlock victim; the whole transaction may be retried.
    public var isDeadlock: Bool { kind == .server && code == Self.deadlockCode }
    public var isLockWaitTimeout: Bool { kind == .server && code == Self.lockWaitTimeoutCode }
    /// The statement ran longer than the configured query timeout and was stopped by the server.
    public var isStatementTimeout: Bool { kind == .server && code == Self.statementTimeoutCode }
    /// A failure after which retrying the whole transaction from the start is safe and useful.
    /// In a Galera cluster a transaction that loses certification to another node's is also
    /// answered 1213, so it is retried the same way.
    public var isTransient: Bool { isBusy || kind == .connection }
    /// The database can't serve this request now, and a later attempt may succeed: it was
    /// unreachable, the pool had no connection, this cluster node is cut off from the others
    /// (1047, or 1180 at COMMIT), or conflicting writes still won after every retry (a deadlock,
    /// a lost certification, a lock wait). Answered 503 with `Retry-After`, never 500.
    public var isUnavailable: Bool {
        [.connection, .poolTimeout, .poolClosed, .outcomeUnknown].contains(kind)
            || (kind == .server && [Self.clusterNodeNotReadyCode, Self.errorDuringCommitCode].contains(code))
            || isBusy
    }
    /// Conflicting work held or took what this statement needed (1213, 1205, 1467): nothing of it
    /// was applied; retried by the driver, and answered 503 when it still conflicts after that.
    public var isBusy: Bool { isDeadlock || isLockWaitTimeout || (kind == .server && code == Self.autoIncrementLockFailedCode) }

    /// The name of the unique key a duplicate-entry message names (`... for key 'accounts_email'`).
    public var duplicateKeyName: String? {
        guard isDuplicateKey, let range = message.range(of: "for key '", options: .backwards) else { return nil }
        let rest = message[range.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        let qualified = rest[..<end]
        return String(qualified.split(separator: ".").last ?? qualified)
    }
}
