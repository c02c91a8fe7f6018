import Foundation

/// Where finished messages go: an SMTP server, or the local sink when none is configured.
public protocol MailTransport: Sendable {
    /// Hands one message over; throws `SMTPError` (transient or permanent) only.
    func deliver(_ message: MailMessage) async throws(SMTPError)
}

/// Sends through the configured SMTP server; the envelope sender is the From address.
public struct SMTPTransport: MailTransport {
    public let client: SMTPClient

    public init(client: SMTPClient) {
        self.client = client
    }

    public func deliver(_ message: MailMessage) async throws(SMTPError) {
        try await client.send(from: message.from.address, to: [message.to.address], message: message.rendered())
    }
}

/// With no `SMTP_HOST`, mail goes to files: one `<id>.eml` per message (what would have been sent,
/// byte for byte) and beside it `<id>.json` with its headers and parts for the console's Mail page.
public struct FileMailSink: MailTransport {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// What the Mail page lists and shows of one message.
    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var date: Date
        public var from: String
        public var to: String
        public var subject: String
        public var text: String
        public var html: String
    }

    public func deliver(_ message: MailMessage) async throws(SMTPError) {
        let stamp = Self.stampFormat.string(from: message.date)
        let id = "\(stamp)-\(UUID().uuidString.prefix(8).lowercased())"
        let entry = Entry(id: id, date: message.date, from: MailData.mailbox(name: message.from.name, address: message.from.address),
                          to: MailData.mailbox(name: message.to.name, address: message.to.address), subject: message.subject,
                          text: message.text, html: message.html)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(message.rendered()).write(to: directory.appendingPathComponent("\(id).eml"), options: .atomic)
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            try encoder.encode(entry).write(to: directory.appendingPathComponent("\(id).json"), options: .atomic)
        } catch {
            throw .transient("mail sink \(directory.path): \(error)")
        }
    }

    /// The newest messages first, at most `limit`.
    public func entries(limit: Int = 200) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let ids = names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter(Self.isValidID).sorted(by: >)
        return ids.prefix(limit).compactMap(entry(id:))
    }

    /// One message by its id; nil for an id that is not one of the sink's names.
    public func entry(id: String) -> Entry? {
        guard Self.isValidID(id), let data = try? Data(contentsOf: directory.appendingPathComponent("\(id).json")) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Entry.self, from: data)
    }

    /// The raw message, as it would have gone to the SMTP server.
    public func raw(id: String) -> Data? {
        guard Self.isValidID(id) else { return nil }
        return try? Data(contentsOf: directory.appendingPathComponent("\(id).eml"))
    }

    /// `20261203T174537.123Z-1a2b3c4d`: sorts by time, and no path can be spelled with it.
    public static func isValidID(_ id: String) -> Bool {
        id.utf8.count <= 64 && !id.isEmpty && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
            && !id.hasPrefix(".")
    }

    private static var stampFormat: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return formatter
    }
}

/// The console's mail settings (`SMTP_HOST`, `SMTP_PORT`, `SMTP_USER`, `SMTP_PASSWORD`, `MAIL_FROM`).
public struct MailSettings: Sendable {
    /// nil without `SMTP_HOST`: mail goes to the local sink.
    public var smtp: SMTPSettings?
    /// `MAIL_FROM`: the address every email comes from (its display name is the brand's).
    public var fromAddress = "console@localhost"
    /// Where the sink writes; nil: `.local/mail` under the console's root folder.
    public var sinkDirectory: URL?

    public init(smtp: SMTPSettings? = nil, fromAddress: String = "console@localhost", sinkDirectory: URL? = nil) {
        self.smtp = smtp
        self.fromAddress = fromAddress
        self.sinkDirectory = sinkDirectory
    }

    /// The SMTP server when one is configured, else the file sink under `root`.
    public func transport(root: URL) -> any MailTransport {
        if var smtp {
            // EHLO names the sender's domain when the operator gave no better name.
            if smtp.helloName == "localhost", let domain = fromAddress.split(separator: "@").last { smtp.helloName = String(domain) }
            return SMTPTransport(client: SMTPClient(settings: smtp))
        }
        return FileMailSink(directory: sink(root: root).directory)
    }

    public func sink(root: URL) -> FileMailSink {
        FileMailSink(directory: sinkDirectory ?? root.appendingPathComponent(".local/mail"))
    }
}
