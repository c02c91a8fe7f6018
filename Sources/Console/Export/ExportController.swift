import Foundation
import Hummingbird
import Storage

/// The lists that a page exports, and where each export lives (beside its page).
enum ExportedList: String, Sendable, CaseIterable {
    case subscriptions, accounts, orders, invoices, payments, resellerCharges, audit

    var path: String {
        switch self {
        case .resellerCharges: URLs.resellerCharges.path + "/export"
        case .subscriptions: URLs.subscriptions.path + "/export"
        case .accounts: URLs.accounts.path + "/export"
        case .orders: URLs.orders.path + "/export"
        case .invoices: URLs.invoices.path + "/export"
        case .payments: URLs.payments.path + "/export"
        case .audit: URLs.audit.path + "/export"
        }
    }
}

/// "Export CSV" on each list page: the page's list as a file, with the filters the page shows
/// (the same parameters as the API's list, read by `ListQuery`), in the signed-in user's scope.
struct ExportController: Sendable {
    let services: ConsoleServices

    private var exports: ListExports { ListExports(database: services.database) }

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.export(.subscriptions).route) { request, context in exports.subscriptions(try ListQuery.subscriptions(request), in: context.scope, logger: context.logger) }
        group.get(URLs.export(.accounts).route) { request, context in try await exports.accounts(try ListQuery.accounts(request), in: context.scope, logger: context.logger) }
        group.get(URLs.export(.orders).route) { request, context in exports.orders(try ListQuery.orders(request), in: context.scope, logger: context.logger) }
        group.get(URLs.export(.invoices).route) { request, context in exports.invoices(try ListQuery.invoices(request), in: context.scope, logger: context.logger) }
        group.get(URLs.export(.payments).route) { request, context in exports.payments(try ListQuery.payments(request), in: context.scope, logger: context.logger) }
        group.get(URLs.export(.resellerCharges).route) { request, context in
            try await exports.resellerCharges(of: try request.queryID("reseller_id"), in: context.scope, logger: context.logger)
        }
        group.get(URLs.export(.audit).route) { request, context in try await exports.audit(try ListQuery.audit(request), in: context.scope, logger: context.logger) }
        group.get(URLs.creditExport(account: 0).route) { _, context in
            try await exports.credit(customer: try context.parameters.require("id", as: Int64.self), in: context.scope, logger: context.logger)
        }
    }

    /// The page's own query (its filters as they stand) on the export's address; the cursor and
    /// the page size stay behind, since the file holds the whole list.
    static func href(_ target: URLs, from request: Request) -> String {
        var items = URLComponents(string: request.uri.description)?.queryItems ?? []
        items.removeAll { ["cursor", "limit"].contains($0.name) || ($0.value ?? "").isEmpty }
        guard !items.isEmpty else { return target.path }
        var components = URLComponents()
        components.queryItems = items
        // `+` means a space to form decoders: spell it out.
        return target.path + "?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }
}
