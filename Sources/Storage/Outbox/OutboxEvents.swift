import Commerce
import Foundation
import MariaDB

/// The events of DOMAIN.md 11 as the stores record them: one constructor per type, so each event's
/// object has one shape wherever it happens. Amounts are the API's money (`{"amount","currency"}`).
extension Outbox.Draft {
    struct MoneyObject: Encodable {
        let amount: String
        let currency: String
        init(_ money: Money) {
            amount = money.amountText
            currency = money.currency.code
        }
    }

    struct InvoiceObject: Encodable {
        let id: Int64
        let customerId: Int64
        let sellerId: Int64
        let orderId: Int64?
        let subscriptionId: Int64?
        /// Known when the invoice is written in a batch; a single invoice takes its number as the
        /// last statement of its transaction (read it with `GET /invoices/{id}`).
        let number: Int64?
        let status: String
        let total: MoneyObject
        let issuedOn: String
    }

    /// An invoice was issued (`invoice_issued`), to its customer.
    public static func invoiceIssued(_ id: Int64, _ draft: InvoiceDraft, number: Int64? = nil) throws -> Outbox.Draft {
        try Outbox.Draft(type: .invoiceIssued, account: draft.customer, objectType: "invoice", objectID: id, payload: InvoiceObject(
            id: id, customerId: draft.customer.id, sellerId: draft.sellerID, orderId: draft.orderID, subscriptionId: draft.subscriptionID, number: number,
            status: draft.total <= 0 ? InvoiceStatus.paid.rawValue : InvoiceStatus.unpaid.rawValue,
            total: MoneyObject(Money(minorUnits: draft.total, currency: draft.currency)), issuedOn: draft.issuedOn.description))
    }

    struct PaymentObject: Encodable {
        let id: Int64
        let invoiceId: Int64
        let customerId: Int64
        let method: String
        let status: String
        let amount: MoneyObject
    }

    /// A payment succeeded (`payment_received`).
    public static func paymentReceived(_ payment: Payment, customer: Account) throws -> Outbox.Draft {
        try Outbox.Draft(type: .paymentReceived, account: customer, objectType: "payment", objectID: payment.id, payload: PaymentObject(
            id: payment.id, invoiceId: payment.invoiceID, customerId: payment.customerID, method: payment.method.rawValue, status: payment.status.rawValue,
            amount: MoneyObject(payment.amount)))
    }

    struct OrderObject: Encodable {
        let id: Int64
        let kind: String
        let status: String
        let customerId: Int64
        let subscriptionId: Int64?
        let invoiceId: Int64?
        let summary: String
        let total: MoneyObject
        let failureReason: String?
    }

    /// An order ended `completed` (`order_completed`) or `provisioning_failed` (`order_failed`).
    public static func orderFinished(_ order: Order, customer: Account) throws -> Outbox.Draft {
        try Outbox.Draft(type: order.status == .completed ? .orderCompleted : .orderFailed, account: customer, objectType: "order", objectID: order.id,
                         payload: OrderObject(id: order.id, kind: order.kind.rawValue, status: order.status.rawValue, customerId: order.customerID,
                                              subscriptionId: order.subscriptionID, invoiceId: order.invoiceID, summary: order.summary,
                                              total: MoneyObject(Money(minorUnits: order.totals.total, currency: order.currency)),
                                              failureReason: order.failureReason))
    }

    struct RenewalObject: Encodable {
        let id: Int64
        let customerId: Int64
        let orderId: Int64
        let summary: String
        let periodStart: String?
        let periodEnd: String?
        let total: MoneyObject
        /// False when the renewal costs nothing (it provisions without an invoice).
        let needsPayment: Bool
    }

    /// The billing run issued a subscription's renewal order (`renewal_due`).
    public static func renewalDue(_ order: NewOrder, orderID: Int64) throws -> Outbox.Draft {
        var start: String?, end: String?
        if case .renewal(let from, let to) = order.change { (start, end) = (from.description, to.description) }
        let charged = order.quote.charged
        return try Outbox.Draft(type: .renewalDue, account: order.customer, objectType: "subscription", objectID: order.subscriptionID, payload: RenewalObject(
            id: order.subscriptionID ?? 0, customerId: order.customer.id, orderId: orderID, summary: order.summary, periodStart: start, periodEnd: end,
            total: MoneyObject(Money(minorUnits: charged.total, currency: charged.currency)), needsPayment: order.issueInvoice))
    }

    struct SuspensionObject: Encodable {
        let id: Int64
        let customerId: Int64
        let status: String
        /// `billing` (a renewal unpaid past the grace days) or `staff`.
        let reason: String
    }

    /// A subscription was suspended (`subscription_suspended`), by the billing run or by staff.
    public static func subscriptionSuspended(_ subscriptionID: Int64, customer: Account, byBilling: Bool) throws -> Outbox.Draft {
        try Outbox.Draft(type: .subscriptionSuspended, account: customer, objectType: "subscription", objectID: subscriptionID, payload: SuspensionObject(
            id: subscriptionID, customerId: customer.id, status: "suspended", reason: byBilling ? "billing" : "staff"))
    }
}
