import Foundation

/// A finished email: one sender, one recipient, a subject and the same text as plain text and HTML.
public struct MailMessage: Sendable, Equatable {
    public struct Mailbox: Sendable, Equatable {
        public var name: String
        public var address: String

        public init(name: String, address: String) {
            self.name = name
            self.address = address
        }
    }

    public var from: Mailbox
    public var to: Mailbox
    /// Where a reply goes: the brand's support address, when it has one.
    public var replyTo: String?
    public var subject: String
    public var text: String
    public var html: String
    public var date: Date
    /// `<unique@domain>`.
    public var messageID: String

    public init(from: Mailbox, to: Mailbox, replyTo: String? = nil, subject: String, text: String, html: String,
                date: Date = Date(), messageID: String? = nil) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.date = date
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        self.messageID = messageID ?? "<\(UUID().uuidString.lowercased())@\(domain)>"
    }

    /// The message as RFC 5322 text in CRLF lines, 7-bit: headers, then multipart/alternative with the
    /// plain text first and the HTML last (the part a reader prefers comes last, RFC 2046 5.1.4).
    public func rendered() -> [UInt8] {
        let boundary = "=_alt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        var headers = [
            "From: " + MailData.mailbox(name: from.name, address: from.address),
            "To: " + MailData.mailbox(name: to.name, address: to.address),
        ]
        if let replyTo, SMTPClient.isSendableAddress(replyTo) { headers.append("Reply-To: <\(replyTo)>") }
        headers += [
            "Subject: " + MailData.headerText(subject),
            "Date: " + Self.dateText(date),
            "Message-ID: " + messageID,
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"",
        ]
        var lines = headers + ["", "This is a message in MIME format: a plain text part and an HTML part.", ""]
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines += [
                "--" + boundary,
                "Content-Type: \(type); charset=utf-8",
                "Content-Transfer-Encoding: quoted-printable",
                "",
                MailData.quotedPrintable(body),
            ]
        }
        lines += ["--" + boundary + "--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// RFC 5322 3.3: `Thu, 03 Dec 2026 17:45:37 +0000`.
    static func dateText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
