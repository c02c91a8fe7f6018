import Commerce
import Foundation
import Hummingbird
import Localization
import OrderEngine
import Storage

/// Each list's filters from a query string, as the API reads them (a value present but wrong is 422
/// naming it): the JSON list, its CSV and the page's "Export CSV" all take the same parameters
/// through these, and the store turns them into the one WHERE of that list.
enum ListQuery {
    static func subscriptions(_ request: Request) throws -> SubscriptionStore.Filter {
        .init(customerID: try request.queryID("customer_id"), planID: try request.queryID("plan_id"),
              status: try request.queryEnum("status", SubscriptionStatus.self))
    }

    static func accounts(_ request: Request) throws -> AccountStore.Filter {
        let kind = try request.query("kind").map { text -> AccountKind in
            guard let kind = AccountKind(rawValue: text) else { throw APIError(status: .unprocessableContent, code: "kind", message: Localization.text("error.api.kind_account")) }
            return kind
        }
        return .init(kind: kind, parentID: try request.queryID("parent_id"), search: try request.queryText("q"))
    }

    static func orders(_ request: Request) throws -> OrderStore.Filter {
        .init(subscriptionID: try request.queryID("subscription_id"), customerID: try request.queryID("customer_id"),
              kind: try request.queryEnum("kind", OrderKind.self), status: try request.queryEnum("status", OrderStatus.self))
    }

    static func invoices(_ request: Request) throws -> InvoiceStore.Filter {
        .init(customerID: try request.queryID("customer_id"), status: try request.queryEnum("status", InvoiceStatus.self),
              subscriptionID: try request.queryID("subscription_id"))
    }

    static func payments(_ request: Request) throws -> PaymentStore.Filter {
        .init(invoiceID: try request.queryID("invoice_id"), customerID: try request.queryID("customer_id"),
              status: try request.queryEnum("status", PaymentStatus.self))
    }

    static func audit(_ request: Request) throws -> AuditLog.Filter {
        switch AuditFilterInput(query: { request.uri.queryParameters.get($0) }).filter() {
        case .success(let filter): return filter
        case .failure(let errors): throw errors
        }
    }
}
