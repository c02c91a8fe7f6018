import Commerce
import Foundation
import MariaDB
import Storage

/// The built-in test connector: it applies every change, unless staff told it to fail for a
/// resource (`fail_provisioning`). It keeps its own record per order id, as a vendor would, and
/// answers a repeated request with the first answer.
public struct TestConnector: ReductionChecking {
    let store: TestConnectorStore
    public let name = "test"

    public init(database: MariaDBDatabase) { store = TestConnectorStore(database: database) }

    public func provision(_ request: ProvisioningRequest) async throws -> ProvisioningResult {
        if let recorded = try await recorded(request.orderID) { return recorded }
        let failing = try await store.failingProvisioning(among: request.touchedResources)
        let outcome = failing.isEmpty ? "applied" : "failed: the test connector is set to fail provisioning of \(failing.joined(separator: ", "))"
        try await store.record(order: request.orderID, subscription: request.subscriptionID, outcome: outcome)
        return try await recorded(request.orderID) ?? .done
    }

    /// Staff's rules per resource: reductions not allowed at all, or not below a minimum.
    public func check(_ reduction: Reduction, subscriptionID: Int64) async throws -> VendorAnswer {
        guard let rule = try await store.rule(reduction.resourceCode) else { return .allowed }
        let minimum = rule.minQuantity
        if !rule.reductionsAllowed {
            return .refused(minimum: reduction.currentTotal, reason: "The vendor does not allow reducing \(reduction.resourceCode).")
        }
        if reduction.newTotal < minimum {
            return .refused(minimum: minimum, reason: "The vendor requires at least \(minimum) \(reduction.resourceCode); \(reduction.newTotal) asked.")
        }
        return .allowed
    }

    private func recorded(_ orderID: Int64) async throws -> ProvisioningResult? {
        guard let outcome = try await store.outcome(of: orderID) else { return nil }
        return outcome == "applied" ? .done : .failed(String(outcome.dropFirst("failed: ".count)))
    }
}
