import Hummingbird
import Mustache
import Storage

/// The audit log of the caller's subtree, filterable by account and object type.
struct AuditController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.audit.route, use: index)
    }

    struct AuditPage {
        let chrome: Chrome
        let rows: [AuditRow]
        let empty: Bool
        let accountID: String
        let objectTypes: [Option]
        let nextHref: String?
    }

    @Sendable func index(_ request: Request, context: SignedInContext) async throws -> HTML {
        let accountID = request.query("account_id").flatMap { Int64($0) }
        if let accountID {
            // An account outside the subtree is 404 here too, not an empty list.
            _ = try await AccountStore(database: services.database).account(accountID, in: context.scope)
        }
        let objectType = request.query("object_type")
        let page = try await AuditLog.list(
            on: services.database, in: context.scope, filter: .init(accountID: accountID, objectType: objectType),
            page: PageRequest(limit: 50, cursor: request.query("cursor").flatMap { Int64($0) })
        )
        var next: String?
        if let cursor = page.nextCursor {
            next = URLs.audit.path + "?cursor=\(cursor)" + (accountID.map { "&account_id=\($0)" } ?? "") + (objectType.map { "&object_type=\($0)" } ?? "")
        }
        let types = ["account", "user"].map { Option(value: $0, label: $0, selected: $0 == objectType) }
        return try services.render("audit", AuditPage(
            chrome: Chrome(actor: context.actor, session: context.session, section: .audit),
            rows: page.items.map(AuditRow.init), empty: page.items.isEmpty,
            accountID: accountID.map(String.init) ?? "", objectTypes: types, nextHref: next
        ))
    }
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

extension AuditController.AuditPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "rows": rows
        case "empty": empty
        case "accountID": accountID
        case "objectTypes": objectTypes
        case "nextHref": nextHref
        default: nil
        }
    }
}
