@testable import Commerce
@testable import Console
import Foundation
import HTTPTypes
@testable import Storage
import TestSupport
import XCTest

/// The API's JSON writer (`APIJSONEncoder`, issue 13) answers byte for byte what Foundation's
/// `JSONEncoder` with `.sortedKeys` and `.iso8601` dates answered before it: the same key order
/// (UTF-8 bytes), the same escapes (`\/` included), the same numbers, dates and nulls, and the same
/// errors. Every comparison here is against a Foundation encoder configured as `APIJSON.encoder` was.
final class APIJSONEncoderTests: XCTestCase {
    static let foundation: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// `streamed`: the writer wrote it itself (false: it handed the value to Foundation).
    func assertSame<T: Encodable>(_ value: T, _ message: @autoclosure () -> String = "", streamed: Bool = true,
                                  file: StaticString = #filePath, line: UInt = #line) {
        let writer = APIJSONWriter()
        try? writer.encodeValue(value, parent: nil, key: nil)
        XCTAssertEqual(!writer.needsFoundation, streamed, "\(message()) \(T.self): streamed", file: file, line: line)
        do {
            let expected = try Self.foundation.encode(value)
            let actual = try APIJSONEncoder.encode(value, fallback: Self.foundation)
            if Array(expected) != actual {
                XCTFail("""
                    \(message()) \(T.self) differs from Foundation's JSONEncoder:
                    expected \(String(decoding: expected, as: UTF8.self))
                    actual   \(String(decoding: actual, as: UTF8.self))
                    """, file: file, line: line)
            }
        } catch {
            XCTFail("\(message()) \(T.self): \(error)", file: file, line: line)
        }
    }

    // MARK: A worked example

    /// One subscription as the list answers it, written out: keys sorted by their bytes (`cancel_…`
    /// before `customer_id`, `total` before `usage`), `paid_until` absent when nil, the `/` of a
    /// text escaped, integers as written.
    func testAWorkedExampleOfASubscriptionList() throws {
        let subscription = Subscription(
            id: 42, customerID: 7, customerPath: "1/3/7", planID: 5, status: .active,
            period: BillingPeriod(start: BusinessDate(year: 2026, month: 12, day: 1), end: BusinessDate(year: 2026, month: 12, day: 31), months: 1),
            anchorDay: 1, pricedAt: Date(timeIntervalSince1970: 1_796_256_000), individualPrices: false,
            resources: [Subscription.Line(resourceID: 9, code: "disk/gb", included: 10, additional: 5, usage: 3)],
            paidUntil: nil)
        let answer = APIController.ListResponse(items: [SubscriptionsAPI.SubscriptionJSON(subscription)], nextCursor: 42)
        let bytes = try APIJSONEncoder.encode(answer)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), """
            {"items":[{"cancel_at_period_end":false,"customer_id":7,"id":42,"individual_prices":false,"period_end":"2026-12-31",\
            "period_months":1,"period_start":"2026-12-01","plan_id":5,"resources":[{"additional":5,"included":10,\
            "resource_code":"disk\\/gb","total":15,"usage":3}],"status":"active"}],"next_cursor":42}
            """)
        assertSame(answer)
    }

    func testADateIsISO8601ToTheSecondInUTC() throws {
        let token = APIController.TokenResponse(token: "abc", expiresAt: Date(timeIntervalSince1970: 1_796_277_600))
        XCTAssertEqual(String(decoding: try APIJSONEncoder.encode(token), as: UTF8.self), #"{"expires_at":"2026-12-03T06:00:00Z","token":"abc"}"#)
        assertSame(token)
    }

    // MARK: Every answer type of the API

    static let created = Date(timeIntervalSince1970: 1_764_720_000)
    static let awkward = "Ünïcødé \"quoted\" back\\slash a/b\ttab\nline \u{1} 👩‍👩‍👧 e\u{301}"

    func money(_ minor: Int64, _ code: String = "EUR") -> MoneyJSON {
        MoneyJSON(Money(minorUnits: minor, currency: Currency(code: code, exponent: 2)))
    }

    func subscription(_ id: Int64, paidUntil: BusinessDate?, scheduled: String?) -> Subscription {
        Subscription(
            id: id, customerID: 1_000 + id, customerPath: "1/2/\(1_000 + id)", planID: 3, status: id % 2 == 0 ? .active : .suspended,
            period: BillingPeriod(start: BusinessDate(year: 2026, month: 11, day: 15), end: BusinessDate(year: 2027, month: 2, day: 14), months: 3),
            anchorDay: 15, pricedAt: Self.created, individualPrices: id % 3 == 0,
            resources: [Subscription.Line(resourceID: 1, code: "mailbox", included: 5, additional: 2, usage: 4),
                        Subscription.Line(resourceID: 2, code: "disk_gb", included: -1, additional: 0, usage: 100)],
            paidUntil: paidUntil, cancelAtPeriodEnd: id % 5 == 0, scheduledChange: scheduled)
    }

    func testSubscriptionAnswersAreFoundationsBytes() throws {
        let scheduled = ChangeRequest.quantities(["mailbox": 1, "disk_gb": 0]).json
        let paid = BusinessDate(year: 2027, month: 2, day: 14)
        var items: [SubscriptionsAPI.SubscriptionJSON] = []
        for id in 1...50 {
            let row = subscription(Int64(id), paidUntil: id % 2 == 0 ? paid : nil, scheduled: id % 7 == 0 ? scheduled : nil)
            items.append(SubscriptionsAPI.SubscriptionJSON(row))
        }
        XCTAssertNotNil(items[6].scheduledResources, "the fixture covers scheduled_resources")
        assertSame(APIController.ListResponse(items: items, nextCursor: 50))
        assertSame(APIController.ListResponse(items: [SubscriptionsAPI.SubscriptionJSON](), nextCursor: nil))
        assertSame(items[0])
    }

    func testAccountUserAndTokenAnswersAreFoundationsBytes() throws {
        let account = try JSONDecoder().decode(Account.self, from: Data("""
            {"id":12,"parentID":3,"kind":"reseller","name":"R\\u00e9seller \\"One\\"","path":"1/3/12","depth":2,"currency":"EUR","taxRate":"0.200000",
             "status":"active","contactName":"Ann / Bob","contactEmail":"ann@example.test","contactPhone":"+49 30 1234","address":"Line 1\\nLine 2",
             "createdAt":\(Self.created.timeIntervalSinceReferenceDate),"updatedAt":\(Self.created.timeIntervalSinceReferenceDate)}
            """.utf8))
        assertSame(AccountJSON(account))
        assertSame(APIController.ListResponse(items: [AccountJSON(account), AccountJSON(account)], nextCursor: nil))
        assertSame(PeopleAPI.MeResponse(user: .init(id: 4, email: "a@b.test", name: Self.awkward, role: "admin", locale: "bn"), account: .init(id: 12, kind: "reseller", name: Self.awkward)))
        assertSame(APIController.TokenResponse(token: "0123456789abcdef", expiresAt: Self.created))
    }

    func testCatalogAnswersAreFoundationsBytes() throws {
        assertSame([CatalogAPI.CurrencyJSON(code: "EUR", name: "Euro", exponent: 2), CatalogAPI.CurrencyJSON(code: "JPY", name: "Yen", exponent: 0)])
        assertSame(money(-12_345))
        assertSame(money(Int64.min, "JPY"))
        let resource = Resource(id: 5, code: "mailbox", name: Self.awkward, unit: "pcs", kind: .quantity, minUnits: 0, maxUnits: 1_000,
                                components: [Resource.Component(resourceID: 6, code: "disk_gb", amount: 2)])
        assertSame(APIController.ListResponse(items: [CatalogAPI.ResourceJSON(resource)], nextCursor: 5))
    }

    func testPlanAnswersAreFoundationsBytes() throws {
        let plan = PlansAPI.PlanJSON(
            id: 3, ownerId: 1, name: "Mail Pro", currency: "EUR", billingType: "prepaid", fixedPrice: false, pricesIncludeTaxes: true,
            trialDays: 14, changesInTrial: false, connector: "test", pricesOf: 1,
            periods: [.init(months: 1, fee: money(1_000)), .init(months: 12, fee: money(10_000))],
            resources: [.init(resourceId: 1, resourceCode: "mailbox", included: 5, minUnits: 0, maxUnits: 100, setupFee: money(0), recurringFee: money(150))],
            upgradePairs: [.init(id: 1, fromResourceCode: "mailbox", toResourceCode: "mailbox_pro", active: true, downgradable: false)],
            switchPaths: [4, 5])
        assertSame(plan)
        let eur = Currency(code: "EUR", exponent: 2)
        let prices = PlansAPI.PricesJSON(PriceSchedule(
            periodFees: [12: UnitPrice(scaled: 9_000_000, currency: eur), 1: UnitPrice(scaled: 900_000, currency: eur)],
            resourceFees: [2: .init(setupFee: UnitPrice(scaled: 0, currency: eur), recurringFee: UnitPrice(scaled: 1_234_567, currency: eur)),
                           1: .init(setupFee: UnitPrice(scaled: 50, currency: eur), recurringFee: UnitPrice(scaled: 120, currency: eur))]))
        assertSame(PlansAPI.PriceListJSON(sellerId: 2, planId: 3, prices: prices, netCost: nil, warnings: []))
        assertSame(PlansAPI.PriceListJSON(sellerId: 2, planId: 3, prices: prices, netCost: prices, warnings: ["below cost / check"]))
    }

    func testOrderQuoteAndCreditAnswersAreFoundationsBytes() throws {
        let line = SubscriptionsAPI.QuoteJSON.Line(kind: "resource", description: "2 × mailbox", resourceCode: "mailbox", quantityDelta: 2,
                                                   unitPrice: money(150), daysRemaining: 17, daysInPeriod: 31, amount: money(164))
        let bare = SubscriptionsAPI.QuoteJSON.Line(kind: "plan", description: "Mail Pro", resourceCode: nil, quantityDelta: nil, unitPrice: nil,
                                                   daysRemaining: 0, daysInPeriod: 31, amount: money(0))
        assertSame([line, bare])
        assertSame(SubscriptionsAPI.QuoteJSON.Converted(currency: "USD", rate: "1.08", rateId: nil, subtotal: money(177, "USD"),
                                                        discount: money(0, "USD"), tax: money(35, "USD"), total: money(212, "USD")))
        assertSame(OrderJSON.Line(kind: "resource", description: Self.awkward, resourceCode: nil, quantityDelta: -3, unitPrice: nil,
                                  daysRemaining: 3, daysInPeriod: 30, amount: money(-45), discount: money(0)))
        assertSame(InvoiceJSON.Line(description: "Renewal 2026-12", amount: money(1_000), discount: money(-100)))
        let entry = OrdersAPI.CreditJSON.Entry(id: 1, amount: money(500), reason: "goodwill", orderId: nil, invoiceId: 9, paymentId: nil,
                                               actor: "admin@provider.test", createdAt: Self.created)
        assertSame(OrdersAPI.CreditJSON(customerId: 7, balance: money(500), entries: [entry, entry], nextCursor: nil))
        assertSame(APIReason(code: "min_quantity", message: "At least 2.", details: ["resource_code": "mailbox", "minimum": "2"]))
        assertSame(APIReason(code: "blocked", message: "Blocked.", details: nil))
    }

    func testBillingAnswersAreFoundationsBytes() throws {
        var result = BillingRunResult()
        result.id = 3
        result.businessDate = "2026-12-03"
        result.renewalOrders = 1_000_000
        assertSame(BillingAPI.RunJSON(result: result, startedAt: Self.created, finishedAt: nil, node: "node-1"))
        assertSame(BillingAPI.RunJSON(result: result, startedAt: Self.created, finishedAt: Self.created.addingTimeInterval(61), node: "node-1"))
    }

    func testErrorAnswersAreFoundationsBytes() throws {
        let reasons = [APIReason(code: "a", message: "A.", details: ["x": "1"]), APIReason(code: "b", message: "B.", details: nil)]
        // Field names are the client's own text: any key, in any order, "reasons" among them.
        let fields = ["period_start": "bad", "z": "1", "A": "2", "resources.0.resource_code": "required", "é": "3", "\u{1}": "4", "reasons": "shadowed"]
        for (fields, reasons) in [([:], nil), (fields, nil), (fields, reasons), ([:], reasons)] as [([String: String], [APIReason]?)] {
            assertSame(APIErrorEnvelope(error: .init(code: "invalid", message: "Invalid / bad.", details: .init(fields: fields, reasons: reasons))))
        }
    }

    // MARK: Codable's corners

    struct Empty: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    struct Holder<T: Encodable>: Encodable {
        let value: T
        let other: Int
    }

    /// Explicit nils, nested optionals and containers asked for twice.
    struct Corners: Encodable {
        enum Key: String, CodingKey { case b, a, nested, list, again }
        func encode(to encoder: any Encoder) throws {
            var first = encoder.container(keyedBy: Key.self)
            try first.encode(Optional<Int>.none, forKey: .b)
            try first.encodeNil(forKey: .a)
            var nested = first.nestedContainer(keyedBy: Key.self, forKey: .nested)
            try nested.encode("x", forKey: .b)
            var list = first.nestedUnkeyedContainer(forKey: .list)
            try list.encode(Optional<Optional<Int>>.some(nil))
            try list.encodeNil()
            var inner = list.nestedContainer(keyedBy: Key.self)
            try inner.encode(1, forKey: .a)
            var second = encoder.container(keyedBy: Key.self)
            try second.encode(true, forKey: .again)
            try second.encode(false, forKey: .b)  // the later value of a key wins
        }
    }

    /// A container written to after a later one was opened: Foundation's answer, via Foundation.
    struct Interleaved: Encodable {
        enum Key: String, CodingKey { case one, two }
        func encode(to encoder: any Encoder) throws {
            var top = encoder.container(keyedBy: Key.self)
            var one = top.nestedUnkeyedContainer(forKey: .one)
            var two = top.nestedUnkeyedContainer(forKey: .two)
            try one.encode(1)
            try two.encode(2)
            try one.encode(3)
        }
    }

    class Base: Encodable {
        var base = "b/ase"
    }

    final class Derived: Base {
        enum Key: String, CodingKey { case derived }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(1, forKey: .derived)
            try super.encode(to: container.superEncoder())
        }
    }

    /// Keys Foundation keeps in a [String: value]: equal Swift strings are one key, first spelling, last value.
    struct EquivalentKeys: Encodable {
        typealias Key = APIErrorEnvelope.Details.Key
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(1, forKey: Key(stringValue: "e\u{301}"))
            try container.encode(2, forKey: Key(stringValue: "b"))
            try container.encode(3, forKey: Key(stringValue: "\u{e9}"))
            try container.encode(4, forKey: Key(stringValue: "b"))
        }
    }

    func testCodablesCornersAreFoundationsBytes() throws {
        assertSame(Holder(value: Empty(), other: 1))
        assertSame([Empty(), Empty()])
        assertSame(Corners())
        assertSame(Interleaved(), streamed: false)
        assertSame(Derived(), streamed: false)
        assertSame(EquivalentKeys())
        assertSame(Holder(value: [Int](), other: 0))
        assertSame(Holder(value: [String: String](), other: 0))
        assertSame(Holder(value: [1: "a", 20: "b", 3: "c"], other: 0))
        assertSame(Holder(value: Optional<Optional<Date>>.some(nil), other: 0))
        assertSame(Holder(value: URL(string: "https://example.test/a?b=c")!, other: 0))
        assertSame(Holder(value: Data([0, 1, 2, 250, 251, 252, 253, 254, 255]), other: 0))
        assertSame(Holder(value: Decimal(string: "12.3400")!, other: 0))
        assertSame(Holder(value: [1.0, 0.1, -0.0, 1e300, .leastNonzeroMagnitude, 123_456_789.125], other: 0))
        assertSame(Holder(value: Float(3.25), other: 0))
        assertSame(Holder(value: [Int8.min, Int8.max], other: 0))
        assertSame(Holder(value: [UInt64.max], other: 0))
        assertSame("top-level text")
        assertSame(Int64.min)
        assertSame(Optional<Int>.none)
        assertSame([Date(timeIntervalSince1970: 0.75), Date(timeIntervalSince1970: -1), Date(timeIntervalSinceReferenceDate: -63_114_076_800)])
    }

    func testErrorsAreFoundationsErrors() {
        for value in [Double.nan, .infinity, -.infinity] {
            XCTAssertThrowsError(try APIJSONEncoder.encode(Holder(value: value, other: 0))) { error in
                guard case EncodingError.invalidValue(_, let context) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(context.codingPath.map(\.stringValue), ["value"])  // Foundation's own error
            }
        }
        XCTAssertThrowsError(try APIJSONEncoder.encode(Empty())) { error in
            guard case EncodingError.invalidValue(_, let context) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(context.debugDescription, "Top-level Empty did not encode any values.")
        }
    }

    // MARK: Random values

    struct RandomLine: Encodable {
        let code: String
        let count: Int64
        let flag: Bool
        let note: String?
        enum CodingKeys: String, CodingKey { case code = "z_code", count, flag = "Flag", note }
    }

    struct RandomValue: Encodable {
        let text: String
        let int: Int64
        let small: Int32?
        let unsigned: UInt64
        let double: Double?
        let date: Date
        let maybeDate: Date?
        let nested: String??
        let lines: [RandomLine]
        let map: [String: String]
        let counts: [String: Int64]?
        let empty: [Int]
        let matrix: [[Int]]
        let optionals: [Int?]
        enum CodingKeys: String, CodingKey {
            case text, int = "int_value", small, unsigned = "Unsigned", double, date, maybeDate = "maybe_date", nested, lines, map, counts = "_counts"
            case empty, matrix, optionals
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encode(int, forKey: .int)
            try container.encodeIfPresent(small, forKey: .small)
            try container.encode(unsigned, forKey: .unsigned)
            try container.encodeIfPresent(double, forKey: .double)
            try container.encode(date, forKey: .date)
            try container.encode(maybeDate, forKey: .maybeDate)  // nil is written as null
            try container.encode(nested, forKey: .nested)
            try container.encode(lines, forKey: .lines)
            try container.encode(map, forKey: .map)
            try container.encodeIfPresent(counts, forKey: .counts)
            try container.encode(empty, forKey: .empty)
            try container.encode(matrix, forKey: .matrix)
            try container.encode(optionals, forKey: .optionals)
        }
    }

    /// Every control character, the characters JSON escapes, and text beyond ASCII.
    static let alphabet: [String] = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }
        + ["\"", "\\", "/", "\u{7F}", " ", "a", "Z", "_", "0", "9", "é", "e\u{301}", "\u{301}", "ß", "€", "中", "👩‍👩‍👧", "🇩🇪", "\u{FEFF}", "\u{2028}", "\u{10FFFF}"]

    func randomText(_ rng: inout EngineModelRNG, maxLength: Int = 12) -> String {
        (0..<Int.random(in: 0...maxLength, using: &rng)).map { _ in Self.alphabet.randomElement(using: &rng)! }.joined()
    }

    func randomDate(_ rng: inout EngineModelRNG) -> Date {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return Date(timeIntervalSince1970: Double.random(in: -62_000_000_000...253_402_300_799, using: &rng))  // years 1 to 9999, fractions
        case 1: return Date(timeIntervalSince1970: Double(Int64.random(in: -2_208_988_800 ... -2_208_988_700, using: &rng)))  // around 1900-01-01
        case 2: return Date(timeIntervalSince1970: Double(Int64.random(in: 253_402_300_700..<253_402_300_800, using: &rng)))  // the end of 9999
        default: return Date(timeIntervalSince1970: Double(Int64.random(in: -2_208_988_800..<4_102_444_800, using: &rng)))  // 1900 to 2100
        }
    }

    func randomValue(_ rng: inout EngineModelRNG) -> RandomValue {
        let bool = { (rng: inout EngineModelRNG) in Bool.random(using: &rng) }
        var double = Double(bitPattern: rng.next())
        if !double.isFinite { double = 0.5 }
        return RandomValue(
            text: randomText(&rng, maxLength: 40),
            int: [Int64.min, Int64.max, 0, -1, Int64.random(in: .min ... .max, using: &rng)].randomElement(using: &rng)!,
            small: bool(&rng) ? Int32.random(in: .min ... .max, using: &rng) : nil,
            unsigned: [UInt64.max, 0, rng.next()].randomElement(using: &rng)!,
            double: bool(&rng) ? [double, 0.1, 1, -0.0, 1e21, 1.5e-7].randomElement(using: &rng)! : nil,
            date: randomDate(&rng),
            maybeDate: bool(&rng) ? randomDate(&rng) : nil,
            nested: [.none, .some(.none), .some(randomText(&rng))].randomElement(using: &rng)!,
            lines: (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                RandomLine(code: randomText(&rng), count: Int64.random(in: -1_000...1_000, using: &rng), flag: bool(&rng), note: bool(&rng) ? randomText(&rng) : nil)
            },
            map: Dictionary((0..<Int.random(in: 0...6, using: &rng)).map { _ in (randomText(&rng, maxLength: 4), randomText(&rng)) }, uniquingKeysWith: { a, _ in a }),
            counts: bool(&rng) ? Dictionary((0..<Int.random(in: 0...4, using: &rng)).map { _ in (randomText(&rng, maxLength: 3), Int64.random(in: -5...5, using: &rng)) },
                                            uniquingKeysWith: { a, _ in a }) : nil,
            empty: [],
            matrix: (0..<Int.random(in: 0...2, using: &rng)).map { _ in (0..<Int.random(in: 0...2, using: &rng)).map { _ in Int.random(in: -9...9, using: &rng) } },
            optionals: (0..<Int.random(in: 0...3, using: &rng)).map { _ in bool(&rng) ? Int.random(in: -9...9, using: &rng) : nil })
    }

    /// Random values of every shape the answers use; the seed is printed with any difference
    /// (set APIJSON_SEED to replay one).
    func testRandomValuesAreFoundationsBytes() {
        let seed = ProcessInfo.processInfo.environment["APIJSON_SEED"].flatMap { UInt64($0) } ?? 0x5EED_2026_1203
        var rng = EngineModelRNG(state: seed)
        for round in 0..<2_000 {
            let value = randomValue(&rng)
            assertSame(value, "seed \(seed) round \(round):")
            if round % 10 == 0 { assertSame(Array(repeating: value, count: 3), "seed \(seed) round \(round) (array):") }
        }
    }

    // MARK: Answers of a running console

    /// Any JSON, to write an answer again the way Foundation writes it.
    enum JSONMirror: Codable, Equatable {
        case null, bool(Bool), int(Int64), double(Double), string(String), array([JSONMirror]), object([String: JSONMirror])

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if value.decodeNil() { self = .null }
            else if let bool = try? value.decode(Bool.self) { self = .bool(bool) }
            else if let int = try? value.decode(Int64.self) { self = .int(int) }
            else if let double = try? value.decode(Double.self) { self = .double(double) }
            else if let string = try? value.decode(String.self) { self = .string(string) }
            else if let array = try? value.decode([JSONMirror].self) { self = .array(array) }
            else { self = .object(try value.decode([String: JSONMirror].self)) }
        }

        func encode(to encoder: any Encoder) throws {
            var value = encoder.singleValueContainer()
            switch self {
            case .null: try value.encodeNil()
            case .bool(let bool): try value.encode(bool)
            case .int(let int): try value.encode(int)
            case .double(let double): try value.encode(double)
            case .string(let string): try value.encode(string)
            case .array(let array): try value.encode(array)
            case .object(let object): try value.encode(object)
            }
        }
    }

    /// The answers of an order's whole course (quote, order, invoice, refused and paid payments,
    /// credit) and of every list, as the console sends them: each is already in Foundation's form
    /// (read and written again by Foundation's encoder, the bytes do not change), and this encoder
    /// writes the same read value the same way.
    func testEveryAnswerOfAnOrdersCourseIsInFoundationsForm() async throws {
        try await withQuoteWorld { w, id in
            var answers: [(String, String)] = []
            func get(_ path: String, _ token: String) async throws {
                answers.append((path, try await w.api.call(.get, path, token: token).text))
            }
            let quote = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/quotes", token: w.customer,
                                             json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#)
            answers.append(("quote", quote.text))
            let order = try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                             json: #"{"resources":[{"resource_code":"ram_gb","additional":6}]}"#, idempotencyKey: "hjson-1")
            answers.append(("order", order.text))
            let orderID = try XCTUnwrap(order.json["id"] as? Int), invoiceID = try XCTUnwrap(order.json["invoice_id"] as? Int)
            answers.append(("declined", try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer,
                                                             json: #"{"method":"card","card_number":"4000000000000002"}"#).text))
            answers.append(("paid", try await w.api.call(.post, "/api/v1/invoices/\(invoiceID)/payments", token: w.customer,
                                                         json: #"{"method":"card","card_number":"4242 4242 4242 4242"}"#).text))
            answers.append(("refused", try await w.api.call(.post, "/api/v1/subscriptions/\(id)/orders", token: w.customer,
                                                            json: #"{"resources":[{"resource_code":"ram_gb","additional":99}]}"#).text))
            for path in ["/api/v1/me", "/api/v1/accounts", "/api/v1/accounts/\(w.fixture.c1.id)", "/api/v1/accounts/\(w.fixture.r1.id)/users",
                         "/api/v1/plans", "/api/v1/plans/\(w.plans["Silver"]!)", "/api/v1/resources", "/api/v1/resource-upgrades", "/api/v1/currencies",
                         "/api/v1/subscriptions", "/api/v1/subscriptions/\(id)", "/api/v1/orders", "/api/v1/orders/\(orderID)", "/api/v1/invoices",
                         "/api/v1/invoices/\(invoiceID)", "/api/v1/payments", "/api/v1/accounts/\(w.fixture.c1.id)/credit", "/api/v1/restrictions",
                         "/api/v1/accounts/\(w.fixture.r1.id)/reseller-charges", "/api/v1/orders/999999"] {
                try await get(path, w.reseller)
            }
            for path in ["/api/v1/billing-runs", "/api/v1/currency-rates", "/api/v1/promo-codes", "/api/v1/clock", "/api/v1/restriction-exceptions",
                         "/api/v1/connectors/test/rules", "/api/v1/price-lists/\(w.fixture.r1.id)/\(w.plans["Silver"]!)"] {
                try await get(path, w.provider)
            }
            for (path, text) in answers {
                let read = try JSONDecoder().decode(JSONMirror.self, from: Data(text.utf8))
                XCTAssertEqual(String(decoding: try Self.foundation.encode(read), as: UTF8.self), text, path)
                XCTAssertEqual(String(decoding: try APIJSONEncoder.encode(read), as: UTF8.self), text, path)
            }
            XCTAssertGreaterThan(answers.filter { $0.1.count > 200 }.count, 15, "the answers have content")
        }
    }

    // MARK: Cost (printed, not asserted)

    func testTheWriterIsCheaperThanFoundationOnAFiftyRowList() throws {
        let items = (1...50).map { SubscriptionsAPI.SubscriptionJSON(subscription(Int64($0), paidUntil: BusinessDate(year: 2027, month: 2, day: 14), scheduled: nil)) }
        let answer = APIController.ListResponse(items: items, nextCursor: 50)
        let rounds = 200
        func time(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<rounds { try body() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(rounds) / 1_000
        }
        let foundation = try time { _ = try Self.foundation.encode(answer) }
        let writer = try time { _ = try APIJSONEncoder.encode(answer) }
        print("50-row subscription list (debug build): Foundation \(Int(foundation)) µs, APIJSONEncoder \(Int(writer)) µs")
    }
}
