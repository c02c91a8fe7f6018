import Foundation
import Hummingbird
import Localization
import Mail
import Mustache
import NIOCore
import Storage

/// The local mail sink's page (`/mail`): with no `SMTP_HOST`, the console writes each email to
/// `.local/mail` instead of sending it, and provider admins read them here (the demo of `make run`,
/// and how a tester follows a password reset link). With an SMTP server configured it is not there (404).
struct MailController: Sendable {
    let services: ConsoleServices

    static let indexPath = "/mail"
    static func path(id: String) -> String { "/mail/\(id)" }
    static func rawPath(id: String) -> String { "/mail/\(id)/eml" }

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("/mail", use: index)
        group.get("/mail/:id", use: show)
        group.get("/mail/:id/eml", use: raw)
    }

    struct IndexPage {
        let chrome: Chrome
        let directory: String
        let rows: [Row]
        let empty: Bool
    }

    struct Row {
        let href: String
        let date: String
        let to: String
        let subject: String
    }

    struct ShowPage {
        let chrome: Chrome
        let subject: String
        let from: String
        let to: String
        let date: String
        let text: String
        let html: String
        let rawHref: String
    }

    /// The sink, for provider admins only, and only while mail goes to it.
    private func sink(_ context: SignedInContext) throws -> FileMailSink {
        guard services.configuration.mail.smtp == nil else { throw StoreError.notFound("mail sink") }
        guard Policy.allows(context.actor, .readMailSink) else { throw StoreError.forbidden(.init("error.forbidden.mail_sink")) }
        return services.configuration.mail.sink(root: services.configuration.rootDirectory)
    }

    @Sendable func index(_ request: Request, context: SignedInContext) async throws -> HTML {
        let sink = try sink(context)
        let rows = sink.entries().map { Row(href: Self.path(id: $0.id), date: Self.dateText($0.date), to: $0.to, subject: $0.subject) }
        return try services.render("mail_index", IndexPage(chrome: Chrome(actor: context.actor, session: context.session, section: .settings),
                                                           directory: sink.directory.path, rows: rows, empty: rows.isEmpty))
    }

    @Sendable func show(_ request: Request, context: SignedInContext) async throws -> HTML {
        let sink = try sink(context)
        let id = context.parameters.get("id") ?? ""
        guard let entry = sink.entry(id: id) else { throw StoreError.notFound("mail \(id.prefix(64))") }
        return try services.render("mail_show", ShowPage(chrome: Chrome(actor: context.actor, session: context.session, section: .settings),
                                                         subject: entry.subject, from: entry.from, to: entry.to, date: Self.dateText(entry.date),
                                                         text: entry.text, html: entry.html, rawHref: Self.rawPath(id: entry.id)))
    }

    /// The message as it would have gone to the SMTP server, to open in a mail program.
    @Sendable func raw(_ request: Request, context: SignedInContext) async throws -> Response {
        let sink = try sink(context)
        let id = context.parameters.get("id") ?? ""
        guard let data = sink.raw(id: id) else { throw StoreError.notFound("mail \(id.prefix(64))") }
        return Response(status: .ok, headers: [.contentType: "message/rfc822", .contentDisposition: "attachment; filename=\"\(id).eml\"", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func dateText(_ date: Date) -> String { Shown.moment(date) }
}

// Mustache lookups by name (swift-mustache reflects otherwise): every stored property, nothing else.

extension MailController.IndexPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "directory": directory
        case "rows": rows
        case "empty": empty
        default: nil
        }
    }
}

extension MailController.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "href": href
        case "date": date
        case "to": to
        case "subject": subject
        default: nil
        }
    }
}

extension MailController.ShowPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "subject": subject
        case "from": from
        case "to": to
        case "date": date
        case "text": text
        case "html": html
        case "rawHref": rawHref
        default: nil
        }
    }
}
