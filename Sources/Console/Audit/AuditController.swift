import Hummingbird
import Localization
import Mustache
import Storage

/// The audit log of the caller's subtree, each entry a sentence with its raw states behind "details";
/// filtered by account name, object type, user and date range (`AuditFilterInput`).
struct AuditController: Sendable {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(URLs.audit.route, use: index)
    }

    struct AuditPage {
        let chrome: Chrome
        let rows: [AuditRow]
        let empty: Bool
        let account: Field
        let accountID: String
        let accountIDError: String?
        let objectTypes: [Option]
        let objectTypeError: String?
        let user: Field
        let from: Field
        let to: Field
        let formError: String?
        let nextHref: String?
        /// "Export CSV": the list as a file, with the page's filters (issue 16).
        var exportHref: String? = nil
    }

    @Sendable func index(_ request: Request, context: SignedInContext) async throws -> HTML {
        let input = AuditFilterInput(query: request.query)
        var rows: [AuditRow] = []
        var next: String?
        var errors: ValidationErrors?
        switch input.filter() {
        case .failure(let wrong):
            errors = wrong
        case .success(let filter):
            if let accountID = filter.accountID {
                // An account outside the subtree is 404 here too, not an empty list.
                _ = try await AccountStore(database: services.database).account(accountID, in: context.scope)
            }
            let page = try await AuditFeed.page(on: services.database, in: context.scope, filter: filter,
                                                page: PageRequest(limit: 50, cursor: request.query("cursor").flatMap { Int64($0) }))
            rows = page.items.map(AuditRow.init)
            next = page.nextCursor.map { URLs.audit.path + "?cursor=\($0)" + input.queryString }
        }
        var types = AuditFeed.objectTypes.map { Option(value: $0.value, label: Localization.text("audit.type." + $0.value), selected: $0.value == input.objectType) }
        if !input.objectType.isEmpty, !types.contains(where: \.selected) {
            types.append(Option(value: input.objectType, label: input.objectType, selected: true))
        }
        return try services.render("audit", AuditPage(
            chrome: Chrome(actor: context.actor, session: context.session, section: .audit),
            rows: rows, empty: rows.isEmpty,
            account: Field(input.account, errors, "account"), accountID: input.accountID, accountIDError: errors?.message(for: "account_id"),
            objectTypes: types, objectTypeError: errors?.message(for: "object_type"),
            user: Field(input.user, errors, "user"), from: Field(input.from, errors, "from"), to: Field(input.to, errors, "to"),
            formError: errors.map { _ in Localization.text("audit.filter.error") }, nextHref: next,
            exportHref: errors == nil ? ExportController.href(.export(.audit), from: request) : nil
        ), status: errors == nil ? .ok : .unprocessableContent)
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
        case "account": account
        case "accountID": accountID
        case "accountIDError": accountIDError
        case "objectTypes": objectTypes
        case "objectTypeError": objectTypeError
        case "user": user
        case "from": from
        case "to": to
        case "formError": formError
        case "nextHref": nextHref
        case "exportHref": exportHref
        default: nil
        }
    }
}
