import Commerce
import Foundation
import MariaDB
import Storage

/// Upstream reseller charges (DOMAIN.md 7): when an order completes, each reseller between the
/// plan's owner and the customer owes its parent its net cost for the same change, priced the same
/// way (same period, same day, one rounding per line), and earned what it sold the change at. A
/// reduction's charges are negative: refunds flow up the same way.
enum UpstreamCharges {
    struct Level {
        var reseller: Account
        var parentID: Int64
        var amount: Int64
        var netCost: Int64
    }

    /// Prices the levels for an order whose subscription still holds the state it was priced
    /// against, inside the completing transaction, and records one row per level.
    static func record(_ order: Order, customer: Account, clock: BusinessClock, on tx: MariaDBDatabase) async throws {
        guard let subscriptionID = order.subscriptionID, let sellerID = customer.parentID else { return }
        let plan = try await PlanStore(database: tx).planForWorker(order.planID)
        // Resellers strictly below the plan's owner, from the customer's seller up.
        let ancestry = customer.ancestry.dropLast()  // without the customer
        guard let ownerIndex = ancestry.firstIndex(of: plan.ownerAccountID) else { return }
        let chain = Array(ancestry[ancestry.index(after: ownerIndex)...]).reversed()
        guard chain.first == sellerID else { return }
        let change = try ChangeRequest.parse(json: order.changeRequest)
        let quotes = QuoteService(database: tx, clock: clock)
        let scope = Actor.engine(for: customer).scope
        let moment = order.quotedAt ?? order.createdAt
        var sold = order.planTotals.subtotal - order.planTotals.discount
        var levels: [Level] = []
        for resellerID in chain {
            let reseller = try await AccountStore(database: tx).accountForWorker(resellerID, on: tx)
            guard let parentID = reseller.parentID else { break }
            let priced = try await quotes.quote(subscription: subscriptionID, change: change, promoCode: nil, in: scope, now: moment, pricedBy: parentID)
            let netCost = priced.quote.plan.subtotal
            levels.append(Level(reseller: reseller, parentID: parentID, amount: sold, netCost: netCost))
            sold = netCost
        }
        for level in levels {
            try await tx.query(
                """
                INSERT INTO reseller_charges (order_id, reseller_id, reseller_path, parent_id, currency, currency_exponent, amount, net_cost, effective_date, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))
                """, [.int(order.id), .int(level.reseller.id), .string(level.reseller.path), .int(level.parentID), .string(plan.currency.code),
                      .int(Int64(plan.currency.exponent)), .int(level.amount), .int(level.netCost), order.effectiveDate.mariaDB])
        }
    }
}
