import Foundation
import MariaDB
import OrderEngine
import Storage
import Testing
import XCTest

/// DOMAIN.md 7: awaiting payment → provisioning, cancelled or expired; provisioning → completed or
/// provisioning failed; completed, failed, expired and cancelled are final.
@Suite struct OrderStateMachineRules {
    static let allowed: Set<[OrderStatus]> = [
        [.awaitingPayment, .provisioning], [.awaitingPayment, .cancelled], [.awaitingPayment, .expired],
        [.provisioning, .completed], [.provisioning, .provisioningFailed],
    ]

    @Test(arguments: OrderStatus.allCases, OrderStatus.allCases)
    func everyMoveIsAllowedOnlyIfTheMachineNamesIt(from: OrderStatus, to: OrderStatus) {
        #expect(from.canMove(to: to) == Self.allowed.contains([from, to]), "\(from.rawValue) → \(to.rawValue)")
    }

    @Test func theTerminalStatusesGoNowhere() {
        for status in OrderStatus.allCases where status.isTerminal {
            #expect(status.allowedMoves.isEmpty, "\(status.rawValue)")
        }
        #expect(OrderStatus.allCases.filter { !$0.isTerminal } == [.awaitingPayment, .provisioning])
    }
}

/// The one store function that moves an order: a conditional update that changes nothing when the
/// order is not where the move starts, or the machine does not allow the move.
final class OrderMoveTests: XCTestCase {
    func testAMoveFromTheWrongStatusChangesNothing() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        XCTAssertEqual(order.status, .awaitingPayment)

        let fromWrongStatus = try await OrderStore.move(order.id, from: .provisioning, to: .completed, on: w.database)
        let notAllowed = try await OrderStore.move(order.id, from: .awaitingPayment, to: .completed, on: w.database)

        XCTAssertFalse(fromWrongStatus, "the order awaits payment: it is not provisioning")
        XCTAssertFalse(notAllowed, "an unpaid order never completes")
        let after = try await w.order(order.id)
        XCTAssertEqual(after, order, "nothing of the order changed")
        let stillOpen = try await OrderStore(database: w.database).openOrder(of: w.subscription.id)
        XCTAssertEqual(stillOpen, order.id, "it still holds its subscription")
    }

    func testAMoveUnderAnotherWorkersClaimChangesNothingAndTheRightOneMoves() async throws {
        let w = try await EngineWorld.make()
        let order = try await w.ram(6)
        _ = try await w.pay(order)
        let orders = OrderStore(database: w.database)
        let claimed = try await orders.claim(order.id, token: "worker-a", for: 60)
        XCTAssertTrue(claimed)

        let byAnother = try await OrderStore.move(order.id, from: .provisioning, to: .provisioningFailed, failureReason: "not mine",
                                                  claimToken: "worker-b", on: w.database)
        XCTAssertFalse(byAnother)
        let untouched = try await w.order(order.id)
        XCTAssertEqual(untouched.status, .provisioning)
        XCTAssertNil(untouched.failureReason)

        let byHolder = try await OrderStore.move(order.id, from: .provisioning, to: .provisioningFailed, failureReason: "the vendor said no",
                                                 claimToken: "worker-a", on: w.database)
        XCTAssertTrue(byHolder)
        let failed = try await w.order(order.id)
        XCTAssertEqual(failed.status, .provisioningFailed)
        XCTAssertEqual(failed.failureReason, "the vendor said no")
        XCTAssertNotNil(failed.completedAt)
        let open = try await orders.openOrder(of: w.subscription.id)
        XCTAssertNil(open, "a failed order frees its subscription")
        let again = try await OrderStore.move(order.id, from: .provisioning, to: .completed, claimToken: "worker-a", on: w.database)
        XCTAssertFalse(again, "a failed order stays failed")
    }
}
