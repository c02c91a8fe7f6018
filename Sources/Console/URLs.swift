import Hummingbird

/// Every URL of the console, so links and routes never drift apart: `path` for links,
/// `route` (ids as `:id`) for the router.
enum URLs {
    case home
    case health
    case signIn
    case signOut
    case dashboard
    case accounts
    case newAccount
    case account(Int64)
    case newUser(account: Int64)
    case users(account: Int64)
    case audit
    case currencies
    case currencyRates
    case resources
    case resource(Int64)
    case deleteResource(Int64)
    case currency(String)
    case resourceUpgrades
    case resourceUpgrade(Int64)
    case plans
    case newPlan
    case plan(Int64)
    case editPlan(Int64)
    case planSwitchPaths(Int64)
    case planDelegations(Int64)
    case priceList(plan: Int64)
    case subscriptions
    case subscription(Int64)
    case subscriptionChange(Int64)
    case subscriptionEstimate(Int64)
    case subscriptionStatus(Int64)
    case subscriptionUsage(Int64)
    case promoCodes
    case settings
    case settingsClock
    case settingsConnector
    case subscriptionOrders(Int64)
    case orders
    case order(Int64)
    case cancelOrder(Int64)
    case invoices
    case invoice(Int64)
    case invoiceCheckout(Int64)
    case invoicePayments(Int64)
    case invoicePDF(Int64)
    case payments
    case credit(account: Int64)
    case accountStatus(Int64)
    case creditAdjustments(account: Int64)
    case restrictions
    case liftRestriction(Int64)
    case restrictionExceptions
    case removeRestrictionException(Int64)
    case resellerCharges
    /// A list page's "Export CSV": the list as a file, with the page's filters (issue 16).
    case export(ExportedList)
    case creditExport(account: Int64)
    case cancelSubscription(Int64)
    case scheduleChange(Int64)
    case newSubscription
    case billingRuns
    case user(Int64)
    case profile
    case profilePassword
    case passwordResets
    case passwordReset(token: String)
    /// The API reference rendered from openapi/openapi.yaml.
    case apiDocs

    var path: String { render { String($0) } }

    var route: RouterPath {
        if case .currency = self { return RouterPath("/catalog/currencies/:code") }
        if case .passwordReset = self { return RouterPath("/password-resets/:token") }
        return RouterPath(render { _ in ":id" })
    }

    private func render(_ id: (Int64) -> String) -> String {
        switch self {
        case .home: "/"
        case .health: "/healthz"
        case .signIn: "/signin"
        case .signOut: "/signout"
        case .dashboard: "/dashboard"
        case .accounts: "/accounts"
        case .newAccount: "/accounts/new"
        case .account(let a): "/accounts/\(id(a))"
        case .newUser(let a): "/accounts/\(id(a))/users/new"
        case .users(let a): "/accounts/\(id(a))/users"
        case .audit: "/audit"
        case .currencies: "/catalog/currencies"
        case .currencyRates: "/catalog/currency-rates"
        case .resources: "/catalog/resources"
        case .resource(let r): "/catalog/resources/\(id(r))"
        case .deleteResource(let r): "/catalog/resources/\(id(r))/delete"
        case .currency(let code): "/catalog/currencies/\(code)"
        case .resourceUpgrades: "/catalog/resource-upgrades"
        case .resourceUpgrade(let u): "/catalog/resource-upgrades/\(id(u))"
        case .plans: "/plans"
        case .newPlan: "/plans/new"
        case .plan(let p): "/plans/\(id(p))"
        case .editPlan(let p): "/plans/\(id(p))/edit"
        case .planSwitchPaths(let p): "/plans/\(id(p))/switch-paths"
        case .planDelegations(let p): "/plans/\(id(p))/delegations"
        case .priceList(let p): "/price-lists/\(id(p))"
        case .subscriptions: "/subscriptions"
        case .subscription(let s): "/subscriptions/\(id(s))"
        case .subscriptionChange(let s): "/subscriptions/\(id(s))/change"
        case .subscriptionEstimate(let s): "/subscriptions/\(id(s))/estimate"
        case .subscriptionStatus(let s): "/subscriptions/\(id(s))/status"
        case .subscriptionUsage(let s): "/subscriptions/\(id(s))/usage"
        case .promoCodes: "/promo-codes"
        case .settings: "/settings"
        case .settingsClock: "/settings/clock"
        case .settingsConnector: "/settings/connector-rules"
        case .subscriptionOrders(let s): "/subscriptions/\(id(s))/orders"
        case .orders: "/orders"
        case .order(let o): "/orders/\(id(o))"
        case .cancelOrder(let o): "/orders/\(id(o))/cancel"
        case .invoices: "/invoices"
        case .invoice(let i): "/invoices/\(id(i))"
        case .invoiceCheckout(let i): "/invoices/\(id(i))/pay"
        case .invoicePayments(let i): "/invoices/\(id(i))/payments"
        case .invoicePDF(let i): "/invoices/\(id(i))/pdf"
        case .payments: "/payments"
        case .credit(let a): "/accounts/\(id(a))/credit"
        case .accountStatus(let a): "/accounts/\(id(a))/status"
        case .creditAdjustments(let a): "/accounts/\(id(a))/credit-adjustments"
        case .restrictions: "/restrictions"
        case .liftRestriction(let r): "/restrictions/\(id(r))/lift"
        case .restrictionExceptions: "/restriction-exceptions"
        case .removeRestrictionException(let e): "/restriction-exceptions/\(id(e))/delete"
        case .resellerCharges: "/reseller-charges"
        case .export(let list): list.path
        case .creditExport(let a): "/accounts/\(id(a))/credit/export"
        case .cancelSubscription(let s): "/subscriptions/\(id(s))/cancel"
        case .scheduleChange(let s): "/subscriptions/\(id(s))/schedule"
        case .newSubscription: "/subscriptions/new"
        case .billingRuns: "/billing-runs"
        case .user(let u): "/users/\(id(u))"
        case .profile: "/profile"
        case .profilePassword: "/profile/password"
        case .passwordResets: "/password-resets"
        case .passwordReset(let token): "/password-resets/\(token)"
        case .apiDocs: "/api/docs"
        }
    }
}
