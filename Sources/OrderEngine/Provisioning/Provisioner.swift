import Commerce
import Foundation
import Logging
import MariaDB
import Storage
import Synchronization

/// What a connector is asked to carry out: always with the order id, so a repeat does nothing twice.
public struct ProvisioningRequest: Sendable {
    public var orderID: Int64
    public var subscriptionID: Int64?
    public var planID: Int64
    public var change: ChangeRequest
    public var touchedResources: [String]

    public init(orderID: Int64, subscriptionID: Int64?, planID: Int64, change: ChangeRequest, touchedResources: [String]) {
        self.orderID = orderID
        self.subscriptionID = subscriptionID
        self.planID = planID
        self.change = change
        self.touchedResources = touchedResources
    }
}

public enum ProvisioningResult: Sendable, Equatable {
    case done
    case failed(String)
}

/// The vendor side of a plan (DOMAIN.md 7). Throwing means "try again later"; `.failed` is final.
public protocol Connector: Sendable {
    var name: String { get }
    func provision(_ request: ProvisioningRequest) async throws -> ProvisioningResult
}

/// The optional capability of a connector to vet reductions (DOMAIN.md 7). Connectors without it
/// skip the check.
public protocol ReductionChecking: Connector {
    func check(_ reduction: Reduction, subscriptionID: Int64) async throws -> VendorAnswer
}

/// The connectors installed, by the name plans carry.
public struct ConnectorRegistry: Sendable {
    let connectors: [String: any Connector]

    public init(_ connectors: [any Connector]) {
        self.connectors = Dictionary(connectors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public static func standard(database: MariaDBDatabase) -> ConnectorRegistry { ConnectorRegistry([TestConnector(database: database)]) }

    public func connector(named name: String) -> (any Connector)? { connectors[name] }
}

/// The built-in test connector: it applies every change, unless staff told it to fail for a
/// resource (`fail_provisioning`). It keeps its own record per order id, as a vendor would, and
/// answers a repeated request with the first answer.
public struct TestConnector: ReductionChecking {
    let store: TestConnectorStore
    public let name = "test"

    public init(database: MariaDBDatabase) { store = TestConnectorStore(database: database) }

    public func provision(_ request: ProvisioningRequest) async throws -> ProvisioningResult {
        if let recorded = try await recorded(request.orderID) { return recorded }
        let failing = try await store.failingProvisioning(among: request.touchedResources)
        let outcome = failing.isEmpty ? "applied" : "failed: the test connector is set to fail provisioning of \(failing.joined(separator: ", "))"
        try await store.record(order: request.orderID, subscription: request.subscriptionID, outcome: outcome)
        return try await recorded(request.orderID) ?? .done
    }

    /// Staff's rules per resource: reductions not allowed at all, or not below a minimum.
    public func check(_ reduction: Reduction, subscriptionID: Int64) async throws -> VendorAnswer {
        guard let rule = try await store.rule(reduction.resourceCode) else { return .allowed }
        let minimum = rule.minQuantity
        if !rule.reductionsAllowed {
            return .refused(minimum: reduction.currentTotal, reason: "The vendor does not allow reducing \(reduction.resourceCode).")
        }
        if reduction.newTotal < minimum {
            return .refused(minimum: minimum, reason: "The vendor requires at least \(minimum) \(reduction.resourceCode); \(reduction.newTotal) asked.")
        }
        return .allowed
    }

    private func recorded(_ orderID: Int64) async throws -> ProvisioningResult? {
        guard let outcome = try await store.outcome(of: orderID) else { return nil }
        return outcome == "applied" ? .done : .failed(String(outcome.dropFirst("failed: ".count)))
    }
}

/// Rung when an order enters `provisioning`, so a waiting worker starts at once instead of at its
/// next poll. One worker waits on it at a time.
public final class ProvisioningBell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    public init() {}

    public func ring() {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.rung = true
            return nil
        }?.resume()
    }

    /// Returns when the bell rings (at once if it rang since the last wait) or after `timeout`.
    func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.rung || Task.isCancelled {
                        state.rung = false
                        return true
                    }
                    state.waiter?.resume()
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }
    }
}

/// Takes orders in `provisioning` to `completed` or `provisioning_failed` (DOMAIN.md 7). Safe with
/// several workers on several nodes: an order is claimed by a conditional update committed before
/// any side effect, the connector call carries the order id, and the result commits in one
/// transaction with the subscription change that is conditional on the claim still being ours.
public struct Provisioner: Sendable {
    let database: MariaDBDatabase
    let connectors: ConnectorRegistry
    let clock: BusinessClock
    let logger: Logger
    /// How long a claim lasts: a worker that dies leaves the order to another after this.
    public var claimSeconds = 120
    /// Transient connector errors are retried this many times before the order fails.
    public var maxAttempts = 5

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
        let orders = OrderStore(database: database)
        var finished = 0
        for id in try await orders.unclaimedProvisioning(limit: limit) {
            let token = UUID().uuidString
            guard try await orders.claim(id, token: token, for: claimSeconds) else { continue }  // another worker has it
            if try await provision(id, token: token) { finished += 1 }
        }
        return finished
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
        let today = try await clock.today()  // read before the transaction: inside it, every query goes through its connection
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
                    throw StoreError.conflict(code: "order_moved", message: "Order #\(claimed.id) left provisioning while it completed.")
                }
            case .failed(let reason):
                // Whatever was paid for it comes back as credit.
                if let invoiceID = claimed.invoiceID {
                    try await OrderService.returnPaid(claimed, invoice: invoiceID, customer: customer,
                                                      reason: "Order #\(claimed.id) could not be provisioned: payment returned", actor: nil, on: tx)
                }
                guard try await OrderStore.move(claimed.id, from: .provisioning, to: .provisioningFailed, failureReason: reason, claimToken: token, on: tx) else {
                    throw StoreError.conflict(code: "order_moved", message: "Order #\(claimed.id) left provisioning while it failed.")
                }
            }
            guard let after = try await OrderStore(database: tx).orderForWorker(claimed.id, on: tx) else { return false }
            try await AuditLog.record(on: tx, actor: nil, account: customer, objectType: "order", objectID: claimed.id, action: "provisioning",
                                      before: OrderAudit(claimed), after: OrderAudit(after))
            return true
        }
    }
}

/// Carries a completed order's change into its subscription (inside the completing transaction).
enum ChangeApplier {
    /// A sales order completes: the subscription it sold, from the order's business date (a trial first when the plan has one).
    static func createSubscription(_ order: Order, customer: Account, on tx: MariaDBDatabase) async throws -> Int64 {
        guard case .sales(let planID, let months, let additional) = try ChangeRequest.parse(json: order.changeRequest) else {
            throw StoreError.invalid(field: "change", message: "Order #\(order.id) is not a sales order.")
        }
        let plan = try await PlanStore(database: tx).planForWorker(planID)
        let start = order.effectiveDate
        let trial = plan.trialDays > 0
        let period = trial ? BillingPeriod(start: start, end: start.adding(days: plan.trialDays), months: months)
                           : BillingPeriod(starting: start, months: months, anchorDay: start.day)
        // Paid through: a prepaid period is paid by this order; a trial and a postpaid period are not.
        // A trial's end is its first renewal; a postpaid period is invoiced at its end.
        let paidUntil = plan.billingType == .postpaid ? period.start : period.end
        let codes = try await ResourceStore(database: tx).codes()
        let id = try await SubscriptionStore.create(
            customer: customer, plan: plan, status: trial ? .trial : .active, period: period, paidUntil: paidUntil, anchorDay: trial ? period.end.day : start.day,
            pricedAt: order.quotedAt ?? order.createdAt,
            additional: Dictionary(uniqueKeysWithValues: plan.resources.map { ($0.resourceID, additional[codes[$0.resourceID] ?? ""] ?? 0) }),
            createdBy: order.createdBy, on: tx)
        if let created = try await SubscriptionStore(database: tx).subscriptionForWorker(id, on: tx) {
            try await AuditLog.record(on: tx, actor: nil, account: customer, objectType: "subscription", objectID: id, action: "order #\(order.id)",
                                      before: nil as SubscriptionAudit?, after: SubscriptionAudit(created))
        }
        return id
    }

    static func apply(_ order: Order, to subscription: Subscription, today: BusinessDate, on tx: MariaDBDatabase) async throws {
        let change = try ChangeRequest.parse(json: order.changeRequest)
        func setAdditional(_ line: Subscription.Line, _ additional: Int64) async throws {
            try await SubscriptionStore.setAdditional(additional, of: line.resourceID, in: subscription.id, on: tx)
        }
        switch change {
        case .quantities(let wanted):
            for (code, additional) in wanted.sorted(by: { $0.key < $1.key }) {
                guard let line = subscription.line(code) else { continue }
                try await setAdditional(line, additional)
            }
        case .resourceSwitch(let fromCode, let toCode):
            guard let from = subscription.line(fromCode), let to = subscription.line(toCode) else {
                throw StoreError.invalid(field: "change", message: "The subscription no longer holds \(fromCode) and \(toCode).")
            }
            try await setAdditional(from, from.additional - 1)
            try await setAdditional(to, to.additional + 1)
        case .plan(let targetID, let months):
            let target = try await PlanStore(database: tx).planForWorker(targetID)
            for line in subscription.resources where !target.resources.contains(where: { $0.resourceID == line.resourceID }) {
                try await SubscriptionStore.removeResource(line.resourceID, from: subscription.id, on: tx)
            }
            for rate in target.resources {
                if subscription.resources.contains(where: { $0.resourceID == rate.resourceID }) {
                    try await SubscriptionStore.setIncluded(rate.included, of: rate.resourceID, in: subscription.id, on: tx)
                } else {
                    try await SubscriptionStore.addResource(rate.resourceID, included: rate.included, to: subscription.id, on: tx)
                }
            }
            let pricedAt = order.quotedAt ?? order.createdAt
            if months == subscription.period.months {
                try await SubscriptionStore.switchPlan(subscription.id, to: targetID, pricedAt: pricedAt, on: tx)
            } else {
                // A new billing period starts on the day of the switch (DOMAIN.md 6).
                let start = order.effectiveDate
                let period = BillingPeriod(starting: start, months: months, anchorDay: start.day)
                let paidUntil = order.billingType == BillingType.postpaid.rawValue ? period.start : period.end
                try await SubscriptionStore.switchPlan(subscription.id, to: targetID, pricedAt: pricedAt, newPeriod: (period, paidUntil, start.day), on: tx)
            }
        case .renewal(let start, let end):
            // Paid for the next period; if that period has begun, the subscription rolls into it now
            // (and is active again if an unpaid renewal had suspended it).
            try await SubscriptionStore.extendPaidUntil(subscription.id, to: end, on: tx)
            let reactivates = subscription.status == .suspended && subscription.suspendedByBilling
            if subscription.period.end == start && start <= today {
                let next = BillingPeriod(start: start, end: end, months: subscription.period.months)
                try await rollOver(subscription, to: next, status: subscription.status == .trial || reactivates ? .active : nil, on: tx)
            } else if reactivates {
                try await SubscriptionStore.reactivate(subscription.id, on: tx)
            }
        case .cancellation:
            try await SubscriptionStore.cancel(subscription.id, atPeriodEnd: false, on: tx)
        case .sales:
            break
        }
        try await SubscriptionStore.touch(subscription.id, by: order.createdBy, on: tx)
    }

    /// The next period starts while the current one is still the one read; a scheduled change
    /// applies now. `status` given: the subscription takes it (a trial ends, a billing suspension is lifted).
    static func rollOver(_ subscription: Subscription, to next: BillingPeriod, status: SubscriptionStatus?, on tx: MariaDBDatabase) async throws {
        guard try await SubscriptionStore.rollOver(subscription.id, from: subscription.period.start, to: next, status: status, on: tx) else { return }
        for (code, additional) in subscription.scheduledAdditional {
            guard let line = subscription.line(code) else { continue }
            try await SubscriptionStore.setAdditional(additional, of: line.resourceID, in: subscription.id, on: tx)
        }
    }
}
