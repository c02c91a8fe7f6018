import CMariaDB
import Foundation
import Synchronization

/// `mysql_server_init` must run once per process before any other call.
private let libraryReady: Bool = mysql_server_init(0, nil, nil) == 0

/// The outcome of one statement: its rows (possibly none) and what it changed.
public struct MariaDBResult: Sendable {
    public var columns: MariaDBColumns
    public var rows: [[MariaDBData]]
    public var affectedRows: UInt64
    /// `LAST_INSERT_ID()` of an INSERT into a table with an AUTO_INCREMENT key.
    public var lastInsertID: UInt64

    static let empty = MariaDBResult(columns: MariaDBColumns(names: []), rows: [], affectedRows: 0, lastInsertID: 0)
}

/// Column names of a result, shared by all its rows.
public final class MariaDBColumns: Sendable {
    public let names: [String]
    let index: [String: Int]
    /// Whether each column is the first of its name, the one a lookup by name finds.
    private let isFirstOfName: [Bool]
    /// Where the next lookup likely goes: rows are mostly read column after column, and one
    /// string comparison costs less than hashing the name.
    private let cursor = Atomic(0)

    init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
        self.index = index
        self.isFirstOfName = names.indices.map { index[names[$0]] == $0 }
    }

    /// The position of the first column named `name`.
    func position(of name: String) -> Int? {
        let guess = cursor.load(ordering: .relaxed)
        let position: Int
        if guess < names.count, isFirstOfName[guess], names[guess] == name {
            position = guess
        } else {
            guard let found = index[name] else { return nil }
            position = found
        }
        cursor.store(position + 1, ordering: .relaxed)
        return position
    }
}

/// One blocking connection to the server over libmariadb.
///
/// Not safe for concurrent use: the pool hands a connection to one task at a time, and every
/// call here blocks, so it is made from the pool's thread pool, never from an event loop.
public final class MariaDBConnection: @unchecked Sendable {
    private let handle: UnsafeMutablePointer<MYSQL>
    private var statements: [String: CachedStatement] = [:]
    private var useCounter: UInt64 = 0
    private let statementCacheSize: Int
    /// Set once the connection failed in a way that makes it unusable; the pool discards it.
    public private(set) var isBroken = false
    public let id: Int
    var lastUsed = ContinuousClock.now

    private final class CachedStatement {
        let pointer: UnsafeMutablePointer<MYSQL_STMT>
        var lastUse: UInt64
        init(pointer: UnsafeMutablePointer<MYSQL_STMT>, lastUse: UInt64) {
            self.pointer = pointer
            self.lastUse = lastUse
        }
    }

    private init(handle: UnsafeMutablePointer<MYSQL>, id: Int, statementCacheSize: Int) {
        self.handle = handle
        self.id = id
        self.statementCacheSize = statementCacheSize
    }

    deinit {
        for statement in statements.values { mysql_stmt_close(statement.pointer) }
        mysql_close(handle)
    }

    /// Opens a connection and prepares its session (UTF-8, UTC, strict mode, statement timeout). Blocks.
    public static func connect(_ configuration: MariaDBConfiguration, id: Int = 0) throws -> MariaDBConnection {
        guard libraryReady, let handle = mysql_init(nil) else {
            throw MariaDBError(kind: .connection, message: "libmariadb could not be initialised")
        }
        var connectTimeout = UInt32(configuration.connectTimeout)
        var readTimeout = UInt32(configuration.readTimeoutSeconds)
        var writeTimeout = UInt32(configuration.readTimeoutSeconds)
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout)
        mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")

        var host: String?
        var port: UInt32 = 0
        var socket: String?
        switch configuration.endpoint {
        case .tcp(let h, let p):
            host = h
            port = UInt32(p)
            var protocolTCP = UInt32(MYSQL_PROTOCOL_TCP.rawValue)
            mysql_options(handle, MYSQL_OPT_PROTOCOL, &protocolTCP)
        case .socket(let path):
            host = "localhost"
            socket = path
        }
        let connected = mysql_real_connect(
            handle, host, configuration.user, configuration.password, configuration.database,
            port, socket, UInt(CLIENT_FOUND_ROWS)
        )
        if connected == nil {
            let error = MariaDBError(
                kind: .connection, code: Int(mysql_errno(handle)), sqlState: String(cString: mysql_sqlstate(handle)),
                message: "cannot connect to \(configuration.redactedDescription): \(String(cString: mysql_error(handle)))"
            )
            mysql_close(handle)
            throw error
        }
        let connection = MariaDBConnection(handle: handle, id: id, statementCacheSize: configuration.statementCacheSize)
        let seconds = Double(configuration.queryTimeout.components.seconds)
            + Double(configuration.queryTimeout.components.attoseconds) / 1e18
        // No values here: the numbers are ours, formatted, not user input.
        try connection.execute(
            "SET time_zone = '+00:00', "
                + "sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES', "
                + "max_statement_time = \(String(format: "%.3f", seconds))"
        )
        // On a Galera node, a read first waits until the node has applied every transaction the
        // cluster committed before it (causal reads): a session written through one app node and
        // read through another, or an order read right after the redirect that follows its
        // submit, is never stale. Elsewhere (`wsrep_on` off) it sets 0; a server built without
        // wsrep has no such variable, and there is nothing to set.
        _ = try? connection.execute("SET SESSION wsrep_sync_wait = IF(@@wsrep_on, 1, 0)")
        return connection
    }

    /// Runs one statement. Values always travel as bound parameters of a server-side prepared
    /// statement (cached per connection); a statement without values goes over the text protocol,
    /// which also takes DDL and session commands. Blocks.
    @discardableResult
    public func execute(_ sql: String, _ binds: [MariaDBData] = []) throws -> MariaDBResult {
        guard !isBroken else {
            throw MariaDBError(kind: .connection, code: Int(CR_SERVER_LOST), message: "connection is broken", sql: sql)
        }
        defer { lastUsed = .now }
        if binds.isEmpty {
            return try textQuery(sql)
        }
        do {
            return try prepared(sql, binds)
        } catch let error as MariaDBError where error.code == Int(ER_NEED_REPREPARE) {
            dropStatement(sql)
            return try prepared(sql, binds)
        }
    }

    /// Runs a script of several statements separated by `;` (a migration file). Blocks.
    public func executeScript(_ sql: String) throws {
        guard mysql_set_server_option(handle, MYSQL_OPTION_MULTI_STATEMENTS_ON) == 0 else { throw connectionError(sql) }
        defer { _ = mysql_set_server_option(handle, MYSQL_OPTION_MULTI_STATEMENTS_OFF) }
        if mysql_real_query(handle, sql, UInt(sql.utf8.count)) != 0 { throw connectionError(sql) }
        repeat {
            if let result = mysql_store_result(handle) { mysql_free_result(result) }
            else if mysql_field_count(handle) != 0 { throw connectionError(sql) }
            let next = mysql_next_result(handle)
            if next > 0 { throw connectionError(sql) }
            if next < 0 { break }
        } while true
    }

    /// True when the server answers. Blocks.
    public func ping() -> Bool {
        if isBroken { return false }
        if mysql_ping(handle) != 0 {
            isBroken = true
            return false
        }
        lastUsed = .now
        return true
    }

    /// The server's version string, as `10.11.19-MariaDB-...`.
    public var serverVersion: String {
        String(cString: mysql_get_server_info(handle))
    }

    /// Marks the connection unusable, as after a failed rollback.
    func invalidate() {
        isBroken = true
    }

    // MARK: - Errors

    private static let connectionErrorCodes: Set<Int> = [
        Int(CR_SERVER_GONE_ERROR), Int(CR_SERVER_LOST), Int(CR_CONNECTION_ERROR), Int(CR_CONN_HOST_ERROR),
        Int(CR_SERVER_LOST_EXTENDED), Int(CR_COMMANDS_OUT_OF_SYNC), 1927, 4031,
    ]

    private func classify(code: Int, sqlState: String, message: String, sql: String) -> MariaDBError {
        let isConnection = Self.connectionErrorCodes.contains(code)
        if isConnection { isBroken = true }
        return MariaDBError(kind: isConnection ? .connection : .server, code: code, sqlState: sqlState, message: message, sql: sql)
    }

    private func connectionError(_ sql: String) -> MariaDBError {
        classify(code: Int(mysql_errno(handle)), sqlState: String(cString: mysql_sqlstate(handle)),
                 message: String(cString: mysql_error(handle)), sql: sql)
    }

    private func statementError(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, _ sql: String) -> MariaDBError {
        // Some failures while fetching (an interrupted statement, a lost server) are reported on
        // the connection rather than the statement.
        if mysql_stmt_errno(stmt) == 0 { return connectionError(sql) }
        return classify(code: Int(mysql_stmt_errno(stmt)), sqlState: String(cString: mysql_stmt_sqlstate(stmt)),
                 message: String(cString: mysql_stmt_error(stmt)), sql: sql)
    }

    // MARK: - Text protocol

    private func textQuery(_ sql: String) throws -> MariaDBResult {
        if mysql_real_query(handle, sql, UInt(sql.utf8.count)) != 0 { throw connectionError(sql) }
        guard let result = mysql_store_result(handle) else {
            if mysql_field_count(handle) != 0 { throw connectionError(sql) }
            return MariaDBResult(columns: MariaDBColumns(names: []), rows: [],
                                 affectedRows: mysql_affected_rows(handle), lastInsertID: mysql_insert_id(handle))
        }
        defer { mysql_free_result(result) }
        let count = Int(mysql_num_fields(result))
        let fields = UnsafeBufferPointer(start: mysql_fetch_fields(result), count: count)
        let kinds = fields.map(ColumnKind.init(field:))
        let columns = MariaDBColumns(names: fields.map { String(cString: $0.name) })
        var rows: [[MariaDBData]] = []
        rows.reserveCapacity(Int(mysql_num_rows(result)))
        while let row = mysql_fetch_row(result) {
            guard let lengths = mysql_fetch_lengths(result) else { break }
            var values: [MariaDBData] = []
            values.reserveCapacity(count)
            for i in 0..<count {
                guard let cell = row[i] else {
                    values.append(.null)
                    continue
                }
                let bytes = UnsafeRawBufferPointer(start: cell, count: Int(lengths[i]))
                values.append(try kinds[i].fromText(bytes, sql: sql))
            }
            rows.append(values)
        }
        return MariaDBResult(columns: columns, rows: rows, affectedRows: mysql_affected_rows(handle), lastInsertID: 0)
    }

    // MARK: - Prepared statements

    private func statement(for sql: String) throws -> UnsafeMutablePointer<MYSQL_STMT> {
        useCounter &+= 1
        if let cached = statements[sql] {
            cached.lastUse = useCounter
            return cached.pointer
        }
        guard let stmt = mysql_stmt_init(handle) else { throw connectionError(sql) }
        if mysql_stmt_prepare(stmt, sql, UInt(sql.utf8.count)) != 0 {
            let error = statementError(stmt, sql)
            mysql_stmt_close(stmt)
            throw error
        }
        if statements.count >= statementCacheSize,
           let oldest = statements.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            mysql_stmt_close(oldest.value.pointer)
            statements[oldest.key] = nil
        }
        statements[sql] = CachedStatement(pointer: stmt, lastUse: useCounter)
        return stmt
    }

    private func dropStatement(_ sql: String) {
        if let cached = statements.removeValue(forKey: sql) { mysql_stmt_close(cached.pointer) }
    }

    /// How many statements this connection keeps prepared.
    public var cachedStatementCount: Int { statements.count }

    private func prepared(_ sql: String, _ binds: [MariaDBData]) throws -> MariaDBResult {
        let stmt = try statement(for: sql)
        let expected = Int(mysql_stmt_param_count(stmt))
        guard expected == binds.count else {
            throw MariaDBError(kind: .conversion, message: "statement takes \(expected) values, \(binds.count) given", sql: sql)
        }
        let parameters = ParameterBuffers(binds)
        defer { parameters.deallocate() }
        if mysql_stmt_bind_param(stmt, parameters.binds) != 0 { throw statementError(stmt, sql) }
        if mysql_stmt_execute(stmt) != 0 {
            let error = statementError(stmt, sql)
            if !isBroken { mysql_stmt_reset(stmt) }
            throw error
        }
        defer { mysql_stmt_free_result(stmt) }
        guard let metadata = mysql_stmt_result_metadata(stmt) else {
            if mysql_stmt_errno(stmt) != 0 { throw statementError(stmt, sql) }
            return MariaDBResult(columns: MariaDBColumns(names: []), rows: [],
                                 affectedRows: mysql_stmt_affected_rows(stmt), lastInsertID: mysql_stmt_insert_id(stmt))
        }
        defer { mysql_free_result(metadata) }
        let count = Int(mysql_num_fields(metadata))
        let fields = UnsafeBufferPointer(start: mysql_fetch_fields(metadata), count: count)
        let output = ResultBuffers(fields: fields)
        defer { output.deallocate() }
        if mysql_stmt_bind_result(stmt, output.binds) != 0 { throw statementError(stmt, sql) }
        var rows: [[MariaDBData]] = []
        fetching: while true {
            let status = mysql_stmt_fetch(stmt)
            switch status {
            case 0:
                break
            case MYSQL_NO_DATA:
                break fetching
            case MYSQL_DATA_TRUNCATED:
                // A value longer than its buffer: fetch that column again into a buffer of its size,
                // and keep the larger buffer for the rows to come.
                for column in 0..<count where output.needsRefetch(column) {
                    output.grow(column)
                    if mysql_stmt_fetch_column(stmt, output.binds + column, UInt32(column), 0) != 0 {
                        throw statementError(stmt, sql)
                    }
                }
                if mysql_stmt_bind_result(stmt, output.binds) != 0 { throw statementError(stmt, sql) }
            default:
                throw statementError(stmt, sql)
            }
            var values: [MariaDBData] = []
            values.reserveCapacity(count)
            for column in 0..<count { values.append(try output.value(column, sql: sql)) }
            rows.append(values)
        }
        return MariaDBResult(columns: MariaDBColumns(names: fields.map { String(cString: $0.name) }),
                             rows: rows, affectedRows: mysql_stmt_affected_rows(stmt), lastInsertID: 0)
    }
}
