import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import MariaDB
import NIOConcurrencyHelpers
import Storage
import TestSupport
import XCTest

/// A list costs the same statements whatever its row count (issue "Performance"): rows, then their
/// children in one query. Every list of the API and of the pages is asked at 5 rows and at 50, and
/// must cost the same; a list that went back to one query per row costs 45 more at 50.
final class ListStatementCountTests: XCTestCase {
    func testEveryListCostsTheSameStatementsAt5And50Rows() async throws {
        try await withListWorld { world in
            try await world.grow(to: 5)
            let atFive = try await world.costs()
            try await world.grow(to: 50)
            let atFifty = try await world.costs()
            var table = ["| route | as | at 5 rows | at 50 rows |", "|---|---|---|---|"]
            for route in world.routes {
                let five = atFive[route.id]!, fifty = atFifty[route.id]!
                table.append("| \(route.path) | \(route.who) | \(five.statements) | \(fifty.statements) |")
                XCTAssertEqual(five.statements, fifty.statements, "\(route.id): \(five.statements) statements at 5 rows, \(fifty.statements) at 50")
                XCTAssertGreaterThan(five.statements, 0, "\(route.id): the driver's statement log is what the test counts; nothing was counted")
                XCTAssertGreaterThanOrEqual(fifty.rows, route.rowsAtFifty, "\(route.id) shows \(fifty.rows) rows at 50: the test would prove nothing")
            }
            print("STATEMENTS per list request\n" + table.joined(separator: "\n"))
            // The plan list reads its prices, pairs and switch paths for all plans at once: each item is still the plan's own page.
            for token in [world.provider, world.reseller] {
                let listed = try await world.api.call(.get, "/api/v1/plans", token: token).json["items"] as? [[String: Any]] ?? []
                XCTAssertFalse(listed.isEmpty)
                for item in listed.prefix(3) {
                    let shown = try await world.api.call(.get, "/api/v1/plans/\(item["id"] as? Int ?? 0)", token: token).json
                    XCTAssertEqual(NSDictionary(dictionary: item), NSDictionary(dictionary: shown), "plan \(item["id"] ?? "?") listed as it is shown")
                }
            }
        }
    }

    func testAListThatReadsOneRowAtATimeIsCaught() async throws {
        // The counter itself: a request that reads each row alone costs one statement more per row.
        try await withListWorld { world in
            try await world.grow(to: 5)
            let before = world.counter.count
            for id in try await world.database.rows("SELECT id FROM subscriptions").map({ try $0.decode(column: "id", as: Int64.self) }) {
                _ = try await world.countedDatabase.rows("SELECT id FROM subscriptions WHERE id = ?", [.int(id)])
            }
            XCTAssertEqual(world.counter.count - before, 11, "one statement for each subscription: two per grown unit and the world's own")
        }
    }
}

/// Counts the statements the console sends, from the driver's debug log (one `debug` entry with
/// `binds` per statement): exact for the app under test, whatever else the shared server runs.
final class StatementCounter: LogHandler, @unchecked Sendable {
    private let counted = NIOLockedValueBox(0)
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    var count: Int { counted.withLockedValue { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        if event.level == .debug, event.metadata?["binds"] != nil { counted.withLockedValue { $0 += 1 } }
    }
}

/// A console whose database statements are counted, with the tenancy fixture, a plan Reseller One
/// sells (ram_gb, $10 a month) and the business clock on 2026-04-26.
final class ListWorld: @unchecked Sendable {
    struct Route {
        enum Caller { case api(String), page(Browser) }
        let path: String
        let who: String
        let caller: Caller
        /// At 50 rows, the list shows at least this many (25 on pages that show 25 at a time).
        let rowsAtFifty: Int
        var id: String { "\(who) \(path)" }
    }

    let api: APIClient
    let fixture: TenancyFixture
    let database: MariaDBDatabase
    let countedDatabase: MariaDBDatabase
    let counter: StatementCounter
    let provider: String, reseller: String, customer: String
    let providerPages: Browser, resellerPages: Browser, customerPages: Browser
    let ramID: Int
    let planID: Int
    private(set) var grown = 0
    private(set) var routes: [Route] = []

    init(client: any TestClientProtocol, fixture: TenancyFixture, database: MariaDBDatabase, countedDatabase: MariaDBDatabase, counter: StatementCounter) async throws {
        api = APIClient(client: client)
        self.fixture = fixture
        self.database = database
        self.countedDatabase = countedDatabase
        self.counter = counter
        provider = try await api.token(fixture.users["p.admin"]!)
        reseller = try await api.token(fixture.users["r1.admin"]!)
        customer = try await api.token(fixture.users["c1.admin"]!)
        providerPages = Browser(client)
        resellerPages = Browser(client)
        customerPages = Browser(client)
        for (browser, user) in [(providerPages, "p.admin"), (resellerPages, "r1.admin"), (customerPages, "c1.admin")] {
            let signedIn = try await browser.signIn(fixture.users[user]!)
            XCTAssertEqual(signedIn.status, .seeOther, signedIn.text)
        }
        ramID = try Self.created(try await api.call(.post, "/api/v1/resources", token: provider,
                                                    json: #"{"code":"ram_gb","name":"RAM","unit":"GB","kind":"quantity","min_units":0,"max_units":16}"#))
        planID = try Self.created(try await api.call(.post, "/api/v1/plans", token: provider, json: #"""
            {"name":"Base","currency":"USD","billing_type":"prepaid","periods":[{"months":1,"fee":"10"}],
             "resources":[{"resource_id":\#(ramID),"included":1,"min_units":1,"max_units":16,"recurring_fee":"2"}]}
            """#))
        let delegated = try await api.call(.post, "/api/v1/plans/\(planID)/delegations", token: provider, json: #"{"reseller_id":\#(fixture.r1.id)}"#)
        XCTAssertEqual(delegated.status, .created, delegated.text)
        let clock = try await api.call(.put, "/api/v1/clock", token: provider, json: #"{"now":"2026-04-26T09:00:00Z"}"#)
        XCTAssertEqual(clock.status, .ok, clock.text)
        // A subscription whose page is read too: a page reads each thing once, whatever its customer holds.
        let own = try Self.created(try await api.call(.post, "/api/v1/subscriptions", token: reseller, json: #"""
            {"customer_id":\#(fixture.c1.id),"plan_id":\#(planID),"period_months":1,"period_start":"2026-04-11","status":"active",
             "resources":[{"resource_code":"ram_gb","additional":1}]}
            """#))
        let c1 = fixture.c1.id, r1 = fixture.r1.id
        func asked(_ path: String, _ who: String, _ token: String, _ rows: Int = 50) -> Route { Route(path: path, who: who, caller: .api(token), rowsAtFifty: rows) }
        func shown(_ path: String, _ who: String, _ browser: Browser, _ rows: Int = 50) -> Route { Route(path: path, who: who, caller: .page(browser), rowsAtFifty: rows) }
        routes = [
            asked("/api/v1/accounts?limit=50", "provider", provider),
            asked("/api/v1/accounts/\(c1)/users", "provider", provider),
            asked("/api/v1/plans", "provider", provider),
            asked("/api/v1/resources", "provider", provider),
            asked("/api/v1/resource-upgrades", "provider", provider),
            asked("/api/v1/currencies", "provider", provider),
            asked("/api/v1/currency-rates", "provider", provider),
            asked("/api/v1/subscriptions?limit=50", "provider", provider),
            asked("/api/v1/subscriptions?limit=50", "reseller", reseller),
            asked("/api/v1/subscriptions?limit=50", "customer", customer),
            asked("/api/v1/orders?limit=50", "provider", provider),
            asked("/api/v1/orders?limit=50", "customer", customer),
            asked("/api/v1/invoices?limit=50", "provider", provider),
            asked("/api/v1/invoices?limit=50", "customer", customer),
            asked("/api/v1/payments?limit=50", "provider", provider),
            asked("/api/v1/payments?limit=50", "customer", customer),
            asked("/api/v1/accounts/\(c1)/credit?limit=50", "customer", customer),
            asked("/api/v1/accounts/\(r1)/reseller-charges?limit=50", "provider", provider),
            asked("/api/v1/restrictions?limit=50", "provider", provider),
            asked("/api/v1/restriction-exceptions", "provider", provider),
            asked("/api/v1/promo-codes", "reseller", reseller),
            asked("/api/v1/billing-runs", "provider", provider, 20),
            asked("/api/v1/audit?limit=50", "provider", provider),
            asked("/api/v1/audit?limit=50&account=Grown&user=admin", "provider", provider),
            asked("/api/v1/audit?limit=50", "customer", customer),
            shown("/dashboard", "provider", providerPages, 8),
            shown("/dashboard", "customer", customerPages, 8),
            shown("/accounts", "provider", providerPages, 25),
            shown("/accounts/\(c1)", "provider", providerPages),
            shown("/accounts/\(r1)", "provider", providerPages),
            shown("/audit", "provider", providerPages),
            shown("/audit?object_type=subscription&from=2000-01-01", "reseller", resellerPages),
            shown("/catalog/currencies", "provider", providerPages),
            shown("/catalog/resources", "provider", providerPages),
            shown("/catalog/resource-upgrades", "provider", providerPages),
            shown("/plans", "provider", providerPages),
            shown("/subscriptions", "provider", providerPages),
            shown("/subscriptions", "customer", customerPages),
            shown("/orders", "provider", providerPages, 25),
            shown("/orders", "customer", customerPages, 25),
            shown("/invoices", "provider", providerPages, 25),
            shown("/payments", "provider", providerPages, 25),
            shown("/accounts/\(c1)/credit", "customer", customerPages),
            shown("/restrictions", "provider", providerPages),
            shown("/reseller-charges", "reseller", resellerPages, 1),
            shown("/promo-codes", "reseller", resellerPages),
            shown("/billing-runs", "provider", providerPages, 20),
            shown("/subscriptions/\(own)", "customer", customerPages, 0),
            shown("/subscriptions/\(own)", "provider", providerPages, 0),
        ]
    }

    static func created(_ response: TestResponse) throws -> Int {
        XCTAssertEqual(response.status, .created, response.text)
        return try XCTUnwrap(response.json["id"] as? Int, response.text)
    }

    /// Adds rows until every list holds `count` of its kind (beyond what the fixture has): accounts,
    /// users, restrictions, resources and pairs, plans and exceptions, currencies and rates, promo
    /// codes, subscriptions with an order, an invoice and a card payment each, credit entries,
    /// reseller charges, billing runs, and the audit entries all of that writes.
    func grow(to count: Int) async throws {
        while grown < count {
            grown += 1
            let k = grown
            let account = try Self.created(try await api.call(.post, "/api/v1/accounts", token: provider,
                                                              json: #"{"kind":"customer","parent_id":\#(fixture.r1.id),"name":"Grown \#(k)","currency":"USD"}"#))
            _ = try Self.created(try await api.call(.post, "/api/v1/accounts/\(fixture.c1.id)/users", token: provider,
                                                    json: #"{"email":"grown\#(k)@c1.test","password":"\#(TenancyFixture.password)","role":"viewer"}"#))
            // A subscription of each grown customer too, so a staff list's rows belong to many customers
            // (a page reading each row's customer would cost one statement per customer).
            _ = try Self.created(try await api.call(.post, "/api/v1/subscriptions", token: reseller, json: #"""
                {"customer_id":\#(account),"plan_id":\#(planID),"period_months":1,"period_start":"2026-04-11","status":"active","resources":[]}
                """#))
            _ = try Self.created(try await api.call(.post, "/api/v1/restrictions", token: provider, json: #"{"account_id":\#(account),"reason":"grown \#(k)"}"#))
            var pair: [Int] = []
            for end in ["low", "high"] {
                pair.append(try Self.created(try await api.call(.post, "/api/v1/resources", token: provider,
                                                                json: #"{"code":"grown_\#(k)_\#(end)","name":"Grown \#(k) \#(end)","unit":"u","kind":"quantity","min_units":0,"max_units":1}"#)))
            }
            _ = try Self.created(try await api.call(.post, "/api/v1/resource-upgrades", token: provider,
                                                    json: #"{"from_resource_id":\#(pair[0]),"to_resource_id":\#(pair[1]),"downgradable":false,"upgrade_fee":"1"}"#))
            let plan = try Self.created(try await api.call(.post, "/api/v1/plans", token: provider, json: #"""
                {"name":"Grown \#(k)","currency":"USD","billing_type":"prepaid","periods":[{"months":1,"fee":"10"}],
                 "resources":[{"resource_id":\#(pair[0]),"included":0,"min_units":0,"max_units":1,"recurring_fee":"1"}]}
                """#))
            _ = try Self.created(try await api.call(.post, "/api/v1/restriction-exceptions", token: provider, json: #"{"plan_id":\#(plan)}"#))
            let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            let code = "Q\(letters[k / 26])\(letters[k % 26])"
            let currency = try await api.call(.post, "/api/v1/currencies", token: provider, json: #"{"code":"\#(code)","exponent":2,"name":"Grown \#(k)"}"#)
            XCTAssertEqual(currency.status, .created, currency.text)
            _ = try Self.created(try await api.call(.post, "/api/v1/currency-rates", token: provider,
                                                    json: #"{"from":"USD","to":"\#(code)","rate":"1.5","effective_from":"2026-01-01T00:00:00Z"}"#))
            _ = try Self.created(try await api.call(.post, "/api/v1/promo-codes", token: reseller, json: #"{"code":"GROWN\#(k)","percent":"10","valid_until":"2027-01-01"}"#))
            let subscription = try Self.created(try await api.call(.post, "/api/v1/subscriptions", token: reseller, json: #"""
                {"customer_id":\#(fixture.c1.id),"plan_id":\#(planID),"period_months":1,"period_start":"2026-04-11","status":"active",
                 "resources":[{"resource_code":"ram_gb","additional":1}]}
                """#))
            let order = try await api.call(.post, "/api/v1/subscriptions/\(subscription)/orders", token: customer, json: #"{"resources":[{"resource_code":"ram_gb","additional":2}]}"#)
            let orderID = try Self.created(order)
            let invoice = try XCTUnwrap(order.json["invoice_id"] as? Int, order.text)
            _ = try Self.created(try await api.call(.post, "/api/v1/invoices/\(invoice)/payments", token: customer,
                                                    json: #"{"method":"card","card_number":"4242424242424242"}"#))
            // Credit entries, reseller charges and billing runs come from the engine's later steps;
            // the lists only read them, so they are written directly.
            try await database.query(
                "INSERT INTO credit_entries (customer_id, customer_path, amount, currency, currency_exponent, reason, created_at) VALUES (?, ?, 100, 'USD', 2, ?, UTC_TIMESTAMP(6))",
                [.int(fixture.c1.id), .string(fixture.c1.path), .string("grown \(k)")])
            try await database.query(
                """
                INSERT INTO reseller_charges (order_id, reseller_id, reseller_path, parent_id, currency, currency_exponent, amount, sold, effective_date, created_at)
                VALUES (?, ?, ?, ?, 'USD', 2, 150, 200, '2026-04-26', UTC_TIMESTAMP(6))
                """, [.int(Int64(orderID)), .int(fixture.r1.id), .string(fixture.r1.path), .int(fixture.provider.id)])
            try await database.query("INSERT INTO billing_runs (business_date, started_at, finished_at, node) VALUES ('2026-04-26', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 'grown')")
        }
    }

    struct Cost {
        let statements: Int
        let rows: Int
    }

    /// Each route's statements (the least of three asks, so a session's occasional refresh doesn't
    /// count) and how many rows it showed.
    func costs() async throws -> [String: Cost] {
        var costs: [String: Cost] = [:]
        for route in routes {
            var least = Int.max
            var rows = 0
            for _ in 0..<3 {
                let before = counter.count
                let answer: TestResponse
                switch route.caller {
                case .api(let token): answer = try await api.call(.get, route.path, token: token)
                case .page(let browser): answer = try await browser.get(route.path)
                }
                least = min(least, counter.count - before)
                XCTAssertEqual(answer.status, .ok, "\(route.id): \(answer.text.prefix(500))")
                switch route.caller {
                case .api:
                    let json = answer.json
                    rows = ((json["items"] ?? json["entries"]) as? [Any])?.count ?? 0
                    // The names are spelled by each type's CodingKeys (no key strategy): a type
                    // without them would answer in camelCase. The fixture's data has no keys of its own.
                    let strays = Self.namesNotInSnakeCase(json)
                    XCTAssertTrue(strays.isEmpty, "\(route.id) answers names that are not snake_case: \(strays.sorted())")
                case .page:
                    rows = max(0, answer.text.components(separatedBy: "<tr").count - 2) // the header row
                }
            }
            costs[route.id] = Cost(statements: least, rows: rows)
        }
        return costs
    }

    /// Every object key anywhere in a JSON answer that is not `lower_snake_case`.
    static func namesNotInSnakeCase(_ value: Any) -> Set<String> {
        switch value {
        case let object as [String: Any]:
            var strays = Set(object.keys.filter { !$0.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" } })
            for child in object.values { strays.formUnion(namesNotInSnakeCase(child)) }
            return strays
        case let array as [Any]:
            return array.reduce(into: Set<String>()) { $0.formUnion(namesNotInSnakeCase($1)) }
        default:
            return []
        }
    }
}

/// The console on the test database, its statements counted, with the fixture and a world to grow.
func withListWorld(_ body: @escaping @Sendable (ListWorld) async throws -> Void) async throws {
    let database = try await TestDatabase.application()
    let fixture = try await TenancyFixture.make(database)
    let counter = StatementCounter()
    let counted = MariaDBDatabase(pool: database.pool, logger: Logger(label: "counted") { _ in counter })
    var configuration = TestConsole.configuration()
    configuration.bcryptCost = 4
    // No worker: its polls would land in the counts. Orders stay in provisioning; the engine's later
    // rows (reseller charges) are written by `grow`.
    configuration.provisioningWorker = false
    let app = try await buildApplication(configuration: configuration, database: counted, logger: TestDatabase.logger("app"))
    try await app.test(.router) { client in
        try await body(try await ListWorld(client: client, fixture: fixture, database: database, countedDatabase: counted, counter: counter))
    }
}
