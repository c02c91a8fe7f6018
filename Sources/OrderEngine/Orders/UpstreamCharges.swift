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
        guard let sellerID = customer.parentID else { return }
        // Resellers strictly below the plan's owner, from the customer's seller up.
        let ancestry = customer.ancestry.dropLast()
        guard let ownerIndex = ancestry.firstIndex(of: plan.ownerAccountID) else { return }
        let chain = Array(ancestry[ancestry.index(after: ownerIndex)...].reversed())
        guard chain.first == sellerID else { return }
        var sold = sold
        for resellerID in chain {
            let reseller = try await AccountStore(database: tx).accountForWorker(resellerID, on: tx)
            guard let parentID = reseller.parentID else { break }
            let amount = try await owed(parentID)
            try await ResellerChargeStore.addLevel(order: orderID, reseller: reseller, parentID: parentID, currency: plan.currency, amount: amount, sold: sold, on: tx)
            sold = amount
        }
    }

    /// Records the order's levels as charges (inside the completing transaction).
    static func record(_ order: Order, on tx: MariaDBDatabase) async throws {
        try await ResellerChargeStore.recordLevels(of: order.id, effective: order.effectiveDate, on: tx)
    }
}
