import Commerce
import Storage

/// The built-in card gateway of API.md: one card that pays, one that is declined, one that fails.
/// It charges in process; a real gateway would authorize before the transaction and capture after.
public enum TestGateway {
    public struct Card: Sendable, Equatable {
        public var number: String
        public var last4: String { String(number.suffix(4)) }
    }

    public enum Outcome: Sendable, Equatable {
        case approved, declined, error
    }

    public static let approved = "4242424242424242"
    public static let declined = "4000000000000002"
    public static let failing = "4000000000009995"

    /// A card number as typed (spaces and dashes allowed); anything but the test cards is refused.
    public static func card(_ typed: String) throws -> Card {
        let digits = typed.filter { $0 != " " && $0 != "-" }
        guard [approved, declined, failing].contains(digits) else {
            throw StoreError.invalid(field: "card_number",
                                     message: "The test gateway takes 4242 4242 4242 4242 (paid), 4000 0000 0000 0002 (declined) or 4000 0000 0000 9995 (gateway error).")
        }
        return Card(number: digits)
    }

    public static func charge(_ card: Card, amount: Money) -> Outcome {
        switch card.number {
        case approved: .approved
        case declined: .declined
        default: .error
        }
    }
}
