import Commerce
import Localization

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
/// registered in `MailCatalogs.byLanguage`.
public protocol MailCatalog: Sendable {
    /// The BCP 47 tag of the language (`en`), set as the HTML part's `lang`.
    var language: String { get }
    func texts(for event: MailEvent, brand: String) -> MailTexts
    func greeting(name: String) -> String
    /// The closing line: who sends it and where to ask.
    func footer(brand: String, supportEmail: String?) -> String
}

public enum MailCatalogs {
    public static let english: any MailCatalog = CatalogMail(language: .en)
    public static let bengali: any MailCatalog = CatalogMail(language: .bn)

    static let byLanguage: [String: any MailCatalog] = ["en": english, "bn": bengali]

    /// The catalog of a user's language (`en`, `en-GB`, `bn`, `bn-BD`…), English when there is none for it.
    public static func catalog(for locale: String?) -> any MailCatalog {
        guard let locale, let language = locale.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first else { return english }
        return byLanguage[String(language)] ?? english
    }
}

/// An email's words from the `mail.*` keys of `Locales/<language>/mail.catalog`, rendered in the
/// recipient's language (never the request's: a reset asked for in English may go to a Bengali reader).
struct CatalogMail: MailCatalog {
    let catalogLanguage: Language
    let catalogs: Catalogs

    init(language: Language, catalogs: Catalogs = .shared) {
        catalogLanguage = language
        self.catalogs = catalogs
    }

    var language: String { catalogLanguage.rawValue }

    private func text(_ key: String, _ arguments: [String: LocalizedText.Argument] = [:]) -> String {
        catalogs.render(LocalizedText("mail." + key, arguments), in: catalogLanguage)
    }

    private func fact(_ key: String, _ value: String) -> MailTexts.Fact { .init(label: text("fact." + key), value: value) }

    private func amount(_ money: Money) -> String {
        Format.money(minor: money.minorUnits, exponent: money.currency.exponent, currency: money.currency.code, in: catalogLanguage)
    }

    private func date(_ day: String) -> String { Format.date(day, in: catalogLanguage) }

    func texts(for event: MailEvent, brand: String) -> MailTexts {
        switch event {
        case let .invoiceIssued(number, total, issuedOn):
            let total = amount(total)
            return MailTexts(subject: text("invoice_issued.subject", ["number": .text(number), "brand": .text(brand), "total": .text(total)]),
                             paragraphs: [text("invoice_issued.body", ["brand": .text(brand), "number": .text(number), "total": .text(total)]),
                                          text("invoice_issued.how")],
                             facts: [fact("invoice", number), fact("issued", date(issuedOn)), fact("amount_due", total)])
        case let .paymentReceived(invoiceNumber, paid):
            let paid = amount(paid)
            return MailTexts(subject: text("payment_received.subject", ["number": .text(invoiceNumber)]),
                             paragraphs: [text("payment_received.body", ["brand": .text(brand), "amount": .text(paid), "number": .text(invoiceNumber)])],
                             facts: [fact("invoice", invoiceNumber), fact("paid", paid)])
        case let .orderCompleted(orderID, subscription, summary):
            let order: [String: LocalizedText.Argument] = ["order": .text(String(orderID)), "subscription": .text(subscription)]
            return MailTexts(subject: text("order_completed.subject", order), paragraphs: [text("order_completed.body", order)],
                             facts: orderFacts(orderID, subscription, summary))
        case let .orderFailed(orderID, subscription, summary):
            let order: [String: LocalizedText.Argument] = ["order": .text(String(orderID)), "subscription": .text(subscription)]
            return MailTexts(subject: text("order_failed.subject", order),
                             paragraphs: [text("order_failed.body", order), text("order_failed.help", ["brand": .text(brand)])],
                             facts: orderFacts(orderID, subscription, summary))
        case let .renewalDue(subscription, periodEnd, invoiceNumber, total):
            var facts = [fact("subscription", subscription), fact("period_ends", date(periodEnd))]
            if let invoiceNumber { facts.append(fact("invoice", invoiceNumber)) }
            if let total { facts.append(fact("amount_due", amount(total))) }
            return MailTexts(subject: text("renewal_due.subject", ["subscription": .text(subscription)]),
                             paragraphs: [text("renewal_due.body", ["subscription": .text(subscription), "date": .text(date(periodEnd))]),
                                          text("renewal_due.how")],
                             facts: facts)
        case let .subscriptionSuspended(subscription):
            return MailTexts(subject: text("suspended.subject", ["subscription": .text(subscription)]),
                             paragraphs: [text("suspended.body", ["subscription": .text(subscription)]), text("suspended.how")],
                             facts: [fact("subscription", subscription)])
        case let .passwordReset(link, validMinutes):
            let validity = validMinutes % 60 == 0
                ? (validMinutes == 60 ? text("validity.hour") : text("validity.hours", ["count": .number(Int64(validMinutes / 60))]))
                : text("validity.minutes", ["count": .number(Int64(validMinutes))])
            return MailTexts(subject: text("password_reset.subject", ["brand": .text(brand)]),
                             paragraphs: [text("password_reset.body", ["brand": .text(brand), "validity": .text(validity)]),
                                          text("password_reset.ignore")],
                             action: .init(label: text("password_reset.action"), url: link))
        }
    }

    private func orderFacts(_ orderID: Int64, _ subscription: String, _ summary: String) -> [MailTexts.Fact] {
        [fact("order", "#\(orderID)"), fact("subscription", subscription)] + (summary.isEmpty ? [] : [fact("what", summary)])
    }

    func greeting(name: String) -> String { name.isEmpty ? text("greeting.anonymous") : text("greeting.named", ["name": .text(name)]) }

    func footer(brand: String, supportEmail: String?) -> String {
        if let supportEmail { return text("footer.with_support", ["brand": .text(brand), "email": .text(supportEmail)]) }
        return text("footer.plain", ["brand": .text(brand)])
    }
}
