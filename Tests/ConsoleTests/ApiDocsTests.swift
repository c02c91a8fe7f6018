@testable import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import Mustache
import TestSupport
import XCTest

/// Issue 16, item 7: `/api/docs`, the API reference rendered by the app from `openapi/openapi.yaml`
/// (read once with Yams): every operation grouped by tag with its parameters, body and responses,
/// every schema `$ref` a link to the Schemas section. Public like the YAML itself; the footer links
/// it for staff only.
final class ApiDocsTests: XCTestCase {
    /// Every `METHOD path` of the document is on the page, once, and so is every path.
    func testThePageListsEveryOperationAndEveryPathOfTheDocument() async throws {
        try await withConsole { client, _, _ in
            let response = try await client.execute(uri: "/api/docs", method: .get)

            XCTAssertEqual(response.status, .ok, "public, like GET /api/v1/openapi.yaml")
            XCTAssertEqual(response.headers[.contentType], "text/html; charset=utf-8")
            let html = response.text
            let shown = html.matches(of: /data-operation="([A-Z]+ [^"]+)"/).map { String($0.1) }
            let documented = try OpenAPITests.documented()
            XCTAssertEqual(shown.count, documented.count, "each operation once")
            XCTAssertEqual(Set(shown), documented)
            let paths = Set(documented.map { $0.split(separator: " ")[1] })
            XCTAssertEqual(Set(shown.map { $0.split(separator: " ")[1] }), paths)
            XCTAssertTrue(html.contains(#"id="api-docs-counts">\#(paths.count) paths, \#(documented.count) operations."#), "the counts say so")
            XCTAssertTrue(html.contains(#"<h2 class="h4 border-bottom pb-1">billing</h2>"#), "grouped by tag")
        }
    }

    /// `GET /api/v1/invoices/{id}/pdf`: its `$ref`'d parameter resolved, its responses with status,
    /// description and body; `POST /invoices/{id}/payments` shows its request body's schema.
    func testAnOperationShowsItsParametersBodyAndResponses() async throws {
        try await withConsole { client, _, _ in
            let html = try await client.execute(uri: "/api/docs", method: .get).text

            let pdf = try XCTUnwrap(Self.article("op-getInvoicePdf", in: html))
            XCTAssertTrue(pdf.contains(#"<span class="badge text-bg-primary">GET</span> <code>/api/v1/invoices/{id}/pdf</code>"#), pdf)
            XCTAssertTrue(pdf.contains("One invoice as a PDF"), "its summary")
            XCTAssertTrue(pdf.contains("<tr><td><code>id</code></td><td>path</td><td>integer (int64)</td><td>required</td><td>Integer id (400 `http_400` when not an integer).</td></tr>"), pdf)
            XCTAssertTrue(pdf.contains("<tr><td><code>200</code></td><td>The PDF, as an attachment named after the invoice (`Content-Disposition: attachment; filename=&quot;INV-….pdf&quot;`).</td><td>application/pdf string (binary)</td></tr>"), pdf)
            XCTAssertTrue(pdf.contains(#"<tr><td><code>404</code></td><td>Absent, or outside the caller"#), "a $ref'd response: \(pdf)")
            XCTAssertTrue(pdf.contains(##"<td>application/json <a href="#schema-Error">Error</a></td>"##), pdf)

            let pay = try XCTUnwrap(Self.article("op-payInvoice", in: html))
            XCTAssertTrue(pay.contains(#"<h4 class="h6 mt-2">Request body</h4>"#), pay)
            XCTAssertTrue(pay.contains(##"application/json <a href="#schema-PaymentCreate">PaymentCreate</a> (required)"##), pay)
            XCTAssertTrue(pay.contains(#"<td><code>402</code></td>"#), pay)
        }
    }

    /// A `$ref` is a link to its schema, which lists its properties with type, required and
    /// description; no link on the page points at a schema that is not there.
    func testARefLinksToItsSchemaWithItsProperties() async throws {
        try await withConsole { client, _, _ in
            let html = try await client.execute(uri: "/api/docs", method: .get).text

            let invoice = try XCTUnwrap(Self.article("schema-Invoice", in: html), "the Schemas section has Invoice")
            XCTAssertTrue(html.contains(##"<a href="#schema-Invoice">Invoice</a>"##), "GET /invoices/{id} links its answer's schema")
            XCTAssertNotNil(invoice.firstMatch(of: /<tr><td><code>display_number<\/code><\/td><td>string<\/td><td>required<\/td>/), invoice)
            XCTAssertNotNil(invoice.firstMatch(of: /<tr><td><code>total<\/code><\/td><td><a href="#schema-Money">Money<\/a><\/td>/), invoice)
            let targets = Set(html.matches(of: /href="#(schema-[^"]+)"/).map { String($0.1) })
            let anchors = Set(html.matches(of: /id="(schema-[^"]+)"/).map { String($0.1) })
            XCTAssertGreaterThan(targets.count, 20)
            XCTAssertEqual(targets.subtracting(anchors), [], "links to schemas that are not listed")
        }
    }

    /// What the document says is text, escaped; the page carries no inline script or style, so the
    /// console's CSP (its own scripts and styles only) holds.
    func testTheDocumentsTextIsEscapedAndThePageNeedsNoInlineScriptOrStyle() async throws {
        let yaml = """
            openapi: 3.1.0
            info: {title: "A <b>bold</b> API", version: "1"}
            paths:
              /x:
                get:
                  summary: "<script>alert(1)</script> & more"
                  responses:
                    "200": {description: "ok"}
            """
        let library = try await MustacheLibrary(directory: TestDatabase.repositoryRoot.appendingPathComponent("Views").path)
        let html = try XCTUnwrap(library.render(try APIReference(yaml: yaml), withTemplate: "api_docs"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"), html)
        XCTAssertFalse(html.contains("<script>alert"))
        XCTAssertTrue(html.contains("A &lt;b&gt;bold&lt;/b&gt; API"))
        XCTAssertThrowsError(try APIReference(yaml: "just: text"), "no paths: not a document")

        try await withConsole { client, _, _ in
            let response = try await client.execute(uri: "/api/docs", method: .get)
            XCTAssertNotNil(response.headers[HTTPField.Name("Content-Security-Policy")!])
            XCTAssertNil(response.text.firstMatch(of: /<script(?![^>]*\bsrc=)/), "an inline script")
            XCTAssertFalse(response.text.contains("<style"), "an inline style element")
            XCTAssertFalse(response.text.contains(" style="), "an inline style attribute")
        }
    }

    /// Provider and reseller users find the reference in the footer; customers are not pointed to it.
    func testTheFooterLinksTheReferenceForStaffOnly() async throws {
        try await withConsole { client, fixture, _ in
            for (user, shown) in [("p.admin", true), ("r1.viewer", true), ("c1.admin", false), ("c1.viewer", false)] {
                let browser = Browser(client)
                _ = try await browser.signIn(fixture.users[user]!)
                let page = try await browser.get("/dashboard")
                XCTAssertEqual(page.status, .ok)
                XCTAssertEqual(page.text.contains(#"<a href="/api/docs" id="footer-api-docs">"#), shown, user)
            }
        }
    }

    /// The `<article>` with this id, up to its end.
    static func article(_ id: String, in html: String) -> String? {
        guard let start = html.range(of: #"<article class="card card-body mb-3" id="\#(id)""#) else { return nil }
        guard let end = html[start.upperBound...].range(of: "</article>") else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }
}

extension MustacheLookupTests {
    /// The API reference with every list non-empty and every optional set.
    static let apiReference = APIReference(
        title: "Reseller console API", version: "1", intro: ["Bodies are JSON."],
        tags: [.init(name: "billing", anchor: "tag-billing", operations: [.init(
            anchor: "op-payInvoice", method: "POST", methodBadge: "text-bg-success", path: "/api/v1/invoices/{id}/payments", summary: "Pay an unpaid invoice",
            description: ["Viewers get 403."], isPublic: true,
            parameters: [.init(name: "id", location: "path", required: true, type: [.init(text: "integer (int64)", href: "#schema-Id")], description: "Integer id.")],
            hasParameters: true,
            requestBody: .init(contentType: "application/json", required: true, type: [.init(text: "PaymentCreate", href: "#schema-PaymentCreate")],
                               description: "The payment to make."),
            responses: [.init(status: "201", description: "The succeeded payment.", contentType: "application/pdf",
                              type: [.init(text: "array of ", href: "#schema-Line")])])])],
        schemas: [.init(name: "Invoice", anchor: "schema-Invoice", description: ["An invoice of a seller."], type: [.init(text: "object", href: "#schema-Object")],
                        properties: [.init(name: "number", type: [.init(text: "string", href: "#schema-Number")], required: true, description: "INV-12-000001.")],
                        hasProperties: true)],
        pathCount: 53, operationCount: 81)
}
