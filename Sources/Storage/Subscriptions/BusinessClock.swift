import Commerce
import Foundation
import Localization
import MariaDB

/// Where business dates come from (DOMAIN.md 2): the real UTC date, or in test mode the moment a
/// provider admin set (kept in the database, so every node agrees). Sessions, tokens, throttling
/// and audit times never read this.
public struct BusinessClock: Sendable {
    let database: MariaDBDatabase
    public let testMode: Bool

    public init(database: MariaDBDatabase, testMode: Bool) {
        self.database = database
        self.testMode = testMode
    }

    public func now() async throws -> Date {
        guard testMode else { return Date() }
        let rows = try await database.rows("SELECT clock_now FROM business_clock WHERE id = 1")
        return try rows.first?.decode(column: "clock_now", as: Date.self) ?? Date()
    }

    /// Today's business date, in UTC.
    public func today() async throws -> BusinessDate { BusinessDate(instant: try await now()) }

    /// Sets the clock (test mode, provider admins); it may go backwards.
    public func set(_ moment: Date, by actor: Actor) async throws {
        guard testMode else { throw StoreError.notFound("clock") }
        guard Policy.allows(actor, .setClock) else { throw StoreError.forbidden(.init("error.forbidden.clock")) }
        try await database.query(
            """
            INSERT INTO business_clock (id, clock_now, set_at, set_by) VALUES (1, ?, UTC_TIMESTAMP(6), ?)
            ON DUPLICATE KEY UPDATE clock_now = VALUES(clock_now), set_at = VALUES(set_at), set_by = VALUES(set_by)
            """, [moment.mariaDBData, .int(actor.userID)])
    }
}

extension BusinessDate {
    /// The UTC date of an instant.
    public init(instant: Date) {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down))
        self.init(ordinal: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    }

    /// Midnight UTC of this date.
    public var instant: Date { Date(timeIntervalSince1970: TimeInterval(ordinal) * 86_400) }

    public var mariaDB: MariaDBData { .date(MariaDBCalendarDate(year: year, month: month, day: day)) }
}
