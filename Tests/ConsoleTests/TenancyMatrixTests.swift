import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// Walks every route of the console and its API, taken from the router itself, as users of
/// every tier and role: ids of another reseller's subtree answer 404 and change nothing;
/// what a role may not do inside its subtree answers 403 and changes nothing.
final class TenancyMatrixTests: XCTestCase {
    /// Routes anyone may call, signed in or not.
    static let publicRoutes: Set<String> = ["GET /", "GET /healthz", "GET /signin", "POST /signin", "POST /signout", "POST /api/v1/tokens", "GET /api/v1/openapi.yaml", "GET /api/docs", "GET /theme/:file",
                                                         "GET /password-resets", "POST /password-resets", "GET /password-resets/:token", "POST /password-resets/:token",
                                                         "POST /api/v1/password-resets", "POST /api/v1/password-resets/:token",
                                                         // No tenant's data, no session: loopback or METRICS_TOKEN (MetricsAccessTests).
                                                         "GET /metrics"]

    /// How to aim each protected route at an account: `{id}` in the path, and a body or query naming it.
    struct Probe {
        /// A path with `{id}` where the target account's id goes.
        let path: String
        let form: [String: String]?
        let json: String?
        /// Reads that list rows rather than fetch one: the foreign name must not appear instead.
        let isListing: Bool
        /// The provider's catalog is nobody's tenant data: other tiers may read it (200) or not (403), never change it.
        var catalog: HTTPResponse.Status?
        /// A route that names nothing foreign answers this to everyone probing it, changing nothing.
        var fixed: HTTPResponse.Status?
        /// Staff-only pages: customers get 403 whatever the id; staff get what this probe says otherwise.
        var staffOnly = false

        static func page(_ path: String, form: [String: String]? = nil) -> Probe { Probe(path: path, form: form, json: nil, isListing: false) }
        static func api(_ path: String, json: String? = nil) -> Probe { Probe(path: path, form: nil, json: json, isListing: false) }
        static func listing(_ path: String) -> Probe { Probe(path: path, form: nil, json: nil, isListing: true) }
        static func catalogPage(_ path: String, form: [String: String]? = nil) -> Probe {
            Probe(path: path, form: form, json: nil, isListing: false, catalog: .forbidden)
        }
        static func catalogAPI(_ path: String, json: String? = nil, readable: Bool) -> Probe {
            Probe(path: path, form: nil, json: json, isListing: false, catalog: readable ? .ok : .forbidden)
        }
    }

    /// Every protected route must be here: a route added without a probe fails the test.
    static let probes: [String: Probe] = [
        "GET /dashboard": .listing("/dashboard"),
        "GET /api/v1/reports/dashboard": .listing("/api/v1/reports/dashboard"),
        "GET /accounts": .listing("/accounts"),
        "GET /accounts/new": .page("/accounts/new?kind=customer&parent_id={id}"),
        "POST /accounts": .page("/accounts", form: ["kind": "customer", "parent_id": "{id}", "name": "Intruder", "currency": "EUR", "tax_rate": "0.10"]),
        "GET /accounts/:id": .page("/accounts/{id}"),
        "GET /accounts/:id/users/new": .page("/accounts/{id}/users/new"),
        "POST /accounts/:id/users": .page("/accounts/{id}/users", form: ["email": "intruder@x.test", "role": "admin", "password": "intruder-password"]),
        "GET /audit": .page("/audit?account_id={id}"),
        "GET /api/v1/audit": .api("/api/v1/audit?account_id={id}"),
        "GET /accounts/:id/branding": .page("/accounts/{id}/branding"),
        "POST /accounts/:id/branding": .page("/accounts/{id}/branding", form: ["brand_name": "Intruder", "support_email": "x@x.test", "primary_color": "#000000", "slug": "intruder"]),
        "GET /api/v1/accounts/:id/branding": .api("/api/v1/accounts/{id}/branding"),
        "PUT /api/v1/accounts/:id/branding": .api("/api/v1/accounts/{id}/branding", json: ##"{"brand_name":"Intruder","support_email":"x@x.test","primary_color":"#000000","slug":"intruder"}"##),
        "GET /api/v1/me": .listing("/api/v1/me"),
        // A user of the foreign account ({user}: its admin); oneself's profile names nothing foreign.
        "GET /users/:id": .page("/users/{user}"),
        "POST /users/:id": .page("/users/{user}", form: ["name": "Hijacked", "role": "viewer", "status": "disabled"]),
        "PATCH /api/v1/users/:id": .api("/api/v1/users/{user}", json: #"{"name":"Hijacked","status":"disabled"}"#),
        "GET /profile": .listing("/profile"),
        "POST /profile": Probe(path: "/profile", form: ["name": "Mine", "locale": "xx"], json: nil, isListing: false, fixed: .unprocessableContent),
        "POST /profile/password": Probe(path: "/profile/password", form: ["current_password": "", "password": "short"], json: nil, isListing: false, fixed: .unprocessableContent),
        "PUT /api/v1/me": Probe(path: "/api/v1/me", form: nil, json: #"{"name":"Mine","locale":"xx"}"#, isListing: false, fixed: .unprocessableContent),
        "PUT /api/v1/me/password": Probe(path: "/api/v1/me/password", form: nil, json: #"{"current_password":"","password":"short"}"#, isListing: false, fixed: .unprocessableContent),
        "GET /api/v1/accounts": .api("/api/v1/accounts?parent_id={id}"),
        "POST /api/v1/accounts": .api("/api/v1/accounts", json: #"{"kind":"customer","parent_id":{id},"name":"Intruder","currency":"EUR","tax_rate":"0.10"}"#),
        "GET /api/v1/accounts/:id": .api("/api/v1/accounts/{id}"),
        "GET /api/v1/accounts/:id/users": .api("/api/v1/accounts/{id}/users"),
        "POST /api/v1/accounts/:id/users": .api("/api/v1/accounts/{id}/users", json: #"{"email":"intruder@x.test","password":"intruder-password","role":"admin"}"#),
        "GET /api/v1/plans": .listing("/api/v1/plans"),
        "POST /api/v1/plans": Probe(path: "/api/v1/plans", form: nil, json: #"{"currency":"USD","billing_type":"prepaid"}"#, isListing: false, fixed: .unprocessableContent),
        "GET /api/v1/plans/:id": .api("/api/v1/plans/{plan}"),
        "PATCH /api/v1/plans/:id": .api("/api/v1/plans/{plan}", json: #"{"name":"Hijacked"}"#),
        "POST /api/v1/plans/:id/switch-paths": .api("/api/v1/plans/{plan}/switch-paths", json: #"{"to_plan_id":{plan}}"#),
        "POST /api/v1/plans/:id/delegations": .api("/api/v1/plans/{plan}/delegations", json: #"{"reseller_id":{id}}"#),
        "GET /api/v1/price-lists/:seller/:plan": .api("/api/v1/price-lists/{id}/{plan}"),
        "PUT /api/v1/price-lists/:seller/:plan": .api("/api/v1/price-lists/{id}/{plan}", json: #"{"periods":[{"months":1,"fee":"1"}]}"#),
        "GET /plans": Probe(path: "/plans", form: nil, json: nil, isListing: true, staffOnly: true),
        "GET /plans/new": Probe(path: "/plans/new", form: nil, json: nil, isListing: true, staffOnly: true),
        "POST /plans": Probe(path: "/plans", form: ["name": "", "currency": "USD", "billing_type": "prepaid"], json: nil, isListing: false, staffOnly: true),
        "GET /plans/:id": Probe(path: "/plans/{plan}", form: nil, json: nil, isListing: false, staffOnly: true),
        "GET /plans/:id/edit": Probe(path: "/plans/{plan}/edit", form: nil, json: nil, isListing: false, staffOnly: true),
        "POST /plans/:id": Probe(path: "/plans/{plan}", form: ["name": "Hijacked", "currency": "EUR", "billing_type": "prepaid", "period_1": "on", "fee_1": "1"], json: nil, isListing: false, staffOnly: true),
        "POST /plans/:id/switch-paths": Probe(path: "/plans/{plan}/switch-paths", form: ["to_plan_id": "{plan}"], json: nil, isListing: false, staffOnly: true),
        "POST /plans/:id/delegations": Probe(path: "/plans/{plan}/delegations", form: ["reseller_id": "{id}"], json: nil, isListing: false, staffOnly: true),
        "GET /price-lists/:id": Probe(path: "/price-lists/{plan}", form: nil, json: nil, isListing: false, staffOnly: true),
        "POST /price-lists/:id": Probe(path: "/price-lists/{plan}", form: ["fee_1": "1"], json: nil, isListing: false, staffOnly: true),
        "GET /subscriptions": .listing("/subscriptions"),
        "GET /settings": Probe(path: "/settings", form: nil, json: nil, isListing: false, fixed: .forbidden),
        "GET /mail": Probe(path: "/mail", form: nil, json: nil, isListing: false, fixed: .forbidden),
        "GET /mail/:id": Probe(path: "/mail/20261203T174537.123Z-1a2b3c4d", form: nil, json: nil, isListing: false, fixed: .forbidden),
        "GET /mail/:id/eml": Probe(path: "/mail/20261203T174537.123Z-1a2b3c4d/eml", form: nil, json: nil, isListing: false, fixed: .forbidden),
        "POST /settings/clock": Probe(path: "/settings/clock", form: ["now": "2030-01-01T00:00"], json: nil, isListing: false, fixed: .forbidden),
        "GET /promo-codes": Probe(path: "/promo-codes", form: nil, json: nil, isListing: true, staffOnly: true),
        "POST /promo-codes": Probe(path: "/promo-codes", form: ["code": "X", "percent": "0", "valid_until": "2030-01-01"], json: nil, isListing: false, staffOnly: true),
        "GET /subscriptions/:id": .page("/subscriptions/{sub}"),
        "GET /subscriptions/:id/change": .page("/subscriptions/{sub}/change"),
        "GET /subscriptions/:id/estimate": .page("/subscriptions/{sub}/estimate?ram_gb=1"),
        "POST /subscriptions/:id/status": .page("/subscriptions/{sub}/status", form: ["status": "blocked"]),
        "POST /subscriptions/:id/usage": .page("/subscriptions/{sub}/usage", form: [:]),
        "GET /api/v1/clock": Probe(path: "/api/v1/clock", form: nil, json: nil, isListing: false, fixed: .ok),
        "PUT /api/v1/clock": Probe(path: "/api/v1/clock", form: nil, json: #"{"now":"2030-01-01T00:00:00Z"}"#, isListing: false, fixed: .forbidden),
        "POST /api/v1/subscriptions": .api("/api/v1/subscriptions", json: #"{"customer_id":{id},"plan_id":{plan},"period_months":1,"period_start":"2026-04-01"}"#),
        "GET /api/v1/subscriptions": .listing("/api/v1/subscriptions"),
        "GET /api/v1/subscriptions/:id": .api("/api/v1/subscriptions/{sub}"),
        "PATCH /api/v1/subscriptions/:id": .api("/api/v1/subscriptions/{sub}", json: #"{"status":"blocked"}"#),
        "PUT /api/v1/subscriptions/:id/usage": .api("/api/v1/subscriptions/{sub}/usage", json: #"{}"#),
        "POST /api/v1/subscriptions/:id/quotes": .api("/api/v1/subscriptions/{sub}/quotes", json: #"{"resources":[]}"#),
        "POST /api/v1/promo-codes": Probe(path: "/api/v1/promo-codes", form: nil, json: #"{"code":"X","percent":"0","valid_until":"2030-01-01"}"#, isListing: false),
        "GET /api/v1/promo-codes": .listing("/api/v1/promo-codes"),
        "POST /subscriptions/:id/orders": .page("/subscriptions/{sub}/orders", form: ["idempotency_key": "probe"]),
        "GET /orders": .listing("/orders"),
        "GET /orders/:id": .page("/orders/{order}"),
        "POST /orders/:id/cancel": .page("/orders/{order}/cancel", form: [:]),
        "GET /invoices": .listing("/invoices"),
        "GET /invoices/:id": .page("/invoices/{invoice}"),
        "GET /invoices/:id/pay": .page("/invoices/{invoice}/pay"),
        "GET /invoices/:id/pdf": .page("/invoices/{invoice}/pdf"),
        "POST /invoices/:id/payments": .page("/invoices/{invoice}/payments", form: ["method": "card", "card_number": "4242424242424242"]),
        "GET /payments": .listing("/payments"),
        "GET /accounts/:id/credit": .page("/accounts/{id}/credit"),
        "POST /accounts/:id": .page("/accounts/{id}", form: ["name": "Hijacked", "tax_rate": "0.10"]),
        "POST /accounts/:id/status": .page("/accounts/{id}/status", form: ["status": "suspended"]),
        "POST /accounts/:id/credit-adjustments": .page("/accounts/{id}/credit-adjustments", form: ["amount": "5", "reason": "Intruder"]),
        "PATCH /api/v1/accounts/:id": .api("/api/v1/accounts/{id}", json: #"{"name":"Hijacked","status":"suspended"}"#),
        "POST /api/v1/accounts/:id/credit-adjustments": .api("/api/v1/accounts/{id}/credit-adjustments", json: #"{"amount":"5","reason":"Intruder"}"#),
        "POST /settings/connector-rules": Probe(path: "/settings/connector-rules", form: ["resource_code": "x", "fail_provisioning": "on"], json: nil, isListing: false, fixed: .forbidden),
        "POST /api/v1/subscriptions/:id/orders": .api("/api/v1/subscriptions/{sub}/orders", json: #"{"resources":[]}"#),
        "GET /api/v1/orders": .listing("/api/v1/orders"),
        "GET /api/v1/orders/:id": .api("/api/v1/orders/{order}"),
        "POST /api/v1/orders/:id/cancel": .api("/api/v1/orders/{order}/cancel"),
        "GET /api/v1/invoices": .listing("/api/v1/invoices"),
        "GET /api/v1/invoices/:id": .api("/api/v1/invoices/{invoice}"),
        "GET /api/v1/invoices/:id/pdf": .api("/api/v1/invoices/{invoice}/pdf"),
        "POST /api/v1/invoices/:id/payments": .api("/api/v1/invoices/{invoice}/payments", json: #"{"method":"bank_transfer"}"#),
        "GET /api/v1/payments": .listing("/api/v1/payments"),
        "GET /api/v1/accounts/:id/credit": .api("/api/v1/accounts/{id}/credit"),
        "POST /restrictions": .page("/restrictions", form: ["account_id": "{id}", "reason": "Intruder"]),
        "GET /restrictions": Probe(path: "/restrictions", form: nil, json: nil, isListing: true, staffOnly: true),
        "POST /restrictions/:id/lift": .page("/restrictions/{restriction}/lift", form: [:]),
        "POST /restriction-exceptions": Probe(path: "/restriction-exceptions", form: ["plan_id": "{plan}"], json: nil, isListing: false, staffOnly: true),
        "POST /restriction-exceptions/:id/delete": Probe(path: "/restriction-exceptions/{exception}/delete", form: [:], json: nil, isListing: false, staffOnly: true),
        "GET /reseller-charges": Probe(path: "/reseller-charges", form: nil, json: nil, isListing: true, staffOnly: true),
        // "Export CSV" of each list page (issue 16): a foreign filter is an empty file or 404, never a foreign row.
        "GET /subscriptions/export": .listing("/subscriptions/export?customer_id={id}"),
        "GET /accounts/export": .page("/accounts/export?parent_id={id}"),
        "GET /orders/export": .listing("/orders/export?customer_id={id}"),
        "GET /invoices/export": .listing("/invoices/export?customer_id={id}"),
        "GET /payments/export": .listing("/payments/export?customer_id={id}"),
        "GET /accounts/:id/credit/export": .page("/accounts/{id}/credit/export"),
        "GET /reseller-charges/export": Probe(path: "/reseller-charges/export?reseller_id={id}", form: nil, json: nil, isListing: false, staffOnly: true),
        "GET /audit/export": .page("/audit/export?account_id={id}"),
        "POST /api/v1/restrictions": .api("/api/v1/restrictions", json: #"{"account_id":{id},"reason":"Intruder"}"#),
        "GET /api/v1/restrictions": .listing("/api/v1/restrictions"),
        "GET /api/v1/restrictions/:id": .api("/api/v1/restrictions/{restriction}"),
        "DELETE /api/v1/restrictions/:id": .api("/api/v1/restrictions/{restriction}"),
        "POST /api/v1/restriction-exceptions": Probe(path: "/api/v1/restriction-exceptions", form: nil, json: #"{"plan_id":{plan}}"#, isListing: false, staffOnly: true),
        "GET /api/v1/restriction-exceptions": Probe(path: "/api/v1/restriction-exceptions", form: nil, json: nil, isListing: true, staffOnly: true),
        "DELETE /api/v1/restriction-exceptions/:id": Probe(path: "/api/v1/restriction-exceptions/{exception}", form: nil, json: nil, isListing: false, staffOnly: true),
        "GET /api/v1/accounts/:id/reseller-charges": .api("/api/v1/accounts/{id}/reseller-charges"),
        "GET /webhooks": .listing("/webhooks"),
        "POST /webhooks": .page("/webhooks", form: ["url": "ftp://not-http", "event_invoice_issued": "on"]),
        "POST /webhooks/:id/delete": .page("/webhooks/{webhook}/delete", form: [:]),
        "GET /webhooks/:id/deliveries": .page("/webhooks/{webhook}/deliveries"),
        "GET /api/v1/webhooks": .listing("/api/v1/webhooks"),
        "POST /api/v1/webhooks": .api("/api/v1/webhooks", json: #"{"url":"ftp://not-http","events":["invoice_issued"]}"#),
        "GET /api/v1/webhooks/:id": .api("/api/v1/webhooks/{webhook}"),
        "DELETE /api/v1/webhooks/:id": .api("/api/v1/webhooks/{webhook}"),
        "GET /api/v1/webhooks/:id/deliveries": .api("/api/v1/webhooks/{webhook}/deliveries"),
        "POST /api/v1/orders": .api("/api/v1/orders", json: #"{"kind":"sales","customer_id":{id},"plan_id":{plan},"period_months":1}"#),
        "POST /api/v1/subscriptions/:id/cancel": .api("/api/v1/subscriptions/{sub}/cancel", json: #"{"when":"now"}"#),
        "PUT /api/v1/subscriptions/:id/scheduled-change": .api("/api/v1/subscriptions/{sub}/scheduled-change", json: #"{"resources":[]}"#),
        "DELETE /api/v1/subscriptions/:id/scheduled-change": .api("/api/v1/subscriptions/{sub}/scheduled-change"),
        "POST /api/v1/billing-runs": Probe(path: "/api/v1/billing-runs", form: nil, json: nil, isListing: false, fixed: .forbidden),
        "GET /api/v1/billing-runs": Probe(path: "/api/v1/billing-runs", form: nil, json: nil, isListing: false, fixed: .forbidden),
        "POST /subscriptions/:id/cancel": .page("/subscriptions/{sub}/cancel", form: ["when": "now"]),
        "POST /subscriptions/:id/schedule": .page("/subscriptions/{sub}/schedule", form: [:]),
        "GET /subscriptions/new": .page("/subscriptions/new?customer_id={id}"),
        "POST /subscriptions/new": .page("/subscriptions/new", form: ["customer_id": "{id}", "plan_id": "{plan}", "period_months": "1", "idempotency_key": "probe"]),
        "GET /billing-runs": Probe(path: "/billing-runs", form: nil, json: nil, isListing: false, fixed: .forbidden),
        "POST /billing-runs": Probe(path: "/billing-runs", form: [:], json: nil, isListing: false, fixed: .forbidden),
        "GET /api/v1/connectors/test/rules": Probe(path: "/api/v1/connectors/test/rules", form: nil, json: nil, isListing: false, fixed: .notFound),
        "PUT /api/v1/connectors/test/rules": Probe(path: "/api/v1/connectors/test/rules", form: nil, json: #"{"resource_code":"x","fail_provisioning":true}"#, isListing: false, fixed: .notFound),
        "GET /catalog/currencies": .catalogPage("/catalog/currencies"),
        "POST /catalog/currencies": .catalogPage("/catalog/currencies", form: ["code": "XTS", "name": "Test", "exponent": "2"]),
        "POST /catalog/currency-rates": .catalogPage("/catalog/currency-rates", form: ["from": "USD", "to": "EUR", "rate": "0.9"]),
        "GET /catalog/resources": .catalogPage("/catalog/resources"),
        "POST /catalog/resources": .catalogPage("/catalog/resources", form: ["code": "x", "name": "X", "unit": "u", "kind": "quantity", "min_units": "0", "max_units": "1"]),
        "GET /catalog/resources/:id": .catalogPage("/catalog/resources/1"),
        "POST /catalog/resources/:id": .catalogPage("/catalog/resources/1", form: ["name": "X", "unit": "u", "min_units": "0", "max_units": "1"]),
        "POST /catalog/resources/:id/delete": .catalogPage("/catalog/resources/1/delete"),
        "POST /catalog/currencies/:code": .catalogPage("/catalog/currencies/USD", form: ["name": "Renamed"]),
        "PATCH /api/v1/resources/:id": .catalogAPI("/api/v1/resources/1", json: #"{"name":"X"}"#, readable: false),
        "DELETE /api/v1/resources/:id": .catalogAPI("/api/v1/resources/1", readable: false),
        "PATCH /api/v1/currencies/:code": .catalogAPI("/api/v1/currencies/USD", json: #"{"name":"Renamed"}"#, readable: false),
        "GET /catalog/resource-upgrades": .catalogPage("/catalog/resource-upgrades"),
        "POST /catalog/resource-upgrades": .catalogPage("/catalog/resource-upgrades", form: ["from_resource_id": "1", "to_resource_id": "2"]),
        "POST /catalog/resource-upgrades/:id": .catalogPage("/catalog/resource-upgrades/1", form: ["field": "active", "value": "0"]),
        "GET /api/v1/currencies": .catalogAPI("/api/v1/currencies", readable: true),
        "POST /api/v1/currencies": .catalogAPI("/api/v1/currencies", json: #"{"code":"XTS","exponent":2,"name":"Test"}"#, readable: false),
        "GET /api/v1/currency-rates": .catalogAPI("/api/v1/currency-rates", readable: true),
        "POST /api/v1/currency-rates": .catalogAPI("/api/v1/currency-rates", json: #"{"from":"USD","to":"EUR","rate":"0.9"}"#, readable: false),
        "GET /api/v1/resources": .catalogAPI("/api/v1/resources", readable: true),
        "POST /api/v1/resources": .catalogAPI("/api/v1/resources", json: #"{"code":"x","name":"X","unit":"u","kind":"quantity"}"#, readable: false),
        "GET /api/v1/resources/:id": .catalogAPI("/api/v1/resources/0", readable: false),
        "GET /api/v1/resource-upgrades": .catalogAPI("/api/v1/resource-upgrades", readable: true),
        "POST /api/v1/resource-upgrades": .catalogAPI("/api/v1/resource-upgrades", json: #"{"from_resource_id":1,"to_resource_id":2}"#, readable: false),
        "PATCH /api/v1/resource-upgrades/:id": .catalogAPI("/api/v1/resource-upgrades/1", json: #"{"active":false}"#, readable: false),
    ]

    static func routeKey(_ method: String, _ path: String) -> String {
        let normalized = "/" + path.split(separator: "/").map { $0.hasPrefix("{") && $0.hasSuffix("}") ? ":" + $0.dropFirst().dropLast() : String($0) }.joined(separator: "/")
        return "\(method) \(normalized == "/" ? "/" : normalized)"
    }

    func testEveryRouteIsProbedAndForeignIdsAnswer404ChangingNothing() async throws {
        let database = try await TestDatabase.application()
        let router = try await buildRouter(configuration: TestConsole.configuration(), database: database, logger: TestDatabase.logger("routes"))
        let routes = router.routes.map { Self.routeKey($0.method.rawValue, $0.path.description) }
        let unprobed = routes.filter { !Self.publicRoutes.contains($0) && Self.probes[$0] == nil }
        XCTAssertEqual(unprobed, [], "every protected route needs a tenancy probe")
        let stale = Set(Self.probes.keys).subtracting(routes)
        XCTAssertEqual(stale, [], "probes for routes that no longer exist")

        try await withConsole { client, fixture, database in
            // Users of Reseller One's subtree (R1 and C1, every role) aim at Reseller Two's subtree.
            let actors = ["r1.admin", "r1.operator", "r1.viewer", "c1.admin", "c1.operator", "c1.viewer"]
            let foreign = [fixture.r2, fixture.c2]
            let api = APIClient(client: client)
            // A plan of Reseller Two, delegated nowhere: another tenant's plan.
            let r2 = try await api.token(fixture.users["r2.admin"]!)
            let foreignPlan = try await api.call(.post, "/api/v1/plans", token: r2, json: #"{"name":"Two's Plan","currency":"EUR","billing_type":"prepaid","periods":[{"months":1,"fee":"10"}]}"#)
            XCTAssertEqual(foreignPlan.status, .created, foreignPlan.text)
            let planID = String(try XCTUnwrap(foreignPlan.json["id"] as? Int))
            let foreignSubscription = try await api.call(.post, "/api/v1/subscriptions", token: r2, json: #"{"customer_id":\#(fixture.c2.id),"plan_id":\#(planID),"period_months":1,"period_start":"2026-04-01","status":"active"}"#)
            XCTAssertEqual(foreignSubscription.status, .created, foreignSubscription.text)
            let subscriptionID = String(try XCTUnwrap(foreignSubscription.json["id"] as? Int))
            // An order of Reseller Two's customer awaiting payment, with its invoice: a switch to a dearer plan.
            let foreignGold = try await api.call(.post, "/api/v1/plans", token: r2, json: #"{"name":"Two's Gold","currency":"EUR","billing_type":"prepaid","periods":[{"months":1,"fee":"20"}]}"#)
            let goldID = try XCTUnwrap(foreignGold.json["id"] as? Int)
            let path = try await api.call(.post, "/api/v1/plans/\(planID)/switch-paths", token: r2, json: #"{"to_plan_id":\#(goldID)}"#)
            XCTAssertEqual(path.status, .created, path.text)
            let foreignOrder = try await api.call(.post, "/api/v1/subscriptions/\(subscriptionID)/orders", token: r2, json: #"{"plan":{"plan_id":\#(goldID)}}"#)
            XCTAssertEqual(foreignOrder.status, .created, foreignOrder.text)
            let orderID = String(try XCTUnwrap(foreignOrder.json["id"] as? Int))
            let invoiceID = String(try XCTUnwrap(foreignOrder.json["invoice_id"] as? Int))
            // Reseller Two restricts its customer and keeps its plan on its exceptions list.
            let foreignRestriction = try await api.call(.post, "/api/v1/restrictions", token: r2, json: #"{"account_id":\#(fixture.c2.id),"reason":"Two's reason"}"#)
            XCTAssertEqual(foreignRestriction.status, .created, foreignRestriction.text)
            let restrictionID = String(try XCTUnwrap(foreignRestriction.json["id"] as? Int))
            let foreignException = try await api.call(.post, "/api/v1/restriction-exceptions", token: r2, json: #"{"plan_id":\#(planID)}"#)
            XCTAssertEqual(foreignException.status, .created, foreignException.text)
            let exceptionID = String(try XCTUnwrap(foreignException.json["id"] as? Int))
            // Reseller Two's webhook.
            let foreignWebhook = try await api.call(.post, "/api/v1/webhooks", token: r2, json: #"{"url":"https://two.example/hook","events":["invoice_issued"]}"#)
            XCTAssertEqual(foreignWebhook.status, .created, foreignWebhook.text)
            let webhookID = String(try XCTUnwrap(foreignWebhook.json["id"] as? Int))
            func aim(_ text: String, _ target: Account) -> String {
                text.replacingOccurrences(of: "{id}", with: String(target.id)).replacingOccurrences(of: "{plan}", with: planID)
                    .replacingOccurrences(of: "{sub}", with: subscriptionID).replacingOccurrences(of: "{order}", with: orderID)
                    .replacingOccurrences(of: "{invoice}", with: invoiceID).replacingOccurrences(of: "{restriction}", with: restrictionID)
                    .replacingOccurrences(of: "{exception}", with: exceptionID).replacingOccurrences(of: "{webhook}", with: webhookID)
                    .replacingOccurrences(of: "{user}", with: String(fixture.userIDs[target.id == fixture.r2.id ? "r2.admin" : "c2.admin"]!))
            }
            var checked = 0
            for key in actors {
                let email = fixture.users[key]!
                let browser = Browser(client)
                _ = try await browser.signIn(email)
                let token = try await api.token(email)
                let before = try await snapshot(database)
                for (route, probe) in Self.probes.sorted(by: { $0.key < $1.key }) {
                    let method = HTTPRequest.Method(rawValue: String(route.split(separator: " ")[0]))!
                    for target in foreign {
                        let path = aim(probe.path, target)
                        let response: TestResponse
                        if route.contains(" /api/") {
                            response = try await api.call(method, path, token: token, json: probe.json.map { aim($0, target) })
                        } else if method == .post {
                            response = try await browser.post(path, (probe.form ?? [:]).mapValues { aim($0, target) })
                        } else {
                            response = try await browser.get(path)
                        }
                        if probe.staffOnly && key.hasPrefix("c1") && route != "POST /promo-codes" {
                            XCTAssertEqual(response.status, .forbidden, "\(key) \(route): plans are the staff's")
                        } else if route == "POST /api/v1/promo-codes" || route == "POST /promo-codes" {
                            // Names nothing foreign: a 0 % code is refused for admins of staff; others may not create codes.
                            XCTAssertEqual(response.status, key == "r1.admin" ? .unprocessableContent : .forbidden, "\(key) \(route)")
                        } else if probe.staffOnly && route == "POST /plans" {
                            // Creating names nothing foreign: an empty name is refused (admins) or the role may not (others).
                            XCTAssertEqual(response.status, key == "r1.admin" ? .unprocessableContent : .forbidden, "\(key) \(route)")
                        } else if route == "POST /webhooks" || route == "POST /api/v1/webhooks" {
                            // Names nothing foreign (a webhook is the caller's own account's): a bad address is refused (admins) or the role may not (others).
                            XCTAssertEqual(response.status, key.hasSuffix(".admin") ? .unprocessableContent : .forbidden, "\(key) \(route)")
                        } else if let expected = probe.fixed {
                            XCTAssertEqual(response.status, expected, "\(key) \(route)")
                        } else if let expected = probe.catalog {
                            // `GET /api/v1/resources/0` names no resource: 404 is the honest answer to anyone.
                            let status: HTTPResponse.Status = path.hasSuffix("/resources/0") ? .notFound : expected
                            XCTAssertEqual(response.status, status, "\(key) \(route)")
                        } else if probe.isListing {
                            XCTAssertEqual(response.status, .ok, "\(key) \(route)")
                            XCTAssertFalse(response.text.contains(target.name), "\(key) \(route) shows \(target.name)")
                            XCTAssertFalse(response.text.contains("Two's Plan"), "\(key) \(route) shows another tenant's plan")
                        } else {
                            XCTAssertEqual(response.status, .notFound, "\(key) \(route) → \(path)")
                        }
                        checked += 1
                    }
                }
                let after = try await snapshot(database)
                XCTAssertEqual(before, after, "\(key) changed something outside its subtree")
            }
            print("TENANCY MATRIX foreign: \(Self.probes.count) routes × \(actors.count) tier-roles × \(foreign.count) foreign accounts = \(checked) requests")
        }
    }

    func testRolesThatMayNotChangeAnythingGet403AndChangeNothing() async throws {
        try await withConsole { client, fixture, database in
            let api = APIClient(client: client)
            // Inside their own subtree: viewers and operators may not create accounts or users;
            // customers may not create accounts at all.
            let cases: [(actor: String, target: Account)] = [
                ("p.viewer", fixture.r1), ("p.operator", fixture.r1), ("r1.viewer", fixture.r1), ("r1.operator", fixture.r1a),
                ("c1.viewer", fixture.c1), ("c1.operator", fixture.c1),
            ]
            let before = try await snapshot(database)
            var checked = 0
            for (key, target) in cases {
                let email = fixture.users[key]!
                let browser = Browser(client)
                _ = try await browser.signIn(email)
                let token = try await api.token(email)
                let id = String(target.id)
                let responses = [
                    try await browser.post("/accounts/\(id)/users", ["email": "new-\(key)@x.test", "role": "viewer", "password": "a-long-password"]),
                    try await browser.get("/accounts/\(id)/users/new"),
                    try await api.call(.post, "/api/v1/accounts/\(id)/users", token: token, json: #"{"email":"n-\#(key)@x.test","password":"a-long-password","role":"viewer"}"#),
                    // Edit, suspend, close and credit by hand: admins of an ancestor only.
                    try await api.call(.patch, "/api/v1/accounts/\(id)", token: token, json: #"{"name":"By \#(key)","status":"suspended"}"#),
                    try await browser.post("/accounts/\(id)", ["name": "By \(key)", "tax_rate": "0.10"]),
                    try await browser.post("/accounts/\(id)/status", ["status": "closed"]),
                    try await api.call(.post, "/api/v1/accounts/\(id)/credit-adjustments", token: token, json: #"{"amount":"5","reason":"By \#(key)"}"#),
                    try await browser.post("/accounts/\(id)/credit-adjustments", ["amount": "5", "reason": "By \(key)"]),
                ] + (target.kind == .customer && key.hasPrefix("c1") ? [
                    try await api.call(.post, "/api/v1/accounts", token: token, json: #"{"kind":"customer","parent_id":\#(id),"name":"Child","currency":"USD"}"#),
                ] : [
                    try await browser.post("/accounts", ["kind": "customer", "parent_id": id, "name": "By \(key)", "currency": "USD", "tax_rate": "0"]),
                    try await browser.get("/accounts/new?kind=customer&parent_id=\(id)"),
                    try await api.call(.post, "/api/v1/accounts", token: token, json: #"{"kind":"customer","parent_id":\#(id),"name":"By api","currency":"USD"}"#),
                ])
                for response in responses {
                    XCTAssertEqual(response.status, .forbidden, "\(key) on \(target.name): \(response.text.prefix(200))")
                    checked += 1
                }
            }
            let after = try await snapshot(database)
            XCTAssertEqual(before, after)
            print("TENANCY MATRIX roles: \(checked) refused requests")
        }
    }

    func testProviderSeesEverySubtreeAndResellerSeesOnlyItsOwn() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let provider = try await api.token(fixture.users["p.admin"]!)
            let all = try await api.call(.get, "/api/v1/accounts?limit=200", token: provider)
            let names = Set(((all.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
            XCTAssertEqual(names, ["Reseller One", "Reseller One A", "Customer One", "Reseller Two", "Customer Two"])

            let reseller = try await api.token(fixture.users["r1.operator"]!)
            let own = try await api.call(.get, "/api/v1/accounts", token: reseller)
            let ownNames = Set(((own.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
            XCTAssertEqual(ownNames, ["Reseller One A", "Customer One"])
            // The provider's own account is above R1: outside its subtree too.
            let observed1 = try await api.call(.get, "/api/v1/accounts/\(fixture.provider.id)", token: reseller).status
            XCTAssertEqual(observed1, .notFound)
        }
    }
}
