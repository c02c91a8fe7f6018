import Commerce
import Console
import Foundation
import Mail
import NIOCore
import NIOPosix
import NIOSSL
import TestSupport
import Testing

/// The email an invoice sends, as a mail reader sees it: it went through a real SMTP server
/// (aiosmtpd on loopback) and was parsed by Python's email module.
@Suite struct SMTPDeliveryTests {
    let usd = Currency(code: "USD", exponent: 2)
    let northwind = MailBrand(name: "Northwind Hosting", supportEmail: "help@northwind.test", color: try! BrandColor.parse("#7a1f5c"))
    let composer = MailComposer(fromAddress: "billing@console.test")

    func client(port: Int, configure: (inout SMTPSettings) -> Void = { _ in }) -> SMTPTransport {
        var settings = SMTPSettings(host: "127.0.0.1", port: port)
        settings.replyTimeout = .seconds(10)
        configure(&settings)
        return SMTPTransport(client: SMTPClient(settings: settings))
    }

    @Test func anInvoiceIssuedEmailArrivesUnderTheSellersBrandAsTextAndHTMLWithTheAmount() async throws {
        let sink = try SMTPSink(port: 2525)
        defer { sink.stop() }
        let message = composer.message(for: .invoiceIssued(number: "INV-2-000041", total: Money(minorUnits: 12_345, currency: usd), issuedOn: "2026-12-03"),
                                       brand: northwind, to: MailRecipient(name: "Ada Acme", address: "admin@acme.test", locale: "en"))

        try await client(port: 2525).deliver(message)

        let received = try #require(try sink.received().first)
        #expect(received.subject == "Invoice INV-2-000041 from Northwind Hosting: 123.45 USD")
        #expect(received.to == "Ada Acme <admin@acme.test>")
        #expect(received.from_name == "Northwind Hosting")
        #expect(received.from_address == "billing@console.test")
        #expect(received.reply_to == "help@northwind.test")
        #expect(received.envelope_from == "billing@console.test")
        #expect(received.envelope_to == ["admin@acme.test"])
        #expect(received.content_type == "multipart/alternative")
        #expect(received.parts.map(\.content_type) == ["text/plain", "text/html"])
        #expect(received.parts.allSatisfy { $0.charset == "utf-8" && $0.transfer_encoding == "quoted-printable" })
        let text = try #require(received.text), html = try #require(received.html)
        #expect(text.contains("Amount due: 123.45 USD"))
        #expect(text.contains("Hello Ada Acme,"))
        #expect(html.contains("<strong>123.45 USD</strong>"))
        #expect(html.contains("background:#7a1f5c"))
        #expect(html.contains(">Northwind Hosting</td>"))
        #expect(received.message_id.hasPrefix("<") && received.message_id.hasSuffix("@console.test>"))
        #expect(received.date.hasSuffix("+0000"))
        #expect(received.mime_version == "1.0")
        #expect(received.seven_bit)
        #expect(received.longest_line <= 78)
        #expect(received.defects.isEmpty)
    }

    @Test func namesAndSubjectsBeyondASCIIArriveAsWritten() async throws {
        let sink = try SMTPSink(port: 2526)
        defer { sink.stop() }
        let brand = MailBrand(name: "Nordvind Hosting ÆØÅ — Ørsted & Søn", supportEmail: nil, color: try! BrandColor.parse("#ffd700"))
        let message = composer.message(for: .subscriptionSuspended(subscription: "Serveur privé virtuel «Ünïcødé» #12"),
                                       brand: brand, to: MailRecipient(name: "Zoë Ångström", address: "zoe@acme.test"))

        try await client(port: 2526).deliver(message)

        let received = try #require(try sink.received().first)
        #expect(received.from_name == "Nordvind Hosting ÆØÅ — Ørsted & Søn")
        #expect(received.subject == "Serveur privé virtuel «Ünïcødé» #12 is suspended")
        #expect(received.to == "Zoë Ångström <zoe@acme.test>")
        #expect(received.text?.contains("Hello Zoë Ångström,") == true)
        #expect(received.html?.contains("Nordvind Hosting ÆØÅ — Ørsted &amp; Søn") == true)
        // Text on a light brand colour is black.
        #expect(received.html?.contains("background:#ffd700;color:#000000") == true)
        #expect(received.seven_bit)
        #expect(received.longest_line <= 78)
        #expect(received.defects.isEmpty)
    }

    @Test func aLineOfASingleDotIsDotStuffedAndArrivesIntact() async throws {
        let sink = try SMTPSink(port: 2527)
        defer { sink.stop() }
        let message = MailMessage(from: .init(name: "Northwind Hosting", address: "billing@console.test"), to: .init(name: "", address: "a@acme.test"),
                                  subject: "dots", text: "before\n.\n.hidden\n..two\nafter", html: "<p>x</p>\n.\n")

        try await client(port: 2527).deliver(message)

        let received = try #require(try sink.received().first)
        #expect(received.text == "before\n.\n.hidden\n..two\nafter\n" || received.text == "before\n.\n.hidden\n..two\nafter")
        #expect(received.html?.hasPrefix("<p>x</p>\n.\n") == true)
    }

    @Test func aFourHundredReplyIsTransientAndTheNextAttemptDelivers() async throws {
        let sink = try SMTPSink(port: 2528, arguments: ["--fail-first", "1", "--fail-code", "451"])
        defer { sink.stop() }
        let message = composer.message(for: .paymentReceived(invoiceNumber: "INV-2-000041", amount: Money(minorUnits: 12_345, currency: usd)),
                                       brand: northwind, to: MailRecipient(name: "", address: "admin@acme.test"))

        let first = await #expect(throws: SMTPError.self) { try await client(port: 2528).deliver(message) }
        #expect(first?.isPermanent == false)
        #expect(first?.replyCode == 451)
        #expect(try sink.received().isEmpty)

        try await client(port: 2528).deliver(message)
        #expect(try sink.received().count == 1)
    }

    @Test func aFiveHundredReplyIsAPermanentFailure() async throws {
        let sink = try SMTPSink(port: 2529, arguments: ["--reject-code", "550"])
        defer { sink.stop() }
        let message = composer.message(for: .orderCompleted(orderID: 41, subscription: "Cloud VPS #12", summary: "RAM 4 → 6 GB"), brand: northwind,
                                       to: MailRecipient(name: "", address: "admin@acme.test"))

        let error = await #expect(throws: SMTPError.self) { try await client(port: 2529).deliver(message) }
        #expect(error?.isPermanent == true)
        #expect(error?.replyCode == 550)
        #expect(try sink.received().isEmpty)
    }

    @Test func startTLSIsUsedWhereOfferedAndTheCredentialsGoOverIt() async throws {
        let certificate = try SelfSignedCertificate()
        defer { certificate.remove() }
        let sink = try SMTPSink(port: 2530, arguments: ["--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath, "--auth", "mailer:s3cret pass"])
        defer { sink.stop() }
        let message = composer.message(for: .orderFailed(orderID: 42, subscription: "Cloud VPS #12", summary: "RAM 4 → 6 GB"), brand: northwind,
                                       to: MailRecipient(name: "", address: "admin@acme.test"))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(certificate.certificatePath)

        try await client(port: 2530) {
            $0.host = "localhost"
            $0.tls = tls
            $0.username = "mailer"
            $0.password = "s3cret pass"
        }.deliver(message)

        let received = try #require(try sink.received().first)
        #expect(received.tls)
        #expect(received.auth_login == "mailer")
    }

    @Test func wrongCredentialsAreAPermanentFailure() async throws {
        let sink = try SMTPSink(port: 2531, arguments: ["--auth", "mailer:right"])
        defer { sink.stop() }
        let message = composer.message(for: .orderFailed(orderID: 42, subscription: "Cloud VPS #12", summary: "RAM 4 → 6 GB"), brand: northwind,
                                       to: MailRecipient(name: "", address: "admin@acme.test"))

        let error = await #expect(throws: SMTPError.self) {
            try await client(port: 2531) { $0.username = "mailer"; $0.password = "wrong" }.deliver(message)
        }
        #expect(error?.isPermanent == true)
        #expect(try sink.received().isEmpty)
    }

    @Test func aServerThatNeverAnswersIsATransientFailureWithinTheReplyTimeout() async throws {
        // Accepts connections and says nothing.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let port = try #require(silent.localAddress?.port)
        let message = composer.message(for: .orderFailed(orderID: 42, subscription: "Cloud VPS #12", summary: "RAM 4 → 6 GB"), brand: northwind,
                                       to: MailRecipient(name: "", address: "admin@acme.test"))
        let started = ContinuousClock.now

        let error = await #expect(throws: SMTPError.self) {
            try await client(port: port) { $0.replyTimeout = .milliseconds(300) }.deliver(message)
        }

        #expect(error?.isPermanent == false)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func nothingListeningIsATransientFailure() async throws {
        let message = composer.message(for: .orderFailed(orderID: 42, subscription: "Cloud VPS #12", summary: "RAM 4 → 6 GB"), brand: northwind,
                                       to: MailRecipient(name: "", address: "admin@acme.test"))
        // A port that was free a moment ago.
        let closed = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(closed.localAddress?.port)
        try await closed.close()
        let error = await #expect(throws: SMTPError.self) { try await client(port: port).deliver(message) }
        #expect(error?.isPermanent == false)
    }

    @Test func anAddressThatCouldInjectACommandIsRefusedBeforeConnecting() async throws {
        let message = composer.message(for: .orderFailed(orderID: 42, subscription: "Cloud VPS #12", summary: "RAM 4 → 6 GB"), brand: northwind,
                                       to: MailRecipient(name: "", address: "a@acme.test>\r\nRCPT TO:<b@evil.test"))
        let error = await #expect(throws: SMTPError.self) { try await client(port: 1).deliver(message) }
        #expect(error?.isPermanent == true)
    }
}

/// With no `SMTP_HOST` the console writes what it would have sent to `.local/mail`, one .eml each.
@Suite struct MailSinkTests {
    @Test func withoutSMTPHostMailGoesToAnEMLFileInTheSinkAndTheMailPageCanReadIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mail-sink-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = try ConsoleConfiguration.fromEnvironment(["DATABASE_USER": "u", "DATABASE_NAME": "d"])
        configuration.mail.sinkDirectory = folder
        let transport = configuration.mail.transport(root: configuration.rootDirectory)
        let message = MailComposer(fromAddress: configuration.mail.fromAddress).message(
            for: .passwordReset(link: "http://127.0.0.1:8080/password-resets/abc", validMinutes: 60),
            brand: MailBrand(name: "Northwind Hosting"), to: MailRecipient(name: "Ada", address: "ada@acme.test"))

        try await transport.deliver(message)

        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        let eml = try #require(files.first { $0.hasSuffix(".eml") })
        let raw = try String(contentsOf: folder.appendingPathComponent(eml), encoding: .utf8)
        #expect(raw.contains("\r\nSubject: Reset your Northwind Hosting password\r\n"))
        #expect(raw.contains("\r\nTo: Ada <ada@acme.test>\r\n"))
        let entries = configuration.mail.sink(root: configuration.rootDirectory).entries()
        #expect(entries.map(\.subject) == ["Reset your Northwind Hosting password"])
        #expect(entries.first?.text.contains("http://127.0.0.1:8080/password-resets/abc") == true)
        #expect(entries.first.map { "\($0.id).eml" } == eml)
    }

    @Test func sinkIDsCannotNameAPathOutsideTheSink() {
        #expect(FileMailSink.isValidID("20261203T174537.123Z-1a2b3c4d"))
        for id in ["../x", "a/b", ".hidden", "", "x y", String(repeating: "a", count: 65)] {
            #expect(!FileMailSink.isValidID(id), "\(id)")
        }
    }
}

/// SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, MAIL_FROM, read like every other setting.
@Suite struct MailConfigurationTests {
    let database = ["DATABASE_USER": "u", "DATABASE_NAME": "d"]

    @Test func smtpSettingsAreRead() throws {
        let configuration = try ConsoleConfiguration.fromEnvironment(database.merging([
            "SMTP_HOST": "smtp.example.com", "SMTP_PORT": "2587", "SMTP_USER": "mailer", "SMTP_PASSWORD": "pw", "MAIL_FROM": "billing@example.com",
        ]) { $1 })
        #expect(configuration.mail.smtp?.host == "smtp.example.com")
        #expect(configuration.mail.smtp?.port == 2587)
        #expect(configuration.mail.smtp?.username == "mailer" && configuration.mail.smtp?.password == "pw")
        #expect(configuration.mail.fromAddress == "billing@example.com")
        #expect(configuration.mail.transport(root: configuration.rootDirectory) is SMTPTransport)
    }

    @Test func withoutSMTPHostTheSinkIsUsed() throws {
        let configuration = try ConsoleConfiguration.fromEnvironment(database)
        #expect(configuration.mail.smtp == nil)
        let sink = try #require(configuration.mail.transport(root: URL(fileURLWithPath: "/srv/console")) as? FileMailSink)
        #expect(sink.directory.path == "/srv/console/.local/mail")
    }

    @Test func anSMTPHostNeedsMailFromAndAUserNeedsAPassword() {
        let cases: [(variables: [String: String], refused: String)] = [
            (["SMTP_HOST": "smtp.example.com"], "MAIL_FROM"),
            (["SMTP_HOST": "smtp.example.com", "MAIL_FROM": "a@b.test", "SMTP_USER": "x"], "SMTP_PASSWORD"),
            (["MAIL_FROM": "Billing <a@b.test>"], "MAIL_FROM"),
            (["SMTP_HOST": "smtp.example.com", "MAIL_FROM": "a@b.test", "SMTP_PORT": "0"], "SMTP_PORT"),
        ]
        for (variables, refused) in cases {
            let error = #expect(throws: ConsoleConfiguration.Invalid.self) {
                try ConsoleConfiguration.fromEnvironment(database.merging(variables) { $1 })
            }
            #expect(error?.variable == refused)
        }
    }
}

/// MIME's encodings, byte by byte.
@Suite struct MailEncodingTests {
    @Test func quotedPrintableKeepsLinesWithin76AndEscapesWhatIsNotPrintableASCII() {
        let encoded = MailData.quotedPrintable(String(repeating: "é", count: 60) + "\nend = 1 \n")
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 })
        #expect(encoded.hasPrefix("=C3=A9"))
        #expect(encoded.contains("end =3D 1=20\r\n"))
    }

    @Test func asciiHeadersStayAsTheyAreAndOthersBecomeEncodedWordsOf75AtMost() {
        #expect(MailData.headerText("Invoice INV-2-000041") == "Invoice INV-2-000041")
        let encoded = MailData.headerText(String(repeating: "Ørsted ", count: 20))
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
        #expect(MailData.headerText("a\r\nBcc: x@evil.test") == "aBcc: x@evil.test")
    }

    @Test func displayNamesAreQuotedWhenTheyHoldSpecials() {
        #expect(MailData.mailbox(name: "Northwind Hosting", address: "a@b.test") == "Northwind Hosting <a@b.test>")
        #expect(MailData.mailbox(name: "Smith, \"J\"", address: "a@b.test") == "\"Smith, \\\"J\\\"\" <a@b.test>")
        #expect(MailData.mailbox(name: "", address: "a@b.test") == "<a@b.test>")
    }

    @Test func dotStuffingDoublesALeadingDotAndEndsEveryLineInCRLF() {
        #expect(MailData.dotStuffed(Array("a\n.\n..b\r\nc".utf8)) == Array("a\r\n..\r\n...b\r\nc\r\n".utf8))
    }

    @Test func aLanguageWithoutACatalogFallsBackToEnglish() {
        #expect(MailCatalogs.catalog(for: "fr").language == "en")
        #expect(MailCatalogs.catalog(for: "en-GB").language == "en")
        #expect(MailCatalogs.catalog(for: nil).language == "en")
    }
}

/// A throwaway self-signed certificate for `localhost` (openssl), for the STARTTLS test.
struct SelfSignedCertificate {
    let folder: URL
    var certificatePath: String { folder.appendingPathComponent("cert.pem").path }
    var keyPath: String { folder.appendingPathComponent("key.pem").path }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost", "-keyout", folder.appendingPathComponent("key.pem").path,
                             "-out", folder.appendingPathComponent("cert.pem").path]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw SMTPSink.SinkError(message: "openssl could not make a certificate") }
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}
