import Logging
import Metrics
import NIOCore
import NIOPosix
import SQLKit
import Synchronization

/// SQLKit's view of the pool, or of one leased connection inside a session or transaction.
public struct MariaDBDatabase: SQLDatabase {
    public let pool: MariaDBConnectionPool
    public let logger: Logger
    public let eventLoop: any EventLoop
    /// Set inside `withConnection` / `withTransaction`: every statement runs on this connection.
    private let connection: MariaDBConnection?
    private let inTransaction: Bool
    /// Inside a transaction not yet begun on the server: `START TRANSACTION` goes with its first
    /// statement, in the same hop to the connection's thread.
    private let pendingBegin: PendingBegin?
    /// Bounds for retrying a whole transaction after a deadlock or lock wait timeout. Eight
    /// attempts, 10 ms doubling (at most 1.3 s of waiting in all, plus jitter): in a Galera
    /// cluster a seller's invoice counter, written by every node, lost certification five times
    /// running now and then under the drill's 32 clients (issue 14).
    public var transactionAttempts = 8
    public var retryBaseDelay: Duration = .milliseconds(10)

    public init(pool: MariaDBConnectionPool, logger: Logger = Logger(label: "mariadb"),
                eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()) {
        self.init(pool: pool, logger: logger, eventLoop: eventLoop, connection: nil, pendingBegin: nil)
    }

    private init(pool: MariaDBConnectionPool, logger: Logger, eventLoop: any EventLoop,
                 connection: MariaDBConnection?, pendingBegin: PendingBegin?) {
        self.pool = pool
        self.logger = logger
        self.eventLoop = eventLoop
        self.connection = connection
        self.inTransaction = pendingBegin != nil
        self.pendingBegin = pendingBegin
    }

    public var dialect: any SQLDialect { MariaDBDialect() }

    // MARK: SQLDatabase

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        let (sql, binds) = serialize(query)
        let values = try binds.map { try MariaDBData(encoding: $0) }
        let result = try await self.query(sql, values)
        for values in result.rows { onRow(MariaDBRow(columns: result.columns, values: values)) }
    }

    public func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await withConnection { try await closure($0) }
    }

    // MARK: Direct use

    /// Runs one statement with its values bound, on this session's connection or a pooled one.
    @discardableResult
    public func query(_ sql: String, _ binds: [MariaDBData] = []) async throws -> MariaDBResult {
        logger.debug("\(sql)", metadata: ["binds": "\(binds.count)"])
        if let connection {
            let begin = pendingBegin?.take() ?? false
            return try await pool.run(on: connection) { connection in
                if begin { try connection.execute("START TRANSACTION") }
                return try connection.execute(sql, binds)
            }
        }
        var attempt = 1
        while true {
            do {
                return try await pool.withConnection { try $0.execute(sql, binds) }
            } catch let error as MariaDBError where error.kind == .connection && Self.isRead(sql) && attempt == 1 {
                // The connection died under us (a restarted server, a killed session). A read is safe
                // to repeat, and its broken connection is gone now, so one more try gets a fresh one.
                logger.notice("repeating a read after a lost connection", metadata: ["code": "\(error.code)"])
            } catch let error as MariaDBError where error.isBusy && attempt < transactionAttempts {
                // A statement on its own is its own transaction: chosen as a deadlock victim (or, in
                // a Galera cluster, losing certification to another node's write) it was rolled
                // back whole, so running it again can't apply it twice.
                logger.notice("retrying a statement", metadata: ["attempt": "\(attempt)", "code": "\(error.code)"])
                Counter(label: "mariadb_statement_retries").increment()
                try await Task.sleep(for: backoff(after: attempt))
            }
            attempt += 1
        }
    }

    /// The wait before another try of a statement or a transaction: doubling from
    /// `retryBaseDelay`, with up to 10 ms of jitter so that two losers don't meet again.
    private func backoff(after attempt: Int) -> Duration {
        retryBaseDelay * (1 << min(attempt - 1, 6)) + .milliseconds(Int.random(in: 0...10))
    }

    private static func isRead(_ sql: String) -> Bool {
        let head = sql.drop(while: { $0 == " " || $0 == "\n" || $0 == "(" }).prefix(7).uppercased()
        return head.hasPrefix("SELECT ") || head.hasPrefix("SELECT\n") || head.hasPrefix("SHOW ")
    }

    /// Runs several `;`-separated statements with no values (a migration file).
    public func executeScript(_ sql: String) async throws {
        if let connection {
            let begin = pendingBegin?.take() ?? false
            try await pool.run(on: connection) { connection in
                if begin { try connection.execute("START TRANSACTION") }
                try connection.executeScript(sql)
            }
            return
        }
        try await pool.withConnection { try $0.executeScript(sql) }
    }

    /// Decoded rows of a query.
    public func rows(_ sql: String, _ binds: [MariaDBData] = []) async throws -> [MariaDBRow] {
        let result = try await query(sql, binds)
        return result.rows.map { MariaDBRow(columns: result.columns, values: $0) }
    }

    /// Runs `body` with every statement on one connection (session variables, temporary tables).
    public func withConnection<R>(_ body: (MariaDBDatabase) async throws -> R) async throws -> R {
        if connection != nil { return try await body(self) }
        let leased = try await pool.lease()
        let session = MariaDBDatabase(pool: pool, logger: logger, eventLoop: eventLoop, connection: leased, pendingBegin: nil)
        do {
            let result = try await body(session)
            pool.release(leased)
            return result
        } catch {
            pool.release(leased)
            throw error
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// A deadlock, a lock wait timeout or a lost connection reruns the whole closure (with bounded
    /// backoff), so the closure must do nothing outside the database that it can't repeat.
    /// Inside a transaction already, `body` simply joins it.
    @discardableResult
    public func withTransaction<R>(_ body: (MariaDBDatabase) async throws -> R) async throws -> R {
        if inTransaction { return try await body(self) }
        precondition(connection == nil, "withTransaction inside withConnection: start the transaction first")
        var attempt = 1
        while true {
            do {
                return try await transactionOnce(body)
            } catch let error as MariaDBError where error.isTransient && attempt < transactionAttempts {
                logger.notice("retrying transaction", metadata: ["attempt": "\(attempt)", "code": "\(error.code)"])
                Counter(label: "mariadb_transaction_retries").increment()
                try await Task.sleep(for: backoff(after: attempt))
                attempt += 1
            }
        }
    }

    private func transactionOnce<R>(_ body: (MariaDBDatabase) async throws -> R) async throws -> R {
        let leased = try await pool.lease()
        let pending = PendingBegin()
        let session = MariaDBDatabase(pool: pool, logger: logger, eventLoop: eventLoop, connection: leased, pendingBegin: pending)
        let result: R
        do {
            result = try await body(session)
        } catch {
            if !leased.isBroken && !pending.take() {
                do {
                    try await session.query("ROLLBACK")
                } catch {
                    // A connection that cannot roll back holds an open transaction: never reuse it.
                    leased.invalidate()
                }
            }
            pool.release(leased)
            throw error
        }
        defer { pool.release(leased) }
        // A body that ran no statement began nothing on the server: nothing to commit.
        guard !pending.take() else { return result }
        do {
            try await session.query("COMMIT")
        } catch let error as MariaDBError where error.kind == .connection {
            // The COMMIT may have reached the server before the connection went: running the body
            // again could do its work twice, so it is not retried and the caller is told so.
            throw MariaDBError(kind: .outcomeUnknown, code: error.code, sqlState: error.sqlState,
                               message: "the connection was lost at COMMIT; the transaction may or may not have committed (\(error.message))", sql: "COMMIT")
        } catch {
            // Refused at COMMIT (a Galera node's certification answers 1213 there): rolled back.
            if (try? await session.query("ROLLBACK")) == nil { leased.invalidate() }
            throw error
        }
        return result
    }
}

/// Whether a transaction's `START TRANSACTION` is still to be sent; taken once.
final class PendingBegin: Sendable {
    private let pending = Atomic(true)

    /// True the first time only: the caller sends `START TRANSACTION`.
    func take() -> Bool {
        pending.exchange(false, ordering: .relaxed)
    }
}
