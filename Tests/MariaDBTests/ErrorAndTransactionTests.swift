import Foundation
import MariaDB
import TestSupport
import XCTest

/// A fresh driver database with two tables to fight over: `ledger` (rows 1 and 2, counters at
/// 0, a unique `note`) and `ledger_log` (who did what).
class LedgerTestCase: XCTestCase {
    var db: MariaDBDatabase!

    override func setUp() async throws {
        db = try await TestDatabase.fresh("console_test_driver")
        try await db.query("DROP TABLE IF EXISTS ledger")
        try await db.query("DROP TABLE IF EXISTS ledger_log")
        try await db.query("CREATE TABLE ledger (id INT NOT NULL PRIMARY KEY, counter INT NOT NULL, note VARCHAR(50) NULL, UNIQUE KEY ledger_note (note)) ENGINE=InnoDB")
        try await db.query("CREATE TABLE ledger_log (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10) NOT NULL) ENGINE=InnoDB")
        try await db.query("INSERT INTO ledger (id, counter) VALUES (1, 0), (2, 0)")
    }

    override func tearDown() async throws {
        await db.pool.shutdown()
    }

    func counter(_ id: Int) async throws -> Int {
        try await db.rows("SELECT counter FROM ledger WHERE id = ?", [.int(Int64(id))])[0].decode(column: "counter", as: Int.self)
    }
}

/// Errors carry the server's code and SQLSTATE; transactions commit, roll back, and rerun
/// whole after a deadlock or a lock wait timeout.
final class ErrorAndTransactionTests: LedgerTestCase {
    func testDuplicateKeyIsTypedWithCodeStateAndKeyName() async throws {
        try await db.query("UPDATE ledger SET note = ? WHERE id = ?", [.string("taken"), .int(1)])
        do {
            try await db.query("UPDATE ledger SET note = ? WHERE id = ?", [.string("taken"), .int(2)])
            XCTFail("a second 'taken' must violate ledger_note")
        } catch let error as MariaDBError {
            XCTAssertTrue(error.isDuplicateKey)
            XCTAssertEqual(error.code, 1062)
            XCTAssertEqual(error.sqlState, "23000")
            XCTAssertEqual(error.duplicateKeyName, "ledger_note")
            XCTAssertFalse(error.isTransient)
        }
        // The connection that saw the error keeps working.
        let observed1 = try await db.rows("SELECT COUNT(*) AS n FROM ledger WHERE note = ?", [.string("taken")])[0].decode(column: "n", as: Int.self)
        XCTAssertEqual(observed1, 1)
    }

    func testSyntaxErrorIsAServerErrorNotAConnectionError() async throws {
        do {
            try await db.query("SELEKT 1")
            XCTFail("must not parse")
        } catch let error as MariaDBError {
            XCTAssertEqual(error.kind, .server)
            XCTAssertEqual(error.code, 1064)
            XCTAssertEqual(error.sqlState, "42000")
        }
    }

    func testTransactionCommitsOnReturnAndRollsBackOnThrow() async throws {
        struct Refused: Error {}
        try await db.withTransaction { tx in
            try await tx.query("UPDATE ledger SET counter = counter + 5 WHERE id = ?", [.int(1)])
        }
        do {
            try await db.withTransaction { tx in
                try await tx.query("UPDATE ledger SET counter = counter + 100 WHERE id = ?", [.int(1)])
                throw Refused()
            }
            XCTFail("the closure's error must come out")
        } catch is Refused {}
        let observed2 = try await counter(1)
        XCTAssertEqual(observed2, 5)
    }

    func testStartTransactionTravelsWithTheFirstStatementAndAnEmptyBodySendsNothing() async throws {
        let db = try await TestDatabase.fresh("console_test_driver") { $0.poolSize = 1 }
        defer { Task { await db.pool.shutdown() } }
        @Sendable func sessionCount(_ name: String) async throws -> Int {
            let row = try await db.rows("SHOW SESSION STATUS LIKE '\(name)'")[0]
            return try Int(row.decode(column: "Value", as: String.self)) ?? -1
        }
        let begins = try await sessionCount("Com_begin")
        let commits = try await sessionCount("Com_commit")
        try await db.withTransaction { _ in }
        let afterEmptyBegins = try await sessionCount("Com_begin")
        let afterEmptyCommits = try await sessionCount("Com_commit")
        XCTAssertEqual(afterEmptyBegins, begins, "a body without statements begins nothing")
        XCTAssertEqual(afterEmptyCommits, commits)

        let inside = try await db.withTransaction { tx in
            try await tx.rows("SELECT @@in_transaction AS open")[0].decode(column: "open", as: Int.self)
        }
        XCTAssertEqual(inside, 1, "the first statement already runs inside the transaction")
        let afterBegins = try await sessionCount("Com_begin")
        let afterCommits = try await sessionCount("Com_commit")
        XCTAssertEqual(afterBegins, begins + 1)
        XCTAssertEqual(afterCommits, commits + 1)
    }

    func testForcedDeadlockIsRetriedAndBothTransactionsCommitExactlyOnce() async throws {
        let db = self.db!
        let barrier = Barrier(parties: 2)
        let attempts = Attempts()
        // A locks row 1 then 2, B locks 2 then 1; both hold their first lock before asking for the
        // second, so InnoDB must pick a victim (1213). The victim reruns whole and commits after the winner.
        @Sendable func transfer(_ who: String, first: Int, second: Int) async throws {
            try await db.withTransaction { tx in
                let attempt = await attempts.next(who)
                try await tx.query("UPDATE ledger SET counter = counter + 1 WHERE id = ?", [.int(Int64(first))])
                if attempt == 1 { await barrier.arrive() }
                try await tx.query("UPDATE ledger SET counter = counter + 1 WHERE id = ?", [.int(Int64(second))])
                try await tx.query("INSERT INTO ledger_log (who) VALUES (?)", [.string(who)])
            }
        }
        async let a: Void = transfer("a", first: 1, second: 2)
        async let b: Void = transfer("b", first: 2, second: 1)
        _ = try await (a, b)

        let log = try await db.rows("SELECT who FROM ledger_log ORDER BY who").map { try $0.decode(column: "who", as: String.self) }
        XCTAssertEqual(log, ["a", "b"], "each transaction committed exactly once")
        let observed3 = try await counter(1)
        XCTAssertEqual(observed3, 2)
        let observed4 = try await counter(2)
        XCTAssertEqual(observed4, 2)
        let total = await attempts.total
        XCTAssertEqual(total, 3, "one of the two was a deadlock victim and ran a second time")
    }

    func testLockWaitTimeoutIsRetriedUntilTheLockIsFree() async throws {
        let db = self.db!
        let attempts = Attempts()
        let holder = try await db.pool.lease()
        let holding = Task {
            try await db.pool.run(on: holder) { connection in
                try connection.execute("START TRANSACTION")
                try connection.execute("SELECT counter FROM ledger WHERE id = ? FOR UPDATE", [.int(1)])
            }
            try await Task.sleep(for: .milliseconds(1500))
            try await db.pool.run(on: holder) { try $0.execute("COMMIT") }
            db.pool.release(holder)
        }
        try await Task.sleep(for: .milliseconds(100))
        try await db.withTransaction { tx in
            _ = await attempts.next("waiter")
            try await tx.query("SET SESSION innodb_lock_wait_timeout = 1")
            try await tx.query("UPDATE ledger SET counter = counter + 1 WHERE id = ?", [.int(1)])
        }
        try await holding.value
        let total = await attempts.total
        XCTAssertGreaterThanOrEqual(total, 2, "the first attempt timed out waiting for the lock (1205)")
        let observed5 = try await counter(1)
        XCTAssertEqual(observed5, 1, "committed once")
    }
}

/// Lets the given number of tasks wait for each other once.
actor Barrier {
    private let parties: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(parties: Int) { self.parties = parties }

    func arrive() async {
        arrived += 1
        if arrived == parties {
            waiting.forEach { $0.resume() }
            waiting.removeAll()
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}

/// Counts how often each transaction body ran.
actor Attempts {
    private var counts: [String: Int] = [:]
    func next(_ who: String) -> Int {
        counts[who, default: 0] += 1
        return counts[who]!
    }
    var total: Int { counts.values.reduce(0, +) }
}
