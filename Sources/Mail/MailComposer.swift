import Commerce
import Foundation

/// The name, support address and colour an email goes out under: the brand of the recipient's seller.
public struct MailBrand: Sendable, Equatable {
    public var name: String
    public var supportEmail: String?
    public var color: BrandColor

    public init(name: String, supportEmail: String? = nil, color: BrandColor = .standard) {
        self.name = name
        self.supportEmail = supportEmail
        self.color = color
    }

    /// White or the console's dark, whichever reads better on the brand's colour.
    var textOnColor: String { color.text == .light ? "#ffffff" : "#000000" }
}

/// Who an email goes to, in which language.
public struct MailRecipient: Sendable, Equatable {
    public var name: String
    public var address: String
    /// The user's language (`en`, `bn`…); nil for an account's contact address.
    public var locale: String?

    public init(name: String, address: String, locale: String? = nil) {
        self.name = name
        self.address = address
        self.locale = locale
    }
}

/// Lays an event's words out as a branded email: From shows the brand's name, Reply-To its support
/// address, the HTML its colour; nothing else names a sender.
public struct MailComposer: Sendable {
    /// `MAIL_FROM`: the address every email is sent from (the envelope sender too).
    public var fromAddress: String

    public init(fromAddress: String) {
        self.fromAddress = fromAddress
    }

    public func message(for event: MailEvent, brand: MailBrand, to recipient: MailRecipient, date: Date = Date()) -> MailMessage {
        let catalog = MailCatalogs.catalog(for: recipient.locale)
        let texts = catalog.texts(for: event, brand: brand.name)
        let greeting = catalog.greeting(name: recipient.name)
        let footer = catalog.footer(brand: brand.name, supportEmail: brand.supportEmail)
        return MailMessage(from: .init(name: brand.name, address: fromAddress), to: .init(name: recipient.name, address: recipient.address),
                           replyTo: brand.supportEmail, subject: texts.subject,
                           text: plainText(texts, greeting: greeting, footer: footer),
                           html: html(texts, greeting: greeting, footer: footer, brand: brand, language: catalog.language), date: date)
    }

    func plainText(_ texts: MailTexts, greeting: String, footer: String) -> String {
        var blocks = [greeting] + texts.paragraphs
        if !texts.facts.isEmpty { blocks.append(texts.facts.map { "\($0.label): \($0.value)" }.joined(separator: "\n")) }
        if let action = texts.action { blocks.append("\(action.label):\n\(action.url)") }
        blocks.append("-- \n\(footer)")
        return blocks.joined(separator: "\n\n") + "\n"
    }

    func html(_ texts: MailTexts, greeting: String, footer: String, brand: MailBrand, language: String) -> String {
        let colour = brand.color.hex, ink = brand.textOnColor
        var body = "<p style=\"margin:0 0 16px\">\(escape(greeting))</p>\n"
        for paragraph in texts.paragraphs { body += "<p style=\"margin:0 0 16px\">\(escape(paragraph))</p>\n" }
        if !texts.facts.isEmpty {
            body += "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"margin:0 0 16px;border-collapse:collapse\">\n"
            for fact in texts.facts {
                body += "<tr><td style=\"padding:4px 16px 4px 0;color:#57606a\">\(escape(fact.label))</td><td style=\"padding:4px 0\"><strong>\(escape(fact.value))</strong></td></tr>\n"
            }
            body += "</table>\n"
        }
        if let action = texts.action {
            body += "<p style=\"margin:0 0 16px\"><a href=\"\(escape(action.url))\" style=\"display:inline-block;padding:10px 18px;border-radius:4px;text-decoration:none;background:\(colour);color:\(ink)\">\(escape(action.label))</a></p>\n"
            body += "<p style=\"margin:0 0 16px;font-size:12px;color:#57606a;word-break:break-all\">\(escape(action.url))</p>\n"
        }
        return """
        <!DOCTYPE html>
        <html lang="\(escape(language))">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>\(escape(texts.subject))</title></head>
        <body style="margin:0;padding:0;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2328">
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:6px;overflow:hidden">
        <tr><td style="background:\(colour);color:\(ink);padding:16px 24px;font-size:18px;font-weight:bold">\(escape(brand.name))</td></tr>
        <tr><td style="padding:24px">
        \(body)<p style="margin:24px 0 0;font-size:12px;color:#57606a">\(escape(footer))</p>
        </td></tr>
        </table>
        </td></tr></table>
        </body>
        </html>

        """
    }

    private func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
