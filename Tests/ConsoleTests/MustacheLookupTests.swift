@testable import Console
import Commerce
import Foundation
@testable import MariaDB
import Mustache
@testable import Storage
import TestSupport
import XCTest

/// The templates read the view models by name through `MustacheParent.child(named:)`, not by
/// reflection (a `Mirror` per lookup was most of a page's CPU). A hand-written lookup can forget a
/// property, serve one under another's name, or serve a name that is not a property: each rule
/// below fails if that happens.
final class MustacheLookupTests: XCTestCase {
    // MARK: The rules

    /// Every view model reachable from each sample page serves each stored property (as `Mirror`
    /// sees them, which is what the templates read before) under its own name with the same value,
    /// and no other name of the templates' or the view models' vocabulary.
    func testEveryViewModelServesEachStoredPropertyUnderItsNameAndNothingElse() throws {
        var checked: Set<String> = []
        let vocabulary = try Self.templateNames().union(Self.allPropertyNames())
        for page in Self.samplePages {
            Self.check(page, path: "\(type(of: page))", vocabulary: vocabulary, checked: &checked)
        }
        // Every conforming view model is met at least once by the samples.
        XCTAssertEqual(checked.count, Self.viewModelCount, "view models checked: \(checked.sorted())")
    }

    /// Every name a template reads (`{{name}}`, `{{#name}}`, `{{^name}}`, each part of `a.b`) is a
    /// property that some view model serves, or one of the few names listed here.
    func testEveryNameInTheTemplatesIsServed() throws {
        var served: Set<String> = []
        for page in Self.samplePages { Self.collectServedNames(page, into: &served) }
        // `counts.*` on the billing runs page reads Storage's `BillingRunResult`, which keeps Mirror
        // (a provider-only page, rendered rarely; its module doesn't know the templates).
        let billingRunResult = Set(Mirror(reflecting: BillingRunResult()).children.compactMap(\.label))
        // `brand` is the layout's: `PageFrame` serves it beside every page (the BrandView samples serve its names).
        let builtIns: Set<String> = [".", "brand"]
        let unserved = try Self.templateNames().subtracting(served).subtracting(billingRunResult).subtracting(builtIns)
        XCTAssertEqual(unserved, [], "names used in Views/*.mustache that no view model serves")
    }

    /// A `{{#text}}` section pushes the String itself: lookups inside it ask the String first.
    /// Reflection finds no named child in a String, so `String.child(named:)` is nil for every name.
    func testAStringServesNoNameAsReflectionFoundNone() {
        let text = "Renews on 2026-05-01 for EUR 12.00"
        XCTAssertEqual(Mirror(reflecting: text).children.compactMap(\.label), [])
        for name in ["count", "isEmpty", "first", "_guts", "renewal", "description"] {
            XCTAssertNil(text.child(named: name), name)
        }
    }

    /// The page renders the same through the lookups as through reflection: a sample page rendered
    /// with its view model and with the same values as plain dictionaries (looked up by key).
    func testASubscriptionsPageRendersTheSameByNameAsFromItsValues() async throws {
        let library = try await MustacheLibrary(directory: TestDatabase.repositoryRoot.appendingPathComponent("Views").path)
        let page = Self.subscriptionsIndex
        let viaLookups = try XCTUnwrap(library.render(page, withTemplate: "subscriptions_index"))
        let viaValues = try XCTUnwrap(library.render(Self.dictionary(page), withTemplate: "subscriptions_index"))
        XCTAssertEqual(viaLookups, viaValues)
        XCTAssertTrue(viaLookups.contains(#"<tr id="subscription-row-90210"><td><a href="/subscriptions/90210">90210</a></td><td>Acme GmbH</td>"#), viaLookups)
        XCTAssertTrue(viaLookups.contains(#"href="/subscriptions?cursor=90100" id="subscriptions-next""#), viaLookups)
        XCTAssertTrue(viaLookups.contains(#"id="flash">Saved.</div>"#), viaLookups)
    }

    // MARK: Walking the values

    static func unwrapOptional(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }

    static func describe(_ value: Any?) -> String {
        value.map { String(describing: $0) } ?? "nil"
    }

    static func isViewModel(_ value: Any) -> Bool {
        String(reflecting: type(of: value)).hasPrefix("Console.")
    }

    static func check(_ value: Any, path: String, vocabulary: Set<String>, checked: inout Set<String>,
                      file: StaticString = #filePath, line: UInt = #line) {
        guard let value = unwrapOptional(value) else { return }
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .collection {
            XCTAssertFalse(mirror.children.isEmpty, "\(path): an empty list checks nothing", file: file, line: line)
            for (index, element) in mirror.children.enumerated() {
                check(element.value, path: "\(path)[\(index)]", vocabulary: vocabulary, checked: &checked, file: file, line: line)
            }
            return
        }
        guard isViewModel(value) else { return }
        let typeName = String(reflecting: type(of: value))
        guard let parent = value as? any MustacheParent else {
            XCTFail("\(path): \(typeName) is rendered but looked up by reflection (not a MustacheParent)", file: file, line: line)
            return
        }
        checked.insert(typeName)
        var labels: Set<String> = []
        var shown: [String: String] = [:]
        for child in mirror.children {
            guard let label = child.label else { continue }
            labels.insert(label)
            let mirrored = unwrapOptional(child.value)
            XCTAssert(mirrored != nil || alwaysNil.contains("\(typeName).\(label)"), "\(path).\(label): give the sample a value, nil checks nothing", file: file, line: line)
            let served = parent.child(named: label)
            XCTAssertEqual(describe(served), describe(mirrored), "\(path).\(label) is served with another value", file: file, line: line)
            // Two properties with the same value could be swapped unnoticed: samples keep them apart.
            if let mirrored, !(mirrored is Bool) {
                let text = describe(mirrored)
                if let other = shown[text] {
                    XCTFail("\(path): \(other) and \(label) have the same sample value \(text)", file: file, line: line)
                }
                shown[text] = label
            }
            check(child.value, path: "\(path).\(label)", vocabulary: vocabulary, checked: &checked, file: file, line: line)
        }
        for name in vocabulary.subtracting(labels) {
            XCTAssertNil(parent.child(named: name), "\(path) serves \(name), which is not one of its stored properties", file: file, line: line)
        }
    }

    static func collectServedNames(_ value: Any, into served: inout Set<String>) {
        guard let value = unwrapOptional(value) else { return }
        let mirror = Mirror(reflecting: value)
        for child in mirror.children {
            if let label = child.label, isViewModel(value), let parent = value as? any MustacheParent, parent.child(named: label) != nil {
                served.insert(label)
            }
            collectServedNames(child.value, into: &served)
        }
    }

    /// The same values as nested dictionaries and arrays, which swift-mustache reads by key.
    static func dictionary(_ value: Any) -> Any {
        guard let value = unwrapOptional(value) else { return Optional<Any>.none as Any }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .collection: return mirror.children.map { dictionary($0.value) }
        case .struct where isViewModel(value):
            var result: [String: Any] = [:]
            for child in mirror.children {
                guard let label = child.label, let inner = unwrapOptional(child.value) else { continue }
                result[label] = dictionary(inner)
            }
            return result
        default: return value
        }
    }

    static let nameInTag = try! NSRegularExpression(pattern: #"\{\{\s*([#^&/]?)\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*\}\}"#)

    /// Every name the templates look up, each part of a dotted name on its own.
    static func templateNames() throws -> Set<String> {
        let views = TestDatabase.repositoryRoot.appendingPathComponent("Views")
        var names: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: views.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: views.appendingPathComponent(file), encoding: .utf8)
            for match in nameInTag.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let sigil = Range(match.range(at: 1), in: text), text[sigil] != "/",
                      let name = Range(match.range(at: 2), in: text) else { continue }
                let full = String(text[name])
                if full == "." { names.insert(full); continue }
                // `{{t.key}}` and `{{language.code}}` are the page frame's (`CatalogView`, `LanguageView`), not a view model's.
                if full.hasPrefix("t.") || full.hasPrefix("language.") { continue }
                names.formUnion(full.split(separator: ".").map(String.init))
            }
        }
        XCTAssertGreaterThan(names.count, 300, "the template scan found too few names: the pattern is broken")
        return names
    }

    static func allPropertyNames() -> Set<String> {
        var names: Set<String> = []
        func walk(_ value: Any) {
            guard let value = unwrapOptional(value) else { return }
            for child in Mirror(reflecting: value).children {
                if let label = child.label, isViewModel(value) { names.insert(label) }
                walk(child.value)
            }
        }
        samplePages.forEach(walk)
        return names
    }

    // MARK: Samples: every page with every optional set and every list non-empty

    static let viewModelCount = 110
    /// Constants of pages without a signed-in user: nothing else may be nil in a sample.
    static let alwaysNil: Set<String> = ["Console.AuthController.SignInPage.chrome", "Console.HomePage.chrome",
                                         "Console.PeopleController.ResetRequestPage.chrome", "Console.PeopleController.ResetPage.chrome"]

    static let chrome: Chrome = {
        let actor = Actor(userID: 41, email: "ops@acme.example", name: "Olga Ops", role: .admin, accountID: 7001, accountKind: .customer,
                          accountName: "Acme GmbH (own)", accountPath: "/1/3/7001/", address: "10.0.0.9")
        var session = ConsoleSession(userID: 41)
        session.csrfToken = "csrf-5f1d"
        session.flash = "Saved."
        let box = SessionBox(session)
        box.availableCredit = "EUR 31.50"
        return Chrome(actor: actor, session: box, section: .subscriptions)
    }()

    static let option = Option(value: "active", label: "Active (3)", selected: true)
    static let field = Field(value: "12.50", error: "Must be at most 10.")
    static let date = Date(timeIntervalSince1970: 1_777_000_000)

    static let auditRow = AuditRow(AuditFeed.Item(entry: AuditLog.Entry(
        id: 88001, occurredAt: date, actor: "ops@acme.example", accountID: 7001, accountName: "Acme GmbH", objectType: "subscription",
        objectID: 90210, action: "subscription.status", before: #"{"status":"active"}"#, after: #"{"status":"blocked"}"#, address: "10.0.0.9"),
        sentence: AuditSentence(parts: [.init(text: "subscription #90210", link: .subscription(90210))])))

    /// A stored row as the driver hands it over (Account and User are only made from rows).
    static func row(_ fields: KeyValuePairs<String, MariaDBData>) -> MariaDBRow {
        MariaDBRow(columns: MariaDBColumns(names: fields.map(\.key)), values: fields.map(\.value))
    }

    static func account(id: Int64, kind: String, name: String, currency: String, taxRate: String, status: String, email: String, day: Int) -> Account {
        let created = MariaDBData.datetime(MariaDBTimestamp(date: MariaDBCalendarDate(year: 2026, month: 3, day: day), hour: 9, minute: 30, second: 0, microsecond: 0))
        return try! Account(row: row([
            "id": .int(id), "parent_id": .int(3), "kind": .string(kind), "name": .string(name), "path": .string("/1/3/\(id)/"), "depth": .int(2),
            "currency": .string(currency), "tax_rate": .decimal(taxRate), "status": .string(status), "contact_name": .string("Contact of \(name)"),
            "contact_email": .string(email), "contact_phone": .string("+49 30 \(id)"), "address": .string("Main St \(id), Berlin"),
            "created_at": created, "updated_at": created, "status_changed_at": created, "status_changed_by": .int(2),
        ]))
    }

    static let accountRow = AccountRow(account(id: 7001, kind: "customer", name: "Acme GmbH", currency: "EUR", taxRate: "0.1900", status: "active",
                                               email: "ann@acme.example", day: 2), restriction: "Unpaid invoices")
    static let userRow = UserRow(try! User(row: row([
        "id": .int(41), "account_id": .int(7001), "email": .string("ops@acme.example"), "name": .string("Olga Ops"), "role": .string("operator"),
        "status": .string("disabled"), "locale": .string("bn"),
        "created_at": .datetime(MariaDBTimestamp(date: MariaDBCalendarDate(year: 2026, month: 3, day: 4), hour: 8, minute: 0, second: 0, microsecond: 0)),
    ])))

    static let billingTabs = BillingController.Tabs(orders: true, invoices: false, payments: false, credit: false, creditHref: "/accounts/7001/credit",
                                                    charges: true, showCharges: false, showRuns: true)

    static let subscriptionsIndex = SubscriptionsController.IndexPage(
        chrome: chrome,
        rows: [.init(id: 90210, href: "/subscriptions/90210", customer: "Acme GmbH", plan: "Web Pro", status: "active", period: "2026-04-01 → 2026-05-01")],
        empty: false, statuses: [option], customerID: "7001", plans: [Option(value: "12", label: "Web Pro", selected: false)], hasPlans: true,
        nextHref: "/subscriptions?cursor=90100", newHref: "/subscriptions/new?customer_id=7001",
        exportHref: "/subscriptions/export?status=active&plan_id=12")

    static let orderLink = SubscriptionsController.OrderLink(id: 5501, href: "/orders/5501", summary: "+2 RAM", statusLabel: "Awaiting payment",
                                                             badge: "text-bg-warning", total: "EUR 4.00", created: "2026-04-20", payHref: "/invoices/661/checkout")

    static let subscriptionShow = SubscriptionsController.ShowPage(
        chrome: chrome, id: 90210, ofText: "#90210 of", customer: "Acme GmbH", customerHref: "/accounts/7001", plan: "Web Pro", status: "active", isActive: true,
        period: "2026-04-01 → 2026-05-01", months: "1 month(s)",
        resources: [.init(code: "ram_gb", name: "RAM", unit: "GB", included: "4", additional: 2, additionalText: "২", total: "6", usage: 5, usageText: "৫")],
        history: [auditRow], changeHref: "/subscriptions/90210/change", canChange: true, isStaff: false, csrf: "csrf-5f1d",
        statusAction: "/subscriptions/90210/status", usageAction: "/subscriptions/90210/usage", statuses: [option], orders: [orderLink], hasOrders: true,
        ordersHref: "/orders?subscription_id=90210", openOrder: orderLink, renewal: "Renews on 2026-05-01 for EUR 12.00", endsAtPeriodEnd: false,
        isCancelled: true, canCancel: false, cancelAction: "/subscriptions/90210/cancel", cancelRefund: "refunds EUR 3.10 to credit",
        scheduled: "RAM → 3", scheduleAction: "/subscriptions/90210/schedule", invoicesHref: "/invoices?subscription_id=90210")

    static let estimate = SubscriptionsController.EstimateView(
        lines: [.init(description: "RAM +2", days: "10/30", amount: "EUR 1.33")], hasLines: true, subtotal: "EUR 1.33", discount: "-EUR 0.13",
        hasDiscount: true, tax: "EUR 0.23", total: "EUR 1.43", isRefund: false, refund: "EUR 0.00", planCurrencyTotal: "USD 1.55", rate: "1 EUR = 1.0840 USD",
        reasons: [.init(code: "below_usage", message: "RAM is below its usage.")], blocked: true, effectiveDate: "2026-04-21", forDate: "for 2026-04-21",
        rateText: "Priced in the plan currency: USD 1.55, converted at 1.0840.",
        submit: .init(action: "/subscriptions/90210/orders", csrf: "csrf-5f1d", fields: [.init(name: "RAM", value: "6")], idempotencyKey: "idem-77"),
        submitLabel: "Order now", schedule: .init(action: "/subscriptions/90210/schedule", csrf: "csrf-9a", fields: [.init(name: "CPU", value: "1")], idempotencyKey: "idem-78"),
        renewalDate: "2026-05-01", scheduleLabel: "Schedule for the renewal on 2026-05-01")

    static let subscriptionChange = SubscriptionsController.ChangePage(
        chrome: chrome, id: 90210, plan: "Web Pro", action: "/subscriptions/90210/estimate",
        resources: [.init(code: "RAM", name: "Memory", included: 4, additional: 2, min: 1, max: 64, usage: 5, usageFloor: 3,
                          facts: "included 4 · in use 5 · limits 1–64", value: "7", error: "Too many.")],
        switches: [option], hasSwitches: true, plans: [Option(value: "12", label: "Web Pro", selected: false)], hasPlans: true,
        periods: [Option(value: "12", label: "12 months", selected: true)], promo: "SPRING", promoAllowed: true, estimate: estimate, planError: "Not sold.")

    static let dashboard = DashboardController.DashboardPage(
        chrome: chrome, heading: "Provider dashboard", isStaff: true, isProvider: true, resellerCount: 12, customerCount: 10_000,
        accountHref: "/accounts/1", accountName: "Provider Ltd", accountCurrency: "EUR", accountTaxRate: "19%", userCount: 3, rows: [auditRow], canCreate: true,
        charts: [.init(id: "mrr", title: "Monthly recurring revenue", json: "{}", labelHeader: "Month", headers: ["USD"],
                       rows: [.init(label: "2026-04", cells: ["42.00 USD"])], empty: false)],
        renewals: [.init(href: "/subscriptions/90210", plan: "Web Pro", date: "2026-05-26", amount: "50.40 USD")], hasRenewals: true)

    static let audit = AuditController.AuditPage(
        chrome: chrome, rows: [auditRow], empty: false, account: Field(value: "Acme", error: "Keep it to 100 characters."), accountID: "7001",
        accountIDError: "account_id: must be a whole number.", objectTypes: [option], objectTypeError: "object_type is an object type.",
        user: Field(value: "ops@", error: "Keep it to 254 characters."), from: Field(value: "2026-02-30", error: "from is a date."), to: Field(value: "2026-03-01", error: "to is a date."),
        formError: "Check the filters marked below.", nextHref: "/audit?cursor=88000", exportHref: "/audit/export?account_id=7001")

    static let accountsIndex = AccountsController.IndexPage(
        chrome: chrome, heading: "Customers", kind: "customer", search: "acme", rows: [accountRow], empty: false,
        nextHref: "/accounts?cursor=7000&kind=customer", newHref: "/accounts/new?kind=customer", newLabel: "New customer", exportHref: "/accounts/export?kind=customer&q=acme")

    static let accountShow = AccountsController.ShowPage(
        chrome: chrome, account: accountRow, lineage: [.init(name: "Reseller One", href: "/accounts/3")], contactName: "Ann Acme",
        contactEmail: "ann@acme.example", contactPhone: "+49 30 1234", address: "Main St 1, Berlin", users: [userRow],
        children: [AccountRow(account(id: 7002, kind: "reseller", name: "Acme Sub", currency: "USD", taxRate: "0.0700", status: "suspended",
                                      email: "sam@sub.example", day: 5), restriction: "Fraud check")],
        hasChildren: true, canAddUser: true, canAddChildren: false, newUserHref: "/accounts/7001/users/new",
        newResellerHref: "/accounts/new?kind=reseller&parent_id=7001", newCustomerHref: "/accounts/new?kind=customer&parent_id=7001",
        auditHref: "/audit?account_id=7001", canRestrict: true, newServiceHref: "/subscriptions/new?customer_id=7001", brandingHref: "/accounts/7001/branding", restrictAction: "/restrictions",
        restrictionsHref: "/restrictions#list", csrf: "csrf-5f1d",
        lifecycle: AccountLifecyclePanel(
            statusLabel: "Suspended", statusChange: "Suspended 2026-04-20 10:03:00 UTC by Reseller One", isClosed: true, canEdit: true,
            editAction: "/accounts/7001", statusAction: "/accounts/7001/status", canSuspend: true, canLift: true, canClose: true,
            name: Field(value: "Acme", error: "Required."), contactName: Field(value: "Ann", error: "Too long."),
            contactEmail: Field(value: "ann@", error: "Not an address."), contactPhone: Field(value: "+49", error: "Too long."),
            address: Field(value: "Main St 1", error: "Too long."), taxRate: Field(value: "1.5", error: "Below 1."),
            formError: "Check the fields marked below."))

    static let newAccount = AccountsController.NewAccountPage(
        chrome: chrome, heading: "New customer", csrf: "csrf-5f1d", kinds: [option], parents: [Option(value: "3", label: "Reseller One", selected: true)],
        name: Field(value: "Acme", error: "Taken."), currency: Field(value: "EUR", error: "Unknown."), taxRate: Field(value: "19", error: "Too high."),
        contactName: Field(value: "Ann", error: "Required."), contactEmail: Field(value: "ann@", error: "Not an address."),
        contactPhone: Field(value: "+49", error: "Too short."), address: Field(value: "Main", error: "Too long."),
        kindError: "Pick a kind.", parentError: "Pick a parent.", formError: "Fix the marked fields.")

    static let newUser = AccountsController.NewUserPage(
        chrome: chrome, account: accountRow, heading: "Add a user to Acme GmbH", csrf: "csrf-5f1d", action: "/accounts/7001/users", email: Field(value: "x@", error: "Not an address."),
        name: Field(value: "X", error: "Too short."), password: Field(value: "", error: "At least 12 characters."), roles: [option],
        roleError: "Pick a role.", formError: "Fix the marked fields.")

    static let orders = BillingController.OrdersPage(
        chrome: chrome, tabs: billingTabs,
        rows: [.init(id: 5501, href: "/orders/5501", created: "2026-04-20", customer: "Acme GmbH", subscription: "#90210", subscriptionHref: "/subscriptions/90210",
                     kind: "change", summary: "+2 RAM", status: "awaiting_payment", statusLabel: "Awaiting payment", badge: "text-bg-warning",
                     total: "EUR 4.00", invoiceHref: "/invoices/661")],
        empty: false, statuses: [option], subscriptionID: "90210", nextHref: "/orders?cursor=5500", exportHref: "/orders/export?subscription_id=90210")

    static let orderShow = BillingController.OrderPage(
        chrome: chrome, id: 5501, kind: "change", summary: "+2 RAM", status: "awaiting_payment", statusLabel: "Awaiting payment", badge: "text-bg-warning",
        customer: "Acme GmbH", customerHref: "/accounts/7001", subscriptionHref: "/subscriptions/90210", subscriptionID: "90210", effectiveDate: "2026-04-21",
        created: "2026-04-20 10:00:00", completed: "2026-04-20 10:05:00", failureReason: "Connector down",
        lines: [.init(description: "RAM +2", days: "10/30", amount: "EUR 4.44", discount: "-EUR 0.44")], subtotal: "EUR 4.44", discount: "-EUR 0.40",
        tax: "EUR 0.76", total: "EUR 4.80", planCurrencyTotal: "USD 5.20", rate: "1 EUR = 1.0840 USD",
        rateText: "Priced in the plan currency: USD 5.20, converted at 1.0840 when the order was placed.", isRefund: false, isPostpaid: true,
        invoiceHref: "/invoices/661", payHref: "/invoices/661/checkout", canCancel: true, cancelAction: "/orders/5501/cancel", csrf: "csrf-5f1d",
        promo: "SPRING", expires: "2026-04-27 10:00:00")

    static let invoices = BillingController.InvoicesPage(
        chrome: chrome, tabs: billingTabs,
        rows: [.init(id: 661, href: "/invoices/661", number: "INV-2026-000661", issued: "2026-04-20", customer: "Acme GmbH", status: "unpaid",
                     statusLabel: "unpaid (open)", badge: "text-bg-warning", total: "EUR 4.80", due: "EUR 2.80", payHref: "/invoices/661/checkout")],
        empty: false, statuses: [option], nextHref: "/invoices?cursor=660", exportHref: "/invoices/export?status=unpaid")

    static let paymentRow = BillingController.InvoicePage.PaymentRow(when: "2026-04-20 10:03:00", method: "Card", status: "succeeded", amount: "EUR 2.00",
                                                                      detail: "card ending 4242")

    static let invoiceShow = BillingController.InvoicePage(
        chrome: chrome, id: 661, number: "INV-2026-000661", status: "unpaid", statusLabel: "Unpaid (open)", badge: "text-bg-warning", issued: "2026-04-20", seller: "Reseller One", sellerBrand: "Northwind Cloud", supportEmail: "support@northwind.example",
        customer: "Acme GmbH", customerAddress: "Main St 1, Berlin", customerEmail: "ann@acme.example",
        lines: [.init(description: "RAM +2", amount: "EUR 4.44", discount: "-EUR 0.44")], subtotal: "EUR 4.44", discount: "-EUR 0.40",
        taxLabel: "Tax 19%", tax: "EUR 0.76", total: "EUR 4.80", paid: "EUR 2.00", due: "EUR 2.80", isUnpaid: true, payHref: "/invoices/661/checkout",
        pdfHref: "/invoices/661/pdf", orderHref: "/orders/5501", orderID: "5501", payments: [paymentRow], hasPayments: true)

    static let checkout = BillingController.CheckoutPage(
        chrome: chrome, id: 661, number: "INV-2026-000661", title: "Pay invoice INV-2026-000661", creditNote: "(available EUR 31.50)", payLabel: "Pay EUR 2.80",
        invoiceHref: "/invoices/661", total: "EUR 4.80", paid: "EUR 2.00", due: "EUR 2.80",
        hasPaid: true, credit: "EUR 31.50", hasCredit: true, creditCovers: true, isStaff: false, action: "/invoices/661/payments", csrf: "csrf-5f1d",
        error: "The card was declined.", cardNumber: "4000000000000002")

    static let payments = BillingController.PaymentsPage(
        chrome: chrome, tabs: billingTabs,
        rows: [.init(when: "2026-04-20 10:03:00", invoice: "#661", invoiceHref: "/invoices/661", customer: "Acme GmbH", method: "Card", status: "succeeded",
                     badge: "text-bg-success", amount: "EUR 2.00", detail: "card ending 4242")],
        empty: false, nextHref: "/payments?cursor=300", exportHref: "/payments/export")

    static let credit = BillingController.CreditPage(
        chrome: chrome, tabs: billingTabs, title: "Credit of Acme GmbH", customer: "Acme GmbH", customerHref: "/accounts/7001", balance: "EUR 31.50",
        rows: [.init(when: "2026-04-20 10:03:00", amount: "EUR 3.10", isCredit: true, reason: "Refund of order #5499", orderHref: "/orders/5499",
                     orderID: "5499", invoiceHref: "/invoices/659", actor: "ops@acme.example")],
        empty: false, nextHref: "/accounts/7001/credit?cursor=12",
        adjustment: CreditAdjustmentForm(action: "/accounts/7001/credit-adjustments", csrf: "csrf-5f1d", currency: "EUR",
                                         amountLabel: "Amount (EUR; negative takes credit away)",
                                         amount: Field(value: "-20", error: "Below zero."), reason: Field(value: "Reversal", error: "Required."),
                                         allowNegative: true, formError: "The adjustment was not posted."),
        exportHref: "/accounts/7001/credit/export")

    static let restrictions = RestrictionsController.Page(
        chrome: chrome, csrf: "csrf-5f1d",
        rows: [.init(id: 31, account: "Acme GmbH", accountHref: "/accounts/7001", restrictedBy: "Reseller One", reason: "Unpaid invoices",
                     created: "2026-04-01 09:00:00", createdBy: "boss@reseller.example", active: true, lifted: "lifted 2026-04-02 by boss",
                     liftAction: "/restrictions/31/lift")],
        empty: false, exceptions: [.init(plan: "Web Pro", removeAction: "/restrictions/exceptions/4/remove")], hasExceptions: true,
        plans: [option], canEdit: true, accountName: "Reseller One", exceptionsHeading: "Exceptions list of Reseller One",
        exceptionsHelp: "These plans stay changeable.", nextHref: "/restrictions?cursor=30")

    static let charges = RestrictionsController.ChargesPage(
        chrome: chrome, tabs: billingTabs,
        rows: [.init(reseller: "Reseller One", resellerHref: "/accounts/3", period: "2026-04", sold: "EUR 120.00", owed: "EUR 90.00", margin: "EUR 30.00",
                     orders: "14", isOwn: true)],
        empty: false, isProvider: true, exportHref: "/reseller-charges/export")

    static let catalogCurrencies = CatalogController.CurrenciesPage(
        chrome: chrome, csrf: "csrf-5f1d", canEdit: true, currencies: [.init(code: "EUR", name: "Euro", exponent: 2, example: "EUR 1,234.56")],
        rates: [.init(id: 9, pair: "EUR → USD", rate: "1.0840", effectiveFrom: "2026-04-01", inEffect: true)], hasRates: true,
        code: Field(value: "JPY", error: "Exists."), name: Field(value: "Yen", error: "Too short."), exponent: Field(value: "7", error: "At most 4."),
        from: Field(value: "EUR", error: "Unknown from."), to: Field(value: "XXX", error: "Unknown to."), rate: Field(value: "-1", error: "Positive."),
        effectiveFrom: Field(value: "2026-13-01", error: "Not a date."), formError: "Fix the marked fields.")

    static let resourceRow = CatalogController.ResourceRow(id: 5, href: "/catalog/resources/5", code: "RAM", name: "Memory", unit: "GB", kind: "quantity",
                                                           limits: "1–64", components: "none", pairable: true)
    static let upgradeRow = CatalogController.UpgradeRow(id: 2, fromCode: "HDD", fromHref: "/catalog/resources/6", toCode: "SSD", toHref: "/catalog/resources/7",
                                                         downgradable: true, active: false, fee: "EUR 5.00", hasLicense: true, action: "/catalog/upgrades/2")

    static let catalogResources = CatalogController.ResourcesPage(
        chrome: chrome, csrf: "csrf-5f1d", canEdit: true, resources: [resourceRow], kinds: [option], code: Field(value: "R@M", error: "Letters only."),
        name: Field(value: "M", error: "Too short."), unit: Field(value: "", error: "Required."), minUnits: Field(value: "-1", error: "At least 0."),
        maxUnits: Field(value: "0", error: "At least min."), components: Field(value: "X", error: "Unknown."), formError: "Fix the marked fields.")

    static let catalogResource = CatalogController.ResourcePage(
        chrome: chrome, resource: resourceRow, pairs: [upgradeRow], hasPairs: true, uses: ["Web Pro"], inUse: true, csrf: "csrf-5f1d", canEdit: true,
        action: "/catalog/resources/5", deleteAction: "/catalog/resources/5/delete", name: Field(value: "M", error: "Too short."),
        unit: Field(value: "", error: "Required."), minUnits: Field(value: "-1", error: "At least 0."), maxUnits: Field(value: "0", error: "At least min."),
        formError: "Fix the marked fields.")

    static let catalogUpgrades = CatalogController.UpgradesPage(
        chrome: chrome, csrf: "csrf-5f1d", canEdit: true, pairs: [upgradeRow], hasPairs: true, fromOptions: [option],
        toOptions: [Option(value: "SSD", label: "SSD storage", selected: false)], currencyOptions: [Option(value: "EUR", label: "Euro", selected: true)],
        fee: Field(value: "x", error: "Not an amount."), fromError: "Pick one.", toError: "Pick another.", downgradableError: "Not for licenses.",
        downgradable: true, active: false, formError: "Fix the marked fields.")

    static let plansIndex = PlansController.IndexPage(
        chrome: chrome, rows: [.init(id: 12, href: "/plans/12", name: "Web Pro", currency: "EUR", billingType: "prepaid", periods: "1, 12 months",
                                     own: true, priceListHref: "/plans/12/prices")],
        empty: false, canCreate: true)

    static let planEditor = PlansController.EditorPage(
        chrome: chrome, heading: "Edit Web Pro", action: "/plans/12", csrf: "csrf-5f1d", name: Field(value: "Web Pro", error: "Taken."),
        currencies: [option], billingTypes: [Option(value: "prepaid", label: "Prepaid", selected: true)], fixedPrice: true, pricesIncludeTaxes: false,
        trialDays: Field(value: "400", error: "At most 365."), changesInTrial: true,
        periods: [.init(months: 12, monthsLabel: "12 month(s)", offered: true, fee: Field(value: "99.00", error: "Too many decimals."))], periodsError: "Offer one period.",
        resources: [.init(resourceID: 5, code: "RAM", name: "Memory", unit: "GB", resourceMin: 1, resourceMax: 64, offered: true,
                          included: Field(value: "4", error: "Above max."), minUnits: Field(value: "1", error: "Below min."),
                          maxUnits: Field(value: "65", error: "Above 64."), setupFee: Field(value: "1.5", error: "Negative."),
                          recurringFee: Field(value: "2.5", error: "Too large."))],
        formError: "Fix the marked fields.", currencyLocked: true)

    static let planShow = PlansController.ShowPage(
        chrome: chrome, csrf: "csrf-5f1d", name: "Web Pro", facts: [.init(label: "Billing", value: "prepaid")],
        periods: [.init(label: "12 months", value: "EUR 99.00")],
        resources: [.init(code: "RAM", included: "4", limits: "1–64", setupFee: "EUR 1.50", recurringFee: "EUR 2.50")],
        pairs: [.init(id: 2, label: "HDD → SSD", active: true, downgradable: false)], hasPairs: true,
        switchPaths: [.init(name: "Web Max", href: "/plans/13")], hasSwitchPaths: true, switchTargets: [option], hasSwitchTargets: true,
        delegations: [.init(name: "Reseller One", href: "/accounts/3")], hasDelegations: true,
        delegationTargets: [Option(value: "3", label: "Reseller One", selected: false)], hasDelegationTargets: true, canEdit: true, canDelegate: false,
        editHref: "/plans/12/edit", switchAction: "/plans/12/switch-paths", delegateAction: "/plans/12/delegations", priceListHref: "/plans/12/prices",
        pricesNote: "Prices exclude tax.")

    static let priceList = PlansController.PriceListPage(
        chrome: chrome, csrf: "csrf-5f1d", title: "Prices for Web Pro", intro: "In EUR, the plan's currency.", planName: "Web Pro", planHref: "/plans/12",
        currency: "EUR", action: "/plans/12/prices",
        periods: [.init(key: "period_12", label: "12 months", field: Field(value: "99.00", error: "Below cost."), netCost: "EUR 80.00",
                        second: Field(value: "9.00", error: "Below setup cost."), secondKey: "setup_12", secondNetCost: "EUR 7.00")],
        resources: [.init(key: "RAM", label: "Memory", field: Field(value: "2.50", error: "Below cost."), netCost: "EUR 2.00",
                          second: Field(value: "1.50", error: "Below setup cost."), secondKey: "setup_RAM", secondNetCost: "EUR 1.00")],
        warnings: ["RAM sells below cost."], hasWarnings: true, formError: "Fix the marked fields.")

    static let mailIndex = MailController.IndexPage(
        chrome: chrome, directory: "/srv/console/.local/mail",
        rows: [.init(href: "/mail/20261203T174537.123Z-1a2b3c4d", date: "2026-12-03 17:45:37 UTC", to: "Ada <ada@acme.test>", subject: "Invoice INV-2-000041")],
        empty: false)

    static let mailShow = MailController.ShowPage(
        chrome: chrome, subject: "Invoice INV-2-000041", from: "Northwind Hosting <billing@console.test>", to: "Ada <ada@acme.test>",
        date: "2026-12-03 17:45:37 UTC", text: "Hello Ada,", html: "<p>Hello Ada,</p>", rawHref: "/mail/20261203T174537.123Z-1a2b3c4d/eml")

    static let settings = SettingsController.SettingsPage(
        chrome: chrome, csrf: "csrf-5f1d", testMode: true, now: "2026-04-20 10:00 UTC", today: "2026-04-20", canSet: true,
        rules: [.init(code: "RAM", reductionsAllowed: false, minQuantity: 2, minQuantityText: "two", failProvisioning: true)], hasRules: true, resources: [option])

    static let promos = SettingsController.PromoPage(
        chrome: chrome, csrf: "csrf-5f1d", rows: [.init(code: "SPRING", percent: "10%", validUntil: "2026-06-30")], empty: false, canCreate: true,
        code: Field(value: "spr ing", error: "No spaces."), percent: Field(value: "120", error: "At most 100."),
        validUntil: Field(value: "yesterday", error: "Not a date."), formError: "Fix the marked fields.")

    static let newService = LifecycleController.NewServicePage(
        chrome: chrome, customerID: 7001, customerName: "Acme GmbH", forCustomer: "for Acme GmbH", noPlans: "Acme GmbH's seller sells no plans yet.",
        plans: [.init(id: 12, name: "Web Pro", href: "/subscriptions/new?customer_id=7001&plan_id=12", billingType: "prepaid", trial: "14 days",
                      prices: "EUR 9.00 / month", selected: true)],
        hasPlans: true,
        plan: .init(id: 13, name: "Web Max", href: "/subscriptions/new?customer_id=7001&plan_id=13", billingType: "postpaid", trial: "30 days",
                    prices: "EUR 19.00 / month", selected: false),
        periods: [option], resources: [.init(code: "RAM", name: "Memory", included: "4", limits: "1–64", facts: "included 4 · limits 1–64", value: "8", error: "Above max.")],
        promo: "SPRING", estimate: estimate, action: "/subscriptions/new")

    static let runs: LifecycleController.RunsPage = {
        var counts = BillingRunResult()
        counts.id = 3
        counts.businessDate = "2026-04-20"
        counts.renewalOrders = 4_167
        let row = LifecycleController.RunsPage.Row(id: 3, date: "2026-04-20", started: "2026-04-20 00:05:00", duration: "24.00 s", node: "node-a", counts: counts, shownCounts: ["invoices": "4"])
        let last = LifecycleController.RunsPage.Row(id: 2, date: "2026-04-19", started: "2026-04-19 00:05:00", duration: "23.10 s", node: "node-b", counts: counts, shownCounts: ["invoices": "3"])
        return LifecycleController.RunsPage(chrome: chrome, rows: [row], empty: false, canRun: true, csrf: "csrf-5f1d", today: "2026-04-21", last: last, runNowLabel: "Run now for 2026-04-21")
    }()

    static let branding = BrandingController.Page(
        chrome: chrome, accountName: "Reseller One", accountHref: "/accounts/3", csrf: "csrf-5f1d", action: "/accounts/3/branding", canEdit: true,
        brandName: Field(value: "Northwind Cloud", error: "Keep it to 100 characters."), supportEmail: Field(value: "help@", error: "Not an address."),
        primaryColor: Field(value: "#0B539", error: "Use a colour like #1F6FEB."), slug: Field(value: "North_Wind", error: "Lower-case letters."),
        signInLink: "/signin?brand=northwind",
        preview: BrandView(name: "Northwind Cloud (typed)", supportEmail: "help@northwind.example", color: try! BrandColor.parse("#F4C542"), slug: "northwind"),
        formError: "Check the fields marked below.")

    static var samplePages: [Any] { [
        subscriptionsIndex, subscriptionShow, subscriptionChange, estimate, dashboard, audit, accountsIndex, accountShow, newAccount, newUser,
        orders, orderShow, invoices, invoiceShow, checkout, payments, credit, restrictions, charges,
        catalogCurrencies, catalogResources, catalogResource, catalogUpgrades, plansIndex, planEditor, planShow, priceList, settings, promos,
        newService, runs, branding, webhooks, webhookDeliveries, mailIndex, mailShow, apiReference,
        ErrorPage(chrome: chrome, status: 404, title: "Not found", message: "There is nothing here.", requestID: "abc-123"),
        AuthController.SignInPage(csrf: "csrf-0a", next: "/subscriptions", email: "ann@acme.example", error: "Wrong email or password.",
                                  languages: [.init(code: "bn", name: "বাংলা", href: "/signin?lang=bn", current: true)]),
        PeopleController.UserEditPage(chrome: chrome, accountName: "Acme GmbH", accountHref: "/accounts/7001", email: "ops@acme.example", csrf: "csrf-0e",
                                      action: "/users/41", name: field, roles: [Option(value: "viewer", label: "Viewer", selected: true)], roleError: "Choose a role.",
                                      statuses: [Option(value: "disabled", label: "Disabled", selected: true)],
                                      statusError: "Choose a status.", locales: [Option(value: "bn", label: "Bengali", selected: false)], localeError: "Choose a language.", formError: "Check the fields."),
        PeopleController.ProfilePage(chrome: chrome, csrf: "csrf-0f", email: "ops@acme.example", accountName: "Acme GmbH", role: "operator",
                                     who: "ops@acme.example · operator of Acme GmbH",
                                     profileAction: "/profile", passwordAction: "/profile/password", name: field, locales: [option],
                                     localeError: "Choose a language.", currentPassword: Field(value: "", error: "This is not your current password."),
                                     password: Field(value: "", error: "Use at least 10 characters."), profileError: "Check the fields.",
                                     passwordError: "The password was not changed."),
        PeopleController.ResetRequestPage(csrf: "csrf-10", action: "/password-resets", signInHref: "/signin", email: field, sent: true, error: "Too many attempts."),
        PeopleController.ResetPage(csrf: "csrf-11", action: "/password-resets/ab", signInHref: "/signin", requestHref: "/password-resets", password: field,
                                   live: true, done: false),
        HomePage(),
        field,
    ] }
}
