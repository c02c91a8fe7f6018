@testable import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Storage
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16, item 1: an invoice downloads as a real PDF (WeasyPrint), printing what the invoice
/// page prints, on A4, for whoever may read the invoice and nobody else. The PDF is read back with
/// poppler's `pdftotext` and `pdfinfo`, as a person's PDF viewer would read it.
final class InvoicePDFTests: XCTestCase {
    // MARK: Through the API and the page

    /// Customer One's upgrade of ram_gb by 6 (quote world): lines 5.00 and 4.00 USD, tax at 0.20
    /// 1.80, total 10.80, sold by Reseller One under its brand "Northwind Cloud".
    func testTheAPIPDFPrintsTheInvoicesNumberBrandLinesTaxAndTotalOnA4() async throws {
        try await withQuoteWorld { w, id in
            let branded = try await w.api.call(.put, "/api/v1/accounts/\(w.fixture.r1.id)/branding", token: w.reseller, json: BrandingTests.northwind)
            XCTAssertEqual(branded.status, .ok, branded.text)
            let invoiceID = try await Self.upgradeInvoice(w, id)
            let shown = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)", token: w.customer)
            let number = try XCTUnwrap(shown.json["display_number"] as? String)

            let response = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)/pdf", token: w.customer)

            XCTAssertEqual(response.status, .ok, response.text)
            XCTAssertEqual(response.headers[.contentType], "application/pdf")
            XCTAssertEqual(response.headers[.contentDisposition], #"attachment; filename="\#(number).pdf""#)
            let text = try Self.pdfText(response.body)
            XCTAssertTrue(text.contains("Invoice \(number)"), text)
            XCTAssertTrue(text.contains("Northwind Cloud"), "the brand its customer buys under: \(text)")
            XCTAssertTrue(text.contains("Reseller One"), "the seller issues it")
            XCTAssertTrue(text.contains("Customer One"), "billed to the customer")
            XCTAssertNotNil(text.firstMatch(of: /Add 4 × ram_gb[^\n]*\s5\.00 USD/), "a line's description and amount: \(text)")
            XCTAssertNotNil(text.firstMatch(of: /Subtotal\s+9\.00 USD/), text)
            XCTAssertNotNil(text.firstMatch(of: /Tax 0\.20\s+1\.80 USD/), "the tax line: \(text)")
            XCTAssertNotNil(text.firstMatch(of: /Total\s+10\.80 USD/), text)
            XCTAssertNotNil(text.firstMatch(of: /Due\s+10\.80 USD/), text)
            XCTAssertTrue(text.contains("unpaid"), "its status")
            let info = try Self.pdfInfo(response.body)
            let size = try XCTUnwrap(info.firstMatch(of: /Page size:\s+([0-9.]+) x ([0-9.]+) pts/), info)
            XCTAssertEqual(try XCTUnwrap(Double(size.1)), 595.28, accuracy: 0.01, "A4 is 595.28 pt wide")
            XCTAssertEqual(try XCTUnwrap(Double(size.2)), 841.89, accuracy: 0.01, "and 841.89 pt high")
            let pages = try XCTUnwrap(info.firstMatch(of: /Pages:\s+(\d+)/).flatMap { Int($0.1) }, info)
            XCTAssertGreaterThanOrEqual(pages, 1)
        }
    }

    /// The page's "Download PDF" gives the PDF of the invoice shown, with its payments: the same
    /// totals the page prints.
    func testTheInvoicePagesDownloadButtonGivesTheSameInvoiceWithItsPayments() async throws {
        try await withQuoteWorld { w, id in
            let invoiceID = try await Self.upgradeInvoice(w, id)
            let paid = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer,
                                            json: #"{"method":"card","card_number":"4242424242424242"}"#)
            XCTAssertEqual(paid.status, .created, paid.text)
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c1.viewer"]!)
            let page = try await browser.get("/invoices/\(invoiceID)")
            XCTAssertTrue(page.text.contains(#"<a class="btn btn-outline-secondary" href="/invoices/\#(invoiceID)/pdf" id="invoice-pdf">"#), page.text)
            let pageTotal = try XCTUnwrap(page.text.firstMatch(of: /id="invoice-total">([^<]+)</)?.1)

            let pdf = try await browser.get("/invoices/\(invoiceID)/pdf")

            XCTAssertEqual(pdf.status, .ok, pdf.text)
            XCTAssertEqual(pdf.headers[.contentType], "application/pdf")
            let text = try Self.pdfText(pdf.body)
            XCTAssertNotNil(text.firstMatch(of: try Regex("Total\\s+" + NSRegularExpression.escapedPattern(for: String(pageTotal)))), text)
            XCTAssertTrue(text.contains("Payments"), text)
            XCTAssertTrue(text.contains("card ending 4242"), "the payment: \(text)")
            XCTAssertTrue(text.contains("paid"), text)
        }
    }

    /// Another reseller's invoice is not there, in the API and on the pages alike; a reseller's
    /// staff read their customer's, and a customer its own (above).
    func testAForeignInvoicesPDFIs404AndTheSellersStaffReadIt() async throws {
        try await withQuoteWorld { w, id in
            let invoiceID = try await Self.upgradeInvoice(w, id)
            let other = try await w.api.token(w.fixture.users["r2.admin"]!)

            let foreign = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)/pdf", token: other)
            XCTAssertEqual(foreign.status, .notFound)
            XCTAssertEqual(foreign.errorCode, "not_found")
            let browser = Browser(w.api.client)
            _ = try await browser.signIn(w.fixture.users["c2.admin"]!)
            let foreignPage = try await browser.get("/invoices/\(invoiceID)/pdf")
            XCTAssertEqual(foreignPage.status, .notFound)
            let anonymous = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)/pdf")
            XCTAssertEqual(anonymous.status, .unauthorized)

            let viewer = try await w.api.token(w.fixture.users["r1.viewer"]!)
            let sellers = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)/pdf", token: viewer)
            XCTAssertEqual(sellers.status, .ok)
            XCTAssertTrue(try Self.pdfText(sellers.body).contains("Customer One"))
        }
    }

    /// A user who reads Bengali gets the invoice in Bengali: the words from the catalog, Bengali
    /// digits, the conjuncts (স্য of ইস্যুকারী: two consonants joined by `্`) in the
    /// Bengali font the stylesheet names, which the PDF embeds. (pdftotext gives vowel signs written
    /// before their consonant, like the ি of বিল, in the order they are drawn: words with them are not
    /// compared here; the page image was looked at instead.)
    func testABengaliReadersPDFIsInBengaliInABengaliFont() async throws {
        try await withQuoteWorld { w, id in
            let invoiceID = try await Self.upgradeInvoice(w, id)
            let shown = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)", token: w.customer)
            let number = try XCTUnwrap(shown.json["display_number"] as? String)
            let chosen = try await w.api.call(.put, "/api/v1/me", token: w.customer, json: #"{"locale":"bn"}"#)
            XCTAssertEqual(chosen.status, .ok, chosen.text)

            let response = try await w.api.call(.get, "/api/v1/invoices/\(invoiceID)/pdf", token: w.customer)

            XCTAssertEqual(response.status, .ok, response.text)
            let text = try Self.pdfText(response.body)
            XCTAssertTrue(text.contains("চালান \(number)"), "the invoice's number stays as it is: \(text)")
            XCTAssertTrue(text.contains("ইস্যুর") && text.contains("ইস্যুকারী"), "স্য, a conjunct: \(text)")
            XCTAssertNotNil(text.firstMatch(of: /কর ০\.২০\s+১\.৮০/), "the tax line in Bengali digits: \(text)")
            XCTAssertNotNil(text.firstMatch(of: /\s১০\.৮০US\$/), "the total in Bengali digits with the dollar's own sign: \(text)")
            XCTAssertFalse(text.contains("Subtotal") || text.contains("Total"), "no English words left: \(text)")
            let fonts = try Self.poppler("pdffonts", [], response.body, output: nil)
            XCTAssertTrue(fonts.contains("Lohit-Bengali") || fonts.contains("Mukti"), "a Bengali font from fonts-beng is embedded: \(fonts)")
        }
    }

    // MARK: The renderer's bounds

    /// A third render waits for one of the two slots, and gives up (503) when none comes free in time.
    func testAtMostTwoRenderAtOnceAndAThirdWaitsThenGivesUp() async throws {
        let slots = RenderSlots(limit: 2)
        let first = await slots.acquire(waitingAtMost: .milliseconds(10))
        let second = await slots.acquire(waitingAtMost: .milliseconds(10))
        XCTAssertTrue(first && second)
        let third = await slots.acquire(waitingAtMost: .milliseconds(50))
        XCTAssertFalse(third, "both slots stayed taken")
        let waiting = Task { await slots.acquire(waitingAtMost: .seconds(5)) }
        try await Task.sleep(for: .milliseconds(50))
        await slots.release()
        let gotOne = await waiting.value
        XCTAssertTrue(gotOne, "a released slot goes to the one waiting")
        let taken = await slots.taken
        XCTAssertEqual(taken, 2)
        XCTAssertEqual(PDFRenderer.Failure.busy.status, .serviceUnavailable)
    }

    /// A renderer that does not finish in time is killed: 503, and its slot is free again.
    func testARenderPastItsTimeoutIsKilledAndFreesItsSlot() async throws {
        let slots = RenderSlots(limit: 1)
        var renderer = PDFRenderer(assetsDirectory: TestDatabase.repositoryRoot.appendingPathComponent("Assets"))
        renderer.slots = slots
        renderer.timeout = .milliseconds(1)
        let started = ContinuousClock.now
        do {
            _ = try await renderer.render(html: "<p>late</p>")
            XCTFail("a render cannot finish in 1 ms")
        } catch let failure as PDFRenderer.Failure {
            guard case .timedOut = failure else { return XCTFail("\(failure)") }
            XCTAssertEqual(failure.status, .serviceUnavailable)
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5), "killed, not waited for")
        let free = await slots.taken
        XCTAssertEqual(free, 0)
    }

    /// No renderer installed (or one that fails): a 500 carrying what it said, never a crash.
    func testAMissingRendererIsAFailureWithItsMessage() async throws {
        var renderer = PDFRenderer(assetsDirectory: TestDatabase.repositoryRoot.appendingPathComponent("Assets"))
        renderer.slots = RenderSlots(limit: 1)
        renderer.python = "/nonexistent/python3"
        do {
            _ = try await renderer.render(html: "<p>x</p>")
            XCTFail("nothing can render")
        } catch let failure as PDFRenderer.Failure {
            XCTAssertEqual(failure.status, .internalServerError)
        }
    }

    /// Markup naming remote or local files outside the Assets directory fetches nothing: a server
    /// listening on loopback sees no connection, and the PDF is still made.
    func testTheRendererFetchesNothingOutsideTheAssets() async throws {
        let listener = try LoopbackListener()
        defer { listener.close() }
        let url = "http://127.0.0.1:\(listener.port)"
        let html = """
            <!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="\(url)/remote.css">
            <link rel="stylesheet" href="file:///etc/passwd"><link rel="stylesheet" href="invoice-pdf.css"></head>
            <body><p>Offline</p><img src="\(url)/pixel.png"><iframe src="\(url)/frame"></iframe></body></html>
            """
        var renderer = PDFRenderer(assetsDirectory: TestDatabase.repositoryRoot.appendingPathComponent("Assets"))
        renderer.slots = RenderSlots(limit: 1)
        let pdf = try await renderer.render(html: html)
        XCTAssertTrue(try Self.pdfText(ByteBuffer(bytes: pdf)).contains("Offline"))
        XCTAssertFalse(listener.wasConnected(), "the renderer called out to \(url)")
        XCTAssertTrue(try Self.pdfInfo(ByteBuffer(bytes: pdf)).contains("595.276 x 841.89"), "invoice-pdf.css (in the Assets) was read: A4")
    }

    // MARK: Helpers

    /// Submits Customer One's upgrade of ram_gb by 6: its invoice's id.
    static func upgradeInvoice(_ w: QuoteWorld, _ subscription: Int) async throws -> Int {
        let order = try await w.api.call(.post, "/api/v1/subscriptions/\(subscription)/orders", token: w.customer,
                                         json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#, idempotencyKey: "pdf-1")
        XCTAssertEqual(order.status, .created, order.text)
        return try XCTUnwrap(order.json["invoice_id"] as? Int)
    }

    static func pdfText(_ body: ByteBuffer) throws -> String {
        // `PDF_KEEP_DIR=/tmp/x`: each PDF read is also left there, to be looked at.
        if let keep = ProcessInfo.processInfo.environment["PDF_KEEP_DIR"] {
            try? Data(body.readableBytesView).write(to: URL(fileURLWithPath: keep).appendingPathComponent("invoice-\(UUID().uuidString.prefix(8)).pdf"))
        }
        return try poppler("pdftotext", ["-layout"], body, output: "-")
    }

    static func pdfInfo(_ body: ByteBuffer) throws -> String {
        try poppler("pdfinfo", [], body, output: nil)
    }

    /// Runs a poppler tool on the PDF written to a temporary file.
    static func poppler(_ tool: String, _ options: [String], _ body: ByteBuffer, output: String?) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("invoice-\(UUID().uuidString).pdf")
        try Data(body.readableBytesView).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
        process.arguments = options + [file.path] + (output.map { [$0] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(tool) could not read the PDF")
        return text
    }
}

/// A TCP socket listening on 127.0.0.1 that nobody should connect to.
final class LoopbackListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 8) == 0 else { Glibc.close(fd); throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a connection waits in the backlog (accepted and closed here).
    func wasConnected() -> Bool {
        let client = accept(descriptor, nil, nil)
        guard client >= 0 else { return false }
        Glibc.close(client)
        return true
    }

    func close() { Glibc.close(descriptor) }
}
