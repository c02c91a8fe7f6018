import Logging
import Metrics
import NIOPosix
import Synchronization

/// A bounded pool of connections whose blocking calls run on a dedicated thread pool.
///
/// A lease waits for a free connection up to `poolTimeout`; a connection idle for longer than
/// `healthCheckAfterIdle` is pinged before it is handed out, and a broken one is closed and
/// replaced, so a restarted server is survived without restarting the app.
///
/// The bookkeeping sits behind a lock rather than in an actor: a lease that finds a free
/// connection and its release never suspend, so a statement costs one hop (to the thread that
/// blocks in libmariadb and back) instead of four.
public final class MariaDBConnectionPool: Sendable {
    public let configuration: MariaDBConfiguration
    let threadPool: NIOThreadPool
    private let logger: Logger
    private let state = Mutex(State())
    private let leaseTimer: Timer
    private let openGauge: Gauge
    private let statementTimer: Timer

    private struct State: Sendable {
        var idle: [MariaDBConnection] = []
        var open = 0
        var nextID = 1
        /// Leases waiting for a connection, first come first served.
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        /// Whether a task is timing out waiters: one for all of them, and only while some wait.
        var reaping = false
        var closed = false
        /// Set when a connection breaks: idle connections last used before then are pinged before use,
        /// since whatever broke one (a server restart, killed sessions) has likely broken them all.
        var distrustBefore = ContinuousClock.now

        mutating func takeConnectionID() -> Int {
            defer { nextID += 1 }
            return nextID
        }
    }

    private struct Waiter: Sendable {
        let id: Int
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Grant, any Error>
    }

    /// What a waiting lease is given: a connection, the right to open a new one, or a nudge to
    /// look again because a connection became free while it was getting in line.
    private enum Grant: Sendable {
        case connection(MariaDBConnection)
        case open
        case retry
    }

    /// What a lease does after one look at the pool, outside the lock.
    private enum Step {
        case closed
        case use(MariaDBConnection)
        case check(MariaDBConnection)
        case open(id: Int)
        case wait
    }

    public init(configuration: MariaDBConfiguration, logger: Logger = Logger(label: "mariadb.pool")) {
        self.configuration = configuration
        self.logger = logger
        // One thread per connection: every leased connection can block at the same time.
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, configuration.poolSize))
        self.threadPool.start()
        self.leaseTimer = Timer(label: "mariadb_pool_lease_wait")
        self.openGauge = Gauge(label: "mariadb_pool_open_connections")
        self.statementTimer = Timer(label: "mariadb_query_duration_seconds")
    }

    /// Runs `body` with a connection of its own, on the pool's threads.
    public func withConnection<R: Sendable>(
        _ body: @escaping @Sendable (MariaDBConnection) throws -> R
    ) async throws -> R {
        let connection = try await lease()
        defer { release(connection) }
        return try await run(on: connection, body)
    }

    /// Runs a blocking call for a connection already leased.
    @discardableResult
    public func run<R: Sendable>(
        on connection: MariaDBConnection, _ body: @escaping @Sendable (MariaDBConnection) throws -> R
    ) async throws -> R {
        let timer = statementTimer
        return try await threadPool.runIfActive {
            // Timed on the connection's thread: the statement's round trip, not the wait for the thread.
            let started = ContinuousClock.now
            defer { timer.recordNanoseconds((ContinuousClock.now - started).nanoseconds) }
            return try body(connection)
        }
    }

    /// Takes a connection for exclusive use; give it back with `release`.
    public func lease() async throws -> MariaDBConnection {
        let started = ContinuousClock.now
        defer { leaseTimer.recordNanoseconds((ContinuousClock.now - started).nanoseconds) }
        let healthCheckAfterIdle = configuration.healthCheckAfterIdle
        let poolSize = configuration.poolSize
        while true {
            let step: Step = state.withLock { state in
                if state.closed { return .closed }
                if let connection = state.idle.popLast() {
                    let trusted = connection.lastUsed > state.distrustBefore
                    if trusted && ContinuousClock.now - connection.lastUsed < healthCheckAfterIdle { return .use(connection) }
                    return .check(connection)
                }
                if state.open < poolSize {
                    state.open += 1
                    return .open(id: state.takeConnectionID())
                }
                return .wait
            }
            switch step {
            case .closed:
                throw Self.closedError
            case .use(let connection):
                return connection
            case .check(let connection):
                if (try? await run(on: connection, { $0.ping() })) == true { return connection }
                logger.info("discarding a connection that failed its health check", metadata: ["connection": "\(connection.id)"])
                discard(connection)
            case .open(let id):
                return try await openConnection(id: id)
            case .wait:
                switch try await waitForGrant() {
                case .connection(let connection):
                    return connection
                case .open:
                    return try await openConnection(id: state.withLock { $0.takeConnectionID() })
                case .retry:
                    continue
                }
            }
        }
    }

    /// Gives a connection back; a broken one is closed and its place offered to a waiter.
    public func release(_ connection: MariaDBConnection) {
        if connection.isBroken {
            discard(connection)
            return
        }
        let handedTo: Waiter?? = state.withLock { state in
            if state.closed { return .none }
            if !state.waiters.isEmpty { return .some(state.waiters.removeFirst()) }
            state.idle.append(connection)
            return .some(nil)
        }
        switch handedTo {
        case .none: discard(connection)
        case .some(let waiter): waiter?.continuation.resume(returning: .connection(connection))
        }
    }

    /// Closes idle connections and refuses new leases.
    public func shutdown() async {
        let (waiters, connections, open) = state.withLock { state in
            state.closed = true
            let taken = (state.waiters, state.idle)
            state.waiters.removeAll()
            state.idle.removeAll()
            state.open -= taken.1.count
            return (taken.0, taken.1, state.open)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.closedError) }
        openGauge.record(open)
        _ = connections  // deinit closes each
        try? await threadPool.shutdownGracefully()
    }

    /// Connections open now, leased or idle.
    public var openConnections: Int { state.withLock { $0.open } }

    /// Connections open and not leased now.
    public var idleConnections: Int { state.withLock { $0.idle.count } }

    /// Leases waiting for a connection now.
    public var waitingLeases: Int { state.withLock { $0.waiters.count } }

    private static let closedError = MariaDBError(kind: .poolClosed, message: "the connection pool is closed")

    /// Closes a connection (its deinit does) and offers its place to the first waiter.
    private func discard(_ connection: MariaDBConnection) {
        let (waiter, open): (Waiter?, Int) = state.withLock { state in
            if connection.isBroken { state.distrustBefore = .now }
            if !state.closed, !state.waiters.isEmpty { return (state.waiters.removeFirst(), state.open) }
            state.open -= 1
            return (nil, state.open)
        }
        openGauge.record(open)
        waiter?.continuation.resume(returning: .open)
    }

    /// Opens a connection for a slot already counted in `open`.
    private func openConnection(id: Int) async throws -> MariaDBConnection {
        let configuration = self.configuration
        do {
            let connection = try await threadPool.runIfActive { try MariaDBConnection.connect(configuration, id: id) }
            openGauge.record(openConnections)
            return connection
        } catch {
            // The slot goes to the first waiter, who tries to open a connection of its own.
            let waiter: Waiter? = state.withLock { state in
                if !state.closed, !state.waiters.isEmpty { return state.waiters.removeFirst() }
                state.open -= 1
                return nil
            }
            waiter?.continuation.resume(returning: .open)
            throw error
        }
    }

    private func waitForGrant() async throws -> Grant {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        let deadline = ContinuousClock.now + configuration.poolTimeout
        let poolSize = configuration.poolSize
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                // Looked at again under the lock: a connection freed since the first look would
                // otherwise find no waiter, and this one would wait for nothing.
                let (immediate, startReaper): (Result<Grant, any Error>?, Bool) = state.withLock { state in
                    if state.closed { return (.failure(Self.closedError), false) }
                    if Task.isCancelled { return (.failure(CancellationError()), false) }
                    if !state.idle.isEmpty || state.open < poolSize { return (.success(.retry), false) }
                    state.waiters.append(Waiter(id: id, deadline: deadline, continuation: continuation))
                    if state.reaping { return (nil, false) }
                    state.reaping = true
                    return (nil, true)
                }
                if let immediate { continuation.resume(with: immediate) }
                if startReaper { Task { await self.reapWaiters() } }
            }
        } onCancel: {
            self.remove(waiter: id, error: CancellationError())
        }
    }

    /// Fails each waiter whose deadline has passed with a pool timeout, sleeping until the first
    /// deadline (waiters come in deadline order); ends when nobody waits.
    private func reapWaiters() async {
        while true {
            let now = ContinuousClock.now
            let (expired, next): ([Waiter], ContinuousClock.Instant?) = state.withLock { state in
                let overdue = Array(state.waiters.prefix { $0.deadline <= now })
                state.waiters.removeFirst(overdue.count)
                guard let first = state.waiters.first else {
                    state.reaping = false
                    return (overdue, nil)
                }
                return (overdue, first.deadline)
            }
            for waiter in expired {
                waiter.continuation.resume(throwing: MariaDBError(
                    kind: .poolTimeout,
                    message: "no database connection free within \(configuration.poolTimeout) (pool size \(configuration.poolSize))"
                ))
            }
            guard let next else { return }
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }

    private func remove(waiter id: Int, error: any Error) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
