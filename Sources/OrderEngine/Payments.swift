import Commerce
import Foundation
import Localization
import MariaDB
import Storage

/// A card as the gateway took it; only the last four digits are ever stored.
public struct PaymentCard: Sendable, Equatable {
    public var number: String
    public var last4: String { String(number.suffix(4)) }

    public init(number: String) { self.number = number }
}

/// One charge asked of a gateway, under the idempotency key that makes a repeat harmless.
public struct CardCharge: Sendable, Equatable {
    public var card: PaymentCard
    public var amount: Money
    public var idempotencyKey: String

    public init(card: PaymentCard, amount: Money, idempotencyKey: String) {
        self.card = card
        self.amount = amount
        self.idempotencyKey = idempotencyKey
    }
}

/// What a gateway answered: `error` is the gateway's own failure (nothing charged).
public enum GatewayAnswer: String, Sendable, Equatable {
    case approved, declined, error

    var paymentStatus: PaymentStatus {
        switch self {
        case .approved: .succeeded
        case .declined: .declined
        case .error: .failed
        }
    }
}

/// The card processor (DOMAIN.md 9), as `Connector` is the vendor: called outside any database
/// transaction, always with an idempotency key, so asking twice never charges twice.
public protocol PaymentGateway: Sendable {
    var name: String { get }
    /// The card as typed, or a 422 naming `card_number` when this gateway can't take it.
    func card(_ typed: String) throws -> PaymentCard
    /// Charges once per key; a repeat of a key answers the first answer. Throwing means the answer
    /// is not known (the charge may have happened): ask `status(of:)`.
    func charge(_ charge: CardCharge) async throws -> GatewayAnswer
    /// The answer given for a key; nil when the gateway never saw the key (nothing was charged).
    func status(of idempotencyKey: String) async throws -> GatewayAnswer?
}

/// The gateway a deployment uses, chosen in one place (the built-in test gateway for now).
public enum PaymentGateways {
    public static func standard(database: MariaDBDatabase) -> any PaymentGateway { TestGateway(database: database) }
}

extension OrderService {
    public enum PaymentRequest: Sendable, Equatable {
        case credit
        case card(number: String)
        case bankTransfer(reference: String?)
    }

    public struct PaymentOutcome: Sendable {
        public var payment: Payment
        public var invoice: Invoice
        public var order: Order?
    }

    /// A card the gateway declined (402) or could not charge (502): only the attempt is recorded.
    /// When the gateway did not answer at all the payment stays `pending` (also 502) and the
    /// worker's reconciler settles it by asking the gateway.
    public struct PaymentFailed: Error, Sendable {
        public var payment: Payment
        public var gatewayError: Bool
    }

    /// Pays an unpaid invoice (DOMAIN.md 7 and 9) through the standard gateway: see `PaymentService.pay`.
    public func pay(invoice id: Int64, _ request: PaymentRequest, in scope: TenantScope) async throws -> PaymentOutcome {
        try await PaymentService(database: database, clock: clock, bell: bell).pay(invoice: id, request, in: scope)
    }
}

extension OrderService.PaymentRequest {
    var method: PaymentMethod {
        switch self {
        case .credit: .credit
        case .card: .card
        case .bankTransfer: .bankTransfer
        }
    }
}

/// Payments of invoices (DOMAIN.md 9). Credit and bank transfers commit in one transaction. A card
/// never meets the gateway inside a transaction that may be retried: (1) a short transaction
/// validates and commits the payment `pending`; (2) the gateway is called with the payment's id as
/// its idempotency key; (3) a transaction commits the answer. A request that dies between (2) and
/// (3) leaves the payment pending, and `PaymentReconciler` settles it by asking the gateway.
public struct PaymentService: Sendable {
    let database: MariaDBDatabase
    let clock: BusinessClock
    let bell: ProvisioningBell?
    let gateway: any PaymentGateway
    /// Runs inside the outcome's transaction before it writes (tests: a crash or a deadlock there).
    package var beforeOutcomeWrite: (@Sendable () async throws -> Void)?

    public init(database: MariaDBDatabase, clock: BusinessClock, bell: ProvisioningBell? = nil, gateway: (any PaymentGateway)? = nil) {
        self.database = database
        self.clock = clock
        self.bell = bell
        self.gateway = gateway ?? PaymentGateways.standard(database: database)
    }

    /// The key a payment is charged under: its id, so every retry of it is the same charge.
    public static func idempotencyKey(of paymentID: Int64) -> String { "payment-\(paymentID)" }

    /// Pays an unpaid invoice: from credit (fully or partly), by card through the gateway, or by a
    /// bank transfer staff record. While a card payment of the invoice is pending, another payment
    /// of it is refused (409 `payment_pending`): a double-clicked Pay is charged once.
    public func pay(invoice id: Int64, _ request: OrderService.PaymentRequest, in scope: TenantScope) async throws -> OrderService.PaymentOutcome {
        let invoices = InvoiceStore(database: database)
        let found = try await invoices.invoice(id, in: scope)
        try Policy.require(scope.actor, .order, .init("error.forbidden.viewers_pay_invoices"))
        if case .bankTransfer = request { try Policy.require(scope.actor, .recordBankTransfer, .init("error.forbidden.bank_transfers")) }
        var card: PaymentCard?
        if case .card(let number) = request { card = try gateway.card(number) }

        let now = try await clock.now()
        let payment: Payment, provisioning: Bool
        if let card {
            let (pending, customer) = try await payable(found, in: scope, now: now) { tx, invoice, _, customer in
                (try await record(NewPayment(invoice: invoice, customer: customer, method: .card, status: .pending, amount: invoice.due,
                                             cardLast4: card.last4, reference: nil, actor: scope.actor), in: scope, on: tx), customer)
            }
            (payment, provisioning) = try await charge(pending, card: card, customer: customer, orderID: found.orderID, actor: scope.actor)
        } else {
            (payment, provisioning) = try await payable(found, in: scope, now: now) { tx, invoice, order, customer in
                var amount = invoice.due
                if case .credit = request {
                    let balance = try await CreditLedger.lockedBalance(of: invoice.customerID, on: tx)
                    guard balance > 0 else {
                        throw StoreError.invalid(field: "method",
                                                 message: .init("error.payment.no_credit", ["customer": .text(customer.name), "balance": .amount(minor: balance, exponent: invoice.currency.exponent, currency: invoice.currency.code)]))
                    }
                    amount = min(balance, amount)
                }
                var reference: String?
                if case .bankTransfer(let given) = request { reference = given?.trimmingCharacters(in: .whitespaces).nilIfEmpty }
                let payment = try await record(NewPayment(invoice: invoice, customer: customer, method: request.method, status: .succeeded, amount: amount,
                                                          cardLast4: nil, reference: reference, actor: scope.actor), in: scope, on: tx)
                if case .credit = request {
                    try await CreditLedger.post(invoice.money(-amount), to: customer, reason: "Paid invoice \(invoice.displayNumber)",
                                                orderID: order?.id, invoiceID: invoice.id, paymentID: payment.id, actor: scope.actor, on: tx)
                }
                let moved = amount == invoice.due ? try await PaymentStore.invoicePaid(invoice.id, order: order?.id, on: tx) : false
                return (payment, moved)
            }
        }
        if payment.status != .succeeded { throw OrderService.PaymentFailed(payment: payment, gatewayError: payment.status != .declined) }
        if provisioning { bell?.ring() }
        let invoice = try await invoices.invoice(id, in: scope)
        let order = try await invoice.orderID.asyncMap { try await OrderStore(database: database).order($0, in: scope) }
        return OrderService.PaymentOutcome(payment: payment, invoice: invoice, order: order)
    }

    /// Step (2) and (3) of a card payment: the gateway outside any transaction, then its answer.
    private func charge(_ pending: Payment, card: PaymentCard, customer: Account, orderID: Int64?, actor: Actor) async throws -> (Payment, Bool) {
        let key = Self.idempotencyKey(of: pending.id)
        let answer: GatewayAnswer
        do {
            answer = try await gateway.charge(CardCharge(card: card, amount: pending.amount, idempotencyKey: key))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // No answer: the card may or may not be charged. Asked once more; if the gateway can't
            // say, the payment stays pending for the reconciler, and is never charged again here.
            guard let known = try? await gateway.status(of: key) else { throw OrderService.PaymentFailed(payment: pending, gatewayError: true) }
            answer = known
        }
        return try await settle(pending, customer: customer, orderID: orderID, answer: answer, actor: actor)
    }

    /// Step (3), for the request and for the reconciler alike: commits the gateway's answer for a
    /// pending payment. Approved: the invoice is paid and its order moves to provisioning (the bell
    /// rung after the commit); if the invoice can no longer take it (cancelled, or its order
    /// expired, meanwhile), the amount goes to the customer's credit. Declined or failed: the
    /// attempt is recorded. Settling twice changes nothing: the first outcome stands.
    func settle(_ paymentID: Int64, answer: GatewayAnswer, actor: Actor?) async throws -> (Payment, Bool) {
        guard let pending = try await PaymentStore(database: database).paymentForWorker(paymentID) else { throw StoreError.notFound("payment \(paymentID)") }
        let customer = try await AccountStore(database: database).accountForWorker(pending.customerID)
        let orderID = try await InvoiceStore(database: database).invoice(pending.invoiceID, in: Actor.engine(for: customer).scope).orderID
        return try await settle(pending, customer: customer, orderID: orderID, answer: answer, actor: actor)
    }

    /// The same for a payment whose customer and order are known already (the request that made it).
    private func settle(_ pending: Payment, customer: Account, orderID: Int64?, answer: GatewayAnswer, actor: Actor?) async throws -> (Payment, Bool) {
        let paymentID = pending.id
        let scope = Actor.engine(for: customer).scope
        let hook = beforeOutcomeWrite
        let (payment, provisioning) = try await database.withTransaction { tx -> (Payment, Bool) in
            // Lock order: order, invoice, customer (as submit, payment and provisioning do).
            let order = try await orderID.asyncMap { try await OrderStore(database: tx).order($0, in: scope, on: tx, forUpdate: true) }
            let invoice = try await InvoiceStore(database: tx).invoice(pending.invoiceID, in: scope, on: tx, forUpdate: true)
            try await hook?()
            let status = answer.paymentStatus
            guard try await PaymentStore.settle(paymentID, as: status, on: tx) else {
                return (try await PaymentStore(database: tx).payment(paymentID, in: scope, on: tx), false)
            }
            var provisioning = false
            if status == .succeeded {
                // `invoice.due` was read before this payment counted: it is what the payment was for.
                if invoice.status == .unpaid, order.map({ $0.status == .awaitingPayment }) ?? true, pending.amount.minorUnits == invoice.due {
                    provisioning = try await PaymentStore.invoicePaid(invoice.id, order: order?.id, on: tx)
                } else {
                    _ = try await CreditLedger.lockedBalance(of: customer.id, on: tx)
                    try await CreditLedger.post(pending.amount, to: customer,
                                                reason: "Card payment #\(paymentID) for invoice \(invoice.displayNumber), which is \(invoice.status.rawValue): returned as credit",
                                                orderID: order?.id, invoiceID: invoice.id, paymentID: paymentID, actor: actor, on: tx)
                }
            }
            let payment = try await PaymentStore(database: tx).payment(paymentID, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: actor, account: customer, objectType: "invoice", objectID: invoice.id,
                                      action: "payment \(payment.method.rawValue) \(payment.status.rawValue)", before: PaymentAudit(pending), after: PaymentAudit(payment))
            if payment.status == .succeeded { try await Outbox.record(on: tx, [try .paymentReceived(payment, customer: customer)]) }
            return (payment, provisioning)
        }
        if provisioning { bell?.ring() }
        return (payment, provisioning)
    }

    /// One transaction on a payable invoice: its order (locked; past its expiry it expires now,
    /// committed, and the payment is refused), the invoice (locked, unpaid, no payment pending),
    /// the customer. Lock order: order, invoice, customer.
    private func payable<T>(_ found: Invoice, in scope: TenantScope, now: Date,
                            _ body: (MariaDBDatabase, Invoice, Order?, Account) async throws -> T) async throws -> T {
        let result = try await database.withTransaction { tx -> T? in
            let order = try await found.orderID.asyncMap { try await OrderStore(database: tx).order($0, in: scope, on: tx, forUpdate: true) }
            if let order, order.status == .awaitingPayment, let expiresAt = order.expiresAt, expiresAt <= now {
                let customer = try await AccountStore(database: tx).account(order.customerID, in: scope, on: tx)
                _ = try await OrderService.close(order, as: .expired, customer: customer, actor: nil, on: tx)
                return nil
            }
            let invoice = try await InvoiceStore(database: tx).invoice(found.id, in: scope, on: tx, forUpdate: true)
            guard invoice.status == .unpaid else {
                throw StoreError.invalid(field: "invoice", message: .init("error.payment.nothing_to_pay", ["invoice": .text(invoice.displayNumber), "status": .text(invoice.status.localizedLabel)]))
            }
            if let order, order.status != .awaitingPayment {
                throw StoreError.invalid(field: "invoice", message: .init("error.payment.order_not_payable", ["order": .text(String(order.id)), "status": .text(order.status.localizedLabel)]))
            }
            try await Self.requireNoPendingPayment(of: invoice.id, on: tx)
            let customer = try await AccountStore(database: tx).account(invoice.customerID, in: scope, on: tx)
            return try await body(tx, invoice, order, customer)
        }
        guard let result else {
            throw StoreError.invalid(field: "invoice", message: .init("error.payment.order_expired", ["invoice": .text(found.displayNumber)]))
        }
        return result
    }

    /// 409 `payment_pending` while a card payment of the invoice awaits its gateway: the invoice
    /// takes no other payment, and its order is not cancelled under a charge in flight (inside the
    /// caller's transaction, which holds the order's or the invoice's lock).
    static func requireNoPendingPayment(of invoiceID: Int64?, on tx: MariaDBDatabase) async throws {
        guard let invoiceID, let pending = try await PaymentStore.pendingPayment(of: invoiceID, on: tx) else { return }
        throw StoreError.conflict(code: "payment_pending",
                                  message: .init("error.payment.pending", ["payment": .text(String(pending))]))
    }

    /// Writes a payment and its audit entry (inside the caller's transaction).
    private func record(_ new: NewPayment, in scope: TenantScope, on tx: MariaDBDatabase) async throws -> Payment {
        let id = try await PaymentStore.insert(new, on: tx)
        let payment = try await PaymentStore(database: tx).payment(id, in: scope, on: tx)
        try await AuditLog.record(on: tx, actor: new.actor, account: new.customer, objectType: "invoice", objectID: new.invoice.id,
                                  action: "payment \(payment.method.rawValue) \(payment.status.rawValue)", before: nil as PaymentAudit?, after: PaymentAudit(payment))
        if payment.status == .succeeded { try await Outbox.record(on: tx, [try .paymentReceived(payment, customer: new.customer)]) }
        return payment
    }
}

struct PaymentAudit: Encodable {
    var method: String
    var status: String
    var amount: String
    var cardLast4: String?
    var reference: String?

    init(_ payment: Payment) {
        method = payment.method.rawValue
        status = payment.status.rawValue
        amount = payment.amount.description
        cardLast4 = payment.cardLast4
        reference = payment.reference
    }
}
