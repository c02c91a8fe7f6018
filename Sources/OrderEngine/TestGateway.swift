import Commerce
import Localization
import MariaDB
import Storage

/// The built-in card gateway of API.md: one card that pays, one that is declined, one that fails.
/// Like a real processor it keeps its own books (`test_gateway_charges`): every charge once per
/// idempotency key, a repeat of the key answered with the first answer and never charged again.
public struct TestGateway: PaymentGateway {
    let ledger: TestGatewayLedger
    public let name = "test"

    public static let approved = "4242424242424242"
    public static let declined = "4000000000000002"
    public static let failing = "4000000000009995"

    public init(database: MariaDBDatabase) { ledger = TestGatewayLedger(database: database) }

    /// A card number as typed (spaces and dashes allowed); anything but the test cards is refused.
    public func card(_ typed: String) throws -> PaymentCard {
        let digits = typed.filter { $0 != " " && $0 != "-" }
        guard [Self.approved, Self.declined, Self.failing].contains(digits) else {
            throw StoreError.invalid(field: "card_number",
                                     message: .init("error.payment.test_card"))
        }
        return PaymentCard(number: digits)
    }

    public func charge(_ charge: CardCharge) async throws -> GatewayAnswer {
        let answer: GatewayAnswer = switch charge.card.number {
        case Self.approved: .approved
        case Self.declined: .declined
        default: .error
        }
        try await ledger.record(key: charge.idempotencyKey, cardLast4: charge.card.last4, amount: charge.amount, outcome: answer.rawValue)
        // The answer on the books: this one, or the first one given for the key.
        return try await status(of: charge.idempotencyKey) ?? answer
    }

    public func status(of idempotencyKey: String) async throws -> GatewayAnswer? {
        try await ledger.outcome(of: idempotencyKey).flatMap(GatewayAnswer.init(rawValue:))
    }
}
