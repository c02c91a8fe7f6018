import Foundation
import MariaDB

/// The order state machine (DOMAIN.md 7): an order awaiting payment is paid (provisioning),
/// cancelled or expires; one being provisioned completes or fails; the rest are terminal.
extension OrderStatus {
    /// Where an order in this status may move.
    public var allowedMoves: Set<OrderStatus> {
        switch self {
        case .awaitingPayment: [.provisioning, .cancelled, .expired]
        case .provisioning: [.completed, .provisioningFailed]
        case .completed, .provisioningFailed, .expired, .cancelled: []
        }
    }

    public func canMove(to next: OrderStatus) -> Bool { allowedMoves.contains(next) }
}

extension OrderStore {
    /// Moves an order from one status to the next, with the columns that move sets, only while the
    /// order is still in `from` (and, when given, still claimed with `claimToken`). Answers whether
    /// it moved: false when the order was elsewhere already, or the machine does not allow the move
    /// (then nothing is written).
    public static func move(_ id: Int64, from: OrderStatus, to: OrderStatus, failureReason: String? = nil, claimToken: String? = nil,
                            on tx: MariaDBDatabase) async throws -> Bool {
        guard from.canMove(to: to) else { return false }
        var sets = ["status = ?", "updated_at = UTC_TIMESTAMP(6)"]
        var binds: [MariaDBData] = [.string(to.rawValue)]
        switch to {
        case .provisioning:
            sets.append("paid_at = UTC_TIMESTAMP(6)")
        case .cancelled, .expired:
            // A renewal that ends unpaid frees its period's key: the billing run may issue the period again.
            sets += ["open_subscription_id = NULL", "renewal_key = NULL"]
        case .completed:
            sets += ["open_subscription_id = NULL", "completed_at = UTC_TIMESTAMP(6)", "claim_token = NULL", "claimed_until = NULL"]
        case .provisioningFailed:
            sets += ["open_subscription_id = NULL", "renewal_key = NULL", "failure_reason = ?", "completed_at = UTC_TIMESTAMP(6)",
                     "claim_token = NULL", "claimed_until = NULL"]
            binds.append(.string((failureReason ?? "").scalarPrefix(500)))
        case .awaitingPayment:
            return false
        }
        var conditions = "id = ? AND status = ?"
        binds += [.int(id), .string(from.rawValue)]
        if let claimToken {
            conditions += " AND claim_token = ?"
            binds.append(.string(claimToken))
        }
        return try await tx.query("UPDATE orders SET \(sets.joined(separator: ", ")) WHERE \(conditions)", binds).affectedRows == 1
    }
}
