import Localization
import Storage
import Testing

/// DOMAIN.md 1's table of who may change what, as one table: every action, for every tier and
/// role, allowed (✓) or refused with 403 (·). Whether the target is in the actor's subtree at all
/// (else 404) is the scoped query's business, not this table's.
@Suite struct PolicyTableTests {
    /// The actor's own account, and an account below it (a sub-reseller's plan, a reseller below).
    static let own: Int64 = 10
    static let below: Int64 = 11

    static let table: [(name: String, action: Policy.Action, expected: String)] = [
        //                                                                                   provider   reseller   customer
        //                                                                                   adm op vw  adm op vw  adm op vw
        ("read anything in scope",                     .read,                                "✓   ✓  ✓   ✓   ✓  ✓   ✓   ✓  ✓"),
        ("the provider's pages (catalog, settings, runs)", .seeProviderArea,                 "✓   ✓  ✓   ·   ·  ·   ·   ·  ·"),
        ("staff pages (plans, restrictions, charges)", .seeStaffArea,                        "✓   ✓  ✓   ✓   ✓  ✓   ·   ·  ·"),
        ("currencies, rates, resources, pairs",        .manageCatalog,                       "✓   ·  ·   ·   ·  ·   ·   ·  ·"),
        ("create a plan of one's own account",         .createPlan,                          "✓   ·  ·   ✓   ·  ·   ·   ·  ·"),
        ("change a plan one's account owns",           .editPlan(ownerAccountID: own),       "✓   ·  ·   ✓   ·  ·   ·   ·  ·"),
        ("change a plan an account below owns",        .editPlan(ownerAccountID: below),     "✓   ·  ·   ·   ·  ·   ·   ·  ·"),
        ("delegate, price lists, promo codes: own",    .sell(sellerAccountID: own),          "✓   ·  ·   ✓   ·  ·   ·   ·  ·"),
        ("… as an account below",                      .sell(sellerAccountID: below),        "·   ·  ·   ·   ·  ·   ·   ·  ·"),
        ("accounts below a reseller",                  .manageAccountsBelow(parentKind: .reseller), "✓   ·  ·   ✓   ·  ·   ·   ·  ·"),
        ("accounts below a customer (none)",           .manageAccountsBelow(parentKind: .customer), "·   ·  ·   ·   ·  ·   ·   ·  ·"),
        ("edit, suspend, close an account below",      .editAccount(own: false),             "✓   ·  ·   ✓   ·  ·   ·   ·  ·"),
        ("… one's own account (never)",                .editAccount(own: true),              "·   ·  ·   ·   ·  ·   ·   ·  ·"),
        ("credit adjustments by hand",                 .adjustCredit,                        "✓   ·  ·   ✓   ·  ·   ·   ·  ·"),
        ("users of one's own account",                 .manageUsers(own: true),              "✓   ·  ·   ✓   ·  ·   ✓   ·  ·"),
        ("users of an account below",                  .manageUsers(own: false),             "✓   ·  ·   ✓   ·  ·   ✓   ·  ·"),
        ("webhooks",                                   .manageWebhooks,                      "✓   ·  ·   ✓   ·  ·   ✓   ·  ·"),
        ("restrictions and exceptions",                .restrict,                            "✓   ✓  ·   ✓   ✓  ·   ·   ·  ·"),
        ("subscription import, status, usage",         .manageSubscriptions,                 "✓   ✓  ·   ✓   ✓  ·   ·   ·  ·"),
        ("bank-transfer payments",                     .recordBankTransfer,                  "✓   ✓  ·   ✓   ✓  ·   ·   ·  ·"),
        ("quotes, orders, card and credit payments",   .order,                               "✓   ✓  ·   ✓   ✓  ·   ✓   ✓  ·"),
        ("billing runs",                               .runBilling,                          "✓   ·  ·   ·   ·  ·   ·   ·  ·"),
        ("the test clock",                             .setClock,                            "✓   ·  ·   ·   ·  ·   ·   ·  ·"),
        ("the test connector's rules",                 .setConnectorRules,                   "✓   ·  ·   ·   ·  ·   ·   ·  ·"),
        ("read a reseller's brand settings",           .seeBranding,                         "✓   ✓  ✓   ✓   ✓  ✓   ·   ·  ·"),
        ("set a reseller's brand",                     .manageBranding,                      "✓   ·  ·   ✓   ·  ·   ·   ·  ·"),
    ]

    /// The columns of the table, in order.
    static let columns: [(AccountKind, Role)] = AccountKind.allCases.flatMap { kind in Role.allCases.map { (kind, $0) } }

    static func actor(_ kind: AccountKind, _ role: Role) -> Actor {
        Actor(userID: 1, email: "someone@x.test", name: "", role: role, accountID: own, accountKind: kind, accountName: "", accountPath: "/1/\(own)/", address: "")
    }

    @Test func theColumnsAreProviderResellerCustomerByAdminOperatorViewer() {
        #expect(Self.columns.map { "\($0.0.rawValue).\($0.1.rawValue)" } == [
            "provider.admin", "provider.operator", "provider.viewer", "reseller.admin", "reseller.operator", "reseller.viewer",
            "customer.admin", "customer.operator", "customer.viewer",
        ])
    }

    @Test(arguments: table.indices)
    func everyTierAndRoleGetsWhatTheTableSays(_ row: Int) {
        let (name, action, expected) = Self.table[row]
        let marks = expected.split(separator: " ")
        #expect(marks.count == Self.columns.count, "\(name): one mark per column")
        for ((kind, role), mark) in zip(Self.columns, marks) {
            #expect(Policy.allows(Self.actor(kind, role), action) == (mark == "✓"), "\(name): \(kind.rawValue) \(role.rawValue)")
        }
    }

    @Test func aViewerMayChangeNothing() {
        for kind in AccountKind.allCases {
            let changes = Self.table.filter { ![.read, .seeProviderArea, .seeStaffArea, .seeBranding].contains($0.action) }
            #expect(changes.allSatisfy { !Policy.allows(Self.actor(kind, .viewer), $0.action) }, "\(kind.rawValue) viewer")
        }
    }

    @Test func aRefusalIsThe403WithTheReasonGiven() {
        #expect(throws: StoreError.forbidden(.init("error.forbidden.viewers_order"))) {
            try Policy.require(Self.actor(.customer, .viewer), .order, .init("error.forbidden.viewers_order"))
        }
        #expect(throws: Never.self) { try Policy.require(Self.actor(.customer, .operator), .order, .init("error.forbidden.viewers_order")) }
    }
}

/// DOMAIN.md 8: who reads a restriction's reason. Provider /1/ restricts Reseller One /1/2/; its customer /1/2/3/.
@Suite struct RestrictionReasonPolicy {
    static func actor(_ kind: AccountKind, _ path: String) -> Actor {
        Actor(userID: 1, email: "u@x.test", name: "", role: .admin, accountID: 1, accountKind: kind, accountName: "", accountPath: path, address: "")
    }

    @Test func staffOfTheRestrictedAccountAndAboveSeeTheReasonNobodyBelow() {
        #expect(Policy.seesRestrictionReason(Self.actor(.provider, "/1/"), restrictedPath: "/1/2/"))
        #expect(Policy.seesRestrictionReason(Self.actor(.reseller, "/1/2/"), restrictedPath: "/1/2/"))
        #expect(!Policy.seesRestrictionReason(Self.actor(.reseller, "/1/2/4/"), restrictedPath: "/1/2/"), "a sub-reseller below it")
        #expect(!Policy.seesRestrictionReason(Self.actor(.customer, "/1/2/3/"), restrictedPath: "/1/2/3/"), "a customer, even restricted itself")
    }
}
