import Foundation
import MariaDB
import Storage
import TestSupport
import XCTest

/// The accounts tree through its store: every read takes a scope, paths follow the tree,
/// and every creation leaves an audit entry in the same transaction.
final class AccountStoreTests: XCTestCase {
    var db: MariaDBDatabase!
    var fixture: TenancyFixture!

    override func setUp() async throws {
        db = try await TestDatabase.application()
        fixture = try await TenancyFixture.make(db)
    }

    private func actor(_ key: String) async throws -> Actor {
        try await XCTUnwrapAsync(await UserStore(database: db).actor(userID: fixture.userIDs[key]!, address: "127.0.0.1"))
    }

    func testAnAccountOutsideTheScopeIsNotFoundEvenByItsExactID() async throws {
        let store = AccountStore(database: db)
        let r1 = try await actor("r1.admin")
        let own = try await store.account(fixture.c1.id, in: r1.scope)
        XCTAssertEqual(own.name, "Customer One")
        do {
            _ = try await store.account(fixture.c2.id, in: r1.scope)
            XCTFail("Customer Two belongs to Reseller Two")
        } catch let error as StoreError {
            XCTAssertEqual(error, .notFound("account \(fixture.c2.id)"))
        }
        // A customer sees its own account and nothing above it.
        let c1 = try await actor("c1.viewer")
        let observed1 = try await store.account(fixture.c1.id, in: c1.scope).id
        XCTAssertEqual(observed1, fixture.c1.id)
        await XCTAssertThrowsAsync(try await store.account(fixture.r1.id, in: c1.scope))
    }

    func testPathsFollowTheTreeAndSubtreeListsStopAtTheirRoot() async throws {
        XCTAssertEqual(fixture.r1a.path, "\(fixture.r1.path)\(fixture.r1a.id)/")
        XCTAssertEqual(fixture.c1.depth, 2)
        let r1 = try await actor("r1.viewer")
        let listed = try await AccountStore(database: db).list(in: r1.scope).items.map(\.name)
        XCTAssertEqual(Set(listed), ["Reseller One A", "Customer One"], "the caller's own account is not in its list")
        let search = try await AccountStore(database: db).list(in: r1.scope, filter: .init(search: "one_a")).items
        XCTAssertEqual(search.count, 0, "an underscore typed in search matches an underscore, not any character")
    }

    func testCreationRulesNameTheirField() async throws {
        let store = AccountStore(database: db)
        let admin = try await actor("r1.admin")
        let refusedCurrency = await refusal(store, admin, AccountDraft(kind: .customer, parentID: fixture.r1.id, name: "X", currency: "EUR", taxRate: "0.2"))
        XCTAssertEqual(refusedCurrency, "currency", "a customer is billed in its seller's currency")
        let refusedTax = await refusal(store, admin, AccountDraft(kind: .customer, parentID: fixture.r1.id, name: "X", currency: "USD", taxRate: "1.0"))
        XCTAssertEqual(refusedTax, "tax_rate")
        let refusedName = await refusal(store, admin, AccountDraft(kind: .customer, parentID: fixture.r1.id, name: "  ", currency: "USD", taxRate: "0"))
        XCTAssertEqual(refusedName, "name")
        let refusedParent = await refusal(store, admin, AccountDraft(kind: .customer, parentID: fixture.c1.id, name: "Below a customer", currency: "USD", taxRate: "0"))
        XCTAssertEqual(refusedParent, "parent_id", "customers are leaves")
        // A reseller may bill in another currency than its parent's.
        let euro = try await store.create(AccountDraft(kind: .reseller, parentID: fixture.r1.id, name: "Euro Sub", currency: "eur", taxRate: "0.19"), in: admin.scope)
        XCTAssertEqual(euro.currency, "EUR")
        XCTAssertEqual(euro.taxRateDisplay, "0.19")
    }

    private func refusal(_ store: AccountStore, _ admin: Actor, _ draft: AccountDraft) async -> String? {
        do {
            _ = try await store.create(draft, in: admin.scope)
            return nil
        } catch let errors as ValidationErrors {
            return errors.fields.first?.field
        } catch let error as StoreError {
            if case .invalid(let field, _) = error { return field }
            return "\(error)"
        } catch {
            return "\(error)"
        }
    }

    func testCreationIsAuditedWithActorAndAddressInTheSameTransaction() async throws {
        let admin = try await actor("r1.admin")
        let account = try await AccountStore(database: db).create(
            AccountDraft(kind: .customer, parentID: fixture.r1.id, name: "Audited", currency: "USD", taxRate: "0.075"), in: admin.scope)
        let entries = try await AuditLog.list(on: db, in: admin.scope, filter: .init(accountID: account.id)).items
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(entries[0].actor, "admin@r1.test")
        XCTAssertEqual(entries[0].action, "create")
        XCTAssertEqual(entries[0].address, "127.0.0.1")
        XCTAssertNil(entries[0].before)
        XCTAssertTrue(entries[0].after?.contains(#""tax_rate":"0.075""#) ?? false)
        // Reseller Two's admin does not see this entry.
        let other = try await actor("r2.admin")
        let foreign = try await AuditLog.list(on: db, in: other.scope).items.map(\.accountID)
        XCTAssertFalse(foreign.contains(account.id))
    }

    func testPolicyTable() {
        func actor(_ kind: AccountKind, _ role: Role) -> Actor {
            Actor(userID: 1, email: "a@b.c", name: "", role: role, accountID: 1, accountKind: kind, accountName: "", accountPath: "/1/", address: "")
        }
        for kind in AccountKind.allCases {
            for role in Role.allCases {
                XCTAssertEqual(Policy.allows(actor(kind, role), .manageAccountsBelow(parentKind: .reseller)), role == .admin && kind != .customer, "\(kind) \(role)")
                XCTAssertEqual(Policy.allows(actor(kind, role), .manageUsers(own: true)), role == .admin, "\(kind) \(role)")
                XCTAssertTrue(Policy.allows(actor(kind, role), .read))
            }
        }
        XCTAssertFalse(Policy.allows(actor(.provider, .admin), .manageAccountsBelow(parentKind: .customer)))
    }
}

func XCTUnwrapAsync<T>(_ value: @autoclosure () async throws -> T?, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    let resolved = try await value()
    return try XCTUnwrap(resolved, file: file, line: line)
}

func XCTAssertThrowsAsync<T>(_ expression: @autoclosure () async throws -> T, file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await expression()
        XCTFail("expected an error", file: file, line: line)
    } catch {}
}
