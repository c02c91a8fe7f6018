import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import MariaDB
import Storage
import TestSupport
import XCTest

/// QuoteWorld plus what the fuzzer needs to reach every handler past its 404: an open order and
/// its invoice, a resource pair, a restriction and an exception, and one signed-in actor per role.
struct FuzzWorld {
    let quotes: QuoteWorld
    let subscriptionID: Int
    /// (role, bearer token): provider admin, reseller admin, customer admin, customer viewer.
    let tokens: [(role: String, token: String)]
    let emails: [(role: String, email: String)]
    let resources: [String: Int]
    let pairID: Int
    let orderID: Int
    let invoiceID: Int
    let restrictionID: Int
    let exceptionID: Int

    var fixture: TenancyFixture { quotes.fixture }

    static func make(_ w: QuoteWorld, subscriptionID: Int) async throws -> FuzzWorld {
        let api = w.api
        let viewer = try await api.token(w.fixture.users["c1.viewer"]!)
        var resources: [String: Int] = [:]
        for item in try await api.call(.get, "/api/v1/resources", token: w.provider).json["items"] as? [[String: Any]] ?? [] {
            if let code = item["code"] as? String, let id = item["id"] as? Int { resources[code] = id }
        }
        let pairs = try await api.call(.get, "/api/v1/resource-upgrades?resource_id=\(resources["support_basic"]!)", token: w.provider).json["items"] as? [[String: Any]]
        // The open order and its invoice sit on a second subscription, so the first stays free to order on.
        let second = try await api.call(.post, "/api/v1/subscriptions", token: w.reseller, json: #"""
            {"customer_id":\#(w.fixture.c1.id),"plan_id":\#(w.plans["Gold"]!),"period_months":1,"period_start":"2026-04-11","status":"active"}
            """#)
        XCTAssertEqual(second.status, .created, second.text)
        let order = try await api.call(.post, "/api/v1/subscriptions/\(try XCTUnwrap(second.json["id"] as? Int))/orders", token: w.customer,
                                       json: #"{"resources":[{"resource_code":"ram_gb","additional":3}]}"#)
        XCTAssertEqual(order.status, .created, order.text)
        let restriction = try await api.call(.post, "/api/v1/restrictions", token: w.provider, json: #"{"account_id":\#(w.fixture.c2.id),"reason":"Fuzz"}"#)
        XCTAssertEqual(restriction.status, .created, restriction.text)
        let exception = try await api.call(.post, "/api/v1/restriction-exceptions", token: w.reseller, json: #"{"plan_id":\#(w.plans["Gold"]!)}"#)
        XCTAssertEqual(exception.status, .created, exception.text)
        let promo = try await api.call(.post, "/api/v1/promo-codes", token: w.reseller, json: #"{"code":"FUZZ10","percent":"10","valid_until":"2027-12-31"}"#)
        XCTAssertEqual(promo.status, .created, promo.text)
        let roles = [("provider admin", "p.admin"), ("reseller admin", "r1.admin"), ("customer admin", "c1.admin"), ("customer viewer", "c1.viewer")]
        return FuzzWorld(
            quotes: w, subscriptionID: subscriptionID,
            tokens: [("provider admin", w.provider), ("reseller admin", w.reseller), ("customer admin", w.customer), ("customer viewer", viewer)],
            emails: roles.map { ($0.0, w.fixture.users[$0.1]!) },
            resources: resources, pairID: try XCTUnwrap(pairs?.first?["id"] as? Int), orderID: try XCTUnwrap(order.json["id"] as? Int),
            invoiceID: try XCTUnwrap(order.json["invoice_id"] as? Int), restrictionID: try XCTUnwrap(restriction.json["id"] as? Int),
            exceptionID: try XCTUnwrap(exception.json["id"] as? Int))
    }

    /// Forgets failed sign-ins, so fuzzing the sign-in checks every value rather than waiting out the
    /// throttle's growing delays (5 failures) and then meeting only its 429 (10).
    static func forgetSignInFailures() async throws {
        let pool = MariaDBConnectionPool(configuration: TestDatabase.configuration(database: TestDatabase.applicationDatabaseName), logger: TestDatabase.logger("fuzz"))
        try await MariaDBDatabase(pool: pool, logger: TestDatabase.logger("fuzz")).query("DELETE FROM signin_failures")
        await pool.shutdown()
    }

    /// The world's value for a body field, by name and path, that the handler takes; `nil` leaves it to the schema.
    func known(_ name: String, in path: String) -> FuzzJSON? {
        switch (name, path) {
        case ("code", "/api/v1/currencies"): return .string("XFZ")
        case ("code", "/api/v1/resources"): return .string("fuzz_bundle")
        case ("code", "/api/v1/promo-codes"): return .string("FUZZ10")
        case ("kind", "/api/v1/resources"): return .string("composite")
        case ("components", _): return .array([.object([(key: "resource_id", value: .literal(String(resources["ram_gb"]!))), (key: "amount", value: .literal("2"))])])
        case ("account_id", "/api/v1/restrictions"): return .literal(String(fixture.r1a.id))
        default: break
        }
        return switch name {
        case "resource_id": .literal(String(resources["ram_gb"]!))
        case "from_resource_id": .literal(String(resources["support_basic"]!))
        case "to_resource_id": .literal(String(resources["support_premium"]!))
        case "resource_code", "ram_gb": name == "ram_gb" ? .literal("3") : .string("ram_gb")
        case "from_resource_code": .string("support_basic")
        case "to_resource_code": .string("support_premium")
        case "plan_id", "to_plan_id": .literal(String(quotes.plans["Gold"]!))
        case "customer_id": .literal(String(fixture.c1.id))
        case "reseller_id", "seller_id", "parent_id": .literal(String(fixture.r1.id))
        case "account_id": .literal(String(fixture.c2.id))
        case "subscription_id": .literal(String(subscriptionID))
        case "invoice_id": .literal(String(invoiceID))
        case "currency", "from": .string("USD")
        case "to": .string("EUR")
        case "period_months", "months": .literal("1")
        case "now": .string("2026-04-26T09:00:00Z")
        // A user's, so a wrong password is checked against a real (cheap, test-cost) hash.
        case "email": .string(fixture.users["r1.operator"]!)
        case "contact_email", "support_email": .string("fuzz@x.test")
        case "promo_code": .string("FUZZ10")
        case "exponent": .literal("2")
        case "connector": .string("test")
        case "additional": .literal("4")
        case "active": .literal("true")
        case "method": .string("card")
        case "password": .string("fuzz-password-123")
        // Never the right one: the fuzzer must not change the passwords it signs in with.
        case "current_password": .string("not-the-password-1")
        case "card_number": .string("4242424242424242")
        // Cancelling is fuzzed last; its sample takes a cancellation back rather than cancelling.
        case "when": .string("none")
        case "limit": .literal("10")
        default: nil
        }
    }

    /// A path parameter of an API path: the world's object for the segment before it.
    func pathValue(_ parameter: String, in path: String) -> String {
        switch parameter {
        case "seller": return String(fixture.r1.id)
        case "plan": return String(quotes.plans["Silver"]!)
        case "code": return "USD"
        default: break
        }
        let segments = path.split(separator: "/")
        let before = segments.firstIndex(where: { $0 == "{\(parameter)}" }).flatMap { $0 > 0 ? String(segments[$0 - 1]) : nil } ?? ""
        switch before {
        case "accounts": return String(fixture.c1.id)
        case "resources": return String(resources["ram_gb"]!)
        case "resource-upgrades": return String(pairID)
        case "plans", "price-lists": return String(quotes.plans["Silver"]!)
        case "subscriptions": return String(subscriptionID)
        case "orders": return String(orderID)
        case "invoices": return String(invoiceID)
        case "restrictions": return String(restrictionID)
        case "restriction-exceptions": return String(exceptionID)
        case "users": return String(fixture.userIDs["r1.operator"]!)
        case "currencies": return "USD"
        default: return "1"
        }
    }
}
