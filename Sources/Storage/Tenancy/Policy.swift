import Localization

/// Who may do what, by tier and role (DOMAIN.md 1), decided in one place: no handler, store or
/// engine function compares roles itself. Whether the target is inside the actor's subtree is
/// settled before this, by the scoped query (outside: 404); a `false` here is a 403.
/// `Tests/StorageTests/PolicyTableTests.swift` holds the whole table, action by tier by role.
public enum Policy {
    public enum Action: Sendable, Equatable {
        /// Read anything in scope.
        case read
        /// Open the provider's own pages: catalog pages, settings, billing runs, connector rules.
        case seeProviderArea
        /// Open the staff's pages: plans, restrictions and exceptions, reseller charges, promo codes;
        /// and be shown the footer's link to the API reference (`/api/docs`, itself public like
        /// `openapi.yaml`: customers may use the API, but the console points staff to it).
        case seeStaffArea
        /// Currencies, rates, resources and resource upgrade pairs: the provider's catalog.
        case manageCatalog
        /// Create a plan owned by the actor's own account.
        case createPlan
        /// Change a plan (its fields, periods, resources, prices and switch paths), given its owner.
        case editPlan(ownerAccountID: Int64)
        /// Delegate plans, keep price lists and promo codes as `sellerAccountID`.
        case sell(sellerAccountID: Int64)
        /// Create, edit or restrict accounts below `parent` (the parent itself is in scope).
        case manageAccountsBelow(parentKind: AccountKind)
        /// Edit, suspend, lift or close an account; `own` when it is the actor's own account.
        case editAccount(own: Bool)
        /// Post a credit adjustment by hand to a customer below (DOMAIN.md 9).
        case adjustCredit
        /// Create or change users of an account; `own` when it is the actor's own account.
        case manageUsers(own: Bool)
        /// Restrict accounts below and keep the restricting account's exceptions list.
        case restrict
        /// Import subscriptions, set their status and usage.
        case manageSubscriptions
        /// Record a bank-transfer payment.
        case recordBankTransfer
        /// Quote, order, cancel and pay (card, credit) for a subscription in scope.
        case order
        /// Start a billing run.
        case runBilling
        /// Move the business clock (test mode).
        case setClock
        /// Set the test connector's rules.
        case setConnectorRules
        /// Read a reseller's brand settings (its Branding page and `GET /accounts/{id}/branding`).
        case seeBranding
        /// Set a reseller's brand: name, sign-in slug, support email, colour.
        case manageBranding
        /// Register and delete webhooks of the actor's account (and delete those of accounts below).
        case manageWebhooks
        /// Read the local mail sink (`/mail`, when no SMTP server is configured): every user's emails, reset links included.
        case readMailSink
    }

    public static func allows(_ actor: Actor, _ action: Action) -> Bool {
        let kind = actor.accountKind, role = actor.role
        let providerAdmin = kind == .provider && role == .admin
        switch action {
        case .read:
            return true
        case .seeProviderArea:
            return kind == .provider
        case .seeStaffArea:
            return kind.isStaff
        case .manageCatalog, .runBilling, .setClock, .setConnectorRules, .readMailSink:
            return providerAdmin
        case .createPlan:
            return kind.isStaff && role == .admin
        case .editPlan(let owner):
            // Provider admins change every plan; a reseller's admins only the plans their reseller
            // owns, not those of its sub-resellers.
            return providerAdmin || (kind == .reseller && role == .admin && owner == actor.accountID)
        case .sell(let seller):
            return kind.isStaff && role == .admin && seller == actor.accountID
        case .manageAccountsBelow(let parentKind):
            // Admins of an ancestor; customers are leaves and have nothing below them.
            return kind.isStaff && role == .admin && parentKind != .customer
        case .editAccount(let own):
            // Admins of an ancestor: an account's own users never edit, suspend or close it.
            return kind.isStaff && role == .admin && !own
        case .adjustCredit:
            // Staff admins of an ancestor (credit belongs to customers, who are never staff).
            return kind.isStaff && role == .admin
        case .manageUsers:
            // Admins of the account itself or of an ancestor (the scope already holds it).
            return role == .admin
        case .restrict, .manageSubscriptions, .recordBankTransfer:
            return kind.isStaff && role != .viewer
        case .manageWebhooks:
            // An account's admins, whatever its tier (a customer's own systems may listen too).
            return role == .admin
        case .seeBranding:
            // Staff of the reseller and above; customers only ever see the brand, not its settings.
            return kind.isStaff
        case .manageBranding:
            // The reseller's own admins and admins of an ancestor (the scope holds the reseller).
            return kind.isStaff && role == .admin
        case .order:
            // The customer's admins and operators, and staff above (the scope holds the subscription).
            return role != .viewer
        }
    }

    /// DOMAIN.md 8 and white label: a restriction's reason and the names of who restricted are shown
    /// to staff of the restricted account and above; below it (and to customers) only a neutral message.
    public static func seesRestrictionReason(_ actor: Actor, restrictedPath: String) -> Bool {
        actor.accountKind.isStaff && restrictedPath.hasPrefix(actor.accountPath)
    }

    /// Who counts toward an account's administration: an active admin. An account never loses
    /// its last one (disabled or demoted: 422 `last_admin`, UserStore.update).
    public static func isActiveAdmin(_ user: User) -> Bool { user.role == .admin && user.status == .active }

    /// Throws the 403 a refused action answers, with `why` as the reason shown.
    public static func require(_ actor: Actor, _ action: Action, _ why: LocalizedText) throws {
        guard allows(actor, action) else { throw StoreError.forbidden(why) }
    }
}
