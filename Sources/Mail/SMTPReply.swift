/// One reply of an SMTP server: a three-digit code and its text lines (RFC 5321 4.2).
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2xx and 3xx: the server goes on.
    public var isPositive: Bool { (200..<400).contains(code) }
    public var text: String { lines.joined(separator: " ") }
    public var description: String { "\(code) \(text)" }
}

/// Why a message was not sent, and whether sending it again later may work.
public struct SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A 5xx reply (or an address the client refuses to send to): sending again will not help.
    /// Otherwise (a 4xx, a lost or refused connection, a timeout, a TLS failure): try again later.
    public var isPermanent: Bool
    /// The server's reply code, when a reply ended it.
    public var replyCode: Int?
    public var reason: String

    public static func transient(_ reason: String, code: Int? = nil) -> SMTPError {
        SMTPError(isPermanent: false, replyCode: code, reason: reason)
    }

    public static func permanent(_ reason: String, code: Int? = nil) -> SMTPError {
        SMTPError(isPermanent: true, replyCode: code, reason: reason)
    }

    public var description: String { (isPermanent ? "permanent: " : "transient: ") + reason }

    /// The outcome of a reply that was not the expected one: 5xx is permanent, anything else
    /// (4xx, or a code the step does not expect) is worth another try.
    static func unexpected(_ reply: SMTPReply, after step: String) -> SMTPError {
        let reason = "\(step): \(reply.code) \(reply.text.prefix(300))"
        return (500..<600).contains(reply.code) ? .permanent(reason, code: reply.code) : .transient(reason, code: reply.code)
    }
}
