import Commerce
import Foundation
import Localization
import Logging
import MariaDB
import Storage

/// The billing cycle (DOMAIN.md 3, 6, 7): for every subscription whose period ends on or before
/// the business date (or within the renewal lead), per billing type:
///
/// - prepaid (and non-refundable, commitment, CSP): a renewal order and invoice for the next period
///   `renewalLeadDays` ahead; the period rolls over once that is paid; unpaid `graceDays` past the
///   period end, the subscription is suspended, and paying reactivates it. A trial's end is the
///   renewal of its first paid period. A commitment's scheduled reduction applies at the rollover.
/// - postpaid: at the period end the period rolls over and its invoice is issued: the period fee,
///   the resources, and the changes made during it.
/// - cancelled at the period end: the subscription ends, no renewal.
///
/// Due subscriptions go in batches: a batch's renewals are one transaction under its subscriptions'
/// row locks (`RenewalBatch.swift`); anything else, and every subscription of a batch that fails,
/// goes one step at a time. Every step is one transaction under the subscription's row lock and is idempotent: a renewal
/// order per period (unique key), a postpaid invoice per period (unique key), rollovers and status
/// changes by conditions on the current row. Running it twice for a day changes nothing the second
/// time; two nodes running it at once don't double anything.
public struct BillingRun: Sendable {
    let database: MariaDBDatabase
    let clock: BusinessClock
    let settings: BillingSettings
    let logger: Logger
    let bell: ProvisioningBell?
    /// Batches handled at once (each in its own transaction).
    public var concurrency = 4
    /// Subscriptions per batch: their renewals are issued in one transaction (up to 500; 1: every
    /// subscription steps alone, as before batches).
    public var batchSize = 250

    public init(database: MariaDBDatabase, clock: BusinessClock, settings: BillingSettings = BillingSettings(), logger: Logger, bell: ProvisioningBell? = nil) {
        self.database = database
        self.clock = clock
        self.settings = settings
        self.logger = logger
        self.bell = bell
    }

    /// Runs for the current business date.
    @discardableResult
    public func run(by actor: Actor? = nil, node: String = ProcessInfo.processInfo.hostName) async throws -> BillingRunResult {
        let now = try await clock.now()
        let today = BusinessDate(instant: now)
        let runs = BillingRunStore(database: database)
        let runID = try await runs.start(businessDate: today, by: actor?.userID, node: node)
        let due = try await runs.due(by: today.adding(days: settings.renewalLeadDays))
        var total = BillingRunResult()
        total.subscriptions = due.count
        let cache = LookupCache()
        let size = min(500, max(1, batchSize))
        let batches = stride(from: 0, to: due.count, by: size).map { Array(due[$0..<min(due.count, $0 + size)]) }
        try await withThrowingTaskGroup(of: BillingRunResult.self) { group in
            var next = batches.makeIterator()
            func start() -> Bool {
                guard let batch = next.next() else { return false }
                group.addTask {
                    size == 1 ? await self.settle(batch[0], today: today, now: now, cache: cache) : await self.settleBatch(batch, today: today, now: now, cache: cache)
                }
                return true
            }
            for _ in 0..<max(1, concurrency) where !start() { break }
            while let result = try await group.next() {
                total.add(result)
                _ = start()
            }
        }
        total.id = runID
        total.businessDate = today.description
        try await runs.finish(total)
        if total.renewalOrders > 0 { bell?.ring() }
        return total
    }

    /// Steps one subscription until there is nothing left to do today (a clock moved far ahead
    /// catches up period by period, as far as payments allow).
    func settle(_ id: Int64, today: BusinessDate, now: Date, cache: LookupCache = LookupCache()) async -> BillingRunResult {
        var result = BillingRunResult()
        for _ in 0..<60 {
            do {
                guard let step = try await database.withTransaction({ tx in try await self.step(id, today: today, now: now, cache: cache, on: tx) }) else { return result }
                result.add(step)
            } catch {
                logger.error("billing run: subscription step failed", metadata: ["subscription": "\(id)", "error": "\(error)"])
                result.errors += 1
                return result
            }
        }
        return result
    }

    /// One action on one subscription, or nil when there is nothing to do.
    func step(_ id: Int64, today: BusinessDate, now: Date, cache: LookupCache, on tx: MariaDBDatabase) async throws -> BillingRunResult? {
        guard let subscription = try await SubscriptionStore(database: tx).subscriptionForWorker(id, on: tx, forUpdate: true) else { return nil }
        let plan = try await cache.plan(subscription.planID, on: tx)
        let customer = try await cache.account(subscription.customerID, on: tx)
        var result = BillingRunResult()
        let period = subscription.period
        let ended = period.end <= today
        let next = BillingPeriod(starting: period.end, months: period.months, anchorDay: subscription.anchorDay)
        let invoicedUntil = subscription.paidUntil ?? period.end

        if plan.billingType == .postpaid {
            if subscription.status == .cancelled || subscription.cancelAtPeriodEnd {
                guard ended else { return nil }
                if invoicedUntil < period.end, subscription.status != .trial {
                    try await Self.issuePostpaidInvoice(subscription, plan: plan, customer: customer, today: today, now: now, on: tx)
                    result.invoices += 1
                }
                try await SubscriptionStore.setPaidUntil(id, to: nil, on: tx)
                if subscription.status != .cancelled {
                    try await end(subscription, customer: customer, now: now, on: tx)
                    result.cancelled += 1
                }
                return result.invoices + result.cancelled > 0 ? result : nil
            }
            guard ended, [.trial, .active, .suspended].contains(subscription.status) else { return nil }
            if subscription.status == .trial {
                try await ChangeApplier.rollOver(subscription, to: next, status: .active, on: tx)
                result.trialsEnded += 1
            } else {
                try await Self.issuePostpaidInvoice(subscription, plan: plan, customer: customer, today: today, now: now, on: tx)
                try await ChangeApplier.rollOver(subscription, to: next, status: nil, on: tx)
                result.invoices += 1
            }
            result.rolledOver += 1
            return result
        }

        // Prepaid, non-refundable, commitment and CSP.
        guard subscription.status != .cancelled else { return nil }
        if subscription.cancelAtPeriodEnd {
            guard ended else { return nil }
            try await end(subscription, customer: customer, now: now, on: tx)
            result.cancelled += 1
            return result
        }
        let paidNext = invoicedUntil >= next.end
        if ended && paidNext {
            let wasTrial = subscription.status == .trial
            let reactivate = subscription.status == .suspended && subscription.suspendedByBilling
            try await ChangeApplier.rollOver(subscription, to: next, status: wasTrial || reactivate ? .active : nil, on: tx)
            result.rolledOver += 1
            if wasTrial { result.trialsEnded += 1 }
            if reactivate { result.reactivated += 1 }
            return result
        }
        if paidNext && subscription.status == .suspended && subscription.suspendedByBilling {
            try await SubscriptionStore.reactivate(id, on: tx)
            result.reactivated += 1
            return result
        }
        guard !paidNext else { return nil }
        let renewalKey = Self.renewalKey(id, next)
        let existing = try await OrderStore.renewal(keyed: renewalKey, on: tx)
        // Another order of the subscription still open: one awaiting payment gives way to the renewal
        // (cancelled, any part paid back to credit); one being provisioned finishes first.
        var blocked = false
        if existing == nil && period.end.adding(days: -settings.renewalLeadDays) <= today,
           let open = try await OrderStore(database: tx).openOrder(of: id, on: tx),
           let pending = try await OrderStore(database: tx).orderForWorker(open, on: tx, forUpdate: true) {
            if pending.status == .awaitingPayment {
                _ = try await OrderService.close(pending, as: .cancelled, customer: customer, actor: nil, on: tx)
            } else {
                blocked = true
            }
        }
        if existing == nil && !blocked && period.end.adding(days: -settings.renewalLeadDays) <= today {
            // DOMAIN.md 8: a restricted account renews nothing unless its plan is excepted; it runs into its grace period instead.
            let restrictionKey = "\(customer.path)|\(plan.id)"
            var free = cache.isUnrestricted(restrictionKey)
            if !free, try await ChangeSnapshotLoader.restriction(of: customer, plans: [plan.id], viewer: nil, on: tx) == nil {
                cache.markUnrestricted(restrictionKey)
                free = true
            }
            if free {
                let issued = try await issueRenewal(subscription, plan: plan, customer: customer, period: next, key: renewalKey, today: today, now: now,
                                                    cache: cache, on: tx)
                result.renewalOrders += 1
                if issued { result.invoices += 1 }
                return result
            }
        }
        if period.end.adding(days: settings.graceDays) <= today && (subscription.status == .active || subscription.status == .trial) {
            try await SubscriptionStore.suspendForBilling(id, from: subscription.status, on: tx)
            try await AuditLog.record(on: tx, actor: nil, account: customer, objectType: "subscription", objectID: id, action: "suspend: renewal unpaid",
                                      before: SubscriptionAudit(subscription), after: nil as SubscriptionAudit?)
            try await Outbox.record(on: tx, [try .subscriptionSuspended(id, customer: customer, byBilling: true)])
            result.suspended += 1
            return result
        }
        return nil
    }

    /// The renewal order of the next period, priced at the prices the subscription is charged,
    /// with any scheduled quantities. Answers whether an invoice was issued (nothing to pay: it provisions at once).
    func issueRenewal(_ subscription: Subscription, plan: Plan, customer: Account, period: BillingPeriod, key: String, today: BusinessDate, now: Date,
                      cache: LookupCache? = nil, on tx: MariaDBDatabase) async throws -> Bool {
        let renewal = try await renewalOrder(subscription, plan: plan, customer: customer, period: period, key: key, today: today, now: now, cache: cache, on: tx)
        let orderID = try await OrderService.write(OrderDraft(order: renewal.order, sold: renewal.order.quote.plan.subtotal) { parent in
            try await Self.owed(subscription, plan: plan, period: period, seller: parent, now: now, cache: cache, on: tx)
        }, actor: nil, on: tx)
        try await AuditLog.record(on: tx, actor: nil, account: customer, objectType: "order", objectID: orderID, action: "renewal issued",
                                  before: nil as [String: String]?, after: renewal.audit)
        try await Outbox.record(on: tx, [try .renewalDue(renewal.order, orderID: orderID)])
        return renewal.order.issueInvoice
    }

    /// The renewal order of the next period as it is written (one batch or one subscription at a time), and what its audit entry says.
    func renewalOrder(_ subscription: Subscription, plan: Plan, customer: Account, period: BillingPeriod, key: String, today: BusinessDate, now: Date,
                      cache: LookupCache?, on tx: MariaDBDatabase) async throws -> (order: NewOrder, audit: [String: String]) {
        let lines = try await ChargedPrices.periodLines(subscription, plan: plan, seller: customer.parentID!, period: period, now: now,
                                                        label: subscription.status == .trial ? "\(plan.name), first period after the trial" : "\(plan.name) renewal",
                                                        cache: cache, on: tx)
        let quote = try await Self.invoiced(lines, plan: plan, customer: customer, now: now, cache: cache, on: tx).quote
        let needsPayment = quote.charged.total > 0
        let change = ChangeRequest.renewal(start: period.start, end: period.end)
        let summary = change.summary(of: subscription, planName: plan.name, targetName: nil)
        let order = NewOrder(
            change: change, status: needsPayment ? .awaitingPayment : .provisioning, subscriptionID: subscription.id, customer: customer,
            sellerID: customer.parentID!, plan: plan, pricedAgainst: "{}", summary: summary,
            today: today, now: now, expiresAt: nil, promo: nil, quote: quote, renewalKey: key, issueInvoice: needsPayment)
        return (order, ["summary": summary, "total": Money(minorUnits: quote.charged.total, currency: quote.charged.currency).description])
    }

    /// What a renewal's period costs at a seller's own prices (an upstream level's net cost).
    static func owed(_ subscription: Subscription, plan: Plan, period: BillingPeriod, seller: Int64, now: Date, cache: LookupCache?,
                     on tx: MariaDBDatabase) async throws -> Int64 {
        try await ChargedPrices.periodLines(subscription, plan: plan, seller: seller, period: period, now: now, label: "", useIndividual: false,
                                            cache: cache, on: tx).map(\.amount).reduce(0, +)
    }

    /// The postpaid invoice of the current period: the period itself, and every completed postpaid
    /// order of the subscription not yet billed. One per period (`period_key`).
    /// `endsEarly`: a switch to a new period ends this one before its end (the subscription's period moves on elsewhere).
    static func issuePostpaidInvoice(_ subscription: Subscription, plan: Plan, customer: Account, today: BusinessDate, now: Date, endsEarly: Bool = false,
                                     on tx: MariaDBDatabase) async throws {
        let period = subscription.period
        let key = "postpaid:\(subscription.id):\(period.start)"
        guard try await !InvoiceStore.isIssued(periodKey: key, on: tx) else { return }
        // The period is charged as it began: the plan and quantities before the changes made
        // during it (those come on the invoice as their own orders, prorated).
        let unbilled = try await OrderStore.firstUnbilledPostpaidChange(of: subscription.id, since: period.start, on: tx)
        var base = subscription
        var basePlan = plan
        if let json = unbilled, let against = try? ChangeRequest.decoder.decode(PricedAgainst.self, from: Data(json.utf8)) {
            basePlan = try await PlanStore(database: tx).planForWorker(against.planId)
            base.planID = against.planId
            base.resources = base.resources.map { line in
                var line = line
                line.additional = against.additional[line.code] ?? line.additional
                return line
            }
        }
        let lines = try await ChargedPrices.periodLines(base, plan: basePlan, seller: customer.parentID!, period: period, now: now, label: "\(basePlan.name), period",
                                                        useScheduled: false, on: tx)
        let (quote, terms) = try await Self.invoiced(lines, plan: plan, customer: customer, now: now, on: tx)
        let charged = quote.charged
        var invoiceLines = quote.lines.enumerated().map { index, line in
            Invoice.Line(position: index + 1, description: line.description, amount: charged.lines[index], discount: charged.discounts[index])
        }
        let orders = try await OrderStore.lockUnbilledPostpaid(of: subscription.id, on: tx)
        var billed: [Int64] = []
        for orderID in orders {
            guard let order = try await OrderStore(database: tx).orderForWorker(orderID, on: tx) else { continue }
            for line in order.lines {
                invoiceLines.append(Invoice.Line(position: invoiceLines.count + 1, description: "Order #\(order.id): \(line.description)",
                                                 amount: line.chargedAmount, discount: line.chargedDiscount))
            }
            billed.append(orderID)
        }
        let subtotal = invoiceLines.map(\.amount).reduce(0, +)
        let discount = invoiceLines.map(\.discount).reduce(0, +)
        // Tax last, on the whole invoice after discount, rounded once (DOMAIN.md 6).
        let (tax, added) = Pricing.tax(invoiceLines.map(\.amount), invoiceLines.map(\.discount),
                                       included: invoiceLines.map { _ in plan.pricesIncludeTaxes }, rate: terms.taxRate)
        let total = subtotal - discount + added
        let invoiceID = try await InvoiceStore.issue(InvoiceDraft(
            sellerID: customer.parentID!, customer: customer, orderID: nil, subscriptionID: subscription.id, periodKey: key, currency: charged.currency,
            subtotal: subtotal, discount: discount, tax: tax, total: total, taxRate: customer.taxRate, pricesIncludeTaxes: plan.pricesIncludeTaxes,
            issuedOn: today, lines: invoiceLines), actor: nil, on: tx)
        try await OrderStore.markBilled(billed, on: invoiceID, on: tx)
        if total < 0 {
            // More refunded than used: the difference is the customer's credit.
            _ = try await CreditLedger.lockedBalance(of: customer.id, on: tx)
            try await CreditLedger.post(Money(minorUnits: -total, currency: charged.currency), to: customer,
                                        reason: "Postpaid period \(period.start) → \(period.end): credit balance", invoiceID: invoiceID, actor: nil, on: tx)
        }
        if !endsEarly { try await SubscriptionStore.setPaidUntil(subscription.id, to: period.end, on: tx) }
    }

    /// Lines of a period as its invoice charges them: the customer's tax and currency at `now`, no
    /// promo. Without a rate to convert at, the billing run can't invoice (`requireRate`).
    static func invoiced(_ lines: [QuoteLine], plan: Plan, customer: Account, now: Date, requireRate: Bool = true, cache: LookupCache? = nil,
                         on db: MariaDBDatabase) async throws -> (quote: Quote, terms: QuoteTerms) {
        let invoiceTerms = if let cache { try await cache.invoiceTerms(plan: plan, customer: customer, now: now, on: db) }
                           else { try await InvoiceTerms.load(plan: plan, customer: customer, now: now, on: db) }
        if requireRate, let missing = invoiceTerms.rateMissing { throw StoreError.invalid(field: "rate", message: .init("error.text", ["text": .text(missing.message)])) }
        let terms = invoiceTerms.with(promo: nil)
        return (Pricing.quote(lines, terms: terms), terms)
    }

    /// The subscription ends (cancelled at its period end): read-only from now on.
    func end(_ subscription: Subscription, customer: Account, now: Date, on tx: MariaDBDatabase) async throws {
        if let open = try await OrderStore(database: tx).openOrder(of: subscription.id, on: tx),
           let pending = try await OrderStore(database: tx).orderForWorker(open, on: tx, forUpdate: true), pending.status == .awaitingPayment {
            _ = try await OrderService.close(pending, as: .cancelled, customer: customer, actor: nil, on: tx)
        }
        try await SubscriptionStore.cancel(subscription.id, atPeriodEnd: true, on: tx)
        try await AuditLog.record(on: tx, actor: nil, account: customer, objectType: "subscription", objectID: subscription.id, action: "cancelled at period end",
                                  before: SubscriptionAudit(subscription), after: nil as SubscriptionAudit?)
    }

    /// The runs, newest first (staff page and API).
    public static func recent(on db: MariaDBDatabase, limit: Int = 20) async throws -> [(result: BillingRunResult, startedAt: Date, finishedAt: Date?, node: String)] {
        try await BillingRunStore(database: db).recent(limit: limit)
    }
}
