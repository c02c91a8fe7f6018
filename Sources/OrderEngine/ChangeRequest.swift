import Commerce
import Foundation
import Storage

extension ChangeRequest {
    /// The order kind this change makes.
    public var orderKind: OrderKind {
        switch self {
        case .quantities, .resourceSwitch: .change
        case .plan: .planSwitch
        case .sales: .sales
        case .renewal: .renewal
        case .cancellation: .cancellation
        }
    }

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

    /// The resources whose totals the change lowers (an unlimited total never counts). A resource
    /// switch reduces only when it goes back down a pair; a plan switch reduces what the target plan
    /// includes less of, or lacks.
    public func reductions(of subscription: Subscription, target: Plan?, isDowngrade: Bool) -> [Reduction] {
        switch self {
        case .quantities(let wanted):
            return wanted.sorted { $0.key < $1.key }.compactMap { code, additional in
                guard let line = subscription.line(code), line.included != -1, line.included + additional < line.total else { return nil }
                return Reduction(resourceCode: code, currentTotal: line.total, newTotal: line.included + additional)
            }
        case .resourceSwitch(let from, _):
            guard isDowngrade, let line = subscription.line(from), line.total > 0 else { return [] }
            return [Reduction(resourceCode: from, currentTotal: line.total, newTotal: line.total - 1)]
        case .sales, .renewal, .cancellation:
            return []
        case .plan:
            guard let target else { return [] }
            return subscription.resources.compactMap { line in
                guard line.total != -1 else { return nil }
                let rate = target.resources.first { $0.resourceID == line.resourceID }
                if rate?.included == -1 { return nil }
                let newTotal = rate.map { $0.included + line.additional } ?? 0
                return newTotal < line.total ? Reduction(resourceCode: line.code, currentTotal: line.total, newTotal: newTotal) : nil
            }
        }
    }

    /// One line a person reads: "ram_gb 4 → 6", "support_basic → support_premium", "Silver → Gold".
    public func summary(of subscription: Subscription, planName: String, targetName: String?) -> String {
        switch self {
        case .quantities(let wanted):
            let parts = wanted.sorted { $0.key < $1.key }.compactMap { code, additional -> String? in
                guard let line = subscription.line(code), line.additional != additional else { return nil }
                return line.included == -1 ? "\(code) unlimited" : "\(code) \(line.total) → \(line.included + additional)"
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
