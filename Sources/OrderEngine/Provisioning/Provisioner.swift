import Commerce
import Foundation
import Localization
import Logging
import MariaDB
import Storage

/// Takes orders in `provisioning` to `completed` or `provisioning_failed` (DOMAIN.md 7). Safe with
/// several workers on several nodes: an order is claimed by a conditional update committed before
/// any side effect, the connector call carries the order id, and the result commits in one
/// transaction with the subscription change that is conditional on the claim still being ours.
public struct Provisioner: Sendable {
    let database: MariaDBDatabase
    let connectors: ConnectorRegistry
    let clock: BusinessClock
    let logger: Logger
    /// How long a claim lasts unless renewed: a worker that dies (a node killed, a process
    /// crashed) leaves its orders to another worker this long after its last renewal. A live
    /// worker renews each claim every third of it while the connector works, so a slow vendor
    /// never loses its order to a second worker (issue 14: was 120 s without renewal).
    public var claimSeconds = 15
    /// Transient connector errors are retried this many times before the order fails.
    public var maxAttempts = 5
    /// Orders provisioned at once by this worker (each under its own claim, so every node may run one).
    public var concurrency = 8

    public init(database: MariaDBDatabase, connectors: ConnectorRegistry, clock: BusinessClock, logger: Logger) {
        self.database = database
        self.connectors = connectors
        self.clock = clock
        self.logger = logger
    }

    /// Claims and provisions what is due now; answers how many orders it finished.
    @discardableResult
    public func runOnce(limit: Int = 20) async throws -> Int {
        // Card payments a dead request left pending are settled first: one paid now provisions in this round.
        try await PaymentReconciler(database: database, clock: clock, logger: logger).settleStale()
        // Unpaid commitment and CSP orders past their expiry are closed first: they never provision.
        try await OrderService(database: database, clock: clock).expireDue()
        let due = try await OrderStore(database: database).unclaimedProvisioning(limit: max(limit, concurrency))
        // Up to `concurrency` orders at once, each claimed just before its turn so other workers can take the rest;
        // one order's failure neither cancels nor blocks the others.
        let (finished, failure) = await withTaskGroup(of: Result<Bool, any Error>.self) { group -> (Int, (any Error)?) in
            var next = due.makeIterator()
            func start() -> Bool {
                guard let id = next.next() else { return false }
                group.addTask {
                    do { return .success(try await self.claimAndProvision(id)) } catch { return .failure(error) }
                }
                return true
            }
            for _ in 0..<max(1, concurrency) where !start() { break }
            var finished = 0
            var failure: (any Error)?
            while let outcome = await group.next() {
                switch outcome {
                case .success(let done): if done { finished += 1 }
                case .failure(let error): failure = failure ?? error
                }
                _ = start()
            }
            return (finished, failure)
        }
        if let failure { throw failure }  // the others have run to their end
        return finished
    }

    /// Claims one order (unless another worker holds it) and provisions it. Answers whether it was finished.
    private func claimAndProvision(_ id: Int64) async throws -> Bool {
        let token = UUID().uuidString
        guard try await OrderStore(database: database).claim(id, token: token, for: claimSeconds) else { return false }  // another worker has it
        return try await withThrowingTaskGroup(of: Bool?.self) { group in
            group.addTask { try await self.provision(id, token: token) }
            group.addTask { await self.keepClaim(id, token: token); return nil }
            while let outcome = try await group.next() {
                guard let finished = outcome else { continue }  // the claim was lost: the completion will see it
                group.cancelAll()
                return finished
            }
            return false
        }
    }

    /// Renews a claim every third of its length until cancelled (the order is done) or lost.
    private func keepClaim(_ id: Int64, token: String) async {
        let store = OrderStore(database: database)
        while true {
            do {
                try await Task.sleep(for: .milliseconds(claimSeconds * 1000 / 3))
            } catch {
                return  // cancelled: provisioning ended
            }
            do {
                guard try await store.renew(id, token: token, for: claimSeconds) else { return }
            } catch {
                // A database hiccup: the next beat tries again, well before the claim runs out.
                logger.notice("could not renew a provisioning claim", metadata: ["order": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Polls until cancelled, waking at once when the bell rings.
    public func run(bell: ProvisioningBell, pollInterval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            var busy = false
            do {
                busy = try await runOnce() > 0
            } catch is CancellationError {
                break  // shutting down
            } catch {
                guard !Task.isCancelled else { break }
                logger.error("provisioning run failed", metadata: ["error": "\(error)"])
            }
            if busy { continue }
            await bell.wait(upTo: pollInterval)
        }
    }

    /// One claimed order: the connector, then the result. Answers whether the order was finished.
    private func provision(_ id: Int64, token: String) async throws -> Bool {
        guard let order = try await OrderStore(database: database).orderForWorker(id) else { return false }
        let result: ProvisioningResult
        do {
            let change = try ChangeRequest.parse(json: order.changeRequest)
            guard let connector = connectors.connector(named: order.connector) else {
                return try await finish(order, token: token, .failed("No connector named \(order.connector) is installed."))
            }
            var touched: [String] = []
            if let subscriptionID = order.subscriptionID, let subscription = try await SubscriptionStore(database: database).subscriptionForWorker(subscriptionID) {
                // Checked before the vendor is called, so a stale order never reaches it (and again in the completing transaction).
                if let against = try? ChangeRequest.decoder.decode(PricedAgainst.self, from: Data(order.pricedAgainst.utf8)), !against.matches(subscription) {
                    return try await finish(order, token: token, .failed("The subscription changed after the order was priced."))
                }
                touched = change.touchedResources(of: subscription)
                // DOMAIN.md 7: the vendor is asked again; if its answer changed, the order fails.
                if let refusal = try await vendorRefusal(change, order: order, subscription: subscription, connector: connector) {
                    return try await finish(order, token: token, .failed(refusal))
                }
            }
            result = try await connector.provision(ProvisioningRequest(orderID: order.id, subscriptionID: order.subscriptionID, planID: order.planID,
                                                                       change: change, touchedResources: touched))
        } catch {
            return try await retryLater(order, token: token, error)
        }
        do {
            return try await finish(order, token: token, result)
        } catch {
            // A completion that can't commit (retried whole on deadlocks already) is tried again later, then failed.
            return try await retryLater(order, token: token, error)
        }
    }

    /// Lets go of the claim and comes back later, a little later each time; after `maxAttempts`, fails the order.
    private func retryLater(_ order: Order, token: String, _ error: any Error) async throws -> Bool {
        if order.attempts >= maxAttempts {
            return try await finish(order, token: token, .failed("Provisioning kept failing: \(error)"))
        }
        let delay = min(300, 1 << min(order.attempts, 8))
        try await OrderStore(database: database).release(order.id, token: token, retryIn: delay)
        logger.warning("provisioning will be retried", metadata: ["order": "\(order.id)", "error": "\(error)"])
        return false
    }

    /// The vendor's refusal of the order's reductions now, if it refuses.
    private func vendorRefusal(_ change: ChangeRequest, order: Order, subscription: Subscription, connector: any Connector) async throws -> String? {
        guard let checker = connector as? any ReductionChecking else { return nil }
        let plans = PlanStore(database: database)
        let plan = try await plans.planForWorker(order.planID)
        var target: Plan?
        var isDowngrade = false
        switch change {
        case .plan(let targetID, _): target = try await plans.planForWorker(targetID)
        case .resourceSwitch(let from, let to):
            let pairs = try await plans.upgradePairs(of: plan)
            isDowngrade = !pairs.contains { $0.from.code == from && $0.to.code == to }
        case .quantities, .sales, .renewal, .cancellation: break
        }
        for reduction in change.reductions(of: subscription, target: target, isDowngrade: isDowngrade) {
            if case .refused(_, let reason) = try await checker.check(reduction, subscriptionID: subscription.id) {
                return "The vendor refused at provisioning: \(reason)"
            }
        }
        return nil
    }

    /// The result, the subscription change and any credit, in one transaction that only goes ahead
    /// while the claim is still this worker's.
    private func finish(_ claimed: Order, token: String, _ result: ProvisioningResult) async throws -> Bool {
        let now = try await clock.now()  // read before the transaction: inside it, every query goes through its connection
        let today = BusinessDate(instant: now)
        return try await database.withTransaction { tx in
            // Lock order: subscription, then order, then customer (as submit and payment do).
            var subscription: Subscription?
            if let subscriptionID = claimed.subscriptionID {
                subscription = try await SubscriptionStore(database: tx).subscriptionForWorker(subscriptionID, on: tx, forUpdate: true)
            }
            guard try await OrderStore.lockClaim(claimed.id, token: token, on: tx) else { return false }
            let customer = try await AccountStore(database: tx).accountForWorker(claimed.customerID, on: tx)
            var outcome = result
            if case .done = outcome, let subscription, let against = try? ChangeRequest.decoder.decode(PricedAgainst.self, from: Data(claimed.pricedAgainst.utf8)),
               !against.matches(subscription) {
                outcome = .failed("The subscription changed after the order was priced.")
            }
            switch outcome {
            case .done:
                try await UpstreamCharges.record(claimed, on: tx)
                if claimed.kind == .sales {
                    let created = try await ChangeApplier.createSubscription(claimed, customer: customer, on: tx)
                    try await OrderStore.setSubscription(of: claimed.id, to: created, on: tx)
                }
                if let subscription {
                    try await ChangeApplier.apply(claimed, to: subscription, today: today, on: tx)
                    // The subscription's own trail shows the change, next to imports and staff edits.
                    if let changed = try await SubscriptionStore(database: tx).subscriptionForWorker(subscription.id, on: tx) {
                        try await AuditLog.record(on: tx, actor: nil, account: customer, objectType: "subscription", objectID: subscription.id,
                                                  action: "order #\(claimed.id)", before: SubscriptionAudit(subscription), after: SubscriptionAudit(changed))
                    }
                }
                // A negative total of a prepaid order is a refund to credit (postpaid goes on the period's invoice).
                if claimed.totals.total < 0 && claimed.billingType != BillingType.postpaid.rawValue {
                    _ = try await CreditLedger.lockedBalance(of: customer.id, on: tx)
                    try await CreditLedger.post(claimed.money(-claimed.totals.total), to: customer, reason: "Refund of order #\(claimed.id): \(claimed.summary)",
                                                orderID: claimed.id, actor: nil, on: tx)
                }
                guard try await OrderStore.move(claimed.id, from: .provisioning, to: .completed, claimToken: token, on: tx) else {
                    throw StoreError.conflict(code: "order_moved", message: .init("error.order.moved_completing", ["order": .text(String(claimed.id))]))
                }
                // A postpaid switch to a new period whose old period holds unbilled changes: that period is
                // invoiced now, as it began, with its changes and this switch's credit (DOMAIN.md 6).
                if let subscription, claimed.kind == .planSwitch, claimed.billingType == BillingType.postpaid.rawValue, claimed.billedInvoiceID == nil,
                   case .plan(_, let months)? = try? ChangeRequest.parse(json: claimed.changeRequest), months != subscription.period.months {
                    let plan = try await PlanStore(database: tx).planForWorker(subscription.planID)
                    try await BillingRun.issuePostpaidInvoice(subscription, plan: plan, customer: customer, today: today, now: now, endsEarly: true, on: tx)
                }
            case .failed(let reason):
                // Whatever was paid for it comes back as credit.
                if let invoiceID = claimed.invoiceID {
                    try await OrderService.returnPaid(claimed, invoice: invoiceID, customer: customer,
                                                      reason: "Order #\(claimed.id) could not be provisioned: payment returned", actor: nil, on: tx)
                }
                guard try await OrderStore.move(claimed.id, from: .provisioning, to: .provisioningFailed, failureReason: reason, claimToken: token, on: tx) else {
                    throw StoreError.conflict(code: "order_moved", message: .init("error.order.moved_failing", ["order": .text(String(claimed.id))]))
                }
            }
            guard let after = try await OrderStore(database: tx).orderForWorker(claimed.id, on: tx) else { return false }
            try await AuditLog.record(on: tx, actor: nil, account: customer, objectType: "order", objectID: claimed.id, action: "provisioning",
                                      before: OrderAudit(claimed), after: OrderAudit(after))
            try await Outbox.record(on: tx, [try .orderFinished(after, customer: customer)])
            return true
        }
    }
}
