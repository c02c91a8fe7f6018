import Commerce
import Foundation
import MariaDB
import Storage

/// Upstream reseller charges (DOMAIN.md 7): each reseller between the plan's owner and the customer
/// owes its parent its net cost for the same change, priced the same way (same period, same day,
/// one rounding per line); reductions give negative charges, so refunds flow up. The levels are
/// priced in the submit's transaction, with the order's own quote moment, and recorded when the
/// order completes: nothing is re-priced at completion.
enum UpstreamCharges {
    /// Prices and stores the levels of a new order (inside the submit's transaction). `owed` prices
    /// the order's change at a seller's prices (a reseller's net cost is its parent's prices).
    static func price(orderID: Int64, plan: Plan, customer: Account, sold: Int64, on tx: MariaDBDatabase,
                      owed: (Int64) async throws -> Int64) async throws {
        var sold = sold
        var priced: [ResellerChargeStore.Level] = []
        for level in chain(of: customer, plan: plan) {
            let amount = try await owed(level.parentID)
            priced.append(ResellerChargeStore.Level(resellerID: level.resellerID, resellerPath: level.resellerPath, parentID: level.parentID,
                                                    amount: amount, sold: sold))
            sold = amount
        }
        try await ResellerChargeStore.addLevels(order: orderID, priced, currency: plan.currency, on: tx)
    }

    /// The same levels for a batch writer (the billing run's renewals), with each reseller's account.
    static func levels(plan: Plan, customer: Account, sold: Int64, account: (Int64) async throws -> Account,
                       owed: (Int64) async throws -> Int64) async throws -> [UpstreamLevel] {
        var sold = sold
        var levels: [UpstreamLevel] = []
        for level in chain(of: customer, plan: plan) {
            let amount = try await owed(level.parentID)
            levels.append(UpstreamLevel(reseller: try await account(level.resellerID), parentID: level.parentID, currency: plan.currency, amount: amount, sold: sold))
            sold = amount
        }
        return levels
    }

    /// The resellers strictly below the plan's owner, from the customer's seller up, each with its
    /// path and parent taken from the customer's own path (no read).
    static func chain(of customer: Account, plan: Plan) -> [(resellerID: Int64, resellerPath: String, parentID: Int64)] {
        guard let sellerID = customer.parentID else { return [] }
        let ancestry = customer.ancestry
        guard let ownerIndex = ancestry.dropLast().firstIndex(of: plan.ownerAccountID) else { return [] }
        let levels = Array((ownerIndex + 1)..<(ancestry.count - 1)).reversed()
        guard let first = levels.first, ancestry[first] == sellerID else { return [] }
        return levels.map { index in
            (ancestry[index], "/" + ancestry[...index].map(String.init).joined(separator: "/") + "/", ancestry[index - 1])
        }
    }

    /// Records the order's levels as charges (inside the completing transaction).
    static func record(_ order: Order, on tx: MariaDBDatabase) async throws {
        try await ResellerChargeStore.recordLevels(of: order.id, effective: order.effectiveDate, on: tx)
    }
}
