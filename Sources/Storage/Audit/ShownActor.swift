import MariaDB

/// Who did something, as one viewer may see it (DOMAIN.md 1, white label): nobody sees the users
/// (names, emails, IP addresses) of accounts above their own. Every page and API answer that
/// names the person behind an action (audit log, dashboard, subscription history, credit log)
/// asks `ShownActor.of`, and nothing else decides it.
public struct ShownActor: Sendable, Equatable {
    /// An email, the viewer's seller's name, or `system`.
    public var name: String
    /// The client address, or empty when it is not the viewer's to see.
    public var address: String

    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }

    public static let system = ShownActor(name: "system", address: "")

    /// - A user of the viewer's account or of one below it: by email, with the address.
    /// - A user of any other account (in practice one above, as only those act on the viewer's
    ///   subtree): by the name of the viewer's seller, the nearest ancestor it deals with, and
    ///   without address. A customer of a reseller thus sees the provider's staff as its reseller.
    /// - No user (the order engine, the billing run): `system`.
    public static func of(email: String?, address: String, accountPath: String?, seenFrom viewer: Viewpoint) -> ShownActor {
        guard let email, let accountPath, email != system.name else { return .system }
        if accountPath.hasPrefix(viewer.accountPath) { return ShownActor(name: email, address: address) }
        return ShownActor(name: viewer.sellerName ?? system.name, address: "")
    }
}

/// Where a viewer stands in the tree: its account's path and its seller's name (none for the provider).
public struct Viewpoint: Sendable, Equatable {
    public var accountPath: String
    public var sellerName: String?

    public init(accountPath: String, sellerName: String?) {
        self.accountPath = accountPath
        self.sellerName = sellerName
    }

    /// The viewpoint of a scope's actor: its seller's name is read by id, the one account above
    /// the scope a viewer may know by name.
    public static func of(_ scope: TenantScope, on db: MariaDBDatabase) async throws -> Viewpoint {
        let ancestry = scope.actor.accountPath.split(separator: "/").compactMap { Int64($0) }
        guard ancestry.count >= 2 else { return Viewpoint(accountPath: scope.actor.accountPath, sellerName: nil) }
        let rows = try await db.rows("SELECT name FROM accounts WHERE id = ?", [.int(ancestry[ancestry.count - 2])])
        return Viewpoint(accountPath: scope.actor.accountPath, sellerName: try rows.first?.decode(column: "name", as: String.self))
    }
}
