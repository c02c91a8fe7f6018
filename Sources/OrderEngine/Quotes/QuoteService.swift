import Commerce
import Foundation
import Localization
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
        try await quote(subscription: id, change: change, promoCode: promoCode, in: scope, now: given, read: nil, locked: nil)
    }

    /// The same for a subscription the caller has just read in `scope` (a handler that checked it): not read again.
    public func quote(_ subscription: Subscription, change: ChangeRequest, promoCode: String?, in scope: TenantScope) async throws -> PricedChange {
        try await quote(subscription: subscription.id, change: change, promoCode: promoCode, in: scope, now: nil, read: subscription, locked: nil)
    }

    /// The same inside a submit's transaction, from the subscription it has just locked.
    func quote(subscription id: Int64, change: ChangeRequest, promoCode: String?, in scope: TenantScope, now given: Date?,
               read: Subscription? = nil, locked: LockedSubscription?) async throws -> PricedChange {
        switch change {
        case .quantities, .resourceSwitch, .plan: break
        case .sales, .renewal, .cancellation: throw StoreError.invalid(field: "change", message: .init("error.order.quote_kind"))
        }
        let now: Date
        if let given { now = given } else { now = try await clock.now() }
        let loader = ChangeSnapshotLoader(database: database, connectors: connectors)
        let loaded = try await loader.load(subscription: id, change: change, promoCode: promoCode, in: scope, now: now, read: read, locked: locked)
        let evaluation = ChangeRules.evaluate(change, loaded.snapshot)
        guard evaluation.lines.allSatisfy(\.exact.isWithinMoneyRange) else {
            throw StoreError.invalid(field: "amount", message: .init("error.order.too_costly"))
        }
        let quote = Pricing.quote(evaluation.lines, terms: loaded.terms.with(promo: evaluation.promo))
        return PricedChange(quote: quote, refusals: evaluation.refusals, loaded: loaded)
    }

    /// What the change costs a seller at its own prices (a reseller's net cost is its parent's
    /// prices, DOMAIN.md 7): the same evaluation, at that seller's prices, without individual prices or promo,
    /// from the prices the quote loaded (no query, whatever the number of levels).
    public func subtotal(of change: ChangeRequest, _ loaded: LoadedChange, atPricesOf seller: Int64) throws -> Int64 {
        ChangeRules.evaluate(change, try ChangeSnapshotLoader.snapshot(loaded, atPricesOf: seller)).lines.map(\.amount).reduce(0, +)
    }
}
