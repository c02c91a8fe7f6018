@testable import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MariaDB
import NIOCore
import Storage
import TestSupport
import XCTest

/// The CSV export streams (issue 16, item 2): a long list is read in keyset batches and written
/// batch by batch, never whole; a failure half way ends the file early, logged with the request id.
/// The million-row run with the server's peak RSS is `scripts/bench/csv-export.sh` (docs/performance.md).
final class CSVExportStreamingTests: XCTestCase {
    /// A writer that keeps each chunk as it is written.
    final class Chunks: ResponseBodyWriter, @unchecked Sendable {
        var written: [ByteBuffer] = []
        var finished = false
        func write(_ buffer: ByteBuffer) async throws { written.append(buffer) }
        func finish(_ trailingHeaders: HTTPFields?) async throws { finished = true }
        var text: String { written.map { String(buffer: $0) }.joined() }
    }

    func testFiftyThousandSubscriptionsArriveCompleteInManyChunks() async throws {
        try await withQuoteWorld { w, id in
            // A pool of our own on the world's database (`TestDatabase.application()` would empty it).
            let pool = MariaDBConnectionPool(configuration: TestDatabase.configuration(database: TestDatabase.applicationDatabaseName), logger: Logger(label: "csv"))
            let database = MariaDBDatabase(pool: pool, logger: Logger(label: "csv"))
            let copies = 49_999
            // Copies of the world's subscription, in bulk (every column but the id and the generated ones).
            let columns = try await database.rows(
                """
                SELECT GROUP_CONCAT(column_name ORDER BY ordinal_position) AS c FROM information_schema.columns
                WHERE table_schema = DATABASE() AND table_name = 'subscriptions' AND column_name <> 'id' AND extra NOT LIKE '%GENERATED%'
                """)[0].decode(column: "c", as: String.self)
            try await database.query("INSERT INTO subscriptions (\(columns)) SELECT \(columns) FROM subscriptions s JOIN seq_1_to_\(copies) q WHERE s.id = ?", [.int(Int64(id))])

            // Through the API, as a client reads it: every row once, newest first, the original last.
            let answer = try await w.api.client.execute(uri: "/api/v1/subscriptions", method: .get,
                                                        headers: [.authorization: "Bearer \(w.reseller)", .accept: "text/csv"], body: nil)
            XCTAssertEqual(answer.status, .ok)
            let table = try XCTUnwrap(CSVTable(answer.text))
            let ids = table.rows.compactMap { $0["id"].flatMap { Int($0) } }
            XCTAssertEqual(ids.count, copies + 1)
            XCTAssertEqual(Set(ids).count, copies + 1, "no row twice")
            XCTAssertEqual(ids.last, id)
            XCTAssertEqual(ids, ids.sorted(by: >))
            XCTAssertTrue(table.rows.allSatisfy { $0["customer_name"] == "Customer One" && $0["plan_name"] == "Silver" })

            // The same export written to a writer that counts: the header, then one chunk per batch.
            let found = try await UserStore(database: database).actor(userID: w.fixture.userIDs["r1.admin"]!, address: "127.0.0.1")
            let actor = try XCTUnwrap(found)
            let response = ListExports(database: database).subscriptions(.init(), in: actor.scope, logger: Logger(label: "test"))
            let chunks = Chunks()
            try await response.body.write(chunks)
            XCTAssertTrue(chunks.finished)
            XCTAssertEqual(chunks.written.count, 1 + (copies + 1 + ListExport.batchSize - 1) / ListExport.batchSize, "25 batches of 2,000 and the header")
            XCTAssertLessThanOrEqual(chunks.written.dropFirst().map(\.readableBytes).max() ?? 0, ListExport.batchSize * 200, "a chunk is one batch, not the file")
            XCTAssertEqual(chunks.text, answer.text)
            await pool.shutdown()
        }
    }

    /// The status went out with the first chunk: a failure after it cannot become an error answer.
    /// The file ends early (no chunked end, so the client sees a truncated transfer), and the log says
    /// which export, how far it got and the request id.
    func testAFailureHalfWayEndsTheFileAndIsLoggedWithTheRequestID() async throws {
        let logs = CapturedLogs()
        var logger = Logger(label: "test") { _ in logs }
        logger[metadataKey: "hb.request.id"] = "req-csv-1"
        struct DatabaseGone: Error {}
        let response = CSVResponse.stream(list: "orders", header: ["id"], logger: logger) { emit in
            try await emit([["1"], ["2"]])
            throw DatabaseGone()
        }
        let chunks = Chunks()
        do {
            try await response.body.write(chunks)
            XCTFail("the failure reaches the server, which closes the connection")
        } catch is DatabaseGone {}
        XCTAssertEqual(chunks.text, "id\r\n1\r\n2\r\n")
        XCTAssertFalse(chunks.finished, "no end of body: the client can tell the file is cut")
        let entry = try XCTUnwrap(logs.entries.first { $0.message.contains("CSV export ended early") })
        XCTAssertEqual(entry.metadata["hb.request.id"], "req-csv-1")
        XCTAssertEqual(entry.metadata["export.list"], "orders")
        XCTAssertEqual(entry.metadata["export.rows_written"], "2")
    }

    /// Through a real server: the failure closes the connection and the server goes on answering.
    func testTheServerKeepsServingAfterAnExportFails() async throws {
        let router = Router()
        router.get("broken") { _, _ in
            CSVResponse.stream(list: "broken", header: ["id"], logger: Logger(label: "test")) { emit in
                try await emit([["1"]])
                throw CancellationError()
            }
        }
        router.get("fine") { _, _ in "ok" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let broken = try? await client.execute(uri: "/broken", method: .get)
            XCTAssertNil(broken, "a transfer cut short is an error to the client, not a complete file")
            // That connection is closed; a new one is served.
            let another = TestClient(host: "127.0.0.1", port: try XCTUnwrap(client.port))
            another.connect()
            let fine = try await another.get("/fine")
            XCTAssertEqual(fine.status, .ok)
            try await another.shutdown()
        }
    }
}
