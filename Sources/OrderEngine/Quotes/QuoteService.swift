import Commerce
import Foundation
import MariaDB
import Storage

/// A quote: the priced lines and every refusal that applies, all at once.
public struct PricedChange: Sendable {
    public var quote: Quote
    public var refusals: [Refusal]
    /// What the quote was decided on: upstream levels are priced from it again.
    public var loaded: LoadedChange

    public var subscription: Subscription { loaded.subscription }
    public var plan: Plan { loaded.plan }
    public var today: BusinessDate { loaded.snapshot.today }
    /// The rate the quote converted at (stored on the order with the rate, DOMAIN.md 2).
    public var rateID: Int64? { loaded.terms.rateID }
}

/// The first half of the order engine: loads what a change is decided on, once, and lets the rules
/// of `Commerce` price it (DOMAIN.md 6) and list why it may be refused (DOMAIN.md 5).
public struct QuoteService: Sendable {
    let database: MariaDBDatabase
    let clock: BusinessClock
    let connectors: ConnectorRegistry

    public init(database: MariaDBDatabase, clock: BusinessClock, connectors: ConnectorRegistry? = nil) {
        self.database = database
        self.clock = clock
        self.connectors = connectors ?? .standard(database: database)
    }

    /// `now` is read from the clock when not given; a caller inside a transaction passes it, so the
    /// quote needs no second connection while it holds row locks.
    public func quote(subscription id: Int64, change: ChangeRequest, promoCode: String?, in scope: TenantScope, now given: Date? = nil) async throws -> PricedChange {
        switch change {
        case .quantities, .resourceSwitch, .plan: break
        case .sales, .renewal, .cancellation: throw StoreError.invalid(field: "change", message: "Quote a change, a switch or a plan switch here.")
        }
        let now: Date
        if let given { now = given } else { now = try await clock.now() }
        let loader = ChangeSnapshotLoader(database: database, connectors: connectors)
        let loaded = try await loader.load(subscription: id, change: change, promoCode: promoCode, in: scope, now: now)
        let evaluation = ChangeRules.evaluate(change, loaded.snapshot)
        guard evaluation.lines.allSatisfy(\.exact.isWithinMoneyRange) else {
            throw StoreError.invalid(field: "amount", message: "This change would cost more than any invoice can carry: check the quantities.")
        }
        let quote = Pricing.quote(evaluation.lines, terms: loaded.terms.with(promo: evaluation.promo))
        return PricedChange(quote: quote, refusals: evaluation.refusals, loaded: loaded)
    }

    /// What the change costs a seller at its own prices (a reseller's net cost is its parent's
    /// prices, DOMAIN.md 7): the same evaluation, at that seller's prices, without individual prices or promo.
    public func subtotal(of change: ChangeRequest, _ loaded: LoadedChange, atPricesOf seller: Int64) async throws -> Int64 {
        let loader = ChangeSnapshotLoader(database: database, connectors: connectors)
        let snapshot = try await loader.snapshot(loaded, atPricesOf: seller, change: change)
        return ChangeRules.evaluate(change, snapshot).lines.map(\.amount).reduce(0, +)
    }
}
