import Hummingbird
import Mustache
import Storage

/// The first page after sign-in, shaped by tier: staff see their subtree, a customer its account.
struct DashboardController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.dashboard.route, use: show)
    }

    struct DashboardPage {
        let chrome: Chrome
        let heading: String
        let isStaff: Bool
        let isProvider: Bool
        let resellerCount: Int
        let customerCount: Int
        let accountHref: String
        let accountName: String
        let accountCurrency: String
        let accountTaxRate: String
        let userCount: Int
        let rows: [AuditRow]
        let canCreate: Bool
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> HTML {
        let actor = context.actor
        let accounts = AccountStore(database: services.database)
        let own = try await accounts.account(actor.accountID, in: context.scope)
        let counts = try await accounts.counts(in: context.scope)
        let users = try await UserStore(database: services.database).users(of: own)
        let recent = try await AuditFeed.page(on: services.database, in: context.scope, page: PageRequest(limit: 8))
        let heading: String
        switch actor.accountKind {
        case .provider: heading = "Provider dashboard"
        case .reseller: heading = "Reseller dashboard"
        case .customer: heading = "Your account"
        }
        return try services.render("dashboard", DashboardPage(
            chrome: Chrome(actor: actor, session: context.session, section: .dashboard),
            heading: heading, isStaff: actor.accountKind.isStaff, isProvider: actor.accountKind == .provider,
            resellerCount: counts[.reseller] ?? 0, customerCount: counts[.customer] ?? 0,
            accountHref: URLs.account(own.id).path, accountName: own.name, accountCurrency: own.currency,
            accountTaxRate: own.taxRateDisplay, userCount: users.count, rows: recent.items.map(AuditRow.init),
            canCreate: Policy.allows(actor, .manageAccountsBelow(parentKind: own.kind))
        ))
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

extension DashboardController.DashboardPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "heading": heading
        case "isStaff": isStaff
        case "isProvider": isProvider
        case "resellerCount": resellerCount
        case "customerCount": customerCount
        case "accountHref": accountHref
        case "accountName": accountName
        case "accountCurrency": accountCurrency
        case "accountTaxRate": accountTaxRate
        case "userCount": userCount
        case "rows": rows
        case "canCreate": canCreate
        default: nil
        }
    }
}
