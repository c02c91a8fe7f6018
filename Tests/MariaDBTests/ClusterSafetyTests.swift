import Foundation
import MariaDB
import TestSupport
import XCTest

/// Issue 14: what the driver does so that a Galera cluster's failures are survived without doing
/// anything twice. A statement on its own that loses a deadlock (Galera answers a lost
/// certification the same way, 1213) is run again; a transaction whose COMMIT lost its connection
/// is not (it may have committed); a node cut off from its cluster is "unavailable", not a defect.
final class ClusterSafetyTests: LedgerTestCase {
    /// A holds row 1 and has written more (so InnoDB picks the single statement as the victim);
    /// the statement locks row 2, then waits for row 1; A asks for row 2: a deadlock. The
    /// statement was rolled back whole, so it is run again, and lands once, after A commits.
    func testAStatementOnItsOwnThatLosesADeadlockRunsAgainAndLandsOnce() async throws {
        let db = self.db!
        let holding = Barrier(parties: 2)
        let attempts = Attempts()
        let transaction = Task {
            try await db.withTransaction { tx in
                _ = await attempts.next("a")
                for _ in 0..<20 { try await tx.query("INSERT INTO ledger_log (who) VALUES ('a')") }
                try await tx.query("UPDATE ledger SET counter = counter + 1 WHERE id = 1")
                await holding.arrive()
                try await Task.sleep(for: .milliseconds(300))  // the statement now holds row 2 and waits for row 1
                try await tx.query("UPDATE ledger SET counter = counter + 10 WHERE id = 2")
            }
        }
        await holding.arrive()
        try await db.query("UPDATE ledger SET counter = counter + 100 WHERE id IN (1, 2) ORDER BY id DESC")
        try await transaction.value

        let one = try await counter(1), two = try await counter(2)
        XCTAssertEqual(one, 101, "A's +1 and the statement's +100, once each")
        XCTAssertEqual(two, 110, "A's +10 and the statement's +100, once each")
        let total = await attempts.total
        XCTAssertEqual(total, 1, "A won the deadlock and ran once")
    }

    /// The connection is killed after the body's last statement: the COMMIT fails with a lost
    /// connection. Whether it committed is unknown to the driver, so the body is not run again
    /// (it could have committed its work already) and the caller gets `outcomeUnknown`, which the
    /// console answers 503 like any unavailable database.
    func testALostConnectionAtCommitIsNotRetriedAndSaysTheOutcomeIsUnknown() async throws {
        let db = self.db!
        let attempts = Attempts()
        do {
            try await db.withTransaction { tx in
                _ = await attempts.next("body")
                try await tx.query("INSERT INTO ledger_log (who) VALUES ('once')")
                let id = try await tx.rows("SELECT CONNECTION_ID() AS id")[0].decode(column: "id", as: Int64.self)
                try await db.query("KILL CONNECTION \(id)")
            }
            XCTFail("the COMMIT can't succeed on a killed connection")
        } catch let error as MariaDBError {
            XCTAssertEqual(error.kind, .outcomeUnknown, "\(error)")
            XCTAssertTrue(error.isUnavailable)
            XCTAssertFalse(error.isTransient, "never retried whole")
        }
        let total = await attempts.total
        XCTAssertEqual(total, 1, "the body ran once")
        let logged = try await db.rows("SELECT COUNT(*) AS n FROM ledger_log WHERE who = 'once'")[0].decode(column: "n", as: Int.self)
        XCTAssertLessThanOrEqual(logged, 1)
        let after = try await db.rows("SELECT 1 AS one")[0].decode(column: "one", as: Int.self)
        XCTAssertEqual(after, 1, "the pool replaced the killed connection")
    }

    /// 1047 is what a Galera node outside the primary component answers for every table.
    func testANodeCutOffFromItsClusterIsUnavailableNotADefect() {
        let cutOff = MariaDBError(kind: .server, code: 1047, sqlState: "08S01", message: "WSREP has not yet prepared node for application use")
        XCTAssertTrue(cutOff.isUnavailable)
        XCTAssertFalse(cutOff.isTransient, "retrying on the same node at once would fail the same way")
        let cannotCommit = MariaDBError(kind: .server, code: 1180, message: "Error while appending streaming replication fragment (Not connected to Primary Component)")
        XCTAssertTrue(cannotCommit.isUnavailable, "a cut-off node refusing a COMMIT")
        XCTAssertTrue(MariaDBError(kind: .server, code: 1213, message: "Deadlock found").isUnavailable, "still conflicting after every retry: busy, 503")
        XCTAssertTrue(MariaDBError(kind: .server, code: 1205, message: "Lock wait timeout exceeded").isBusy)
        let autoIncrement = MariaDBError(kind: .server, code: 1467, message: "Failed to read auto-increment value from storage engine")
        XCTAssertTrue(autoIncrement.isTransient, "the auto-increment lock lost a deadlock: the insert did nothing, run it again")
        XCTAssertTrue(autoIncrement.isUnavailable)
        XCTAssertFalse(MariaDBError(kind: .server, code: 1062, message: "Duplicate entry").isUnavailable)
        XCTAssertTrue(MariaDBError(kind: .poolTimeout, message: "no connection").isUnavailable)
    }

    /// Off a cluster the session's causal-read setting is 0; on a Galera node every connection
    /// reads with `wsrep_sync_wait = 1` (the cluster drill checks that side).
    func testEveryConnectionSetsCausalReadsOnlyOnAGaleraNode() async throws {
        let row = try await db.rows("SELECT @@wsrep_on AS galera, @@SESSION.wsrep_sync_wait AS wait")[0]
        let galera = try row.decode(column: "galera", as: Int.self), wait = try row.decode(column: "wait", as: Int.self)
        XCTAssertEqual(wait, galera == 1 ? 1 : 0)
    }
}
