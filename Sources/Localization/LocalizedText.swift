/// A text to be shown in the reader's language: a catalog key and its arguments. Thrown or stored
/// deep inside (an error's message) and rendered where the language is known (the answer's edge).
public struct LocalizedText: Sendable, Equatable, CustomStringConvertible {
    public enum Argument: Sendable, Equatable {
        /// Shown as it is: a name, a code, an email.
        case text(String)
        /// A count or quantity: Bengali digits and grouping in `bn`.
        case number(Int64)
        /// Money in minor units of a currency with `exponent` minor digits.
        case amount(minor: Int64, exponent: Int, currency: String)
        /// A calendar day.
        case date(year: Int, month: Int, day: Int)
    }

    public let key: String
    public let arguments: [String: Argument]

    public init(_ key: String, _ arguments: [String: Argument] = [:]) {
        self.key = key
        self.arguments = arguments
    }

    /// The text in `language` from the shared catalogs.
    public func rendered(in language: Language = Language.current, catalogs: Catalogs = .shared) -> String {
        catalogs.render(self, in: language)
    }

    /// The English text: logs, and tests written against today's messages.
    public var english: String { rendered(in: .en) }

    public var description: String { rendered() }
}

/// Texts by key in the request's language: `Localization.text("invoice.download_pdf")`.
public enum Localization {
    public static func text(_ key: String, _ arguments: [String: LocalizedText.Argument] = [:]) -> String {
        Catalogs.shared.render(LocalizedText(key, arguments), in: Language.current)
    }
}
