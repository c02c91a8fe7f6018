import Commerce
import Foundation
import MariaDB

/// The price lists in effect at one moment for some plans along one chain of sellers (the root
/// first), read in one statement: every seller of the chain gets its prices from it without
/// another query (a quote, and the upstream levels of its order, DOMAIN.md 3 and 7).
public struct PriceChain: Sendable {
    /// Root first: the accounts whose own lists were read.
    public let path: [Int64]
    public let moment: Date
    /// Plan → seller → its own version in effect at `moment`.
    var inEffect: [Int64: [Int64: PriceSchedule]]
    /// Plan → its owner's first version (the prices it has before its first prices took effect).
    var first: [Int64: PriceSchedule]

    /// The prices `seller` sells `plan` at: its own list, else its parent's, up to the plan owner's;
    /// before the plan's first prices took effect, its first ones.
    public func prices(of plan: Plan, seller: Int64) throws -> PriceSchedule {
        if let index = path.lastIndex(of: seller) {
            let lists = inEffect[plan.id] ?? [:]
            for account in path[...index].reversed() {
                if let schedule = lists[account] { return schedule }
                if account == plan.ownerAccountID { break }
            }
        }
        if let schedule = first[plan.id] { return schedule }
        throw StoreError.notFound("prices of plan \(plan.id)")
    }
}

extension PlanStore {
    /// The chain's price lists for `plans` at `moment` (see `PriceChain`): one statement, whatever
    /// the chain's length.
    public func priceChain(of plans: [Plan], path: [Int64], at moment: Date, on db: MariaDBDatabase? = nil) async throws -> PriceChain {
        var plansByID: [Int64: Plan] = [:]
        for plan in plans { plansByID[plan.id] = plan }
        let planIDs = Array(plansByID.keys).sorted()
        guard !planIDs.isEmpty, !path.isEmpty else { return PriceChain(path: path, moment: moment, inEffect: [:], first: [:]) }
        func marks(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }
        let owners = planIDs.map { _ in "(plan_id = ? AND seller_id = ?)" }.joined(separator: " OR ")
        let binds: [MariaDBData] = planIDs.map { .int($0) } + path.map { .int($0) } + [moment.mariaDBData]
            + planIDs.flatMap { [MariaDBData.int($0), .int(plansByID[$0]!.ownerAccountID)] }
        // Newest version ≤ moment per (plan, seller), and each owner's first version; then their periods and resources.
        let rows = try await (db ?? database).rows(
            """
            WITH chosen AS (
              SELECT id, plan_id, seller_id, 0 AS is_first FROM (
                SELECT id, plan_id, seller_id, ROW_NUMBER() OVER (PARTITION BY plan_id, seller_id ORDER BY effective_from DESC, id DESC) AS n
                FROM price_lists WHERE plan_id IN (\(marks(planIDs.count))) AND seller_id IN (\(marks(path.count))) AND effective_from <= ?) newest
              WHERE n = 1
              UNION ALL
              SELECT id, plan_id, seller_id, 1 FROM (
                SELECT id, plan_id, seller_id, ROW_NUMBER() OVER (PARTITION BY plan_id ORDER BY effective_from, id) AS n
                FROM price_lists WHERE \(owners)) oldest
              WHERE n = 1)
            SELECT c.plan_id, c.seller_id, c.is_first, 'list' AS kind, CAST(0 AS SIGNED) AS item, CAST(0 AS SIGNED) AS a, CAST(0 AS SIGNED) AS b
              FROM chosen c
            UNION ALL
            SELECT c.plan_id, c.seller_id, c.is_first, 'period', CAST(p.months AS SIGNED), CAST(p.fee_scaled AS SIGNED), CAST(0 AS SIGNED)
              FROM chosen c JOIN price_list_periods p ON p.price_list_id = c.id
            UNION ALL
            SELECT c.plan_id, c.seller_id, c.is_first, 'resource', CAST(r.resource_id AS SIGNED), CAST(r.setup_fee_scaled AS SIGNED),
                   CAST(r.recurring_fee_scaled AS SIGNED)
              FROM chosen c JOIN price_list_resources r ON r.price_list_id = c.id
            """, binds)
        var inEffect: [Int64: [Int64: PriceSchedule]] = [:]
        var first: [Int64: PriceSchedule] = [:]
        for row in rows {
            let planID = try row.decode(column: "plan_id", as: Int64.self)
            guard let currency = plansByID[planID]?.currency else { continue }
            let seller = try row.decode(column: "seller_id", as: Int64.self)
            let isFirst = try row.decode(column: "is_first", as: Int64.self) == 1
            var schedule = (isFirst ? first[planID] : inEffect[planID]?[seller]) ?? PriceSchedule(periodFees: [:], resourceFees: [:])
            let item = try row.decode(column: "item", as: Int64.self)
            switch try row.decode(column: "kind", as: String.self) {
            case "period":
                schedule.periodFees[Int(item)] = UnitPrice(scaled: try row.decode(column: "a", as: Int64.self), currency: currency)
            case "resource":
                schedule.resourceFees[item] = PriceSchedule.ResourceFees(setupFee: UnitPrice(scaled: try row.decode(column: "a", as: Int64.self), currency: currency),
                                                                         recurringFee: UnitPrice(scaled: try row.decode(column: "b", as: Int64.self), currency: currency))
            default: break
            }
            if isFirst { first[planID] = schedule } else { inEffect[planID, default: [:]][seller] = schedule }
        }
        return PriceChain(path: path, moment: moment, inEffect: inEffect, first: first)
    }
}
