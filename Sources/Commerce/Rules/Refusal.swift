/// Why a change is refused (DOMAIN.md 5), in the order a submit reports them.
public enum RefusalCode: String, Sendable, CaseIterable, Codable {
    case subscriptionNotActive = "subscription_not_active"
    case trialForbidsChange = "trial_forbids_change"
    case accountRestricted = "account_restricted"
    /// The customer or an account above it is suspended (or closed): nothing new is ordered below it.
    case accountSuspended = "account_suspended"
    case accountClosed = "account_closed"
    case outOfLimits = "out_of_limits"
    case belowUsage = "below_usage"
    case nonRefundReduction = "non_refund_reduction"
    case commitmentReduction = "commitment_reduction"
    case vendorRefused = "vendor_refused"
    case noSuchPair = "no_such_pair"
    case pairInactive = "pair_inactive"
    case noSwitchPath = "no_switch_path"
    case promoInvalid = "promo_invalid"
    case promoNotAllowed = "promo_not_allowed"
    case orderOpen = "order_open"
    /// Not one of DOMAIN.md 5's list: a needed exchange rate is missing (DOMAIN.md 2); reported last.
    case rateMissing = "rate_missing"

    /// DOMAIN.md 5's numbering: the first refusal of a submit is the lowest rank.
    public var rank: Int {
        switch self {
        case .subscriptionNotActive: 1
        case .trialForbidsChange: 2
        case .accountRestricted, .accountSuspended, .accountClosed: 3
        case .outOfLimits: 4
        case .belowUsage: 5
        case .nonRefundReduction: 6
        case .commitmentReduction: 7
        case .vendorRefused: 8
        case .noSuchPair, .pairInactive, .noSwitchPath: 9
        case .promoInvalid, .promoNotAllowed: 10
        case .orderOpen: 11
        case .rateMissing: 12
        }
    }
}

/// One reason a change can't go ahead, with a message a person understands.
public struct Refusal: Sendable, Equatable {
    public var code: RefusalCode
    public var message: String
    public var details: [String: String]

    public init(_ code: RefusalCode, _ message: String, details: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// The one ordering of refusals (DOMAIN.md 5): by rule number, and in the order found within a rule.
    public static func ordered(_ refusals: [Refusal]) -> [Refusal] {
        refusals.enumerated().sorted { ($0.element.code.rank, $0.offset) < ($1.element.code.rank, $1.offset) }.map(\.element)
    }
}
