import Commerce
import Foundation
import Storage

/// The state of a subscription an order was priced against, kept with the order.
struct PricedAgainst: Codable, Equatable {
    var planId: Int64
    var status: String
    var periodMonths: Int
    var periodStart: String
    var periodEnd: String
    var additional: [String: Int64]

    init(_ subscription: Subscription) {
        planId = subscription.planID
        status = subscription.status.rawValue
        periodMonths = subscription.period.months
        periodStart = subscription.period.start.description
        periodEnd = subscription.period.end.description
        additional = Dictionary(uniqueKeysWithValues: subscription.resources.map { ($0.code, $0.additional) })
    }

    /// The same subscription as far as pricing goes (status may have moved, usage always does).
    func matches(_ subscription: Subscription) -> Bool {
        var now = PricedAgainst(subscription)
        now.status = status
        return now == self
    }

    var json: String { String(decoding: (try? ChangeRequest.encoder.encode(self)) ?? Data(), as: UTF8.self) }
    enum CodingKeys: String, CodingKey {
        case planId = "plan_id", status, periodMonths = "period_months", periodStart = "period_start", periodEnd = "period_end", additional
    }
}
