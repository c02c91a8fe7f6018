import Commerce
import Foundation
import MariaDB
import OrderEngine
import Storage
import TestSupport
import XCTest

/// Card payments outside the retried transaction (DOMAIN.md 9): recorded `pending` and committed,
/// charged with the payment's id as the idempotency key, the outcome committed after; a payment a
/// crash left pending is settled by the worker's reconciler asking the gateway. A charge is never
/// made twice. Figures: +4 GB = 5.00 prorated + 4.00 setup, tax 1.80: an invoice of 10.80.
final class PaymentGatewayTests: XCTestCase {
    /// The request dies after the gateway charged and before the outcome committed (the gateway
    /// answers nothing more to it): the payment stays pending, the customer's retry is refused, and
    /// the reconciler settles it from the gateway's books: one charge, a paid invoice, an order that
    /// completes.
    func testACrashBetweenChargeAndCommitEndsWithOneChargeAndAPaidInvoice() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        let crashing = PaymentService(database: w.database, clock: w.clock, bell: w.bell, gateway: CrashesAfterCharging(database: w.database))
        var pendingID: Int64 = 0
        do {
            _ = try await crashing.pay(invoice: order.invoiceID!, .card(number: TestGateway.approved), in: w.customer.scope)
            XCTFail("the request died before the outcome committed")
        } catch let failure as OrderService.PaymentFailed {
            XCTAssertEqual(failure.payment.status, .pending)
            XCTAssertTrue(failure.gatewayError, "answered 502: the outcome is not known yet")
            pendingID = failure.payment.id
        }
        try await expectCharges(w, [PaymentService.idempotencyKey(of: pendingID): "approved 1080 asked 1"])
        let unpaid = try await w.invoice(order.invoiceID!)
        XCTAssertEqual(unpaid.status, .unpaid, "the charge is on the gateway's books only")
        XCTAssertEqual(unpaid.paid, 0)

        // Paying again while it is pending is refused: the card is not charged a second time.
        try await expectPaymentPending(await w.pay(order))
        // The worker leaves a fresh pending payment to its request (30 s by default)...
        _ = try await w.provisioner.runOnce()
        let stillPending = try await PaymentStore(database: w.database).payment(pendingID, in: w.provider.scope).status
        XCTAssertEqual(stillPending, .pending)
        // ...and settles it once it is older than that.
        let settled = try await reconciler(w).settleStale()
        XCTAssertEqual(settled, 1)
        let payment = try await PaymentStore(database: w.database).payment(pendingID, in: w.provider.scope)
        XCTAssertEqual(payment.status, .succeeded)
        XCTAssertEqual(payment.amount.minorUnits, 1080)
        XCTAssertEqual(payment.cardLast4, "4242")
        XCTAssertNotNil(payment.settledAt)
        let paid = try await w.invoice(order.invoiceID!)
        XCTAssertEqual(paid.status, .paid)
        XCTAssertEqual(paid.paid, 1080)
        let moved = try await w.order(order.id).status
        XCTAssertEqual(moved, .provisioning)
        try await w.provisionAll()
        let done = try await w.order(order.id).status
        XCTAssertEqual(done, .completed)
        let ram = try await w.current().line("ram_gb")?.additional
        XCTAssertEqual(ram, 6)
        let again = try await reconciler(w).settleStale()
        XCTAssertEqual(again, 0, "nothing is left pending")
        try await expectCharges(w, [PaymentService.idempotencyKey(of: pendingID): "approved 1080 asked 1"])
        let payments = try await w.count("SELECT COUNT(*) AS n FROM payments")
        XCTAssertEqual(payments, 1)
    }

    /// The outcome's transaction aborts after the charge (the process dies there): the same end.
    func testAnAbortInTheOutcomeTransactionIsSettledByTheReconcilerWithoutASecondCharge() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        var dying = PaymentService(database: w.database, clock: w.clock, bell: w.bell)
        dying.beforeOutcomeWrite = { throw SimulatedCrash() }
        do {
            _ = try await dying.pay(invoice: order.invoiceID!, .card(number: TestGateway.approved), in: w.customer.scope)
            XCTFail("the outcome never committed")
        } catch is SimulatedCrash {}
        let pending = try await w.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'pending'")
        XCTAssertEqual(pending, 1)
        let settled = try await reconciler(w).settleStale()
        XCTAssertEqual(settled, 1)
        let invoice = try await w.invoice(order.invoiceID!)
        XCTAssertEqual(invoice.status, .paid)
        try await w.provisionAll()
        let done = try await w.order(order.id).status
        XCTAssertEqual(done, .completed)
        let charges = try await w.count("SELECT COUNT(*) AS n FROM test_gateway_charges WHERE outcome = 'approved' AND requests = 1")
        XCTAssertEqual(charges, 1)
    }

    /// A deadlock in the outcome's transaction reruns the transaction, not the charge: the gateway
    /// is asked once, one payment succeeds, one audit entry says so. (The deadlock is the server's
    /// error 1213 raised inside the transaction, through the driver's real retry.)
    func testADeadlockRetriedOutcomeNeverChargesTwice() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        let gateway = CountingGateway(TestGateway(database: w.database))
        let attempts = Attempts()
        var payments = PaymentService(database: w.database, clock: w.clock, bell: w.bell, gateway: gateway)
        payments.beforeOutcomeWrite = {
            if await attempts.next() == 1 {
                throw MariaDBError(kind: .server, code: 1213, sqlState: "40001", message: "Deadlock found when trying to get lock")
            }
        }
        let paid = try await payments.pay(invoice: order.invoiceID!, .card(number: TestGateway.approved), in: w.customer.scope)
        XCTAssertEqual(paid.payment.status, .succeeded)
        XCTAssertEqual(paid.invoice.status, .paid)
        XCTAssertEqual(paid.order?.status, .provisioning)
        let outcomeRuns = await attempts.count
        XCTAssertEqual(outcomeRuns, 2, "the outcome's transaction ran twice")
        let charged = await gateway.charges
        XCTAssertEqual(charged, 1, "the gateway was asked once")
        try await expectCharges(w, [PaymentService.idempotencyKey(of: paid.payment.id): "approved 1080 asked 1"])
        let succeeded = try await w.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'succeeded'")
        XCTAssertEqual(succeeded, 1)
        let audited = try await w.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'payment card succeeded'")
        XCTAssertEqual(audited, 1)
    }

    /// A declined card: one attempt on record (settled, so it blocks nothing), the invoice unpaid.
    func testADeclinedCardStaysUnpaidWithOneAttempt() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        do {
            _ = try await w.pay(order, .card(number: TestGateway.declined))
            XCTFail("declined")
        } catch let failure as OrderService.PaymentFailed {
            XCTAssertFalse(failure.gatewayError)
            XCTAssertEqual(failure.payment.status, .declined)
            try await expectCharges(w, [PaymentService.idempotencyKey(of: failure.payment.id): "declined 1080 asked 1"])
        }
        let attempts = try await w.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'declined' AND settled_at IS NOT NULL AND pending_invoice_id IS NULL")
        XCTAssertEqual(attempts, 1)
        let invoice = try await w.invoice(order.invoiceID!)
        XCTAssertEqual(invoice.status, .unpaid)
        XCTAssertEqual(invoice.paid, 0)
        let status = try await w.order(order.id).status
        XCTAssertEqual(status, .awaitingPayment)
        let settled = try await reconciler(w).settleStale()
        XCTAssertEqual(settled, 0, "a declined payment is not pending")
        // Another card pays it: a new payment, a new key, its own charge.
        let paid = try await w.pay(order)
        XCTAssertEqual(paid.invoice.status, .paid)
        let charges = try await w.count("SELECT COUNT(*) AS n FROM test_gateway_charges")
        XCTAssertEqual(charges, 2)
    }

    /// A double-clicked Pay: while the first card payment awaits the gateway, the second click (and
    /// any other method) answers 409 `payment_pending`; the card is charged once.
    func testAPendingPaymentRefusesASecondPaymentOfTheSameInvoice() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        let gate = Gate()
        let slow = PaymentService(database: w.database, clock: w.clock, bell: w.bell, gateway: WaitsAtTheGate(TestGateway(database: w.database), gate: gate))
        let first = Task { try await slow.pay(invoice: order.invoiceID!, .card(number: TestGateway.approved), in: w.customer.scope) }
        await gate.waitUntilEntered()
        try await expectPaymentPending(await w.pay(order))
        try await expectPaymentPending(await w.pay(order, .bankTransfer(reference: "WIRE-1"), as: w.reseller))
        await gate.open()
        let paid = try await first.value
        XCTAssertEqual(paid.invoice.status, .paid)
        do {
            _ = try await w.pay(order)
            XCTFail("a paid invoice takes no payment")
        } catch StoreError.invalid(let field, _) {
            XCTAssertEqual(field, "invoice")
        }
        let charges = try await w.count("SELECT COUNT(*) AS n FROM test_gateway_charges")
        XCTAssertEqual(charges, 1)

        // Two clicks at the same moment, ten times: one pays, the other is refused, one charge each round.
        for round in 0..<10 {
            try await w.provisionAll()
            let next = try await w.ram(Int64(7 + round))
            async let a = attempt { try await w.pay(next) }
            async let b = attempt { try await w.pay(next) }
            let results = await [a, b]
            XCTAssertEqual(results.filter { (try? $0.get()) != nil }.count, 1, "round \(round): exactly one click pays")
            for case .failure(let error) in results {
                switch error {
                case StoreError.conflict(let code, _): XCTAssertEqual(code, "payment_pending")
                case StoreError.invalid(let field, _): XCTAssertEqual(field, "invoice", "the other came after: nothing left to pay")
                default: XCTFail("round \(round): \(error)")
                }
            }
            let roundCharges = try await w.count("SELECT COUNT(*) AS n FROM test_gateway_charges")
            XCTAssertEqual(roundCharges, round + 2)
        }
    }

    /// While a card payment is pending its order can't be cancelled (409 `payment_pending`). A
    /// commitment order that expires meanwhile is closed by the sweep; the charge that then settles
    /// stands (the money was taken) and comes back as credit; the invoice stays cancelled.
    func testAPendingPaymentBlocksCancellingAndACardSettledAfterExpiryIsReturnedAsCredit() async throws {
        let w = try await EngineWorld.make(billing: .monthlyCommitment)
        let order = try await w.ram(6)
        XCTAssertEqual(order.totals.total, 1080)
        XCTAssertEqual(order.expiresAt, Timestamps.date("2026-05-03T09:00:00Z"), "7 days after creation, before the period ends on May 11")
        let crashing = PaymentService(database: w.database, clock: w.clock, gateway: CrashesAfterCharging(database: w.database))
        _ = try? await crashing.pay(invoice: order.invoiceID!, .card(number: TestGateway.approved), in: w.customer.scope)
        do {
            _ = try await w.orders.cancel(order: order.id, in: w.customer.scope)
            XCTFail("not cancelled under a charge in flight")
        } catch StoreError.conflict(let code, _) {
            XCTAssertEqual(code, "payment_pending")
        }
        try await w.clock.set(Timestamps.date("2026-05-04T09:00:00Z"), by: w.provider)
        let expired = try await w.orders.expireDue()
        XCTAssertEqual(expired, 1)
        let settled = try await reconciler(w).settleStale()
        XCTAssertEqual(settled, 1)
        let invoice = try await w.invoice(order.invoiceID!)
        XCTAssertEqual(invoice.status, .cancelled)
        let status = try await w.order(order.id).status
        XCTAssertEqual(status, .expired)
        let credit = try await w.credit()
        XCTAssertEqual(credit, 1080, "the 10.80 charged is the customer's credit")
        let entry = try await w.creditLog().first
        XCTAssertEqual(entry?.reason.hasPrefix("Card payment #"), true)
        let succeeded = try await w.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'succeeded'")
        XCTAssertEqual(succeeded, 1)
    }

    /// The request died before it reached the gateway: the gateway never saw the key, so nothing
    /// was charged; the reconciler records the attempt failed and the invoice can be paid again.
    func testAPaymentTheGatewayNeverSawFailsAndFreesTheInvoice() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        let unreachable = PaymentService(database: w.database, clock: w.clock, gateway: Unreachable(TestGateway(database: w.database)))
        _ = try? await unreachable.pay(invoice: order.invoiceID!, .card(number: TestGateway.approved), in: w.customer.scope)
        let pending = try await w.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'pending'")
        XCTAssertEqual(pending, 1)
        // While the gateway still can't be reached, the payment waits.
        let waiting = try await PaymentReconciler(database: w.database, clock: w.clock, gateway: Unreachable(TestGateway(database: w.database)),
                                                 logger: TestDatabase.logger("reconciler"), olderThanSeconds: 0).settleStale()
        XCTAssertEqual(waiting, 0)
        let settled = try await reconciler(w).settleStale()
        XCTAssertEqual(settled, 1)
        let failed = try await w.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'failed'")
        XCTAssertEqual(failed, 1)
        let charges = try await w.count("SELECT COUNT(*) AS n FROM test_gateway_charges")
        XCTAssertEqual(charges, 0)
        let paid = try await w.pay(order)
        XCTAssertEqual(paid.invoice.status, .paid)
    }

    // MARK: Helpers

    /// The reconciler as the worker runs it, settling whatever is pending now.
    private func reconciler(_ w: EngineWorld) -> PaymentReconciler {
        PaymentReconciler(database: w.database, clock: w.clock, bell: w.bell, logger: TestDatabase.logger("reconciler"), olderThanSeconds: 0)
    }

    /// The test gateway's books: "outcome amount asked n" per idempotency key.
    private func expectCharges(_ w: EngineWorld, _ expected: [String: String], line: UInt = #line) async throws {
        let rows = try await w.database.rows("SELECT idempotency_key, outcome, amount, requests FROM test_gateway_charges")
        var books: [String: String] = [:]
        for row in rows {
            books[try row.decode(column: "idempotency_key", as: String.self)] =
                "\(try row.decode(column: "outcome", as: String.self)) \(try row.decode(column: "amount", as: Int64.self)) asked \(try row.decode(column: "requests", as: Int.self))"
        }
        XCTAssertEqual(books, expected, line: line)
    }

    private func expectPaymentPending(_ attempt: @autoclosure () async throws -> OrderService.PaymentOutcome, line: UInt = #line) async throws {
        do {
            _ = try await attempt()
            XCTFail("a second payment while one is pending", line: line)
        } catch StoreError.conflict(let code, _) {
            XCTAssertEqual(code, "payment_pending", line: line)
        }
    }
}

private struct SimulatedCrash: Error {}
private struct GatewayUnreachable: Error {}

/// The real test gateway charges; then the process "dies": the request gets no answer, and the
/// gateway can't be asked again until the worker does.
private struct CrashesAfterCharging: PaymentGateway {
    let inner: TestGateway
    let name = "crashes-after-charging"
    init(database: MariaDBDatabase) { inner = TestGateway(database: database) }
    func card(_ typed: String) throws -> PaymentCard { try inner.card(typed) }
    func charge(_ charge: CardCharge) async throws -> GatewayAnswer {
        _ = try await inner.charge(charge)
        throw SimulatedCrash()
    }
    func status(of idempotencyKey: String) async throws -> GatewayAnswer? { throw GatewayUnreachable() }
}

/// A gateway that can't be reached at all: nothing is charged.
private struct Unreachable: PaymentGateway {
    let inner: TestGateway
    let name = "unreachable"
    init(_ inner: TestGateway) { self.inner = inner }
    func card(_ typed: String) throws -> PaymentCard { try inner.card(typed) }
    func charge(_ charge: CardCharge) async throws -> GatewayAnswer { throw GatewayUnreachable() }
    func status(of idempotencyKey: String) async throws -> GatewayAnswer? { throw GatewayUnreachable() }
}

/// Counts the charges asked of the gateway it wraps.
private final class CountingGateway: PaymentGateway {
    let inner: any PaymentGateway
    let counter = Attempts()
    let name = "counting"
    init(_ inner: any PaymentGateway) { self.inner = inner }
    var charges: Int { get async { await counter.count } }
    func card(_ typed: String) throws -> PaymentCard { try inner.card(typed) }
    func charge(_ charge: CardCharge) async throws -> GatewayAnswer {
        _ = await counter.next()
        return try await inner.charge(charge)
    }
    func status(of idempotencyKey: String) async throws -> GatewayAnswer? { try await inner.status(of: idempotencyKey) }
}

/// Holds every charge until the gate opens.
private struct WaitsAtTheGate: PaymentGateway {
    let inner: any PaymentGateway
    let gate: Gate
    let name = "waits"
    init(_ inner: any PaymentGateway, gate: Gate) {
        self.inner = inner
        self.gate = gate
    }
    func card(_ typed: String) throws -> PaymentCard { try inner.card(typed) }
    func charge(_ charge: CardCharge) async throws -> GatewayAnswer {
        await gate.enter()
        return try await inner.charge(charge)
    }
    func status(of idempotencyKey: String) async throws -> GatewayAnswer? { try await inner.status(of: idempotencyKey) }
}

private actor Attempts {
    private(set) var count = 0
    func next() -> Int {
        count += 1
        return count
    }
}

private actor Gate {
    private var entered = false
    private var isOpen = false
    private var enteredWaiters: [CheckedContinuation<Void, Never>] = []
    private var openWaiters: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        entered = true
        enteredWaiters.forEach { $0.resume() }
        enteredWaiters = []
        if !isOpen { await withCheckedContinuation { openWaiters.append($0) } }
    }

    func waitUntilEntered() async {
        if !entered { await withCheckedContinuation { enteredWaiters.append($0) } }
    }

    func open() {
        isOpen = true
        openWaiters.forEach { $0.resume() }
        openWaiters = []
    }
}

private func attempt<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
