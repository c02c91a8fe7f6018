import Commerce
import Foundation
import Localization
import MariaDB
import Storage

/// Carries a completed order's change into its subscription (inside the completing transaction).
enum ChangeApplier {
    /// A sales order completes: the subscription it sold, from the order's business date (a trial first when the plan has one).
    static func createSubscription(_ order: Order, customer: Account, on tx: MariaDBDatabase) async throws -> Int64 {
        guard case .sales(let planID, let months, let additional) = try ChangeRequest.parse(json: order.changeRequest) else {
            throw StoreError.invalid(field: "change", message: .init("error.order.not_sales", ["order": .text(String(order.id))]))
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
                throw StoreError.invalid(field: "change", message: .init("error.order.pair_gone", ["from": .text(fromCode), "to": .text(toCode)]))
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
