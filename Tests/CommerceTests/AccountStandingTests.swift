import Commerce
import Testing

/// Issue 15: while the customer or an account above it is suspended or closed, no change, switch
/// or sales order goes ahead; the refusal names the held account only to those who may know it.
@Suite struct AccountStandingTests {
    @Test func anActiveChainRefusesNothing() {
        #expect(ChangeRules.accountStanding(nil) == nil)
        let evaluation = ChangeRules.evaluate(.quantities(["ram_gb": 6]), ChangeRulesTests.snapshot())
        #expect(!evaluation.refusals.contains { $0.code == .accountSuspended })
    }

    @Test func aSuspendedResellerAboveRefusesTheChangeWithRule3sRank() {
        var snapshot = ChangeRulesTests.snapshot()
        snapshot.accountHold = AccountHold(kind: .suspended, accountName: "Northwind Hosting", isCustomer: false)
        snapshot.promo = .unknown(code: "SPRING")
        let refusals = ChangeRules.evaluate(.quantities(["ram_gb": 6]), snapshot).refusals
        #expect(refusals.map(\.code) == [.accountSuspended, .promoInvalid], "reported before the promo code (rule 10)")
        #expect(refusals.first?.message == "Northwind Hosting, which this customer is under, is suspended: nothing new is ordered until the suspension is lifted.")
    }

    @Test func theHeldAccountIsNamedOnlyWhenTheViewerMayKnowIt() {
        let withheld = ChangeRules.accountStanding(AccountHold(kind: .suspended, accountName: nil, isCustomer: false))
        #expect(withheld?.code == .accountSuspended)
        #expect(withheld?.message == "New orders are on hold for this account; ask your seller why.")
        let closed = ChangeRules.accountStanding(AccountHold(kind: .closed, accountName: "Acme GmbH", isCustomer: true))
        #expect(closed?.code == .accountClosed)
        #expect(closed?.message == "Acme GmbH is closed: nothing is ordered for it any more.")
    }

    @Test func theHoldRanksWithRestrictionsAfterTheSubscriptionsOwnState() {
        #expect(RefusalCode.accountSuspended.rank == RefusalCode.accountRestricted.rank)
        #expect(RefusalCode.accountClosed.rank > RefusalCode.trialForbidsChange.rank)
        #expect(RefusalCode.accountClosed.rank < RefusalCode.outOfLimits.rank)
    }
}
