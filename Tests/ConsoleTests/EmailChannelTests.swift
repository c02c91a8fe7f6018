import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import Mail
import MariaDB
import Notifications
import Storage
import TestSupport
import XCTest

/// DOMAIN.md 11 by email: an event of a customer goes, after commit, to its contact address and its
/// active users, one message each, under the brand of its seller (a customer of a branded reseller
/// never reads the provider's name); a password reset goes to its user alone; an SMTP 4xx is tried
/// again, a 5xx is final and recorded. The SMTP server is aiosmtpd on loopback.
final class EmailChannelTests: XCTestCase {
    /// The `password_reset` event's object as People records it (snake_case keys in the outbox).
    struct ResetPayload: Encodable {
        let userId: Int64
        let link: String
        let validMinutes: Int
    }

    static func channel(port: Int, database: MariaDBDatabase) -> EmailChannel {
        var settings = SMTPSettings(host: "127.0.0.1", port: port)
        settings.replyTimeout = .seconds(10)
        return EmailChannel(database: database, transport: SMTPTransport(client: SMTPClient(settings: settings)), fromAddress: "billing@console.test",
                            logger: TestDatabase.logger("email"))
    }

    static func run(_ channel: EmailChannel, _ database: MariaDBDatabase) async throws {
        try await OutboxService.withWorker(database: database, logger: TestDatabase.logger("outbox"), otherChannels: [channel]) { worker in
            _ = try await worker.runOnce()
        }
    }

    static func deliveries(_ database: MariaDBDatabase) async throws -> [String] {
        try await database.rows("SELECT destination, status, attempts, last_response_code, last_error FROM outbox_deliveries WHERE channel = 'email' ORDER BY destination").map {
            let code = try $0.decode(column: "last_response_code", as: Int64?.self).map { " \($0)" } ?? ""
            return "\(try $0.decode(column: "destination", as: String.self)) \(try $0.decode(column: "status", as: String.self)) x\(try $0.decode(column: "attempts", as: Int64.self))\(code)"
        }
    }

    func testAnInvoiceEmailGoesToTheContactAndActiveUsersUnderTheResellersBrandWithoutTheProvidersName() async throws {
        let sink = try SMTPSink(port: 2532)
        defer { sink.stop() }
        try await withQuoteWorld { w, subscriptionID in
            try await OutboxWebhookTests.withApplicationDatabase { database in
                let f = w.fixture
                // The provider has a name a customer must never read; Reseller One sells as Northwind Hosting.
                try await database.query("UPDATE accounts SET name = 'Upstream Megacloud' WHERE id = ?", [.int(f.provider.id)])
                try await database.query("UPDATE accounts SET contact_name = 'Acme Billing', contact_email = 'billing@c1.test' WHERE id = ?", [.int(f.c1.id)])
                try await database.query("UPDATE users SET status = 'disabled' WHERE email = 'viewer@c1.test'")
                try await database.query("UPDATE users SET name = 'Ada Admin' WHERE email = 'admin@c1.test'")
                let brand = try await w.api.call(.put, "/api/v1/accounts/\(f.r1.id)/branding", token: w.reseller,
                                                 json: ##"{"brand_name":"Northwind Hosting","support_email":"help@northwind.test","primary_color":"#7a1f5c","slug":"northwind"}"##)
                XCTAssertEqual(brand.status, .ok, brand.text)
                // A change order of $12.00 plus 20 % tax, prorated: its invoice is issued with it.
                let order = try await w.api.call(.post, "/api/v1/subscriptions/\(subscriptionID)/orders", token: w.customer,
                                                 json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#)
                XCTAssertEqual(order.status, .created, order.text)
                let invoiceID = try XCTUnwrap(order.json["invoice_id"] as? Int)
                let invoice = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)", token: w.customer)
                let total = try XCTUnwrap((invoice.json["total"] as? [String: Any])?["amount"] as? String)
                let number = try XCTUnwrap(invoice.json["display_number"] as? String)

                try await Self.run(Self.channel(port: 2532, database: database), database)

                let received = try sink.received()
                XCTAssertEqual(Set(received.flatMap(\.envelope_to)), ["billing@c1.test", "admin@c1.test", "operator@c1.test"],
                               "the contact and the active users, the disabled viewer not")
                XCTAssertEqual(received.count, 3, "one message each")
                let toAda = try XCTUnwrap(received.first { $0.envelope_to == ["admin@c1.test"] })
                XCTAssertEqual(toAda.subject, "Invoice \(number) from Northwind Hosting: \(total) USD")
                XCTAssertEqual(toAda.to, "Ada Admin <admin@c1.test>")
                XCTAssertEqual(toAda.from_name, "Northwind Hosting")
                XCTAssertEqual(toAda.from_address, "billing@console.test")
                XCTAssertEqual(toAda.reply_to, "help@northwind.test")
                XCTAssertEqual(toAda.parts.map(\.content_type), ["text/plain", "text/html"])
                XCTAssertTrue(toAda.text?.contains("Amount due: \(total) USD") == true, toAda.text ?? "")
                XCTAssertTrue(toAda.html?.contains("<strong>\(total) USD</strong>") == true)
                XCTAssertTrue(toAda.html?.contains("background:#7a1f5c") == true, "the brand's colour")
                XCTAssertEqual(received.first { $0.envelope_to == ["billing@c1.test"] }?.to, "Acme Billing <billing@c1.test>")
                for (index, message) in received.enumerated() {
                    let raw = try String(contentsOf: sink.folder.appendingPathComponent(String(format: "%04d.eml", index + 1)), encoding: .utf8)
                    for text in [message.subject, message.from, message.to, message.reply_to ?? "", message.text ?? "", message.html ?? "", raw] {
                        XCTAssertFalse(text.contains("Upstream Megacloud"), "the provider's name reached a customer: \(text.prefix(200))")
                        XCTAssertFalse(text.contains("Reseller One"), "the reseller's account name, not its brand: \(text.prefix(200))")
                    }
                }
                let deliveries = try await Self.deliveries(database)
                XCTAssertEqual(deliveries, ["admin@c1.test delivered x1 250", "billing@c1.test delivered x1 250", "operator@c1.test delivered x1 250"])
            }
        }
    }

    func testAPasswordResetGoesToItsUserAloneWithItsLink() async throws {
        let sink = try SMTPSink(port: 2533)
        defer { sink.stop() }
        try await withConsole { _, fixture, database in
            try await database.query("UPDATE accounts SET contact_email = 'billing@c1.test' WHERE id = ?", [.int(fixture.c1.id)])
            let userID = try XCTUnwrap(fixture.userIDs["c1.operator"])
            try await database.withTransaction { tx in
                try await Outbox.record(on: tx, type: .passwordReset, account: fixture.c1, objectType: "user", objectID: userID,
                                        payload: ResetPayload(userId: userID, link: "http://127.0.0.1:8080/password-resets/tok-123", validMinutes: 60))
            }

            try await Self.run(Self.channel(port: 2533, database: database), database)

            let received = try sink.received()
            XCTAssertEqual(received.map(\.envelope_to), [["operator@c1.test"]])
            XCTAssertEqual(received.first?.subject, "Reset your Reseller One password", "a customer without a branded seller sees its seller's name")
            XCTAssertTrue(received.first?.text?.contains("http://127.0.0.1:8080/password-resets/tok-123") == true)
            XCTAssertTrue(received.first?.html?.contains(#"href="http://127.0.0.1:8080/password-resets/tok-123""#) == true)
        }
    }

    func testAFourHundredIsTriedAgainAndAFiveHundredIsAFinalRecordedFailure() async throws {
        let busy = try SMTPSink(port: 2534, arguments: ["--fail-first", "1", "--fail-code", "451"])
        defer { busy.stop() }
        try await withQuoteWorld { w, subscriptionID in
            try await OutboxWebhookTests.withApplicationDatabase { database in
                try await database.query("UPDATE users SET status = 'disabled' WHERE account_id = ? AND email <> 'admin@c1.test'", [.int(w.fixture.c1.id)])
                try await database.withTransaction { tx in
                    try await Outbox.record(on: tx, type: .subscriptionSuspended, account: w.fixture.c1, objectType: "subscription",
                                            objectID: Int64(subscriptionID), payload: ["status": "suspended"])
                }
                let channel = Self.channel(port: 2534, database: database)

                try await Self.run(channel, database)
                var deliveries = try await Self.deliveries(database)
                XCTAssertEqual(deliveries, ["admin@c1.test pending x1 451"], "a 4xx waits for another try")
                XCTAssertTrue(try busy.received().isEmpty)

                try await database.query("UPDATE outbox_deliveries SET next_attempt_at = UTC_TIMESTAMP(6) WHERE channel = 'email'")
                try await Self.run(channel, database)
                deliveries = try await Self.deliveries(database)
                XCTAssertEqual(deliveries, ["admin@c1.test delivered x2 250"])
                XCTAssertEqual(try busy.received().first?.subject, "Silver #\(subscriptionID) is suspended")

                // The same event's email to a server that refuses it for good.
                let refusing = try SMTPSink(port: 2535, arguments: ["--reject-code", "550"])
                defer { refusing.stop() }
                try await database.query("UPDATE outbox_deliveries SET status = 'pending', next_attempt_at = UTC_TIMESTAMP(6), attempts = 0 WHERE channel = 'email'")
                try await Self.run(Self.channel(port: 2535, database: database), database)
                let final = try await database.rows("SELECT status, last_error FROM outbox_deliveries WHERE channel = 'email'")
                XCTAssertEqual(try final.map { try $0.decode(column: "status", as: String.self) }, ["failed"], "a 5xx is not tried again")
                deliveries = try await Self.deliveries(database)
                XCTAssertEqual(deliveries, ["admin@c1.test failed x1 550"])
                let error = try XCTUnwrap(final.first?.decode(column: "last_error", as: String?.self))
                XCTAssertTrue(error.contains("550"), error)
                let attempts = try await database.rows("SELECT COUNT(*) AS n FROM outbox_attempts a JOIN outbox_deliveries d ON d.id = a.delivery_id WHERE d.channel = 'email'")
                XCTAssertEqual(try attempts[0].decode(column: "n", as: Int.self), 3, "every attempt is recorded")
            }
        }
    }

    /// With no SMTP server, provider admins read the sink at /mail (list, message, raw .eml); nobody
    /// else does; with SMTP_HOST set the page is not there.
    func testTheMailPageShowsTheSinkToProviderAdminsOnlyAndOnlyWithoutSMTP() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mail-page-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try await TestDatabase.application()
        let fixture = try await TenancyFixture.make(database)
        var configuration = TestConsole.configuration()
        configuration.bcryptCost = 4
        configuration.mail.sinkDirectory = folder
        try await configuration.mail.sink(root: configuration.rootDirectory).deliver(
            MailComposer(fromAddress: "billing@console.test").message(for: .passwordReset(link: "http://127.0.0.1:8080/password-resets/tok-9", validMinutes: 60),
                                                                     brand: MailBrand(name: "Northwind <Hosting>"), to: MailRecipient(name: "Ada", address: "ada@c1.test")))
        let id = try XCTUnwrap(configuration.mail.sink(root: configuration.rootDirectory).entries().first?.id)
        for (smtp, expected) in [(false, HTTPResponse.Status.ok), (true, .notFound)] {
            var served = configuration
            if smtp { served.mail.smtp = SMTPSettings(host: "smtp.example.com") }
            let app = try await buildApplication(configuration: served, database: database, logger: TestDatabase.logger("app"))
            try await app.test(.router) { client in
                let admin = Browser(client)
                _ = try await admin.signIn("admin@p.test")
                let list = try await admin.get("/mail")
                XCTAssertEqual(list.status, expected)
                guard !smtp else { return }
                XCTAssertTrue(list.text.contains("Reset your Northwind &lt;Hosting&gt; password"), list.text)
                XCTAssertTrue(list.text.contains("href=\"/mail/\(id)\""))
                let message = try await admin.get("/mail/\(id)")
                XCTAssertEqual(message.status, .ok)
                XCTAssertTrue(message.text.contains("http://127.0.0.1:8080/password-resets/tok-9"))
                let raw = try await admin.get("/mail/\(id)/eml")
                XCTAssertEqual(raw.status, .ok)
                XCTAssertEqual(raw.headers[.contentType], "message/rfc822")
                XCTAssertTrue(raw.text.contains("Subject: Reset your Northwind <Hosting> password"))
                let traversal = try await admin.get("/mail/..%2Fetc%2Fpasswd")
                XCTAssertEqual(traversal.status, .notFound)
                for email in [try XCTUnwrap(fixture.users["p.operator"]), try XCTUnwrap(fixture.users["r1.admin"]), try XCTUnwrap(fixture.users["c1.admin"])] {
                    let other = Browser(client)
                    _ = try await other.signIn(email)
                    let answer = try await other.get("/mail/\(id)")
                    XCTAssertEqual(answer.status, .forbidden, email)
                }
            }
        }
    }
}
