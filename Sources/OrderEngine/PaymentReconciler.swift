import Logging
import MariaDB
import Storage

/// Settles card payments left `pending` (DOMAIN.md 9): a request that died between the gateway's
/// charge and the outcome's commit, or a gateway that did not answer. Runs in the provisioning
/// worker's loop; asks the gateway by the payment's idempotency key and commits its answer the
/// way the request would have. A payment the gateway never saw was never charged: it fails.
///
/// `olderThanSeconds` must exceed how long a request may wait for the gateway, so a charge still
/// in flight is never settled under it. Safe on several nodes: settling is conditional on the
/// payment still being pending, and the first outcome stands.
public struct PaymentReconciler: Sendable {
    let payments: PaymentService
    let logger: Logger
    public var olderThanSeconds: Int

    public init(database: MariaDBDatabase, clock: BusinessClock, gateway: (any PaymentGateway)? = nil, bell: ProvisioningBell? = nil,
                logger: Logger, olderThanSeconds: Int = 30) {
        payments = PaymentService(database: database, clock: clock, bell: bell, gateway: gateway)
        self.logger = logger
        self.olderThanSeconds = olderThanSeconds
    }

    /// Settles what is due now; answers how many payments it settled. A gateway that can't answer
    /// leaves its payment for the next round.
    @discardableResult
    public func settleStale(limit: Int = 50) async throws -> Int {
        var settled = 0
        for id in try await PaymentStore(database: payments.database).pending(olderThan: olderThanSeconds, limit: limit) {
            let answer: GatewayAnswer
            do {
                answer = try await payments.gateway.status(of: PaymentService.idempotencyKey(of: id)) ?? .error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning("the gateway could not say how a pending payment ended; asking again later", metadata: ["payment": "\(id)", "error": "\(error)"])
                continue
            }
            let (payment, _) = try await payments.settle(id, answer: answer, actor: nil)
            logger.notice("pending payment settled", metadata: ["payment": "\(id)", "status": "\(payment.status.rawValue)"])
            settled += 1
        }
        return settled
    }
}
