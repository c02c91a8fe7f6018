import Commerce
import Foundation
import Logging
import MariaDB
import Storage

/// The billing run's fast path: the renewals of a whole batch of subscriptions in one transaction,
/// priced from the run's cached catalog and written in a few multi-row statements. What a batch
/// can't decide from the locked rows alone (rollovers, suspensions, cancellations, an open order,
/// a restriction, a subscription that can't be priced) goes one subscription at a time, through
/// `step`, after the batch commits; so does every subscription of a batch whose transaction fails,
/// so one subscription can neither block nor spoil the others.
extension BillingRun {
    /// What a batch does with one due subscription.
    enum BatchVerdict: Equatable {
        /// `step` would do nothing today.
        case nothing
        /// `step` would issue the renewal of `period` under `key`, and then have nothing more to do today.
        case renew(period: BillingPeriod, key: String)
        /// Anything else: left to `step`.
        case oneByOne
    }

    /// The verdict of `step` on a locked subscription where the batch can reach it without more reads;
    /// `issued`, `open` and `restricted` say whether its renewal key has an order, whether it has an
    /// open order, and whether a restriction covers its customer. A period that has ended may roll
    /// over, suspend or end: `step` decides those.
    static func batchVerdict(_ subscription: Subscription, plan: Plan, today: BusinessDate, settings: BillingSettings,
                             issued: (String) -> Bool, open: Bool, restricted: Bool) -> BatchVerdict {
        let period = subscription.period
        guard today < period.end else { return .oneByOne }
        // A period not yet ended: postpaid, cancelled and ending subscriptions wait for its end.
        if plan.billingType == .postpaid || subscription.status == .cancelled || subscription.cancelAtPeriodEnd { return .nothing }
        let next = BillingPeriod(starting: period.end, months: period.months, anchorDay: subscription.anchorDay)
        if (subscription.paidUntil ?? period.end) >= next.end {
            return subscription.status == .suspended && subscription.suspendedByBilling ? .oneByOne : .nothing
        }
        let key = renewalKey(subscription.id, next)
        guard !issued(key), period.end.adding(days: -settings.renewalLeadDays) <= today else { return .nothing }
        return open || restricted ? .oneByOne : .renew(period: next, key: key)
    }

    /// The key a period's renewal order is issued under, once.
    static func renewalKey(_ subscriptionID: Int64, _ period: BillingPeriod) -> String { "renewal:\(subscriptionID):\(period.start)" }

    /// A batch of due subscriptions: their renewals in one transaction, then whatever is left one by one.
    func settleBatch(_ ids: [Int64], today: BusinessDate, now: Date, cache: LookupCache) async -> BillingRunResult {
        var result = BillingRunResult()
        var oneByOne: [Int64]
        do {
            (result, oneByOne) = try await database.withTransaction { tx in try await self.renewBatch(ids, today: today, now: now, cache: cache, on: tx) }
        } catch {
            logger.notice("billing run: a batch failed, its subscriptions go one by one", metadata: ["first": "\(ids.first ?? 0)", "error": "\(error)"])
            result = BillingRunResult()
            oneByOne = ids
        }
        for id in oneByOne { result.add(await settle(id, today: today, now: now, cache: cache)) }
        return result
    }

    /// Inside one transaction: locks the batch's subscriptions, issues the renewals it can decide, and
    /// answers what it did with the subscriptions left to `step`.
    private func renewBatch(_ ids: [Int64], today: BusinessDate, now: Date, cache: LookupCache,
                            on tx: MariaDBDatabase) async throws -> (BillingRunResult, [Int64]) {
        let subscriptions = try await SubscriptionStore(database: tx).subscriptionsForWorker(ids, forUpdate: true, on: tx)
        var plans: [Int64: Plan] = [:], customers: [Int64: Account] = [:]
        for subscription in subscriptions {
            plans[subscription.planID] = try await cache.plan(subscription.planID, on: tx)
            customers[subscription.customerID] = try await cache.account(subscription.customerID, on: tx)
        }
        let keys = subscriptions.map { Self.renewalKey($0.id, BillingPeriod(starting: $0.period.end, months: $0.period.months, anchorDay: $0.anchorDay)) }
        let issued = try await RenewalBatchStore.issuedRenewals(keys, on: tx)
        let open = try await RenewalBatchStore.withOpenOrders(subscriptions.map(\.id), on: tx)
        let restricted = try await RenewalBatchStore.restricted(Set(customers.values.map(\.path)), on: tx)

        var drafts: [RenewalDraft] = []
        var oneByOne: [Int64] = []
        for subscription in subscriptions {
            let plan = plans[subscription.planID]!, customer = customers[subscription.customerID]!
            let verdict = Self.batchVerdict(subscription, plan: plan, today: today, settings: settings, issued: { issued.contains($0) },
                                            open: open.contains(subscription.id), restricted: restricted.contains(customer.path))
            guard case .renew(let period, let key) = verdict else {
                if verdict == .oneByOne { oneByOne.append(subscription.id) }
                continue
            }
            do {
                let renewal = try await renewalOrder(subscription, plan: plan, customer: customer, period: period, key: key, today: today, now: now,
                                                     cache: cache, on: tx)
                let levels = try await UpstreamCharges.levels(plan: plan, customer: customer, sold: renewal.order.quote.plan.subtotal,
                                                              account: { try await cache.account($0, on: tx) }) { parent in
                    try await Self.owed(subscription, plan: plan, period: period, seller: parent, now: now, cache: cache, on: tx)
                }
                drafts.append(RenewalDraft(order: renewal.order, levels: levels, audit: renewal.audit))
            } catch let error as MariaDBError {
                throw error  // the database's: the whole batch is retried or goes one by one
            } catch {
                oneByOne.append(subscription.id)  // can't be priced (a period no longer offered, no rate): `step` logs it
            }
        }
        _ = try await RenewalBatchWriter.insert(drafts, on: tx)
        var result = BillingRunResult()
        result.renewalOrders = drafts.count
        result.invoices = drafts.filter(\.order.issueInvoice).count
        return (result, oneByOne)
    }
}
