import Commerce
import Foundation
import Storage

/// A change of a subscription, as a customer or staff ask for it (API.md change bodies). An order
/// stores it as JSON in the API's own shape, so what was asked stays readable.
public enum ChangeRequest: Sendable, Equatable, Codable {
    /// New additional quantities per resource code.
    case quantities([String: Int64])
    case resourceSwitch(from: String, to: String)
    case plan(planID: Int64, periodMonths: Int)
    /// A new subscription (a sales order).
    case sales(planID: Int64, periodMonths: Int, additional: [String: Int64])
    /// The next period of a subscription, paid ahead.
    case renewal(start: BusinessDate, end: BusinessDate)
    /// An immediate cancellation: the unused part refunded.
    case cancellation

    private enum Keys: String, CodingKey { case resources, `switch`, plan, sales, renewal, cancellation }
    private struct Switch: Codable { var fromResourceCode: String; var toResourceCode: String }
    private struct PlanSwitch: Codable { var planId: Int64; var periodMonths: Int }
    private struct Sales: Codable { var planId: Int64; var periodMonths: Int; var resources: [String: Int64] }
    private struct Renewal: Codable { var periodStart: String; var periodEnd: String }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .quantities(let wanted): try container.encode(wanted, forKey: .resources)
        case .resourceSwitch(let from, let to): try container.encode(Switch(fromResourceCode: from, toResourceCode: to), forKey: .switch)
        case .plan(let id, let months): try container.encode(PlanSwitch(planId: id, periodMonths: months), forKey: .plan)
        case .sales(let id, let months, let additional): try container.encode(Sales(planId: id, periodMonths: months, resources: additional), forKey: .sales)
        case .renewal(let start, let end): try container.encode(Renewal(periodStart: start.description, periodEnd: end.description), forKey: .renewal)
        case .cancellation: try container.encode("immediate", forKey: .cancellation)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if let wanted = try container.decodeIfPresent([String: Int64].self, forKey: .resources) {
            self = .quantities(wanted)
        } else if let change = try container.decodeIfPresent(Switch.self, forKey: .switch) {
            self = .resourceSwitch(from: change.fromResourceCode, to: change.toResourceCode)
        } else if let sale = try container.decodeIfPresent(Sales.self, forKey: .sales) {
            self = .sales(planID: sale.planId, periodMonths: sale.periodMonths, additional: sale.resources)
        } else if let renewal = try container.decodeIfPresent(Renewal.self, forKey: .renewal) {
            guard let start = BusinessDate(renewal.periodStart), let end = BusinessDate(renewal.periodEnd) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [Keys.renewal], debugDescription: "renewal dates"))
            }
            self = .renewal(start: start, end: end)
        } else if container.contains(.cancellation) {
            self = .cancellation
        } else {
            let plan = try container.decode(PlanSwitch.self, forKey: .plan)
            self = .plan(planID: plan.planId, periodMonths: plan.periodMonths)
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// The stored form: sorted keys, so equal requests have equal text.
    public var json: String { String(decoding: (try? Self.encoder.encode(self)) ?? Data(), as: UTF8.self) }

    public static func parse(json: String) throws -> ChangeRequest { try decoder.decode(ChangeRequest.self, from: Data(json.utf8)) }

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
