import Foundation
import Hummingbird
import NIOCore
import Storage

/// The invoice as a PDF (issue 16): `GET /invoices/{id}/pdf` behind the invoice page's "Download
/// PDF", and `GET /api/v1/invoices/{id}/pdf`. Both read the invoice through the reader's scope like
/// the invoice itself (another subtree's: 404) and print what the invoice page prints, from the
/// same view model and the same partial (`_invoice_document`).
struct InvoicePDFController: Sendable {
    let services: ConsoleServices

    func addRoutes(to pages: RouterGroup<SignedInContext>) {
        pages.get(URLs.invoicePDF(0).route, use: pdf)
    }

    func addAPIRoutes(to api: RouterGroup<SignedInContext>) {
        api.get("invoices/:id/pdf", use: pdf)
    }

    @Sendable func pdf(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        // Every read is done, its connection back in the pool, before the renderer starts.
        let invoice = try await BillingController.InvoicePage.load(id, actor: context.actor, chrome: nil, services: services)
        let html = try services.render("invoice_pdf", invoice).body
        let pdf = try await PDFRenderer(assetsDirectory: services.configuration.assetsDirectory).render(html: html)
        return Response(status: .ok, headers: [
            .contentType: "application/pdf",
            .contentDisposition: #"attachment; filename="\#(Self.fileName(invoice.number))""#,
            .cacheControl: "private, no-store",
        ], body: .init(byteBuffer: ByteBuffer(bytes: pdf)))
    }

    /// `INV-12-000031.pdf`: the display number, with anything but letters, digits, `-`, `_` and `.` dropped.
    static func fileName(_ number: String) -> String {
        let safe = number.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
        return (safe.isEmpty ? "invoice" : String(String.UnicodeScalarView(safe))) + ".pdf"
    }
}
