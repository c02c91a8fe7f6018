@testable import Console
import Commerce
import Foundation
import MariaDB
import Storage
import TestSupport
import XCTest

/// Issue 16: BDT (2 minor digits) is a seeded currency, and the demo has a reseller selling in taka
/// (Padma Cloud, its own plans priced in BDT) with a customer whose admin reads the console in Bengali.
final class BengaliDemoSeedTests: XCTestCase {
    func testTheDemoHasATakaResellerAndABengaliSpeakingCustomerAdmin() async throws {
        let database = try await TestDatabase.application()
        let taka = try await CurrencyStore(database: database).currency("BDT")
        XCTAssertEqual(taka?.exponent, 2, "BDT comes with the migrations, 2 minor digits")

        let logins = try await DemoSeed.run(database: database, passwords: Passwords(cost: 4))
        XCTAssertEqual(logins.first { $0.email == "admin@meghna.test" }?.account, "Meghna Traders", "make run prints her login")
        XCTAssertNotNil(logins.first { $0.email == "admin@padma.test" })

        let providerID = try await Self.userID("admin@provider.test", database)
        let found = try await UserStore(database: database).actor(userID: providerID, address: "test")
        let provider = try XCTUnwrap(found)
        let accounts = AccountStore(database: database)
        let padmas = try await accounts.list(in: provider.scope, filter: .init(search: "Padma Cloud")).items
        let meghnas = try await accounts.list(in: provider.scope, filter: .init(search: "Meghna")).items
        let padma = try XCTUnwrap(padmas.first { $0.name == "Padma Cloud" })
        let meghna = try XCTUnwrap(meghnas.first { $0.name == "Meghna Traders" })
        XCTAssertEqual(padma.kind, .reseller)
        XCTAssertEqual(padma.currency, "BDT")
        XCTAssertEqual(meghna.currency, "BDT")
        XCTAssertEqual(meghna.parentID, padma.id)

        let plans = try await PlanStore(database: database).list(in: provider.scope).filter { $0.ownerAccountID == padma.id }
        XCTAssertEqual(plans.map(\.name).sorted(), ["Padma VPS L", "Padma VPS S"])
        XCTAssertEqual(Set(plans.map(\.currency.code)), ["BDT"], "its plans are priced in taka")

        let meghnaAdminID = try await Self.userID("admin@meghna.test", database)
        let user = try await UserStore(database: database).user(meghnaAdminID, in: provider.scope)
        XCTAssertEqual(user.locale, .bn)
        XCTAssertEqual(user.name, "রাশেদা বেগম")
        XCTAssertEqual(user.role, .admin)

        let subscriptions = try await SubscriptionStore(database: database).list(in: provider.scope).items.filter { $0.customerID == meghna.id }
        XCTAssertEqual(subscriptions.count, 1, "one Padma VPS S subscription to change")
        let rate = try await CurrencyStore(database: database).rate(from: "USD", to: "BDT", at: Date())
        XCTAssertNotNil(rate, "the USD upgrade fee converts into taka")

        // Seeding again changes nothing.
        _ = try await DemoSeed.run(database: database, passwords: Passwords(cost: 4))
        let plansAgain = try await PlanStore(database: database).list(in: provider.scope).filter { $0.ownerAccountID == padma.id }
        let subscriptionsAgain = try await SubscriptionStore(database: database).list(in: provider.scope).items.filter { $0.customerID == meghna.id }
        XCTAssertEqual(plansAgain.count, 2)
        XCTAssertEqual(subscriptionsAgain.count, 1)
    }

    static func userID(_ email: String, _ database: MariaDBDatabase) async throws -> Int64 {
        try await database.rows("SELECT id FROM users WHERE email = ?", [.string(email)])[0].decode(column: "id", as: Int64.self)
    }
}
