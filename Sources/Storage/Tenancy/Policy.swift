/// Who may do what, by tier and role (DOMAIN.md 1), decided in one place. Whether the target is
/// inside the actor's subtree is settled before this, by the scoped query (outside: 404).
public enum Policy {
    public enum Action: Sendable, Equatable {
        /// Create, edit or restrict accounts below `parent` (the parent itself is in scope).
        case manageAccountsBelow(parentKind: AccountKind)
        /// Create or change users of an account; `own` when it is the actor's own account.
        case manageUsers(own: Bool)
        /// Currencies, rates, resources and resource upgrade pairs: the provider's catalog.
        case manageCatalog
        /// Read anything in scope.
        case read
    }

    public static func allows(_ actor: Actor, _ action: Action) -> Bool {
        switch action {
        case .read:
            return true
        case .manageAccountsBelow(let parentKind):
            // Admins of an ancestor; customers are leaves and have nothing below them.
            return actor.role == .admin && actor.accountKind.isStaff && parentKind != .customer
        case .manageCatalog:
            return actor.role == .admin && actor.accountKind == .provider
        case .manageUsers:
            // Admins of the account itself or of an ancestor (the scope already holds it).
            return actor.role == .admin
        }
    }
}
