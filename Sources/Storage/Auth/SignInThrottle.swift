import Foundation
import MariaDB

/// Slows, then refuses, repeated failed sign-ins for one email or one address.
/// Counted over a sliding window in real time; a success clears the email's failures.
public struct SignInThrottle: Sendable {
    let database: MariaDBDatabase
    public var window: Duration = .seconds(15 * 60)
    /// From this many failures on, each attempt waits a little longer.
    public var slowAfter = 5
    /// From this many failures on, attempts are refused until the window has passed.
    public var refuseAfter = 10
    public var delayStep: Duration = .milliseconds(500)

    public init(database: MariaDBDatabase) { self.database = database }

    public enum Verdict: Equatable, Sendable {
        case proceed(delay: Duration)
        case refused(retryAfterMinutes: Int)
    }

    public func verdict(email: String, address: String) async throws -> Verdict {
        let seconds = Int64(window.components.seconds)
        let rows = try await database.rows(
            """
            SELECT
              (SELECT COUNT(*) FROM signin_failures WHERE email = ? AND failed_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND) AS by_email,
              (SELECT COUNT(*) FROM signin_failures WHERE address = ? AND failed_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND) AS by_address
            """,
            [.string(normalized(email)), .int(seconds), .string(address), .int(seconds)])
        let failures = max(try rows[0].decode(column: "by_email", as: Int.self), try rows[0].decode(column: "by_address", as: Int.self))
        if failures >= refuseAfter { return .refused(retryAfterMinutes: Int(seconds / 60)) }
        if failures >= slowAfter { return .proceed(delay: delayStep * (failures - slowAfter + 1)) }
        return .proceed(delay: .zero)
    }

    public func recordFailure(email: String, address: String) async throws {
        try await database.query("INSERT INTO signin_failures (email, address, failed_at) VALUES (?, ?, UTC_TIMESTAMP(6))",
                                 [.string(normalized(email)), .string(address)])
    }

    public func recordSuccess(email: String) async throws {
        try await database.query("DELETE FROM signin_failures WHERE email = ?", [.string(normalized(email))])
    }

    private func normalized(_ email: String) -> String {
        String(email.trimmingCharacters(in: .whitespaces).lowercased().prefix(254))
    }
}
