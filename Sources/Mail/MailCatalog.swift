import Commerce

/// What an email tells: one case per event of DOMAIN.md 11, with the facts it names.
public enum MailEvent: Sendable, Equatable {
    case invoiceIssued(number: String, total: Money, issuedOn: String)
    case paymentReceived(invoiceNumber: String, amount: Money)
    case orderCompleted(orderID: Int64, subscription: String, summary: String)
    case orderFailed(orderID: Int64, subscription: String, summary: String)
    case renewalDue(subscription: String, periodEnd: String, invoiceNumber: String?, total: Money?)
    case subscriptionSuspended(subscription: String)
    case passwordReset(link: String, validMinutes: Int)
}

/// The words of one email, before layout: the same for its text and HTML parts.
public struct MailTexts: Sendable, Equatable {
    public struct Fact: Sendable, Equatable {
        public var label: String
        public var value: String
    }

    public struct Action: Sendable, Equatable {
        public var label: String
        public var url: String
    }

    public var subject: String
    public var paragraphs: [String]
    public var facts: [Fact] = []
    public var action: Action?
}

/// Every sentence an email says, in one language. A language is one more conforming type,
/// registered in `MailCatalogs.byLanguage` (issue 16 adds Bengali).
public protocol MailCatalog: Sendable {
    /// The BCP 47 tag of the language (`en`), set as the HTML part's `lang`.
    var language: String { get }
    func texts(for event: MailEvent, brand: String) -> MailTexts
    func greeting(name: String) -> String
    /// The closing line: who sends it and where to ask.
    func footer(brand: String, supportEmail: String?) -> String
}

public enum MailCatalogs {
    public static let english: any MailCatalog = EnglishMailCatalog()

    static let byLanguage: [String: any MailCatalog] = ["en": english]

    /// The catalog of a user's language (`en`, `en-GB`, `bn`…), English when there is none for it.
    public static func catalog(for locale: String?) -> any MailCatalog {
        guard let locale, let language = locale.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first else { return english }
        return byLanguage[String(language)] ?? english
    }
}

struct EnglishMailCatalog: MailCatalog {
    var language: String { "en" }

    func texts(for event: MailEvent, brand: String) -> MailTexts {
        switch event {
        case let .invoiceIssued(number, total, issuedOn):
            let facts = [MailTexts.Fact(label: "Invoice", value: number), .init(label: "Issued", value: issuedOn), .init(label: "Amount due", value: total.description)]
            return MailTexts(subject: "Invoice \(number) from \(brand): \(total)",
                             paragraphs: ["\(brand) has issued invoice \(number) for \(total).",
                                          "Pay it from the console's Invoices page, with a card or your credit balance."],
                             facts: facts)
        case let .paymentReceived(invoiceNumber, amount):
            return MailTexts(subject: "Payment received for invoice \(invoiceNumber)",
                             paragraphs: ["Thank you: \(brand) has received your payment of \(amount) for invoice \(invoiceNumber)."],
                             facts: [.init(label: "Invoice", value: invoiceNumber), .init(label: "Paid", value: amount.description)])
        case let .orderCompleted(orderID, subscription, summary):
            return MailTexts(subject: "Order #\(orderID) is complete",
                             paragraphs: ["Your order #\(orderID) for \(subscription) is complete: the change is in effect."],
                             facts: Self.orderFacts(orderID, subscription, summary))
        case let .orderFailed(orderID, subscription, summary):
            return MailTexts(subject: "Order #\(orderID) could not be completed",
                             paragraphs: ["Your order #\(orderID) for \(subscription) could not be completed. Nothing was changed, and any payment for it is returned as credit.",
                                          "Contact \(brand) if you need help with it."],
                             facts: Self.orderFacts(orderID, subscription, summary))
        case let .renewalDue(subscription, periodEnd, invoiceNumber, total):
            var facts = [MailTexts.Fact(label: "Subscription", value: subscription), .init(label: "Current period ends", value: periodEnd)]
            if let invoiceNumber { facts.append(.init(label: "Invoice", value: invoiceNumber)) }
            if let total { facts.append(.init(label: "Amount due", value: total.description)) }
            return MailTexts(subject: "Renewal of \(subscription) is due",
                             paragraphs: ["\(subscription) renews when its current period ends on \(periodEnd).",
                                          "Pay the renewal invoice before then to keep the service running."],
                             facts: facts)
        case let .subscriptionSuspended(subscription):
            return MailTexts(subject: "\(subscription) is suspended",
                             paragraphs: ["\(subscription) is suspended because its renewal was not paid in time.",
                                          "Pay the open invoice to have it resumed."],
                             facts: [.init(label: "Subscription", value: subscription)])
        case let .passwordReset(link, validMinutes):
            let validity = validMinutes % 60 == 0 ? (validMinutes == 60 ? "an hour" : "\(validMinutes / 60) hours") : "\(validMinutes) minutes"
            return MailTexts(subject: "Reset your \(brand) password",
                             paragraphs: ["Someone asked to reset the password of your \(brand) console sign-in. If it was you, choose a new password through the link below; it works once, within \(validity).",
                                          "If it was not you, ignore this email: your password stays as it is."],
                             action: .init(label: "Choose a new password", url: link))
        }
    }

    private static func orderFacts(_ orderID: Int64, _ subscription: String, _ summary: String) -> [MailTexts.Fact] {
        [.init(label: "Order", value: "#\(orderID)"), .init(label: "Subscription", value: subscription)] + (summary.isEmpty ? [] : [.init(label: "What", value: summary)])
    }

    func greeting(name: String) -> String { name.isEmpty ? "Hello," : "Hello \(name)," }

    func footer(brand: String, supportEmail: String?) -> String {
        if let supportEmail { return "\(brand) · questions: \(supportEmail)" }
        return brand
    }
}
