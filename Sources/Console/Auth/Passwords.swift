import HummingbirdBcrypt
import NIOPosix

/// bcrypt, run on the blocking thread pool: a hash takes tens of milliseconds by design.
public struct Passwords: Sendable {
    /// 12 in production; tests lower it so fixtures are quick.
    public var cost: UInt8

    public init(cost: UInt8 = 12) { self.cost = cost }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Verified against when no user matches, so an unknown email costs the same time as a wrong
    /// password: a hash at the configured cost, whatever `BCRYPT_COST` says (no account enumeration by timing).
    public var decoyHash: String {
        let digits = cost < 10 ? "0\(cost)" : "\(cost)"
        return "$2b$\(digits)$C6UzMDM.H6dfI/f/IKcEeO5x9Wq3pG0c1t3J9y0Qb8pM1r7c3Qy5W"
    }
}
