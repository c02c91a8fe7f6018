import Logging
import Metrics
import NIOPosix

/// A bounded pool of connections whose blocking calls run on a dedicated thread pool.
///
/// A lease waits for a free connection up to `poolTimeout`; a connection idle for longer than
/// `healthCheckAfterIdle` is pinged before it is handed out, and a broken one is closed and
/// replaced, so a restarted server is survived without restarting the app.
public actor MariaDBConnectionPool {
    public nonisolated let configuration: MariaDBConfiguration
    nonisolated let threadPool: NIOThreadPool
    private let logger: Logger
    private var idle: [MariaDBConnection] = []
    private var open = 0
    private var nextID = 1
    private var waiters: [(id: Int, continuation: CheckedContinuation<Grant, any Error>)] = []
    private var nextWaiterID = 0
    private var closed = false
    /// Set when a connection breaks: idle connections last used before then are pinged before use,
    /// since whatever broke one (a server restart, killed sessions) has likely broken them all.
    private var distrustBefore = ContinuousClock.now
    private let leaseTimer: Timer
    private let openGauge: Gauge

    /// What a waiting lease is given: a connection, or the right to open a new one.
    private enum Grant: Sendable {
        case connection(MariaDBConnection)
        case open
    }

    public init(configuration: MariaDBConfiguration, logger: Logger = Logger(label: "mariadb.pool")) {
        self.configuration = configuration
        self.logger = logger
        // One thread per connection: every leased connection can block at the same time.
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, configuration.poolSize))
        self.threadPool.start()
        self.leaseTimer = Timer(label: "mariadb_pool_lease_wait")
        self.openGauge = Gauge(label: "mariadb_pool_open_connections")
    }

    /// Runs `body` with a connection of its own, on the pool's threads.
    public func withConnection<R: Sendable>(
        _ body: @escaping @Sendable (MariaDBConnection) throws -> R
    ) async throws -> R {
        let connection = try await lease()
        do {
            let result = try await run(on: connection, body)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs a blocking call for a connection already leased.
    @discardableResult
    public nonisolated func run<R: Sendable>(
        on connection: MariaDBConnection, _ body: @escaping @Sendable (MariaDBConnection) throws -> R
    ) async throws -> R {
        try await threadPool.runIfActive { try body(connection) }
    }

    /// Takes a connection for exclusive use; give it back with `release`.
    public func lease() async throws -> MariaDBConnection {
        let started = ContinuousClock.now
        defer { leaseTimer.recordNanoseconds((ContinuousClock.now - started).nanoseconds) }
        while true {
            if closed { throw MariaDBError(kind: .poolClosed, message: "the connection pool is closed") }
            if let connection = idle.popLast() {
                let trusted = connection.lastUsed > distrustBefore
                if trusted && ContinuousClock.now - connection.lastUsed < configuration.healthCheckAfterIdle { return connection }
                if (try? await run(on: connection, { $0.ping() })) == true { return connection }
                logger.info("discarding a connection that failed its health check", metadata: ["connection": "\(connection.id)"])
                discard(connection)
                continue
            }
            if open < configuration.poolSize {
                open += 1
                return try await openConnection()
            }
            switch try await waitForGrant() {
            case .connection(let connection):
                return connection
            case .open:
                return try await openConnection()
            }
        }
    }

    /// Gives a connection back; a broken one is closed and its place offered to a waiter.
    public func release(_ connection: MariaDBConnection) {
        if connection.isBroken || closed {
            discard(connection)
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: .connection(connection))
        } else {
            idle.append(connection)
        }
    }

    /// Closes idle connections and refuses new leases.
    public func shutdown() async {
        closed = true
        for waiter in waiters {
            waiter.continuation.resume(throwing: MariaDBError(kind: .poolClosed, message: "the connection pool is closed"))
        }
        waiters.removeAll()
        let connections = idle
        idle.removeAll()
        open -= connections.count
        openGauge.record(open)
        _ = connections  // deinit closes each
        try? await threadPool.shutdownGracefully()
    }

    /// Connections open now, leased or idle.
    public var openConnections: Int { open }

    private func discard(_ connection: MariaDBConnection) {
        if connection.isBroken { distrustBefore = .now }
        open -= 1
        openGauge.record(open)
        if !waiters.isEmpty {
            open += 1
            waiters.removeFirst().continuation.resume(returning: .open)
        }
    }

    /// Opens a connection for a slot already counted in `open`.
    private func openConnection() async throws -> MariaDBConnection {
        let id = nextID
        nextID += 1
        let configuration = self.configuration
        do {
            let connection = try await threadPool.runIfActive { try MariaDBConnection.connect(configuration, id: id) }
            openGauge.record(open)
            return connection
        } catch {
            open -= 1
            if !waiters.isEmpty {
                open += 1
                waiters.removeFirst().continuation.resume(returning: .open)
            }
            throw error
        }
    }

    private func waitForGrant() async throws -> Grant {
        let id = nextWaiterID
        nextWaiterID += 1
        let timeout = configuration.poolTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.expire(waiter: id)
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancel(waiter: id) }
        }
    }

    private func expire(waiter id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: MariaDBError(
            kind: .poolTimeout,
            message: "no database connection free within \(configuration.poolTimeout) (pool size \(configuration.poolSize))"
        ))
    }

    private func cancel(waiter id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
