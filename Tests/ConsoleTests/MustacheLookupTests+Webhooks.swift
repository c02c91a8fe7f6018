@testable import Console
import XCTest

/// Samples of the Webhooks and Deliveries pages for `MustacheLookupTests` (every optional set, every list non-empty).
extension MustacheLookupTests {
    static let webhooks = WebhooksController.Page(
        chrome: chrome, csrf: "csrf-5f1d",
        rows: [.init(id: 12, url: "https://hooks.acme.example/console", account: "Acme GmbH", events: "invoice_issued, order_failed",
                     created: "2026-04-01 09:00 UTC", deliveriesHref: "/webhooks/12/deliveries", deleteAction: "/webhooks/12/delete")],
        empty: false, canEdit: true, accountName: "Reseller One", registerHeading: "Register a webhook for Reseller One", url: field,
        events: [.init(name: "invoice_issued", field: "event_invoice_issued", checked: true)],
        eventsError: "Choose at least one event.", createdSecret: "whsec_9f8e7d", createdURL: "https://new.acme.example/hook",
        nextHref: "/webhooks?cursor=11")

    static let webhookDeliveries = WebhooksController.DeliveriesPage(
        chrome: chrome, url: "https://hooks.acme.example/console", account: "Acme GmbH",
        rows: [.init(id: 301, event: "invoice_issued", eventID: "5f0c2d1e-7a4b-4c1e-9d3f-2b6a8e1c0f99", object: "invoice #41", status: "pending", statusText: "waiting",
                     statusClass: "text-bg-warning", attempts: [.init(at: "2026-04-01 09:00 UTC", code: "500", error: "HTTP 500")],
                     next: "2026-04-01 09:01 UTC")],
        empty: false, backHref: "/webhooks", nextHref: "/webhooks/12/deliveries?cursor=300")
}
