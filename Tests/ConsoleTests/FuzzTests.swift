import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MariaDB
import NIOCore
import TestSupport
import XCTest

/// No input stops the server (issue 12). Every API operation of `openapi/openapi.yaml` and every
/// form and query parameter of the pages gets boundary values (Int64 and Int32 edges, 2^63,
/// `1e400`, `99999999999999999999.99999`, negatives, empty, unicode, NUL, 70,000 characters, the
/// wrong JSON type, 5,000 levels of nesting) and seeded random ones, one field at a time, as a
/// provider admin, a reseller admin, a customer admin and a viewer in turn. No answer may be a
/// 5xx and `/healthz` must answer 200 after each operation. A Swift trap kills this process; the
/// request that did it is in the file the first line of output names.
///
/// `FUZZ_SEED=n` replays a run; `FUZZ_ITERATIONS=n` adds n random values per input (default 2).
final class FuzzTests: XCTestCase {
    func testTheFuzzerReadsEveryOperationOfTheDocument() throws {
        let operations = OpenAPIOperations(document: try OpenAPIOperations.load(), known: { _, _ in nil }).all
        XCTAssertEqual(Set(operations.map(\.description)), try OpenAPITests.documented())
        let create = try XCTUnwrap(operations.first { $0.description == "POST /api/v1/subscriptions/{id}/quotes" })
        XCTAssertEqual(create.bodies.map(\.description).sorted(), [
            #"{"plan":{"plan_id":1,"period_months":1},"promo_code":"fuzz"}"#,
            #"{"resources":[{"resource_code":"fuzz","additional":1}],"promo_code":"fuzz"}"#,
            #"{"switch":{"from_resource_code":"fuzz","to_resource_code":"fuzz"},"promo_code":"fuzz"}"#,
        ], "one body per alternative of the change body")
    }

    func testNoAPIInputIsAServerError() async throws {
        try await withQuoteWorld { w, subscriptionID in
            let world = try await FuzzWorld.make(w, subscriptionID: subscriptionID)
            let fuzzer = Fuzzer(client: w.api.client)
            let operations = OpenAPIOperations(document: try OpenAPIOperations.load(), known: world.known(_:in:)).all
            var turn = 0
            var inputs = 0
            var baselines: [String] = []
            var slowest: [(Duration, String)] = []
            let started = ContinuousClock.now
            for operation in operations {
                let operationStarted = ContinuousClock.now
                @discardableResult
                func send(path: String? = nil, query: String? = nil, body: String? = nil, bytes: [UInt8]? = nil, headers extra: HTTPFields = [:]) async throws -> TestResponse {
                    let (role, token) = world.tokens[turn % world.tokens.count]
                    turn += 1
                    if operation.path == "/api/v1/tokens" && turn % 5 == 0 { try await FuzzWorld.forgetSignInFailures() }
                    var headers = extra
                    headers[.authorization] = "Bearer \(token)"
                    if body != nil || bytes != nil { headers[.contentType] = "application/json" }
                    let uri = (path ?? Self.fill(operation, world)) + (query.map { "?" + $0 } ?? "")
                    return try await fuzzer.send(operation.method, uri, headers: headers, body: body, bytes: bytes, as: role)
                }
                let sample = operation.bodies.first?.description
                for body in operation.bodies {
                    turn = 0
                    let answer = try await send(body: body.description)
                    baselines.append("\(operation) \(answer.status.code)\(answer.status.code >= 400 ? " " + (answer.errorCode ?? "") + " " + String(body.description.prefix(300)) : "")")
                    for path in body.paths {
                        inputs += 1
                        for value in fuzzer.jsonValues() {
                            try await send(body: body.replacing(path[...], with: value)?.description ?? "")
                        }
                        if !path.isEmpty { try await send(body: body.replacing(path[...], with: nil)?.description ?? "") }
                    }
                }
                if sample != nil {
                    inputs += 1
                    for raw in ["", "{", "nul", #"{"a":1,"a":2}"#, "\u{0}", String(repeating: " ", count: 1_100_000)] { try await send(body: raw) }
                    try await send(bytes: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D])
                }
                for name in operation.queryParameters {
                    inputs += 1
                    for value in fuzzer.textValues() { try await send(query: Fuzzer.query([(name, value)]), body: sample) }
                }
                for name in operation.pathParameters {
                    inputs += 1
                    for value in fuzzer.textValues() where !value.isEmpty {
                        let path = operation.path.replacingOccurrences(of: "{\(name)}", with: Fuzzer.encode(value))
                        try await send(path: Self.fill(operation, world, path: path), body: sample)
                    }
                }
                for name in operation.headerParameters {
                    inputs += 1
                    for value in fuzzer.textValues() {
                        try await send(body: sample, headers: [HTTPField.Name(name)!: String(value.prefix(8_000))])
                    }
                }
                let alive = try await fuzzer.healthy()
                XCTAssertTrue(alive, "/healthz after \(operation) (FUZZ_SEED=\(fuzzer.seed))")
                slowest.append((ContinuousClock.now - operationStarted, operation.description))
            }
            print("fuzz: \(operations.count) API operations, \(inputs) inputs, \(fuzzer.sent) requests in \(ContinuousClock.now - started)")
            print("fuzz: answers by status: \(fuzzer.statusSummary)")
            print("fuzz: sample bodies as the provider admin: " + baselines.joined(separator: ", "))
            print("fuzz: slowest: " + slowest.sorted { $0.0 > $1.0 }.prefix(8).map { "\($0.1) \($0.0)" }.joined(separator: ", "))
            XCTAssertEqual(fuzzer.findings.count, 0, fuzzer.report("API"))
            let alive = try await fuzzer.healthy()
            XCTAssertTrue(alive)
        }
    }

    func testNoPageFormOrQueryParameterIsAServerError() async throws {
        try await withQuoteWorld { w, subscriptionID in
            let world = try await FuzzWorld.make(w, subscriptionID: subscriptionID)
            let fuzzer = Fuzzer(client: w.api.client)
            let started = ContinuousClock.now
            var browsers: [(role: String, browser: Browser, csrf: String)] = []
            for (role, email) in world.emails {
                let browser = Browser(w.api.client)
                let signedIn = try await browser.signIn(email)
                XCTAssertEqual(signedIn.status, .seeOther)
                browsers.append((role, browser, try await browser.csrfToken()))
            }
            // Every page a GET route serves, as every role: the forms and links it shows are the inputs;
            // then what the GET forms among them answer (an estimate, the new-service step), one level down.
            var forms: [String: PageForm] = [:]
            var links: [String: Set<String>] = [:]
            func harvest(_ page: TestResponse, at uri: String, seenBy role: Int) {
                let html = String(buffer: page.body)
                for var form in PageForm.all(in: html) where form.action != "/signout" {
                    form.roles = [role]
                    // A page may read the fields of its own GET form from its query (the change page does).
                    if form.method == "get", page.status == .ok { links[String(uri.split(separator: "?")[0]), default: []].formUnion(form.fuzzedNames) }
                    forms["\(form.method) \(form.action)", default: form].merge(form)
                }
                for (path, names) in PageForm.links(in: html) { links[path, default: []].formUnion(names) }
            }
            var slowest: [(Duration, String)] = []
            let crawlStarted = ContinuousClock.now
            let routes = try await Self.pageRoutes()
            for (index, (role, browser, _)) in browsers.enumerated() {
                for route in routes where route.method == .get {
                    let uri = Self.fill(route.path, world)
                    harvest(try await fuzzer.run(Fuzzer.summary(role, .get, uri, nil)) { try await browser.get(uri) }, at: uri, seenBy: index)
                }
            }
            for form in forms.values where form.method == "get" {
                for index in form.roles.sorted() {
                    let (role, browser, _) = browsers[index]
                    let uri = form.action + "?" + Fuzzer.query(form.fields)
                    harvest(try await fuzzer.run(Fuzzer.summary(role, .get, uri, nil)) { try await browser.get(uri) }, at: uri, seenBy: index)
                }
            }
            slowest.append((ContinuousClock.now - crawlStarted, "the crawl"))
            var turn = 0
            /// Sends a form as one of `roles` in turn: those that saw it, so the value reaches the handler.
            func submit(_ form: PageForm, _ fields: [(String, String)], as roles: [Int]) async throws {
                let (role, browser, csrf) = browsers[roles[turn % roles.count]]
                turn += 1
                if form.method == "get" {
                    let uri = form.action + "?" + Fuzzer.query(fields)
                    try await fuzzer.run(Fuzzer.summary(role, .get, uri, nil)) { try await browser.get(uri) }
                } else {
                    let body = Fuzzer.query([("_csrf", csrf)] + fields.filter { $0.0 != "_csrf" })
                    try await fuzzer.run(Fuzzer.summary(role, .post, form.action, body)) {
                        try await browser.send(form.action, .post, body: body, contentType: "application/x-www-form-urlencoded")
                    }
                }
            }
            var inputs = 0
            // Forms that take something away go last, so the others meet the world as it was built.
            let ordered = forms.values.sorted { ($0.destructive ? 1 : 0, $0.action) < ($1.destructive ? 1 : 0, $1.action) }
            for form in ordered {
                let formStarted = ContinuousClock.now
                let seeing = form.roles.sorted()
                // The roles that were not shown the form send it too, once per field: the refusal path.
                let others = browsers.indices.filter { !form.roles.contains($0) }
                try await submit(form, form.fields, as: seeing)
                for name in form.fuzzedNames {
                    inputs += 1
                    for value in fuzzer.textValues() {
                        try await submit(form, form.fields.map { $0.0 == name ? ($0.0, value) : $0 }, as: seeing)
                    }
                    try await submit(form, form.fields.filter { $0.0 != name }, as: seeing)
                    for other in others { try await submit(form, form.fields.map { $0.0 == name ? ($0.0, "-1") : $0 }, as: [other]) }
                }
                let alive = try await fuzzer.healthy()
                XCTAssertTrue(alive, "/healthz after the form \(form.method) \(form.action) (FUZZ_SEED=\(fuzzer.seed))")
                slowest.append((ContinuousClock.now - formStarted, "\(form.method) \(form.action)"))
            }
            func browser() -> (role: String, browser: Browser, csrf: String) {
                defer { turn += 1 }
                return browsers[turn % browsers.count]
            }
            let linksStarted = ContinuousClock.now
            for (path, names) in links.sorted(by: { $0.key < $1.key }) {
                for name in names.sorted() {
                    inputs += 1
                    for value in fuzzer.textValues() {
                        let (role, browser, _) = browser()
                        let uri = path + "?" + Fuzzer.query([(name, value)])
                        try await fuzzer.run(Fuzzer.summary(role, .get, uri, nil)) { try await browser.get(uri) }
                    }
                }
            }
            slowest.append((ContinuousClock.now - linksStarted, "query links"))
            // A POST route no page showed a form for still gets garbage, as every role.
            let posted = Set(forms.values.filter { $0.method == "post" }.map { Self.pattern(of: $0.action, in: routes) })
            let unshown = routes.filter { $0.method == .post && !posted.contains($0.path) && $0.path != "/signout" && $0.path != "/signin" }
            for route in unshown {
                inputs += 1
                let uri = Self.fill(route.path, world)
                for value in fuzzer.textValues() {
                    let (role, browser, csrf) = browser()
                    let body = Fuzzer.query([("_csrf", csrf), ("x", value)])
                    try await fuzzer.run(Fuzzer.summary(role, .post, uri, body)) {
                        try await browser.send(uri, .post, body: body, contentType: "application/x-www-form-urlencoded")
                    }
                }
            }
            // Sign-in last: its failures throttle the address every browser shares.
            let signInStarted = ContinuousClock.now
            let stranger = Browser(w.api.client)
            let token = try await stranger.csrfToken()
            for name in ["email", "password", "next"] {
                inputs += 1
                for (index, value) in fuzzer.textValues().enumerated() {
                    if index % 5 == 0 { try await FuzzWorld.forgetSignInFailures() }
                    var fields = ["email": world.fixture.users["r1.operator"]!, "password": "wrong", "next": "/dashboard", "_csrf": token]
                    fields[name] = value
                    try await fuzzer.run(Fuzzer.summary("anonymous", .post, "/signin", "\(name)=\(value.prefix(80))")) {
                        try await stranger.post("/signin", fields, csrf: false)
                    }
                }
            }
            slowest.append((ContinuousClock.now - signInStarted, "post /signin"))
            print("fuzz: \(forms.count) page forms, \(links.count) pages with query links, \(unshown.count) POST routes without a form "
                  + "(\(unshown.map(\.path).joined(separator: ", "))), \(inputs) inputs, \(fuzzer.sent) requests in \(ContinuousClock.now - started)")
            print("fuzz: answers by status: \(fuzzer.statusSummary)")
            print("fuzz: slowest: " + slowest.sorted { $0.0 > $1.0 }.prefix(8).map { "\($0.1) \($0.0)" }.joined(separator: ", "))
            XCTAssertGreaterThan(forms.count, 25, "the crawl found the console's forms")
            XCTAssertEqual(fuzzer.findings.count, 0, fuzzer.report("pages"))
            let alive = try await fuzzer.healthy()
            XCTAssertTrue(alive)
        }
    }

    // MARK: Helpers

    /// An API operation's path with the world's ids.
    static func fill(_ operation: APIOperation, _ world: FuzzWorld, path: String? = nil) -> String {
        var path = path ?? operation.path
        for name in operation.pathParameters { path = path.replacingOccurrences(of: "{\(name)}", with: world.pathValue(name, in: operation.path)) }
        return path
    }

    /// A page route with the world's ids (`/subscriptions/:id/change` → `/subscriptions/7/change`).
    static func fill(_ route: String, _ world: FuzzWorld) -> String {
        "/" + route.split(separator: "/").map { segment in
            segment.hasPrefix("{") ? world.pathValue(String(segment.dropFirst().dropLast()), in: route) : String(segment)
        }.joined(separator: "/")
    }

    /// The route a form's action is served by (`/plans/7/edit` → `/plans/:id/edit`).
    static func pattern(of action: String, in routes: [(method: HTTPRequest.Method, path: String)]) -> String {
        let segments = action.split(separator: "?")[0].split(separator: "/")
        return routes.first { route in
            let parts = route.path.split(separator: "/")
            return parts.count == segments.count && zip(parts, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }?.path ?? action
    }

    /// The console's page routes (not the API, not the assets), read from the router itself.
    static func pageRoutes() async throws -> [(method: HTTPRequest.Method, path: String)] {
        let pool = MariaDBConnectionPool(configuration: TestDatabase.configuration(database: TestDatabase.applicationDatabaseName), logger: TestDatabase.logger("routes"))
        let router = try await buildRouter(configuration: TestConsole.configuration(), database: MariaDBDatabase(pool: pool, logger: TestDatabase.logger("routes")),
                                           logger: TestDatabase.logger("routes"))
        await pool.shutdown()
        return router.routes.map { ($0.method, $0.path.description) }.filter { !$0.path.hasPrefix("/api/") }.sorted { $0.path < $1.path }
    }
}

/// A form as a page shows it: where it goes, and its fields with the values they hold.
struct PageForm {
    var method: String
    var action: String
    var fields: [(String, String)]
    /// The browsers (by index) whose pages showed this form.
    var roles: Set<Int> = []

    /// The fields to fuzz: one of each family of repeated rows (`resources[0][fee]` stands for
    /// `resources[3][fee]`, the same parser reads both), never the CSRF token.
    var fuzzedNames: [String] {
        var families: Set<String> = []
        return fields.map(\.0).filter { name in
            name != "_csrf" && families.insert(name.replacingOccurrences(of: #"[0-9]+"#, with: "#", options: .regularExpression)).inserted
        }
    }

    /// Takes away rather than adds: fuzzed after every other form.
    var destructive: Bool { ["cancel", "delete", "lift", "remove"].contains { action.contains($0) } }

    /// Another role's view of the same form may show more fields.
    mutating func merge(_ other: PageForm) {
        roles.formUnion(other.roles)
        for field in other.fields where !fields.contains(where: { $0.0 == field.0 }) { fields.append(field) }
    }

    static func all(in html: String) -> [PageForm] {
        matches(#"<form\b([^>]*)>(.*?)</form>"#, html).compactMap { groups in
            let attributes = groups[1]
            guard let action = attribute("action", attributes), action.hasPrefix("/") else { return nil }
            var fields: [(String, String)] = []
            for input in matches(#"<input\b([^>]*)>"#, groups[2]) {
                guard let name = attribute("name", input[1]) else { continue }
                let type = attribute("type", input[1]) ?? "text"
                if (type == "checkbox" || type == "radio") && fields.contains(where: { $0.0 == name }) { continue }
                fields.append((name, attribute("value", input[1]) ?? (type == "checkbox" ? "on" : "")))
            }
            for select in matches(#"<select\b([^>]*)>(.*?)</select>"#, groups[2]) {
                guard let name = attribute("name", select[1]) else { continue }
                let options = matches(#"<option\b([^>]*)>"#, select[2]).map { $0[1] }
                let chosen = options.first { $0.contains("selected") } ?? options.first
                fields.append((name, chosen.flatMap { attribute("value", $0) } ?? ""))
            }
            for area in matches(#"<textarea\b([^>]*)>(.*?)</textarea>"#, groups[2]) {
                if let name = attribute("name", area[1]) { fields.append((name, unescape(area[2]))) }
            }
            return PageForm(method: (attribute("method", attributes) ?? "get").lowercased(), action: action, fields: fields)
        }
    }

    /// Same-site links with a query: path → parameter names.
    static func links(in html: String) -> [(String, Set<String>)] {
        matches(##"href="(/[^"#]*\?[^"#]*)""##, html).map { groups in
            let parts = unescape(groups[1]).split(separator: "?", maxSplits: 1)
            let names = parts[1].split(separator: "&").compactMap { $0.split(separator: "=").first.map(String.init) }
            return (String(parts[0]), Set(names))
        }
    }

    private static func attribute(_ name: String, _ attributes: String) -> String? {
        matches(#"\b\#(name)="([^"]*)""#, attributes).first.map { unescape($0[1]) }
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&#x2F;", with: "/").replacingOccurrences(of: "&#x3D;", with: "=")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    private static func matches(_ pattern: String, _ text: String) -> [[String]] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators, .caseInsensitive]) else { return [] }
        let source = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: source.length)).map { match in
            (0..<match.numberOfRanges).map { match.range(at: $0).location == NSNotFound ? "" : source.substring(with: match.range(at: $0)) }
        }
    }
}
