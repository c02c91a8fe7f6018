import Localization

/// An account at or above a customer that is not active (issue 15, accounts over their lifetime):
/// a suspended account's subtree orders nothing new until the suspension is lifted, a closed one
/// never again. Renewals and cancellations are not new orders and go on.
public struct AccountHold: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case suspended, closed }

    public var kind: Kind
    /// The account's name when the viewer may know it (it is in the viewer's subtree); nil shows a
    /// neutral message (white label: a customer never learns what lies above its seller).
    public var accountName: String?
    /// Whether the held account is the customer itself rather than one above it.
    public var isCustomer: Bool

    public init(kind: Kind, accountName: String?, isCustomer: Bool) {
        self.kind = kind
        self.accountName = accountName
        self.isCustomer = isCustomer
    }
}

extension ChangeRules {
    /// Rule 3's neighbour: the refusal of every new order (a change, a switch, a sales order) while
    /// the customer or an account above it is suspended or closed.
    public static func accountStanding(_ hold: AccountHold?) -> Refusal? {
        guard let hold else { return nil }
        // Named to those who may know it (the customer itself, or an account above it), else withheld.
        func text(_ base: String) -> String {
            guard let name = hold.accountName else { return Localization.text(base + "_withheld") }
            return Localization.text(hold.isCustomer ? base : base + "_above", ["account": .text(name)])
        }
        switch hold.kind {
        case .suspended:
            return Refusal(.accountSuspended, text("error.refusal.suspended"))
        case .closed:
            return Refusal(.accountClosed, text("error.refusal.closed"))
        }
    }
}
