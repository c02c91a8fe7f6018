import Foundation
import MariaDB

/// Slows, then refuses, repeated failed sign-ins for one email or one address.
/// Counted over a sliding window in real time; a success clears the email's failures.
///
/// Each attempt is admitted in one short transaction that first writes the row of its email and
/// of its address in `signin_throttle_subjects` (so concurrent attempts for either wait for each
/// other, on every Galera node, since written rows are certified), then counts the window's
/// failures and, unless refused, records itself as a failure. The password is checked after that
/// commit; only a success takes the failure back. Forty attempts at once are thus counted one
/// after another, never all against an empty count.
///
/// An attempt still being checked counts against its email but not yet against its address: it
/// is recorded with an empty address, which `recordFailure` fills in once the password proved
/// wrong. Otherwise ten people signing in at once behind one address (an office, the TLS proxy)
/// would refuse the right passwords of everyone after them for the whole window.
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
        /// Check the password after `delay`; `attempt` is the failure recorded for it.
        case proceed(delay: Duration, attempt: Int64)
        case refused(retryAfterMinutes: Int)
    }

    /// Counts the failures before this attempt and, unless they refuse it, records the attempt as
    /// a failure of the email, atomically. The caller checks the password after `delay`, and calls
    /// `recordSuccess` if it was right, `recordFailure` if not.
    public func admit(email: String, address: String) async throws -> Verdict {
        let seconds = Int64(window.components.seconds)
        let email = normalized(email)
        let address = String(address.prefix(64))
        return try await database.withTransaction { tx in
            // Sorted, so two attempts lock their rows in one order ("address:" < "email:").
            try await tx.query(
                """
                INSERT INTO signin_throttle_subjects (subject, touched_at) VALUES (?, UTC_TIMESTAMP(6)), (?, UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE touched_at = VALUES(touched_at)
                """, [.string("address:" + address), .string("email:" + email)])
            let rows = try await tx.rows(
                """
                SELECT
                  (SELECT COUNT(*) FROM signin_failures WHERE email = ? AND failed_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND) AS by_email,
                  (SELECT COUNT(*) FROM signin_failures WHERE address = ? AND failed_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND) AS by_address
                """,
                [.string(email), .int(seconds), .string(address), .int(seconds)])
            let failures = max(try rows[0].decode(column: "by_email", as: Int.self), try rows[0].decode(column: "by_address", as: Int.self))
            if failures >= refuseAfter { return .refused(retryAfterMinutes: Int(seconds / 60)) }
            // No address until the password proved wrong (see the type's comment).
            let attempt = Int64(try await tx.query("INSERT INTO signin_failures (email, address, failed_at) VALUES (?, '', UTC_TIMESTAMP(6))",
                                                   [.string(email)]).lastInsertID)
            return .proceed(delay: failures >= slowAfter ? delayStep * (failures - slowAfter + 1) : .zero, attempt: attempt)
        }
    }

    /// The password was wrong: the attempt counts against its address too from now on.
    public func recordFailure(_ attempt: Int64, address: String) async throws {
        try await database.query("UPDATE signin_failures SET address = ? WHERE id = ?", [.string(String(address.prefix(64))), .int(attempt)])
    }

    /// The password was right: the email's failures, this attempt's included, are forgotten.
    public func recordSuccess(email: String) async throws {
        try await database.query("DELETE FROM signin_failures WHERE email = ?", [.string(normalized(email))])
    }

    private func normalized(_ email: String) -> String {
        String(email.trimmingCharacters(in: .whitespaces).lowercased().prefix(254))
    }
}
