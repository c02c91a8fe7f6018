import Commerce
import Foundation
import Storage

extension ChangeRequest {
    /// Resource codes the change touches; a plan switch touches all of the subscription's.
    public func touchedResources(of subscription: Subscription) -> [String] {
        switch self {
        case .quantities(let wanted):
            return wanted.keys.filter { code in subscription.line(code).map { $0.additional != wanted[code] } ?? false }.sorted()
        case .resourceSwitch(let from, let to): return [from, to]
        case .plan: return subscription.resources.map(\.code)
        case .sales(_, _, let additional): return additional.keys.sorted()
        case .renewal, .cancellation: return []
        }
    }

    /// The resources whose totals the change lowers (the rule is `ChangeRules.reductions`).
    public func reductions(of subscription: Subscription, target: Plan?, isDowngrade: Bool) -> [Reduction] {
        ChangeRules.reductions(of: self, subscription: subscription.facts, target: target?.facts, isDowngrade: isDowngrade)
    }

    /// One line a person reads: "ram_gb 4 → 6", "support_basic → support_premium", "Silver → Gold".
    public func summary(of subscription: Subscription, planName: String, targetName: String?) -> String {
        switch self {
        case .quantities(let wanted):
            let parts = wanted.sorted { $0.key < $1.key }.compactMap { code, additional -> String? in
                guard let line = subscription.line(code), line.additional != additional else { return nil }
                return line.included == -1 ? "\(code) unlimited" : "\(code) \(line.total) → \(line.holding.total(additional: additional))"
            }
            return parts.isEmpty ? "No change" : parts.joined(separator: ", ")
        case .resourceSwitch(let from, let to):
            return "\(from) → \(to)"
        case .plan(_, let months):
            let period = months == subscription.period.months ? "" : ", \(months)-month period"
            return "\(planName) → \(targetName ?? "another plan")\(period)"
        case .sales(_, let months, _):
            return "New \(planName), \(months)-month period"
        case .renewal(let start, let end):
            return "Renewal \(start) → \(end)"
        case .cancellation:
            return "Cancellation, unused part refunded"
        }
    }
}
