import Foundation
import Hummingbird
import Storage

/// `GET /api/v1/audit`: the audit page's twin. The caller's subtree only, newest first, each entry with
/// its sentence; actors above the caller's account are shown as the caller's seller (`ShownActor`).
/// Filters as on the page (`AuditFilterInput`), `?limit=` at most 200.
struct AuditAPI: Sendable {
    let services: ConsoleServices

    func addRoutes(to api: RouterGroup<SignedInContext>) {
        api.get("audit", use: list)
    }

    struct EntryJSON: Encodable {
        let id: Int64
        let occurredAt: Date
        let actor: String
        let accountId: Int64
        let accountName: String
        let objectType: String
        let objectId: Int64?
        let action: String
        let sentence: String
        let before: String?
        let after: String?
        let address: String

        init(_ item: AuditFeed.Item) {
            let entry = item.entry
            id = entry.id
            occurredAt = entry.occurredAt
            actor = entry.actor
            accountId = entry.accountID
            accountName = entry.accountName
            objectType = entry.objectType
            objectId = entry.objectID
            action = entry.action
            sentence = item.sentence.text
            before = entry.before
            after = entry.after
            address = entry.address
        }

        enum CodingKeys: String, CodingKey {
            case id, occurredAt = "occurred_at", actor, accountId = "account_id", accountName = "account_name", objectType = "object_type",
                 objectId = "object_id", action, sentence, before, after, address
        }
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> Response {
        let pageRequest = try request.pageRequest(defaultLimit: 50)
        let filter = try ListQuery.audit(request)
        if CSVResponse.wanted(request) { return try await ListExports(database: services.database).audit(filter, in: context.scope, logger: context.logger) }
        if let accountID = filter.accountID {
            _ = try await AccountStore(database: services.database).account(accountID, in: context.scope)
        }
        let page = try await AuditFeed.page(on: services.database, in: context.scope, filter: filter, page: pageRequest)
        return try APIJSON.response(APIController.ListResponse(items: page.items.map(EntryJSON.init), nextCursor: page.nextCursor))
    }
}
