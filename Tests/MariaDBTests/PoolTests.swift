import Foundation
import MariaDB
import TestSupport
import XCTest

/// The pool bounds connections, queues leases fairly, times out, and survives a server that
/// kills its connections or restarts.
final class PoolTests: XCTestCase {
    func testSixtyFourTasksOnEightConnectionsAllComplete() async throws {
        let db = try await TestDatabase.fresh("console_test_driver") { $0.poolSize = 8 }
        defer { Task { await db.pool.shutdown() } }
        try await db.query("DROP TABLE IF EXISTS pool_counter")
        try await db.query("CREATE TABLE pool_counter (id INT NOT NULL PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB")
        try await db.query("INSERT INTO pool_counter VALUES (1, 0)")

        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<64 {
                group.addTask {
                    // A row lock held across a round trip, so tasks really contend for connections.
                    try await db.withTransaction { tx in
                        let n = try await tx.rows("SELECT n FROM pool_counter WHERE id = 1 FOR UPDATE")[0].decode(column: "n", as: Int.self)
                        try await tx.query("UPDATE pool_counter SET n = ? WHERE id = 1", [.int(Int64(n + 1))])
                    }
                    let echoed = try await db.rows("SELECT ? AS task", [.int(Int64(task))])[0].decode(column: "task", as: Int.self)
                    XCTAssertEqual(echoed, task)
                }
            }
            try await group.waitForAll()
        }
        let observed6 = try await db.rows("SELECT n FROM pool_counter WHERE id = 1")[0].decode(column: "n", as: Int.self)
        XCTAssertEqual(observed6, 64)
        let open = db.pool.openConnections
        XCTAssertLessThanOrEqual(open, 8)
    }

    func testALeaseWaitsThenFailsWithPoolTimeout() async throws {
        let db = try await TestDatabase.fresh("console_test_driver") {
            $0.poolSize = 1
            $0.poolTimeout = .milliseconds(300)
        }
        defer { Task { await db.pool.shutdown() } }
        let held = try await db.pool.lease()
        let started = ContinuousClock.now
        do {
            try await db.query("SELECT 1")
            XCTFail("the only connection is leased")
        } catch let error as MariaDBError {
            XCTAssertEqual(error.kind, .poolTimeout)
        }
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(250))
        db.pool.release(held)
        // Once released, the same connection serves the next lease.
        let observed7 = try await db.rows("SELECT 1 AS one")[0].decode(column: "one", as: Int.self)
        XCTAssertEqual(observed7, 1)
    }

    func testWaitingLeasesAreServedFirstComeFirstServed() async throws {
        let db = try await TestDatabase.fresh("console_test_driver") { $0.poolSize = 1 }
        defer { Task { await db.pool.shutdown() } }
        let held = try await db.pool.lease()
        let order = Attempts()
        var waiting: [Task<Void, any Error>] = []
        for who in ["first", "second", "third"] {
            waiting.append(Task {
                let connection = try await db.pool.lease()
                _ = await order.next(who)
                let position = await order.total
                db.pool.release(connection)
                XCTAssertEqual(position, ["first": 1, "second": 2, "third": 3][who], "\(who) was served out of turn")
            })
            // Each is in line before the next asks.
            while db.pool.waitingLeases < waiting.count { try await Task.sleep(for: .milliseconds(5)) }
        }
        db.pool.release(held)
        for task in waiting { try await task.value }
        XCTAssertEqual(db.pool.openConnections, 1)
    }

    func testACancelledWaitLeavesTheLineAndTheNextWaiterGetsTheConnection() async throws {
        let db = try await TestDatabase.fresh("console_test_driver") {
            $0.poolSize = 1
            $0.poolTimeout = .seconds(5)
        }
        defer { Task { await db.pool.shutdown() } }
        let held = try await db.pool.lease()
        let cancelled = Task { try await db.pool.lease() }
        while db.pool.waitingLeases < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let patient = Task { try await db.rows("SELECT 2 AS two")[0].decode(column: "two", as: Int.self) }
        while db.pool.waitingLeases < 2 { try await Task.sleep(for: .milliseconds(5)) }

        let started = ContinuousClock.now
        cancelled.cancel()
        do {
            let connection = try await cancelled.value
            db.pool.release(connection)
            XCTFail("a cancelled wait must not be handed a connection")
        } catch is CancellationError {}
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1), "cancelling ends the wait at once, not at the pool timeout")
        XCTAssertEqual(db.pool.waitingLeases, 1)
        db.pool.release(held)
        let observed = try await patient.value
        XCTAssertEqual(observed, 2)
        XCTAssertEqual(db.pool.waitingLeases, 0)
    }

    func testEveryWaiterTimesOutOnItsOwnDeadline() async throws {
        let db = try await TestDatabase.fresh("console_test_driver") {
            $0.poolSize = 1
            $0.poolTimeout = .milliseconds(300)
        }
        defer { Task { await db.pool.shutdown() } }
        let held = try await db.pool.lease()
        // Three leases, 100 ms apart, against one held connection: each fails 300 ms after it asked.
        let started = ContinuousClock.now
        let waits = try await withThrowingTaskGroup(of: Duration.self) { group in
            for i in 0..<3 {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(100 * i))
                    let asked = ContinuousClock.now
                    do {
                        _ = try await db.pool.lease()
                        XCTFail("the only connection is held")
                    } catch let error as MariaDBError {
                        XCTAssertEqual(error.kind, .poolTimeout)
                    }
                    return ContinuousClock.now - asked
                }
            }
            return try await group.reduce(into: [Duration]()) { $0.append($1) }
        }
        for wait in waits {
            XCTAssertGreaterThanOrEqual(wait, .milliseconds(290))
            XCTAssertLessThan(wait, .milliseconds(1000))
        }
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(1500))
        db.pool.release(held)
        let observed = try await db.rows("SELECT 1 AS one")[0].decode(column: "one", as: Int.self)
        XCTAssertEqual(observed, 1)
    }

    func testQueryTimeoutStopsTheStatementAndTheConnectionLivesOn() async throws {
        let db = try await TestDatabase.fresh("console_test_driver") {
            $0.poolSize = 1
            $0.queryTimeout = .seconds(1)
        }
        defer { Task { await db.pool.shutdown() } }
        let before = try await db.rows("SELECT CONNECTION_ID() AS id")[0].decode(column: "id", as: Int.self)
        let started = ContinuousClock.now
        do {
            try await db.query("SELECT SLEEP(?) AS s FROM DUAL WHERE 1 = 1", [.int(5)])
            XCTFail("the statement must be stopped at 1 s")
        } catch let error as MariaDBError {
            XCTAssertTrue(error.isStatementTimeout, "\(error)")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
        let after = try await db.rows("SELECT CONNECTION_ID() AS id")[0].decode(column: "id", as: Int.self)
        XCTAssertEqual(before, after, "the same connection goes on serving")
    }

    func testKilledConnectionsAreReplacedWithoutRestartingTheApp() async throws {
        let db = try await TestDatabase.fresh("console_test_driver") {
            $0.poolSize = 4
            $0.healthCheckAfterIdle = .milliseconds(200)
        }
        defer { Task { await db.pool.shutdown() } }
        // Open four connections at once.
        let ids = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await db.withConnection { session in
                        try await session.query("DO SLEEP(0.2)")
                        return try await session.rows("SELECT CONNECTION_ID() AS id")[0].decode(column: "id", as: Int.self)
                    }
                }
            }
            return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
        }
        XCTAssertEqual(ids.count, 4)
        let admin = try await TestDatabase.fresh("console_test_driver") { $0.poolSize = 1 }
        for id in ids { try await admin.query("KILL CONNECTION ?", [.int(Int64(id))]) }
        await admin.pool.shutdown()

        // Reads right after the kill: a dead connection is either caught by its health check or
        // its read is retried once on a new connection.
        for _ in 0..<8 {
            let observed8 = try await db.rows("SELECT 1 AS one")[0].decode(column: "one", as: Int.self)
            XCTAssertEqual(observed8, 1)
        }
        try await Task.sleep(for: .milliseconds(300))
        let newIDs = try await db.rows("SELECT CONNECTION_ID() AS id")[0].decode(column: "id", as: Int.self)
        XCTAssertFalse(ids.contains(newIDs))
        let open = db.pool.openConnections
        XCTAssertLessThanOrEqual(open, 4)
    }

    func testServerRestartMidPoolRecovers() async throws {
        let script = TestDatabase.repositoryRoot.appendingPathComponent("scripts/db.sh")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: script.path), "needs scripts/db.sh")
        let db = try await TestDatabase.fresh("console_test_driver") {
            $0.poolSize = 4
            $0.healthCheckAfterIdle = .milliseconds(200)
            $0.connectTimeout = 2
        }
        defer { Task { await db.pool.shutdown() } }
        try await db.query("DROP TABLE IF EXISTS restart_probe")
        try await db.query("CREATE TABLE restart_probe (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 { group.addTask { try await db.query("INSERT INTO restart_probe VALUES (?)", [.int(Int64(i))]) } }
            try await group.waitForAll()
        }
        try runScript(script, "stop")
        do {
            try await db.query("SELECT 1")
            XCTFail("the server is down")
        } catch let error as MariaDBError {
            XCTAssertEqual(error.kind, .connection, "a stopped server is a connection error, not a crash or a hang: \(error)")
        }
        try runScript(script, "start")

        // Same pool, same process: work goes on.
        try await db.withTransaction { tx in
            try await tx.query("INSERT INTO restart_probe VALUES (?)", [.int(99)])
        }
        let observed9 = try await db.rows("SELECT COUNT(*) AS n FROM restart_probe")[0].decode(column: "n", as: Int.self)
        XCTAssertEqual(observed9, 5)
    }

    private func runScript(_ script: URL, _ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, command]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "scripts/db.sh \(command)")
    }
}
