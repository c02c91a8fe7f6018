import Commerce
import Foundation
import Localization
import Storage

extension BillingController.InvoicePage {
    /// The invoice as its page, its print and its PDF show it, read through the reader's scope
    /// (another subtree's invoice: 404). One loader, so the page and the PDF never disagree.
    static func load(_ id: Int64, actor: Actor, chrome: Chrome?, services: ConsoleServices) async throws -> Self {
        let invoice = try await InvoiceStore(database: services.database).invoice(id, in: actor.scope)
        let accounts = AccountStore(database: services.database)
        let customer = try await accounts.account(invoice.customerID, in: actor.scope)
        // The seller is above a reseller's or customer's own account: its name is printed, nothing more is read.
        let seller = try await accounts.accountForWorker(invoice.sellerID)
        // The brand the invoice's customer sees: the page's own when the customer reads it.
        var brand = customer.path == actor.accountPath ? PageBrand.current : nil
        if brand == nil { brand = try await BrandStore(database: services.database).brand(seenBy: customer.kind == .customer ? customer.path : seller.path) }
        let payments = try await PaymentStore(database: services.database).list(in: actor.scope, filter: .init(invoiceID: id), page: PageRequest(limit: 50)).items
        let labels = try await ResourceLabels.load(mentionedIn: invoice.lines.map(\.description), on: services.database)
        // Amounts and dates as the reader's language writes them (`10.80 USD`, `১০.৮০$`).
        func shown(_ money: Money) -> String { Format.money(minor: money.minorUnits, exponent: money.currency.exponent, currency: money.currency.code) }
        let rate = Format.digits(TaxRate.display(invoice.taxRate))
        return Self(
            chrome: chrome, id: id, number: invoice.displayNumber, status: invoice.status.rawValue,
            statusLabel: Localization.text("pdf.status.\(invoice.status.rawValue)"), badge: BillingController.badge(invoice.status),
            issued: Format.date(invoice.issuedOn.description), seller: seller.name, sellerBrand: brand?.name ?? seller.name, supportEmail: brand?.supportEmail ?? "", customer: customer.name, customerAddress: customer.address,
            customerEmail: customer.contactEmail,
            lines: invoice.lines.map { Line(description: labels.naming(EngineText.localized($0.description)), amount: shown(invoice.money($0.amount)),
                                            discount: $0.discount == 0 ? nil : shown(invoice.money(-$0.discount))) },
            subtotal: shown(invoice.money(invoice.subtotal)), discount: invoice.discount == 0 ? nil : shown(invoice.money(-invoice.discount)),
            taxLabel: Localization.text(invoice.pricesIncludeTaxes ? "pdf.tax_included" : "pdf.tax", ["rate": .text(rate)]), tax: shown(invoice.money(invoice.tax)),
            total: shown(invoice.money(invoice.total)), paid: shown(invoice.money(invoice.paid)), due: shown(invoice.money(invoice.due)),
            isUnpaid: invoice.status == .unpaid,
            payHref: invoice.status == .unpaid && Policy.allows(actor, .order) ? URLs.invoiceCheckout(id).path : nil,
            pdfHref: URLs.invoicePDF(id).path,
            orderHref: invoice.orderID.map { URLs.order($0).path }, orderID: invoice.orderID.map(String.init) ?? "",
            payments: payments.map(BillingController.paymentRow), hasPayments: !payments.isEmpty)
    }
}
