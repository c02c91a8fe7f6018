import Foundation

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
    private struct Switch: Codable {
        var fromResourceCode: String; var toResourceCode: String
        enum CodingKeys: String, CodingKey { case fromResourceCode = "from_resource_code", toResourceCode = "to_resource_code" }
    }
    private struct PlanSwitch: Codable {
        var planId: Int64; var periodMonths: Int
        enum CodingKeys: String, CodingKey { case planId = "plan_id", periodMonths = "period_months" }
    }
    private struct Sales: Codable {
        var planId: Int64; var periodMonths: Int; var resources: [String: Int64]
        enum CodingKeys: String, CodingKey { case planId = "plan_id", periodMonths = "period_months", resources }
    }
    private struct Renewal: Codable {
        var periodStart: String; var periodEnd: String
        enum CodingKeys: String, CodingKey { case periodStart = "period_start", periodEnd = "period_end" }
    }

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

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public static let decoder = JSONDecoder()

    /// The stored form: sorted keys, so equal requests have equal text.
    public var json: String { String(decoding: (try? Self.encoder.encode(self)) ?? Data(), as: UTF8.self) }

    public static func parse(json: String) throws -> ChangeRequest { try decoder.decode(ChangeRequest.self, from: Data(json.utf8)) }
}
