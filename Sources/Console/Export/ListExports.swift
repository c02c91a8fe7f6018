import Commerce
import Foundation
import Hummingbird
import Localization
import Logging
import MariaDB
import Storage

/// The eight lists as CSV (issue 16, item 2). Each reads its list through the list's own store
/// function (its filters, its tenant scope, its white-labelled actors) in keyset batches
/// (`ListExport`), and names each batch's accounts and plans in one query per batch.
/// Checks that can refuse (an account outside the scope, a customer that isn't one) run before
/// the answer starts, so they still answer 404 / 422 / 403.
struct ListExports: Sendable {
    let database: MariaDBDatabase

    // MARK: Subscriptions

    static let subscriptionColumns = ["id", "customer_id", "customer_name", "plan_id", "plan_name", "status", "period_months", "period_start",
                                      "period_end", "paid_until", "cancel_at_period_end", "individual_prices", "resources", "cancelled_at"]

    func subscriptions(_ filter: SubscriptionStore.Filter, in scope: TenantScope, logger: Logger) -> Response {
        let (store, accounts) = (SubscriptionStore(database: database), AccountStore(database: database))
        return CSVResponse.stream(list: "subscriptions", header: Self.subscriptionColumns, logger: logger) { emit in
            try await ListExport.forEachBatch({ try await store.list(in: scope, filter: filter, page: $0) }) { items in
                let names = try await accounts.names(Set(items.map(\.customerID)), in: scope)
                let plans = try await store.planNames(of: items)
                try await emit(items.map { s in
                    [String(s.id), String(s.customerID), names[s.customerID] ?? "", String(s.planID), plans[s.planID] ?? "", s.status.rawValue,
                     String(s.period.months), s.period.start.description, s.period.end.description, s.paidUntil?.description ?? "",
                     CSVCells.bool(s.cancelAtPeriodEnd), CSVCells.bool(s.individualPrices),
                     // `code=units` per resource (included plus additional), by code: one cell, still machine-readable.
                     s.resources.map { "\($0.code)=\($0.total)" }.joined(separator: ";"), CSVCells.time(s.cancelledAt)]
                })
            }
        }
    }

    // MARK: Accounts

    static let accountColumns = ["id", "kind", "parent_id", "name", "currency", "tax_rate", "status", "contact_name", "contact_email",
                                 "contact_phone", "address", "created_at", "status_changed_at"]

    func accounts(_ filter: AccountStore.Filter, in scope: TenantScope, logger: Logger) async throws -> Response {
        let store = AccountStore(database: database)
        if let parentID = filter.parentID { _ = try await store.account(parentID, in: scope) }
        return CSVResponse.stream(list: "accounts", header: Self.accountColumns, logger: logger) { emit in
            try await ListExport.forEachBatch({ try await store.list(in: scope, filter: filter, page: $0) }) { items in
                try await emit(items.map { a in
                    [String(a.id), a.kind.rawValue, CSVCells.id(a.parentID), a.name, a.currency, a.taxRateDisplay, a.status.rawValue, a.contactName,
                     a.contactEmail, a.contactPhone, a.address, CSVCells.time(a.createdAt), CSVCells.time(a.statusChangedAt)]
                })
            }
        }
    }

    // MARK: Orders

    static let orderColumns = ["id", "kind", "status", "customer_id", "customer_name", "subscription_id", "plan_id", "summary", "effective_date",
                               "currency", "subtotal", "discount", "tax", "total", "invoice_id", "failure_reason", "created_at", "paid_at", "completed_at"]

    func orders(_ filter: OrderStore.Filter, in scope: TenantScope, logger: Logger) -> Response {
        let (store, accounts) = (OrderStore(database: database), AccountStore(database: database))
        return CSVResponse.stream(list: "orders", header: Self.orderColumns, logger: logger) { emit in
            try await ListExport.forEachBatch({ try await store.list(in: scope, filter: filter, page: $0) }) { items in
                let names = try await accounts.names(Set(items.map(\.customerID)), in: scope)
                try await emit(items.map { o in
                    [String(o.id), o.kind.rawValue, o.status.rawValue, String(o.customerID), names[o.customerID] ?? "", CSVCells.id(o.subscriptionID),
                     String(o.planID), o.summary, o.effectiveDate.description, o.currency.code, o.money(o.totals.subtotal).amountText,
                     o.money(o.totals.discount).amountText, o.money(o.totals.tax).amountText, o.money(o.totals.total).amountText,
                     CSVCells.id(o.invoiceID), o.failureReason ?? "", CSVCells.time(o.createdAt), CSVCells.time(o.paidAt), CSVCells.time(o.completedAt)]
                })
            }
        }
    }

    // MARK: Invoices

    static let invoiceColumns = ["id", "display_number", "seller_id", "customer_id", "customer_name", "order_id", "subscription_id", "status",
                                 "issued_on", "currency", "subtotal", "discount", "tax", "total", "paid", "due", "tax_rate", "prices_include_taxes",
                                 "created_at", "paid_at", "cancelled_at"]

    func invoices(_ filter: InvoiceStore.Filter, in scope: TenantScope, logger: Logger) -> Response {
        let (store, accounts) = (InvoiceStore(database: database), AccountStore(database: database))
        return CSVResponse.stream(list: "invoices", header: Self.invoiceColumns, logger: logger) { emit in
            try await ListExport.forEachBatch({ try await store.list(in: scope, filter: filter, page: $0) }) { items in
                let names = try await accounts.names(Set(items.map(\.customerID)), in: scope)
                try await emit(items.map { i in
                    [String(i.id), i.displayNumber, String(i.sellerID), String(i.customerID), names[i.customerID] ?? "", CSVCells.id(i.orderID),
                     CSVCells.id(i.subscriptionID), i.status.rawValue, i.issuedOn.description, i.currency.code, i.money(i.subtotal).amountText,
                     i.money(i.discount).amountText, i.money(i.tax).amountText, i.money(i.total).amountText, i.money(i.paid).amountText,
                     i.money(i.due).amountText, i.taxRate, CSVCells.bool(i.pricesIncludeTaxes), CSVCells.time(i.createdAt), CSVCells.time(i.paidAt),
                     CSVCells.time(i.cancelledAt)]
                })
            }
        }
    }

    // MARK: Payments

    static let paymentColumns = ["id", "invoice_id", "customer_id", "customer_name", "method", "status", "amount", "currency", "card_last4",
                                 "reference", "created_at", "settled_at"]

    func payments(_ filter: PaymentStore.Filter, in scope: TenantScope, logger: Logger) -> Response {
        let (store, accounts) = (PaymentStore(database: database), AccountStore(database: database))
        return CSVResponse.stream(list: "payments", header: Self.paymentColumns, logger: logger) { emit in
            try await ListExport.forEachBatch({ try await store.list(in: scope, filter: filter, page: $0) }) { items in
                let names = try await accounts.names(Set(items.map(\.customerID)), in: scope)
                try await emit(items.map { p in
                    [String(p.id), String(p.invoiceID), String(p.customerID), names[p.customerID] ?? "", p.method.rawValue, p.status.rawValue,
                     p.amount.amountText, p.amount.currency.code, p.cardLast4 ?? "", p.reference ?? "", CSVCells.time(p.createdAt), CSVCells.time(p.settledAt)]
                })
            }
        }
    }

    // MARK: Credit log

    static let creditColumns = ["id", "customer_id", "amount", "currency", "reason", "order_id", "invoice_id", "payment_id", "actor", "created_at"]

    /// One customer's credit log; anything but a customer of the scope is refused before the answer starts.
    func credit(customer customerID: Int64, in scope: TenantScope, logger: Logger) async throws -> Response {
        let ledger = CreditLedger(database: database)
        let customer = try await AccountStore(database: database).account(customerID, in: scope)
        guard customer.kind == .customer else { throw StoreError.invalid(field: "id", message: .init("error.credit.customers_only", ["account": .text(customer.name), "kind": .text(customer.kind.rawValue)])) }
        return CSVResponse.stream(list: "credit-\(customer.id)", header: Self.creditColumns, logger: logger) { emit in
            try await ListExport.forEachBatch({ try await ledger.entries(of: customer, in: scope, page: $0) }) { items in
                try await emit(items.map { e in
                    [String(e.id), String(e.customerID), e.amount.amountText, e.amount.currency.code, e.reason, CSVCells.id(e.orderID),
                     CSVCells.id(e.invoiceID), CSVCells.id(e.paymentID), e.actor, CSVCells.time(e.createdAt)]
                })
            }
        }
    }

    // MARK: Reseller charges

    static let chargeColumns = ["id", "order_id", "reseller_id", "reseller_name", "parent_id", "currency", "net_cost", "sold", "margin",
                                "effective_date", "created_at"]

    /// The charges of one reseller (`GET /accounts/{id}/reseller-charges`) or of the whole subtree (the page).
    func resellerCharges(of resellerID: Int64?, in scope: TenantScope, logger: Logger) async throws -> Response {
        let (store, accounts) = (ResellerChargeStore(database: database), AccountStore(database: database))
        // The checks (staff only; the one reseller in scope and a reseller) answer before the file starts.
        guard Policy.allows(scope.actor, .seeStaffArea) else { throw StoreError.forbidden(.init("error.forbidden.reseller_charges")) }
        if let resellerID { _ = try await store.charges(of: resellerID, in: scope, page: PageRequest(limit: 1)) }
        let list = resellerID.map { "reseller-charges-\($0)" } ?? "reseller-charges"
        return CSVResponse.stream(list: list, header: Self.chargeColumns, logger: logger) { emit in
            try await ListExport.forEachBatch({ try await store.list(in: scope, filter: .init(resellerID: resellerID), page: $0) }) { items in
                let names = try await accounts.names(Set(items.map(\.resellerID)), in: scope)
                try await emit(items.map { c in
                    [String(c.id), String(c.orderID), String(c.resellerID), names[c.resellerID] ?? "", String(c.parentID), c.amount.currency.code,
                     c.amount.amountText, c.sold.amountText, Money(minorUnits: c.sold.minorUnits - c.amount.minorUnits, currency: c.amount.currency).amountText,
                     c.effectiveDate.description, CSVCells.time(c.createdAt)]
                })
            }
        }
    }

    // MARK: Audit

    /// The entries' fields; the page's sentence is prose for people (and translated), so it stays out.
    static let auditColumns = ["id", "occurred_at", "actor", "account_id", "account_name", "object_type", "object_id", "action", "before", "after", "address"]

    func audit(_ filter: AuditLog.Filter, in scope: TenantScope, logger: Logger) async throws -> Response {
        let database = database
        // An account outside the subtree is 404, as on the page and the JSON list.
        if let accountID = filter.accountID { _ = try await AccountStore(database: database).account(accountID, in: scope) }
        return CSVResponse.stream(list: "audit", header: Self.auditColumns, logger: logger) { emit in
            try await ListExport.forEachBatch({ try await AuditLog.list(on: database, in: scope, filter: filter, page: $0) }) { items in
                try await emit(items.map { e in
                    [String(e.id), CSVCells.time(e.occurredAt), e.actor, String(e.accountID), e.accountName, e.objectType, CSVCells.id(e.objectID),
                     e.action, e.before ?? "", e.after ?? "", e.address]
                })
            }
        }
    }
}
