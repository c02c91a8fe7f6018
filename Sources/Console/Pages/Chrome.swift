import Localization
import Mustache
import Storage

/// What the layout shows around every signed-in page: who is signed in and the navigation of their tier.
struct Chrome {
    struct NavItem {
        let id: String
        let label: String
        let href: String
        let active: Bool
    }

    let userEmail: String
    let userRole: String
    let accountName: String
    let tierLabel: String
    let csrf: String
    let nav: [NavItem]
    let flash: String?
    /// Customers: their credit balance, linking to the credit log.
    let availableCredit: String?
    let creditHref: String
    /// The footer links the API reference (`/api/docs`) for staff.
    let apiReference: Bool

    enum Section: String { case dashboard, resellers, customers, users, audit, catalog, plans, subscriptions, promos, settings, billing, restrictions, webhooks, branding, profile }

    init(actor: Actor, session: SessionBox, section: Section) {
        userEmail = actor.email
        userRole = actor.role.shown
        accountName = actor.accountName
        csrf = session.current?.csrfToken ?? ""
        flash = Chrome.takeFlash(session)
        availableCredit = actor.accountKind == .customer ? session.availableCredit : nil
        creditHref = URLs.credit(account: actor.accountID).path
        apiReference = Policy.allows(actor, .seeStaffArea)
        tierLabel = actor.accountKind.shown
        // Labels are catalog keys under `nav.`, said in the reader's language below.
        var items: [(Section, String, String)] = [(.dashboard, "dashboard", URLs.dashboard.path)]
        switch actor.accountKind {
        case .provider:
            items += [(.resellers, "resellers", URLs.accounts.path + "?kind=reseller"),
                      (.customers, "customers", URLs.accounts.path + "?kind=customer"),
                      (.subscriptions, "subscriptions", URLs.subscriptions.path), (.billing, "billing", URLs.orders.path),
                      (.plans, "plans", URLs.plans.path), (.catalog, "catalog", URLs.resources.path),
                      (.promos, "promo_codes", URLs.promoCodes.path), (.restrictions, "restrictions", URLs.restrictions.path),
                      (.settings, "settings", URLs.settings.path)]
        case .reseller:
            items += [(.customers, "customers", URLs.accounts.path + "?kind=customer"),
                      (.resellers, "sub_resellers", URLs.accounts.path + "?kind=reseller"),
                      (.subscriptions, "subscriptions", URLs.subscriptions.path), (.billing, "billing", URLs.orders.path),
                      (.plans, "plans_and_prices", URLs.plans.path), (.promos, "promo_codes", URLs.promoCodes.path),
                      (.restrictions, "restrictions", URLs.restrictions.path)]
            if Policy.allows(actor, .manageBranding) { items.append((.branding, "branding", BrandingController.path(account: actor.accountID))) }
        case .customer:
            items += [(.subscriptions, "subscriptions", URLs.subscriptions.path), (.billing, "billing", URLs.orders.path),
                      (.users, "users", URLs.account(actor.accountID).path)]
        }
        if Policy.allows(actor, .manageWebhooks) { items.append((.webhooks, "webhooks", WebhooksController.indexPath)) }
        items.append((.audit, "audit_log", URLs.audit.path))
        nav = items.map { NavItem(id: "nav-\($0.0.rawValue)", label: Localization.text("nav." + $0.1), href: $0.2, active: $0.0 == section) }
    }

    private static func takeFlash(_ session: SessionBox) -> String? {
        guard let flash = session.current?.flash else { return nil }
        session.update { $0.flash = nil }
        return flash
    }
}

/// The top bar is on every signed-in page: its values are looked up by name rather than by
/// reflection (swift-mustache builds a `Mirror` of the whole struct for each `{{name}}` otherwise).
extension Chrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "userEmail": userEmail
        case "userRole": userRole
        case "accountName": accountName
        case "tierLabel": tierLabel
        case "csrf": csrf
        case "nav": nav
        case "flash": flash
        case "availableCredit": availableCredit
        case "creditHref": creditHref
        case "apiReference": apiReference
        default: nil
        }
    }
}

extension Chrome.NavItem: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "label": label
        case "href": href
        case "active": active
        default: nil
        }
    }
}

/// A field's value and error, for forms that keep what was typed.
struct Field {
    let value: String
    let error: String?
    /// The Bootstrap class that marks a field wrong. Stored: mustache reads stored properties only.
    let invalidClass: String

    init(_ value: String, _ errors: ValidationErrors?, _ name: String) {
        self.init(value: value, error: errors?.message(for: name))
    }

    init(value: String, error: String?) {
        self.value = value
        self.error = error
        self.invalidClass = error == nil ? "" : "is-invalid"
    }
}

/// A choice in a `<select>`.
struct Option {
    let value: String
    let label: String
    let selected: Bool
}

extension Field: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "value": value
        case "error": error
        case "invalidClass": invalidClass
        default: nil
        }
    }
}

extension Option: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "value": value
        case "label": label
        case "selected": selected
        default: nil
        }
    }
}
