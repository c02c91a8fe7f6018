import Foundation
import Hummingbird
import Localization
import Mustache
import Storage

/// The Webhooks page (list, register, delete; a new webhook's secret is shown once, on the page that
/// answers its creation) and each webhook's Deliveries page. The API twin is `WebhooksAPI`.
struct WebhooksController: Sendable {
    let services: ConsoleServices

    static let indexPath = "/webhooks"
    static func deletePath(_ id: Int64) -> String { "/webhooks/\(id)/delete" }
    static func deliveriesPath(_ id: Int64) -> String { "/webhooks/\(id)/deliveries" }

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get(RouterPath(Self.indexPath), use: index)
        group.post(RouterPath(Self.indexPath), use: create)
        group.post("/webhooks/:id/delete", use: delete)
        group.get("/webhooks/:id/deliveries", use: deliveries)
    }

    var store: WebhookStore { WebhookStore(database: services.database) }

    struct Page {
        struct Row {
            let id: Int64
            let url: String
            let account: String
            let events: String
            let created: String
            let deliveriesHref: String
            let deleteAction: String?
        }
        struct EventChoice {
            let name: String
            let field: String
            let checked: Bool
        }
        let chrome: Chrome
        let csrf: String
        let rows: [Row]
        let empty: Bool
        let canEdit: Bool
        let accountName: String
        /// "Register a webhook for Acme Corp", in the reader's word order.
        var registerHeading: String = ""
        let url: Field
        let events: [EventChoice]
        let eventsError: String?
        /// The secret of the webhook just created: shown on this answer only.
        let createdSecret: String?
        let createdURL: String?
        let nextHref: String?
    }

    private func page(_ context: SignedInContext, cursor: Int64?, url: Field = Field(value: "", error: nil), chosen: Set<String> = [],
                      eventsError: String? = nil, created: (webhook: Webhook, secret: String)? = nil) async throws -> Page {
        let page = try await store.list(in: context.scope, page: PageRequest(limit: 50, cursor: cursor))
        let canEdit = Policy.allows(context.actor, .manageWebhooks)
        return Page(
            chrome: Chrome(actor: context.actor, session: context.session, section: .webhooks), csrf: context.session.current?.csrfToken ?? "",
            rows: page.items.map { w in
                Page.Row(id: w.id, url: w.url, account: w.accountName, events: w.events.joined(separator: ", "), created: Format.dateTime(w.createdAt),
                         deliveriesHref: Self.deliveriesPath(w.id), deleteAction: canEdit ? Self.deletePath(w.id) : nil)
            },
            empty: page.items.isEmpty, canEdit: canEdit, accountName: context.actor.accountName,
            registerHeading: Localization.text("webhooks.register_heading", ["account": .text(context.actor.accountName)]), url: url,
            events: OutboxEventType.webhookTypes.map { Page.EventChoice(name: $0.rawValue, field: "event_\($0.rawValue)", checked: chosen.contains($0.rawValue)) },
            eventsError: eventsError, createdSecret: created?.secret, createdURL: created?.webhook.url,
            nextHref: page.nextCursor.map { Self.indexPath + "?cursor=\($0)" })
    }

    @Sendable func index(_ request: Request, context: SignedInContext) async throws -> HTML {
        try services.render("webhooks", try await page(context, cursor: request.query("cursor").flatMap { Int64($0) }))
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> HTML {
        let form = try await request.form(context)
        let chosen = OutboxEventType.webhookTypes.map(\.rawValue).filter { form["event_\($0)"] != nil }
        do {
            let created = try await store.create(url: form.text("url"), events: chosen, in: context.scope)
            return try services.render("webhooks", try await page(context, cursor: nil, created: created))
        } catch StoreError.invalid(let field, let message) {
            let shown = try await page(context, cursor: nil, url: Field(value: form.text("url"), error: field == "url" ? message.rendered() : nil),
                                       chosen: Set(chosen), eventsError: field == "events" ? message.rendered() : nil)
            return try services.render("webhooks", shown, status: .unprocessableContent)
        }
    }

    @Sendable func delete(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let deleted = try await store.delete(id, in: context.scope)
        context.session.update { $0.flash = Localization.text("webhooks.deleted", ["url": .text(deleted.url)]) }
        return redirect(to: Self.indexPath)
    }

    struct DeliveriesPage {
        struct Row {
            let id: Int64
            let event: String
            let eventID: String
            let object: String
            let status: String
            /// The status in the reader's language.
            var statusText: String = ""
            let statusClass: String
            let attempts: [Attempt]
            let next: String?
        }
        struct Attempt {
            let at: String
            let code: String
            let error: String?
        }
        let chrome: Chrome
        let url: String
        let account: String
        let rows: [Row]
        let empty: Bool
        let backHref: String
        let nextHref: String?
    }

    @Sendable func deliveries(_ request: Request, context: SignedInContext) async throws -> HTML {
        let id = try context.parameters.require("id", as: Int64.self)
        let webhook = try await store.webhook(id, in: context.scope)
        let page = try await store.deliveries(of: id, in: context.scope, page: PageRequest(limit: 50, cursor: request.query("cursor").flatMap { Int64($0) }))
        return try services.render("webhook_deliveries", DeliveriesPage(
            chrome: Chrome(actor: context.actor, session: context.session, section: .webhooks), url: webhook.url, account: webhook.accountName,
            rows: page.items.map { d in
                DeliveriesPage.Row(
                    id: d.id, event: d.eventType, eventID: d.eventUUID, object: "\(d.objectType) #\(d.objectID.map(String.init) ?? "–")", status: d.status,
                    statusText: Localization.text("webhooks.status." + d.status),
                    statusClass: ["delivered": "text-bg-success", "failed": "text-bg-danger", "cancelled": "text-bg-secondary"][d.status] ?? "text-bg-warning",
                    attempts: d.attempts.map { DeliveriesPage.Attempt(at: Format.dateTime($0.attemptedAt), code: $0.responseCode.map(String.init) ?? Localization.text("webhooks.deliveries.no_answer"),
                                                                      error: $0.error) },
                    next: d.nextAttemptAt.map { Localization.text("webhooks.deliveries.next_try", ["when": .text(Format.dateTime($0))]) })
            },
            empty: page.items.isEmpty, backHref: Self.indexPath,
            nextHref: page.nextCursor.map { Self.deliveriesPath(id) + "?cursor=\($0)" }))
    }
}

// MARK: Values by name for the templates

extension WebhooksController.Page: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "rows": rows
        case "empty": empty
        case "canEdit": canEdit
        case "accountName": accountName
        case "registerHeading": registerHeading
        case "url": url
        case "events": events
        case "eventsError": eventsError
        case "createdSecret": createdSecret
        case "createdURL": createdURL
        case "nextHref": nextHref
        default: nil
        }
    }
}

extension WebhooksController.Page.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "url": url
        case "account": account
        case "events": events
        case "created": created
        case "deliveriesHref": deliveriesHref
        case "deleteAction": deleteAction
        default: nil
        }
    }
}

extension WebhooksController.Page.EventChoice: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "field": field
        case "checked": checked
        default: nil
        }
    }
}

extension WebhooksController.DeliveriesPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "url": url
        case "account": account
        case "rows": rows
        case "empty": empty
        case "backHref": backHref
        case "nextHref": nextHref
        default: nil
        }
    }
}

extension WebhooksController.DeliveriesPage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "event": event
        case "eventID": eventID
        case "object": object
        case "status": status
        case "statusText": statusText
        case "statusClass": statusClass
        case "attempts": attempts
        case "next": next
        default: nil
        }
    }
}

extension WebhooksController.DeliveriesPage.Attempt: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "at": at
        case "code": code
        case "error": error
        default: nil
        }
    }
}
