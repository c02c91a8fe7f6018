import Foundation
import MariaDB
import SQLKit
import TestSupport
import XCTest

/// Every type the console stores comes back exactly as it went in, through prepared statements
/// (values bound) and through the text protocol (no values), which take different code paths.
final class RoundTripTests: XCTestCase {
    var db: MariaDBDatabase!

    override func setUp() async throws {
        db = try await TestDatabase.fresh("console_test_driver")
        try await db.query("DROP TABLE IF EXISTS round_trip")
        try await db.query("""
            CREATE TABLE round_trip (
              id INT NOT NULL PRIMARY KEY,
              big BIGINT NULL, ubig BIGINT UNSIGNED NULL, amount DECIMAL(30,10) NULL, price DECIMAL(19,4) NULL,
              label VARCHAR(255) NULL, body MEDIUMTEXT NULL, blob_value MEDIUMBLOB NULL,
              at DATETIME(6) NULL, day DATE NULL, flag BOOLEAN NULL, ratio DOUBLE NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """)
    }

    override func tearDown() async throws {
        await db.pool.shutdown()
    }

    private func insert(_ id: Int, _ column: String, _ value: MariaDBData) async throws {
        try await db.query("INSERT INTO round_trip (id, \(column)) VALUES (?, ?)", [.int(Int64(id)), value])
    }

    /// Reads a column back twice: with a bound id (prepared) and with the id written in (text protocol).
    private func readBoth(_ id: Int, _ column: String) async throws -> (prepared: MariaDBData, text: MariaDBData) {
        let prepared = try await db.rows("SELECT \(column) AS v FROM round_trip WHERE id = ?", [.int(Int64(id))])
        let text = try await db.rows("SELECT \(column) AS v FROM round_trip WHERE id = \(id)")
        return (prepared[0]["v"]!, text[0]["v"]!)
    }

    func testBigintsBeyondTwoToThe53KeepEveryDigit() async throws {
        let values: [Int64] = [0, 1, -1, 9_007_199_254_740_993, -9_007_199_254_740_993, .max, .min]
        for (i, value) in values.enumerated() {
            try await insert(i, "big", .int(value))
            let read = try await readBoth(i, "big")
            XCTAssertEqual(read.prepared, .int(value))
            XCTAssertEqual(read.text, .int(value))
        }
        try await insert(100, "ubig", .uint(.max))
        let read = try await readBoth(100, "ubig")
        XCTAssertEqual(read.prepared, .uint(.max))
        XCTAssertEqual(read.text, .uint(.max))
    }

    func testDecimalsComeBackAsExactTextNeverADouble() async throws {
        // 0.1 + 0.2 style values and more digits than a Double holds.
        let values = ["0.1000000000", "12345678901234567890.1234567891", "-0.0000000001", "0.0000000000"]
        for (i, value) in values.enumerated() {
            try await insert(i, "amount", .decimal(value))
            let read = try await readBoth(i, "amount")
            XCTAssertEqual(read.prepared, .decimal(value))
            XCTAssertEqual(read.text, .decimal(value))
        }
        let row = try await db.rows("SELECT amount FROM round_trip WHERE id = ?", [.int(1)])[0]
        XCTAssertEqual(try row.decode(column: "amount", as: Decimal.self), Decimal(string: "12345678901234567890.1234567891"))
        XCTAssertThrowsError(try row.decode(column: "amount", as: Double.self), "a DECIMAL must not be read as a Double")
        // A whole-number decimal reads as an integer; a fractional one does not.
        try await insert(10, "price", .decimal("42"))
        let observed10 = try await db.rows("SELECT price FROM round_trip WHERE id = 10")[0].decode(column: "price", as: Int.self)
        XCTAssertEqual(observed10, 42)
        XCTAssertThrowsError(try row.decode(column: "amount", as: Int.self))
    }

    func testStringsOfEveryKindIncludingQuotesAndEmoji() async throws {
        let values = ["", "plain", "it's \"quoted\" \\ backslash", "Zürich — 東京 — 🦀", "line\nbreak\ttab", String(repeating: "x", count: 255)]
        for (i, value) in values.enumerated() {
            try await insert(i, "label", .string(value))
            let read = try await readBoth(i, "label")
            XCTAssertEqual(read.prepared, .string(value))
            XCTAssertEqual(read.text, .string(value))
        }
    }

    func testOneMegabyteTextAndBlobAreReadWhole() async throws {
        // Longer than the result buffer, so the driver must re-fetch the truncated column.
        let text = String((0..<1_048_576).map { i in Character(UnicodeScalar(UInt8(97 + i % 26))) })
        let bytes = (0..<1_048_576).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await db.query("INSERT INTO round_trip (id, body, blob_value) VALUES (?, ?, ?)", [.int(1), .string(text), .bytes(bytes)])
        try await db.query("INSERT INTO round_trip (id, body) VALUES (?, ?)", [.int(2), .string("short")])
        let body = try await readBoth(1, "body")
        XCTAssertEqual(body.prepared, .string(text))
        XCTAssertEqual(body.text, .string(text))
        let blob = try await readBoth(1, "blob_value")
        XCTAssertEqual(blob.prepared, .bytes(bytes))
        XCTAssertEqual(blob.text, .bytes(bytes))
        // Rows after a long one still read right (the grown buffer is rebound).
        let rows = try await db.rows("SELECT id, body FROM round_trip WHERE id > ? ORDER BY id", [.int(0)])
        XCTAssertEqual(rows.map { $0["body"] }, [.string(text), .string("short")])
    }

    func testDatesAndTimestampsKeepMicroseconds() async throws {
        let stamp = MariaDBTimestamp(date: MariaDBCalendarDate(year: 2026, month: 2, day: 28), hour: 23, minute: 59, second: 58, microsecond: 123_456)
        try await insert(1, "at", .datetime(stamp))
        let read = try await readBoth(1, "at")
        XCTAssertEqual(read.prepared, .datetime(stamp))
        XCTAssertEqual(read.text, .datetime(stamp))

        let instant = Date(timeIntervalSince1970: 1_790_000_000.654321)
        try await db.query("INSERT INTO round_trip (id, at) VALUES (?, ?)", [.int(2), instant.mariaDBData])
        let back = try await db.rows("SELECT at FROM round_trip WHERE id = 2")[0].decode(column: "at", as: Date.self)
        XCTAssertEqual(back.timeIntervalSince1970, instant.timeIntervalSince1970, accuracy: 0.000_000_5)

        let day = MariaDBCalendarDate(year: 2024, month: 2, day: 29)
        try await insert(3, "day", .date(day))
        let readDay = try await readBoth(3, "day")
        XCTAssertEqual(readDay.prepared, .date(day))
        XCTAssertEqual(readDay.text, .date(day))
        let observed11 = try await db.rows("SELECT day FROM round_trip WHERE id = 3")[0].decode(column: "day", as: String.self)
        XCTAssertEqual(observed11, "2024-02-29")
    }

    func testBooleansDoublesBlobsAndNulls() async throws {
        try await insert(1, "flag", true.mariaDBData)
        try await insert(2, "flag", false.mariaDBData)
        let observed12 = try await db.rows("SELECT flag FROM round_trip WHERE id = ?", [.int(1)])[0].decode(column: "flag", as: Bool.self)
        XCTAssertEqual(observed12, true)
        let observed13 = try await db.rows("SELECT flag FROM round_trip WHERE id = 2")[0].decode(column: "flag", as: Bool.self)
        XCTAssertEqual(observed13, false)

        try await insert(3, "ratio", .double(0.1))
        let observed14 = try await readBoth(3, "ratio").prepared
        XCTAssertEqual(observed14, .double(0.1))
        let observed15 = try await readBoth(3, "ratio").text
        XCTAssertEqual(observed15, .double(0.1))

        let bytes: [UInt8] = [0, 255, 0, 10, 13, 39, 92]
        try await insert(4, "blob_value", .bytes(bytes))
        let observed16 = try await readBoth(4, "blob_value").prepared
        XCTAssertEqual(observed16, .bytes(bytes))
        let observed17 = try await readBoth(4, "blob_value").text
        XCTAssertEqual(observed17, .bytes(bytes))

        try await db.query("INSERT INTO round_trip (id, big, label, at, day, flag, amount) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [.int(5), .null, .null, .null, .null, .null, .null])
        for column in ["big", "label", "at", "day", "flag", "amount", "blob_value", "body"] {
            let read = try await readBoth(5, column)
            XCTAssertEqual(read.prepared, .null, column)
            XCTAssertEqual(read.text, .null, column)
        }
        let row = try await db.rows("SELECT big, label FROM round_trip WHERE id = 5")[0]
        XCTAssertNil(try row.decode(column: "big", as: Int?.self))
        XCTAssertTrue(try row.decodeNil(column: "label"))
        XCTAssertThrowsError(try row.decode(column: "label", as: String.self))
    }

    func testColumnsAreFoundByNameInAnyOrderAndADuplicateNameIsItsFirstColumn() async throws {
        let rows = try await db.rows("SELECT ? AS a, ? AS b, ? AS a, ? AS c", [.int(1), .int(2), .int(3), .int(4)])
        for row in rows + rows {
            XCTAssertEqual(try row.decode(column: "a", as: Int.self), 1)
            XCTAssertEqual(try row.decode(column: "b", as: Int.self), 2)
            XCTAssertEqual(try row.decode(column: "a", as: Int.self), 1, "a repeated name reads its first column, also right after the second")
            XCTAssertEqual(try row.decode(column: "c", as: Int.self), 4)
            XCTAssertEqual(try row.decode(column: "b", as: Int.self), 2)
            XCTAssertFalse(row.contains(column: "d"))
            XCTAssertThrowsError(try row.decode(column: "d", as: Int.self))
        }
    }

    func testTheCommonTypesReadPlainAndOptionalByTheirRules() async throws {
        let select = "SELECT NULL AS nothing, 'text' AS label, 42 AS answer, CAST('12.50' AS DECIMAL(10,2)) AS price, "
            + "CAST('2026-04-26 10:00:00.250000' AS DATETIME(6)) AS at"
        let at = Date(timeIntervalSince1970: 1_777_197_600.25)
        // Text protocol, then a prepared statement: the same rules either way.
        for row in [try await db.rows(select)[0], try await db.rows(select + " FROM DUAL WHERE ? = 1", [.int(1)])[0]] {
            XCTAssertNil(try row.decode(column: "nothing", as: String?.self))
            XCTAssertNil(try row.decode(column: "nothing", as: Int64?.self))
            XCTAssertNil(try row.decode(column: "nothing", as: Int?.self))
            XCTAssertNil(try row.decode(column: "nothing", as: Date?.self))
            XCTAssertThrowsError(try row.decode(column: "nothing", as: String.self), "NULL is not a String")
            XCTAssertEqual(try row.decode(column: "label", as: String.self), "text")
            XCTAssertEqual(try row.decode(column: "label", as: String?.self), "text")
            XCTAssertThrowsError(try row.decode(column: "label", as: Int.self))
            XCTAssertThrowsError(try row.decode(column: "label", as: Int?.self))
            XCTAssertEqual(try row.decode(column: "answer", as: Int.self), 42)
            XCTAssertEqual(try row.decode(column: "answer", as: Int64?.self), 42)
            XCTAssertEqual(try row.decode(column: "answer", as: Bool.self), true)
            XCTAssertEqual(try row.decode(column: "price", as: String.self), "12.50")
            XCTAssertThrowsError(try row.decode(column: "price", as: Int?.self), "12.50 is not a whole number")
            XCTAssertEqual(try row.decode(column: "at", as: Date.self), at)
            XCTAssertEqual(try row.decode(column: "at", as: Date?.self), at)
        }
    }

    func testCodableModelsThroughSQLKit() async throws {
        struct Item: Codable, Equatable {
            var id: Int
            var big: Int64?
            var label: String
            var day: String
            var flag: Bool
        }
        let item = Item(id: 7, big: 9_007_199_254_740_993, label: "seven", day: "2026-04-26", flag: true)
        try await db.insert(into: "round_trip").model(item).run()
        let back = try await db.select().columns("id", "big", "label", "day", "flag").from("round_trip")
            .where("id", .equal, 7).first(decoding: Item.self)
        XCTAssertEqual(back, item)
    }
}
