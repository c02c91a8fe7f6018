import Commerce
import Foundation
import Localization
import MariaDB
import Storage

extension OrderService {
    /// While the next period is paid ahead, or its renewal awaits payment or provisioning, the
    /// quantities and plan it was priced for are settled: changes wait for the period to start.
    static func renewalUnderway(_ subscription: Subscription, on db: MariaDBDatabase) async throws -> Refusal? {
        let open = try await OrderStore(database: db).openOrderFact(of: subscription.id, on: db)
        return ChangeRules.openOrder(open?.isRenewal == true ? open : nil, subscription: subscription.facts)
    }

    /// Schedules a change of quantities for the next period (commitment reductions), or clears it.
    public func schedule(_ wanted: [String: Int64]?, subscription id: Int64, in scope: TenantScope) async throws -> Subscription {
        try await updateLive(subscription: id, in: scope, forbidden: .init("error.forbidden.viewers_change_subscriptions")) { before, _, tx in
            // The renewal prices the scheduled quantities: once it is issued or paid, they are settled.
            if let refusal = try await Self.renewalUnderway(before, on: tx) { throw OrderRefused(refusals: [refusal]) }
            let plan = try await PlanStore(database: tx).planForWorker(before.planID)
            var errors = ValidationErrors()
            for (code, additional) in (wanted ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let line = before.line(code), let rate = plan.resources.first(where: { $0.resourceID == line.resourceID }) else {
                    errors.add("resources.\(code).resource_code", .init("error.subscription.no_resource", ["code": .text(code)])); continue
                }
                guard line.included != -1 else { continue }
                guard additional.magnitude <= ChangeRules.maxUnits else {
                    errors.add("resources.\(code).additional", .init("error.subscription.units_beyond", ["units": .number(additional)])); continue
                }
                let total = line.holding.total(additional: additional)
                for refusal in [ChangeRules.limits(code, total: total, rate: rate), ChangeRules.usage(code, newTotal: total, usage: line.usage)].compactMap({ $0 }) {
                    errors.add("resources.\(code).additional", .init("error.text", ["text": .text(refusal.message)]))
                }
            }
            try errors.throwIfAny()
            try await SubscriptionStore.setScheduledChange(id, wanted.map { ChangeRequest.quantities($0).json }, by: scope.actor.userID, on: tx)
            return wanted == nil ? "unschedule" : "schedule for renewal"
        }
    }
}

extension Subscription {
    /// The quantities scheduled for the next period, if any.
    var scheduledAdditional: [String: Int64] {
        guard let json = scheduledChange, case .quantities(let wanted)? = try? ChangeRequest.parse(json: json) else { return [:] }
        return wanted
    }
}
