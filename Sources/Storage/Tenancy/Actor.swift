import Foundation

public enum AccountKind: String, Codable, Sendable, CaseIterable {
    case provider, reseller, customer

    /// Provider and reseller users are staff: they act on their subtree.
    public var isStaff: Bool { self != .customer }
}

public enum Role: String, Codable, Sendable, CaseIterable {
    case admin, `operator`, viewer
}

/// The signed-in user as every request sees it: who, of which account, and from where.
public struct Actor: Sendable, Equatable {
    public var userID: Int64
    public var email: String
    public var name: String
    public var role: Role
    public var accountID: Int64
    public var accountKind: AccountKind
    public var accountName: String
    /// The actor's account path, `"/1/4/"`: everything at or below it is theirs to see.
    public var accountPath: String
    /// The client address, for the audit log and throttling.
    public var address: String
    /// The language the user chose: pages, messages and errors of their requests.
    public var locale: UserLocale

    public init(userID: Int64, email: String, name: String, role: Role, accountID: Int64, accountKind: AccountKind,
                accountName: String, accountPath: String, address: String, locale: UserLocale = .en) {
        self.userID = userID
        self.email = email
        self.name = name
        self.role = role
        self.accountID = accountID
        self.accountKind = accountKind
        self.accountName = accountName
        self.accountPath = accountPath
        self.address = address
        self.locale = locale
    }

    /// The order engine acting on its own (a worker completing an order), confined to the subtree
    /// of the account the order belongs to. It has no user and may change nothing through stores
    /// that check roles.
    public static func engine(for account: Account) -> Actor {
        Actor(userID: 0, email: "system", name: "Order engine", role: .viewer, accountID: account.id, accountKind: account.kind,
              accountName: account.name, accountPath: account.path, address: "")
    }

    /// The tenant scope every store call takes.
    public var scope: TenantScope { TenantScope(actor: self) }
}

/// The subtree a request may touch. Store methods that read tenant rows take one, and filter by
/// its path in SQL, so a bare-id lookup of a tenant row is not something the stores offer.
public struct TenantScope: Sendable, Equatable {
    public let actor: Actor

    public init(actor: Actor) { self.actor = actor }

    /// `LIKE` pattern matching the actor's account and every account below it.
    public var pathPattern: String { actor.accountPath + "%" }

    public func contains(path: String) -> Bool { path.hasPrefix(actor.accountPath) }
}
