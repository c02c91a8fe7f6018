import Hummingbird
import Localization
import Mustache
import Storage

/// The first page after sign-in, shaped by tier: staff see their subtree, a customer its account.
struct DashboardController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.dashboard.route, use: show)
    }

    /// `GET /api/v1/reports/dashboard`: the acting account's dashboard as JSON (its tier's charts).
    func addAPIRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("reports/dashboard", use: data)
    }

    @Sendable func data(_ request: Request, context: SignedInContext) async throws -> Response {
        try APIJSON.response(try await DashboardData.build(for: context.scope, services: services))
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
        var charts: [ChartView] = []
        var renewals: [RenewalRow] = []
        var hasRenewals = false
    }

    /// A chart on the page: its canvas, its data for Assets/charts.js, and the same numbers as a table.
    struct ChartView {
        let id: String
        let title: String
        /// The chart's JSON, safe inside `<script type="application/json">` (`<`, `>`, `&` escaped).
        let json: String
        let labelHeader: String
        let headers: [String]
        let rows: [ChartRow]
        let empty: Bool
    }

    struct ChartRow {
        let label: String
        let cells: [String]
    }

    struct RenewalRow {
        let href: String
        let plan: String
        let date: String
        let amount: String
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> HTML {
        let actor = context.actor
        let accounts = AccountStore(database: services.database)
        let own = try await accounts.account(actor.accountID, in: context.scope)
        let counts = try await accounts.counts(in: context.scope)
        let users = try await UserStore(database: services.database).users(of: own)
        let recent = try await AuditFeed.page(on: services.database, in: context.scope, page: PageRequest(limit: 8))
        let dashboard = try await DashboardData.build(for: context.scope, services: services)
        let heading: String
        switch actor.accountKind {
        case .provider: heading = Localization.text("dashboard.heading.provider")
        case .reseller: heading = Localization.text("dashboard.heading.reseller")
        case .customer: heading = Localization.text("dashboard.heading.customer")
        }
        return try services.render("dashboard", DashboardPage(
            chrome: Chrome(actor: actor, session: context.session, section: .dashboard),
            heading: heading, isStaff: actor.accountKind.isStaff, isProvider: actor.accountKind == .provider,
            resellerCount: counts[.reseller] ?? 0, customerCount: counts[.customer] ?? 0,
            accountHref: URLs.account(own.id).path, accountName: own.name, accountCurrency: own.currency,
            accountTaxRate: own.taxRateDisplay, userCount: users.count, rows: recent.items.map(AuditRow.init),
            canCreate: Policy.allows(actor, .manageAccountsBelow(parentKind: own.kind)),
            charts: try dashboard.charts.map(ChartView.init), renewals: (dashboard.renewals ?? []).map(RenewalRow.init),
            hasRenewals: !(dashboard.renewals ?? []).isEmpty
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
        case "resellerCount": Format.number(Int64(resellerCount))
        case "customerCount": Format.number(Int64(customerCount))
        case "accountHref": accountHref
        case "accountName": accountName
        case "accountCurrency": accountCurrency
        case "accountTaxRate": Format.digits(accountTaxRate)
        case "userCount": Format.number(Int64(userCount))
        case "rows": rows
        case "canCreate": canCreate
        case "charts": charts
        case "renewals": renewals
        case "hasRenewals": hasRenewals
        default: nil
        }
    }
}

extension DashboardController.ChartView: MustacheParent {
    init(_ chart: DashboardChart) throws {
        let bytes = try APIJSONEncoder.encode(chart)
        var json = ""
        json.reserveCapacity(bytes.count)
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "<": json += "\\u003c"
            case ">": json += "\\u003e"
            case "&": json += "\\u0026"
            default: json.unicodeScalars.append(scalar)
            }
        }
        self.init(id: chart.id, title: chart.title, json: json, labelHeader: chart.labelHeader, headers: chart.series.map(\.label),
                  rows: chart.labels.enumerated().map { index, label in
                      DashboardController.ChartRow(label: label, cells: chart.series.map { $0.display[index] })
                  },
                  empty: chart.series.isEmpty || chart.labels.isEmpty)
    }

    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "title": title
        case "json": json
        case "labelHeader": labelHeader
        case "headers": headers
        case "rows": rows
        case "empty": empty
        default: nil
        }
    }
}

extension DashboardController.ChartRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "cells": cells
        default: nil
        }
    }
}

extension DashboardController.RenewalRow: MustacheParent {
    init(_ renewal: DashboardData.Renewal) {
        self.init(href: URLs.subscription(renewal.subscriptionId).path, plan: renewal.plan, date: renewal.displayDate, amount: renewal.display)
    }

    func child(named name: String) -> Any? {
        switch name {
        case "href": href
        case "plan": plan
        case "date": date
        case "amount": amount
        default: nil
        }
    }
}
