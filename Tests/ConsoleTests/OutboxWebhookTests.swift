import Console
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MariaDB
import Notifications
import OrderEngine
import Storage
import TestSupport
import XCTest

/// DOMAIN.md 11 and issue 15 item 5: events are written to the outbox in the transaction that
/// causes them, and webhooks get them after commit, signed, at least once, retried, and listed with
/// the receiver's answers. The receiver is a real HTTP server on loopback.
final class OutboxWebhookTests: XCTestCase {
    /// What the receiver saw, and what it answers next.
    actor Receiver {
        struct Request: Sendable {
            let eventID: String
            let signature: String
            let body: [UInt8]
        }
        private(set) var requests: [Request] = []
        private var answers: [HTTPResponse.Status]
        let delay: Duration
        private var inFlight = 0
        private(set) var mostAtOnce = 0

        init(answers: [HTTPResponse.Status] = [], delay: Duration = .zero) {
            self.answers = answers
            self.delay = delay
        }

        func arrive(_ request: Request) -> HTTPResponse.Status {
            requests.append(request)
            inFlight += 1
            mostAtOnce = max(mostAtOnce, inFlight)
            return answers.isEmpty ? .ok : answers.removeFirst()
        }

        func leave() { inFlight -= 1 }
    }

    /// A receiver on a free loopback port; `body` gets its URL.
    static func withReceiver(_ receiver: Receiver, _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/hook") { request, context -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let status = await receiver.arrive(.init(eventID: request.headers[HTTPField.Name("X-Event-Id")!] ?? "",
                                                     signature: request.headers[HTTPField.Name("X-Signature")!] ?? "",
                                                     body: Array(bytes.readableBytesView)))
            try await Task.sleep(for: receiver.delay)
            await receiver.leave()
            return Response(status: status)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: TestDatabase.logger("receiver"))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(try XCTUnwrap(client.port))/hook")
        }
    }

    /// `withConsole` without the app's own workers (provisioning, outbox): each test runs the outbox
    /// worker itself, so no delivery is taken by a worker the test does not see.
    static func withQuietConsole(_ body: @escaping @Sendable (any TestClientProtocol, TenancyFixture, MariaDBDatabase) async throws -> Void) async throws {
        let database = try await TestDatabase.application()
        let fixture = try await TenancyFixture.make(database)
        var configuration = TestConsole.configuration()
        configuration.bcryptCost = 4
        configuration.provisioningWorker = false
        let app = try await buildApplication(configuration: configuration, database: database, logger: TestDatabase.logger("app"))
        try await app.test(.router) { client in
            try await body(client, fixture, database)
        }
    }

    /// A worker with webhooks as its channel, run by the test itself (no schedule).
    static func withWorker(_ database: MariaDBDatabase, name: String = "test-worker", _ body: @escaping @Sendable (OutboxWorker) async throws -> Void) async throws {
        try await OutboxService.withWorker(database: database, logger: TestDatabase.logger("outbox"), allowPrivateWebhookAddresses: true) { worker in
            var named = worker
            named.worker = name
            try await body(named)
        }
    }

    /// Another pool on the application's test database, for worlds that don't hand theirs out (rows kept).
    static func withApplicationDatabase(_ body: (MariaDBDatabase) async throws -> Void) async throws {
        let pool = MariaDBConnectionPool(configuration: TestDatabase.configuration(database: TestDatabase.applicationDatabaseName), logger: TestDatabase.logger("outbox"))
        let database = MariaDBDatabase(pool: pool, logger: TestDatabase.logger("outbox"))
        do {
            try await body(database)
            await pool.shutdown()
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    static func count(_ database: MariaDBDatabase, _ sql: String, _ binds: [MariaDBData] = []) async throws -> Int {
        try await database.rows(sql, binds)[0].decode(column: "n", as: Int.self)
    }

    // MARK: Recording

    func testAnEventIsWrittenWithTheChangeOrNotAtAll() async throws {
        try await Self.withQuietConsole { _, fixture, database in
            struct Boom: Error {}
            do {
                try await database.withTransaction { tx in
                    try await Outbox.record(on: tx, type: .invoiceIssued, account: fixture.c1, objectType: "invoice", objectID: 1, payload: ["n": 1])
                    throw Boom()
                }
                XCTFail("the transaction threw")
            } catch is Boom {}
            let afterRollback = try await Self.count(database, "SELECT COUNT(*) AS n FROM outbox_events")
            XCTAssertEqual(afterRollback, 0, "a rolled-back change leaves no event")
            try await database.withTransaction { tx in
                try await Outbox.record(on: tx, type: .invoiceIssued, account: fixture.c1, objectType: "invoice", objectID: 1, payload: ["n": 1])
            }
            let afterCommit = try await Self.count(database, "SELECT COUNT(*) AS n FROM outbox_events WHERE account_id = ? AND account_path = ?",
                                                   [.int(fixture.c1.id), .string(fixture.c1.path)])
            XCTAssertEqual(afterCommit, 1, "a committed one leaves exactly one")
        }
    }

    func testAnOrdersCourseRecordsInvoicePaymentAndCompletion() async throws {
        try await withQuoteWorld { w, id in
            try await Self.withApplicationDatabase { database in
            let order = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                             json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#)
            XCTAssertEqual(order.status, .created, order.text)
            let orderID = try XCTUnwrap(order.json["id"] as? Int), invoiceID = try XCTUnwrap(order.json["invoice_id"] as? Int)
            let paid = try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer, json: #"{"method":"card","card_number":"4242424242424242"}"#)
            XCTAssertEqual(paid.status, .created, paid.text)
            // The app's provisioning worker completes it.
            let settled = try await OrderAPITests.settled(w, orderID)
            XCTAssertEqual(settled["status"] as? String, "completed")
            let rows = try await database.rows("SELECT type, object_type, object_id, account_id FROM outbox_events ORDER BY id")
            let events = try rows.map { "\(try $0.decode(column: "type", as: String.self)) \(try $0.decode(column: "object_type", as: String.self)) #\(try $0.decode(column: "object_id", as: Int64.self))" }
            XCTAssertEqual(events, ["invoice_issued invoice #\(invoiceID)", "payment_received payment #\(try XCTUnwrap(paid.json["id"] as? Int))",
                                    "order_completed order #\(orderID)"])
            XCTAssertTrue(try rows.allSatisfy { try $0.decode(column: "account_id", as: Int64.self) == w.fixture.c1.id }, "each about the customer")
            }
        }
    }

    // MARK: Webhooks

    /// Registers a webhook through the API; answers its id and secret.
    static func register(_ api: APIClient, token: String, url: String, events: [String]) async throws -> (id: Int, secret: String) {
        let eventsJSON = events.map { "\"\($0)\"" }.joined(separator: ",")
        let created = try await api.call(.post, "/api/v1/webhooks", token: token, json: #"{"url":"\#(url)","events":[\#(eventsJSON)]}"#)
        XCTAssertEqual(created.status, .created, created.text)
        return (try XCTUnwrap(created.json["id"] as? Int), try XCTUnwrap(created.json["secret"] as? String))
    }

    func testAResellersWebhookGetsItsCustomersEventSignedWithItsSecret() async throws {
        try await Self.withQuietConsole { client, fixture, database in
            let api = APIClient(client: client)
            let receiver = Receiver()
            try await Self.withReceiver(receiver) { url in
                let r1 = try await api.token(fixture.users["r1.admin"]!)
                let hook = try await Self.register(api, token: r1, url: url, events: ["invoice_issued", "payment_received"])
                XCTAssertTrue(hook.secret.hasPrefix("whsec_"))
                let listed = try await api.call(.get, "/api/v1/webhooks", token: r1)
                XCTAssertNil((listed.json["items"] as? [[String: Any]])?.first?["secret"], "the secret is shown once, on creation")
                // Reseller Two's webhook hears nothing of Reseller One's customer; a subscriber to other events neither.
                let r2 = try await api.token(fixture.users["r2.admin"]!)
                _ = try await Self.register(api, token: r2, url: url, events: ["invoice_issued"])
                _ = try await Self.register(api, token: r1, url: url, events: ["order_failed"])
                try await database.withTransaction { tx in
                    try await Outbox.record(on: tx, type: .invoiceIssued, account: fixture.c1, objectType: "invoice", objectID: 41, payload: ["id": 41])
                    // A password reset carries a sign-in link: never a webhook's, whatever it subscribes to.
                    try await Outbox.record(on: tx, type: .passwordReset, account: fixture.r1, objectType: "user", objectID: 7, payload: ["link": "secret"])
                }
                try await Self.withWorker(database) { worker in
                    let attempted = try await worker.runOnce()
                    XCTAssertEqual(attempted, 1)
                }
                let requests = await receiver.requests
                XCTAssertEqual(requests.count, 1)
                let request = try XCTUnwrap(requests.first)
                let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
                let uuid = try await database.rows("SELECT event_uuid FROM outbox_events WHERE type = 'invoice_issued'")[0].decode(column: "event_uuid", as: String.self)
                XCTAssertEqual(body["id"] as? String, uuid)
                XCTAssertEqual(request.eventID, uuid, "X-Event-Id is the event's id, for de-duplication")
                XCTAssertEqual(body["type"] as? String, "invoice_issued")
                XCTAssertEqual(body["account_id"] as? Int, Int(fixture.c1.id))
                XCTAssertEqual((body["object"] as? [String: Any])?["id"] as? Int, 41)
                XCTAssertNotNil(body["occurred_at"] as? String)
                // The receiver's check: HMAC-SHA256 of the exact body under the secret.
                let expected = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Array(hook.secret.utf8)))
                XCTAssertEqual(request.signature, "sha256=" + expected.map { String(format: "%02x", $0) }.joined())
                XCTAssertTrue(HMAC<SHA256>.isValidAuthenticationCode(try XCTUnwrap(Self.hex(String(request.signature.dropFirst(7)))), authenticating: request.body,
                                                                    using: SymmetricKey(data: Array(hook.secret.utf8))))
                XCTAssertFalse(String(decoding: request.body, as: UTF8.self).contains("secret"), "no password reset link went out")

                let deliveries = try await api.call(.get, "/api/v1/webhooks/\(hook.id)/deliveries", token: r1)
                let item = try XCTUnwrap((deliveries.json["items"] as? [[String: Any]])?.first)
                XCTAssertEqual(item["status"] as? String, "delivered")
                XCTAssertEqual(item["event_id"] as? String, uuid)
                XCTAssertEqual((item["attempts"] as? [[String: Any]])?.compactMap { $0["response_code"] as? Int }, [200])
            }
        }
    }

    static func hex(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }

    /// Server-side request forgery: a webhook an account's admin points at the provider's own
    /// network (here loopback, where the receiver really listens) is refused for good, and nothing
    /// reaches it, unless the operator allows private addresses (WEBHOOK_ALLOW_PRIVATE_ADDRESSES).
    func testAWebhookOnALoopbackAddressIsRefusedForGoodUnlessPrivateAddressesAreAllowed() async throws {
        try await Self.withQuietConsole { client, fixture, database in
            let api = APIClient(client: client)
            let receiver = Receiver()
            try await Self.withReceiver(receiver) { url in
                let r1 = try await api.token(fixture.users["r1.admin"]!)
                let hook = try await Self.register(api, token: r1, url: url.replacingOccurrences(of: "127.0.0.1", with: "localhost"), events: ["invoice_issued"])
                try await database.withTransaction { tx in
                    try await Outbox.record(on: tx, type: .invoiceIssued, account: fixture.c1, objectType: "invoice", objectID: 42, payload: ["id": 42])
                }
                try await OutboxService.withWorker(database: database, logger: TestDatabase.logger("outbox")) { worker in   // the default: public only
                    _ = try await worker.runOnce()
                }
                let requests = await receiver.requests
                XCTAssertEqual(requests.count, 0, "nothing was sent to the loopback address")
                let deliveries = try await api.call(.get, "/api/v1/webhooks/\(hook.id)/deliveries", token: r1)
                let item = try XCTUnwrap((deliveries.json["items"] as? [[String: Any]])?.first)
                XCTAssertEqual(item["status"] as? String, "failed", "refused for good, not tried again")
                let error = try XCTUnwrap((item["attempts"] as? [[String: Any]])?.first?["error"] as? String)
                XCTAssertTrue(error.contains("localhost is on a loopback, private or reserved network (127.0.0.1)")
                              || error.contains("localhost is on a loopback, private or reserved network (0:0:0:0:0:0:0:1)"), error)
            }
        }
    }

    func testAReceiverAnswering500GetsItAgainAndTheDeliveryShowsBothAttempts() async throws {
        try await Self.withQuietConsole { client, fixture, database in
            let api = APIClient(client: client)
            let receiver = Receiver(answers: [.internalServerError, .ok])
            try await Self.withReceiver(receiver) { url in
                let c1 = try await api.token(fixture.users["c1.admin"]!)
                let hook = try await Self.register(api, token: c1, url: url, events: ["payment_received"])
                try await database.withTransaction { tx in
                    try await Outbox.record(on: tx, type: .paymentReceived, account: fixture.c1, objectType: "payment", objectID: 5, payload: ["id": 5])
                }
                try await Self.withWorker(database) { worker in
                    let observed1 = try await worker.runOnce()
                    XCTAssertEqual(observed1, 1)
                    let waiting = try await database.rows("SELECT status, attempts, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), next_attempt_at) AS wait FROM outbox_deliveries")[0]
                    XCTAssertEqual(try waiting.decode(column: "status", as: String.self), "pending")
                    XCTAssertTrue((28...30).contains(try waiting.decode(column: "wait", as: Int.self)), "the first retry waits 30 s")
                    let observed2 = try await worker.runOnce()
                    XCTAssertEqual(observed2, 0, "not due before then")
                    try await database.query("UPDATE outbox_deliveries SET next_attempt_at = UTC_TIMESTAMP(6)")
                    let observed3 = try await worker.runOnce()
                    XCTAssertEqual(observed3, 1)
                }
                let requests = await receiver.requests
                XCTAssertEqual(requests.count, 2, "at least once: the receiver saw it twice")
                XCTAssertEqual(requests[0].eventID, requests[1].eventID, "with one event id, to de-duplicate by")
                XCTAssertEqual(requests[0].body, requests[1].body)
                let deliveries = try await api.call(.get, "/api/v1/webhooks/\(hook.id)/deliveries", token: c1)
                let item = try XCTUnwrap((deliveries.json["items"] as? [[String: Any]])?.first)
                XCTAssertEqual(item["status"] as? String, "delivered")
                XCTAssertEqual(item["attempt_count"] as? Int, 2)
                XCTAssertEqual((item["attempts"] as? [[String: Any]])?.compactMap { $0["response_code"] as? Int }, [200, 500], "newest first")
                // The page lists them too.
                let browser = Browser(client)
                _ = try await browser.signIn(fixture.users["c1.admin"]!)
                let page = try await browser.get("/webhooks/\(hook.id)/deliveries")
                XCTAssertEqual(page.status, .ok)
                XCTAssertTrue(page.text.contains("<strong>500</strong>") && page.text.contains("<strong>200</strong>"), page.text)
            }
        }
    }

    func testADeliveryWhoseWorkerDiedMidFlightIsDeliveredByAnotherOnceTheClaimRunsOut() async throws {
        try await Self.withQuietConsole { client, fixture, database in
            let api = APIClient(client: client)
            let receiver = Receiver()
            try await Self.withReceiver(receiver) { url in
                let c1 = try await api.token(fixture.users["c1.admin"]!)
                _ = try await Self.register(api, token: c1, url: url, events: ["order_completed"])
                try await database.withTransaction { tx in
                    try await Outbox.record(on: tx, type: .orderCompleted, account: fixture.c1, objectType: "order", objectID: 9, payload: ["id": 9])
                }
                let store = OutboxStore(database: database)
                try await Self.withWorker(database, name: "survivor") { survivor in
                    try await survivor.fanOut()
                    // A worker claims it and dies before sending (a node killed between claim and POST).
                    let due = try await store.due(channels: ["webhook"], limit: 10)
                    let delivery = try XCTUnwrap(due.first)
                    let claimed = try await store.claim(delivery, worker: "dead-node", for: 1)
                    XCTAssertTrue(claimed)
                    let observed4 = try await survivor.runOnce()
                    XCTAssertEqual(observed4, 0, "the claim holds while it lasts")
                    try await Task.sleep(for: .milliseconds(1200))
                    let observed5 = try await survivor.runOnce()
                    XCTAssertEqual(observed5, 1, "then another worker takes it")
                }
                let requests = await receiver.requests
                XCTAssertEqual(requests.count, 1)
                let row = try await database.rows("SELECT status, attempts FROM outbox_deliveries")[0]
                XCTAssertEqual(try row.decode(column: "status", as: String.self), "delivered")
                XCTAssertEqual(try row.decode(column: "attempts", as: Int.self), 2, "both claims counted")
                let attempts = try await database.rows("SELECT worker, response_code FROM outbox_attempts")
                XCTAssertEqual(try attempts.map { try $0.decode(column: "worker", as: String.self) }, ["survivor"], "the dead worker recorded nothing")
            }
        }
    }

    func testTwoWorkersNeverSendOneDeliveryAtOnce() async throws {
        try await Self.withQuietConsole { client, fixture, database in
            let api = APIClient(client: client)
            let receiver = Receiver(delay: .milliseconds(200))
            try await Self.withReceiver(receiver) { url in
                let r1 = try await api.token(fixture.users["r1.admin"]!)
                _ = try await Self.register(api, token: r1, url: url, events: ["renewal_due"])
                try await database.withTransaction { tx in
                    try await Outbox.record(on: tx, try (1...6).map { n in
                        try Outbox.Draft(type: .renewalDue, account: fixture.c1, objectType: "subscription", objectID: Int64(n), payload: ["id": n])
                    })
                }
                try await Self.withWorker(database, name: "node-a") { a in
                    try await Self.withWorker(database, name: "node-b") { b in
                        async let first = a.runOnce()
                        async let second = b.runOnce()
                        let total = try await first + second
                        XCTAssertEqual(total, 6, "each delivery attempted once between them")
                    }
                }
                let requests = await receiver.requests
                XCTAssertEqual(requests.count, 6)
                XCTAssertEqual(Set(requests.map(\.eventID)).count, 6, "no event sent twice")
                let attempts = try await Self.count(database, "SELECT COUNT(*) AS n FROM outbox_attempts")
                XCTAssertEqual(attempts, 6)
                let store = OutboxStore(database: database)
                try await database.query("UPDATE outbox_deliveries SET status = 'pending', claimed_until = NULL, next_attempt_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND")
                let due = try await store.due(channels: ["webhook"], limit: 1)
                let one = try XCTUnwrap(due.first)
                let byA = try await store.claim(one, worker: "node-a", for: 60)
                let byB = try await store.claim(one, worker: "node-b", for: 60)
                XCTAssertEqual([byA, byB], [true, false], "a claimed delivery can't be claimed again")
            }
        }
    }

    func testRetriesBackOffForADayThenGiveUp() async throws {
        let delays = (1...9).map { OutboxWorker.retryDelay(afterAttempt: $0, first: 30, longest: 3600) }
        XCTAssertEqual(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600])
        try await Self.withQuietConsole { _, fixture, database in
            try await Self.withWorker(database) { worker in
                let event = OutboxEvent.sample(occurredAt: Date().addingTimeInterval(-86_400 + 60), account: fixture.c1)
                let young = OutboxDelivery(id: 1, channel: "webhook", destination: "1", webhookID: 1, accountID: fixture.c1.id, attempt: 1,
                                           createdAt: event.occurredAt, event: event)
                XCTAssertEqual(worker.attempt(for: .failed(code: 503, error: "HTTP 503"), of: young, milliseconds: 5).next, .retry(inSeconds: 30))
                var old = young
                old.attempt = 20
                XCTAssertEqual(worker.attempt(for: .failed(code: 503, error: "HTTP 503"), of: old, milliseconds: 5).next, .failed,
                               "a retry past a day after the event: given up")
                XCTAssertEqual(worker.attempt(for: .delivered(code: 204), of: old, milliseconds: 5).next, .delivered)
            }
        }
    }

    // MARK: The API's edges

    func testWebhooksAreAnAccountsAdminsAndForeignOnesAre404() async throws {
        try await Self.withQuietConsole { client, fixture, database in
            let api = APIClient(client: client)
            let r2 = try await api.token(fixture.users["r2.admin"]!)
            let foreign = try await Self.register(api, token: r2, url: "https://two.example/hook", events: ["invoice_issued"])
            let r1 = try await api.token(fixture.users["r1.admin"]!)
            for (method, path) in [(HTTPRequest.Method.get, "/api/v1/webhooks/\(foreign.id)"), (.delete, "/api/v1/webhooks/\(foreign.id)"),
                                   (.get, "/api/v1/webhooks/\(foreign.id)/deliveries")] {
                let status = try await api.call(method, path, token: r1).status
                XCTAssertEqual(status, .notFound, "\(method) \(path)")
            }
            let viewer = try await api.token(fixture.users["c1.viewer"]!)
            let refused = try await api.call(.post, "/api/v1/webhooks", token: viewer, json: #"{"url":"https://x.example","events":["invoice_issued"]}"#)
            XCTAssertEqual(refused.status, .forbidden)
            for (json, field) in [(#"{"url":"ftp://x.example","events":["invoice_issued"]}"#, "url"),
                                  (#"{"url":"https://\#(String(repeating: "a", count: 2100)).example","events":["invoice_issued"]}"#, "url"),
                                  (#"{"url":"https://user:pw@x.example","events":["invoice_issued"]}"#, "url"),
                                  (#"{"url":"https://x.example","events":[]}"#, "events"),
                                  (#"{"url":"https://x.example","events":["password_reset"]}"#, "events")] {
                let response = try await api.call(.post, "/api/v1/webhooks", token: r1, json: json)
                XCTAssertEqual(response.status, .unprocessableContent, json)
                XCTAssertEqual(response.errorCode, field, json)
            }
            // The provider above sees and may delete Reseller Two's webhook; the deletion is audited.
            let provider = try await api.token(fixture.users["p.admin"]!)
            let deleted = try await api.call(.delete, "/api/v1/webhooks/\(foreign.id)", token: provider)
            XCTAssertEqual(deleted.status, .noContent)
            let gone = try await api.call(.get, "/api/v1/webhooks/\(foreign.id)", token: r2)
            XCTAssertEqual(gone.status, .notFound)
            let audit = try await database.rows("SELECT action, account_id, before_state, after_state FROM audit_log WHERE object_type = 'webhook' ORDER BY id")
            XCTAssertEqual(try audit.map { try $0.decode(column: "action", as: String.self) }, ["create", "delete"])
            XCTAssertTrue(try audit.allSatisfy { try $0.decode(column: "account_id", as: Int64.self) == fixture.r2.id }, "on Reseller Two's account")
            let states = try audit.map { "\(try $0.decode(column: "before_state", as: String?.self) ?? "")\(try $0.decode(column: "after_state", as: String?.self) ?? "")" }
            XCTAssertTrue(states.allSatisfy { $0.contains("two.example") && !$0.contains("whsec_") }, "the address, never the secret: \(states)")
        }
    }

    func testTheWebhooksPageShowsTheSecretOnceAndKeepsWhatWasTyped() async throws {
        try await Self.withQuietConsole { client, fixture, _ in
            let browser = Browser(client)
            _ = try await browser.signIn(fixture.users["r1.admin"]!)
            let wrong = try await browser.post("/webhooks", ["url": "not a url", "event_invoice_issued": "on"])
            XCTAssertEqual(wrong.status, .unprocessableContent)
            XCTAssertTrue(wrong.text.contains("is-invalid") && wrong.text.contains("value=\"not a url\""), wrong.text)
            let created = try await browser.post("/webhooks", ["url": "https://one.example/hook", "event_invoice_issued": "on", "event_order_failed": "on"])
            XCTAssertEqual(created.status, .ok)
            XCTAssertTrue(created.text.contains("id=\"webhook-secret\">whsec_"), created.text)
            let again = try await browser.get("/webhooks")
            XCTAssertTrue(again.text.contains("https://one.example/hook") && again.text.contains("invoice_issued, order_failed"))
            XCTAssertFalse(again.text.contains("whsec_"), "shown once")
        }
    }
}

extension OutboxEvent {
    static func sample(occurredAt: Date, account: Account) -> OutboxEvent {
        OutboxEvent(id: 1, uuid: UUID().uuidString.lowercased(), type: "invoice_issued", accountID: account.id, accountPath: account.path,
                    objectType: "invoice", objectID: 1, payload: "{}", occurredAt: occurredAt)
    }
}
