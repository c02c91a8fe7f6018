import Commerce
import Foundation
import MariaDB
import Storage

/// What a connector is asked to carry out: always with the order id, so a repeat does nothing twice.
public struct ProvisioningRequest: Sendable {
    public var orderID: Int64
    public var subscriptionID: Int64?
    public var planID: Int64
    public var change: ChangeRequest
    public var touchedResources: [String]

    public init(orderID: Int64, subscriptionID: Int64?, planID: Int64, change: ChangeRequest, touchedResources: [String]) {
        self.orderID = orderID
        self.subscriptionID = subscriptionID
        self.planID = planID
        self.change = change
        self.touchedResources = touchedResources
    }
}

public enum ProvisioningResult: Sendable, Equatable {
    case done
    case failed(String)
}

/// The vendor side of a plan (DOMAIN.md 7). Throwing means "try again later"; `.failed` is final.
public protocol Connector: Sendable {
    var name: String { get }
    func provision(_ request: ProvisioningRequest) async throws -> ProvisioningResult
}

/// The optional capability of a connector to vet reductions (DOMAIN.md 7). Connectors without it
/// skip the check.
public protocol ReductionChecking: Connector {
    func check(_ reduction: Reduction, subscriptionID: Int64) async throws -> VendorAnswer
}

/// The connectors installed, by the name plans carry.
public struct ConnectorRegistry: Sendable {
    let connectors: [String: any Connector]

    public init(_ connectors: [any Connector]) {
        self.connectors = Dictionary(connectors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public static func standard(database: MariaDBDatabase) -> ConnectorRegistry { ConnectorRegistry([TestConnector(database: database)]) }

    public func connector(named name: String) -> (any Connector)? { connectors[name] }
}
