import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how the console hands its mail over: `SMTP_HOST`, `SMTP_PORT`, `SMTP_USER`, `SMTP_PASSWORD`.
public struct SMTPSettings: Sendable {
    public var host: String
    public var port: Int
    /// `SMTP_USER` and `SMTP_PASSWORD`: AUTH PLAIN (or LOGIN) after STARTTLS; never in clear to a
    /// server beyond this machine.
    public var username: String?
    public var password: String?
    /// The name the client gives in EHLO.
    public var helloName: String
    /// Certificates are verified against the system's roots unless a test trusts its own.
    public var tls: TLSConfiguration = .makeClientConfiguration()
    public var connectTimeout: Duration = .seconds(10)
    /// How long the client waits for any one reply (RFC 5321 4.5.3.2 allows minutes; a stuck
    /// server must not hold a delivery worker for long).
    public var replyTimeout: Duration = .seconds(60)

    public init(host: String, port: Int = 25, username: String? = nil, password: String? = nil, helloName: String = "localhost") {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.helloName = helloName
    }

    /// Loopback servers may be spoken to in clear, credentials included (a local relay); any other
    /// server gets credentials only over TLS.
    var isLoopback: Bool {
        let bare = host.lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}

/// An SMTP client (RFC 5321): one connection per message, EHLO, STARTTLS where offered, AUTH when
/// configured, MAIL FROM, RCPT TO, DATA. Every reply code is checked: a 5xx is a permanent
/// failure, a 4xx (or a lost connection, a timeout) is transient.
public struct SMTPClient: Sendable {
    public let settings: SMTPSettings
    let group: any EventLoopGroup

    public init(settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.settings = settings
        self.group = group
    }

    /// Sends one message; throws `SMTPError` only.
    public func send(from sender: String, to recipients: [String], message: [UInt8]) async throws(SMTPError) {
        for address in [sender] + recipients where !Self.isSendableAddress(address) {
            throw .permanent("'\(address.prefix(80))' is not an address this client sends to")
        }
        guard !recipients.isEmpty else { throw .permanent("no recipients") }
        do {
            let session = try await connect()
            do {
                try await session.deliver(from: sender, to: recipients, message: message)
                await session.quit()
            } catch {
                try? await session.channel.close()
                throw error
            }
        } catch let error as SMTPError {
            throw error
        } catch let error as NIOSSLError {
            throw .transient("TLS: \(error)")
        } catch {
            throw .transient("\(settings.host):\(settings.port): \(error)")
        }
    }

    /// A plain address without display name: ASCII, no spaces, controls or angle brackets, one `@`
    /// with something on both sides (the client sends no SMTPUTF8).
    public static func isSendableAddress(_ address: String) -> Bool {
        guard address.utf8.count <= 254, address.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }) else {
            return false
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
    }

    private func connect() async throws -> SMTPSession {
        let (stream, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler(continuation: continuation))
                }
            }
            .connect(host: settings.host, port: settings.port).get()
        return SMTPSession(channel: channel, replies: stream.makeAsyncIterator(), settings: settings)
    }
}

/// One conversation with the server, driven by one task.
private final class SMTPSession {
    let channel: any Channel
    var replies: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator
    let settings: SMTPSettings
    var secured = false

    init(channel: any Channel, replies: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator, settings: SMTPSettings) {
        self.channel = channel
        self.replies = replies
        self.settings = settings
    }

    func deliver(from sender: String, to recipients: [String], message: [UInt8]) async throws {
        try await expect(200..<300, after: "greeting", try await read("greeting"))
        var extensions = try await hello()
        if extensions.keys.contains("STARTTLS") {
            try await expect(200..<300, after: "STARTTLS", try await command("STARTTLS"))
            try await startTLS()
            extensions = try await hello()
        }
        if let username = settings.username, let password = settings.password {
            try await authenticate(username: username, password: password, mechanisms: extensions["AUTH"] ?? [])
        }
        try await expect(200..<300, after: "MAIL FROM", try await command("MAIL FROM:<\(sender)>"))
        for recipient in recipients {
            try await expect(200..<300, after: "RCPT TO <\(recipient)>", try await command("RCPT TO:<\(recipient)>"))
        }
        try await expect(300..<400, after: "DATA", try await command("DATA"))
        var body = ByteBuffer(bytes: MailData.dotStuffed(message))
        body.writeString(".\r\n")
        try await channel.writeAndFlush(body).get()
        try await expect(200..<300, after: "end of data", try await read("end of data"))
    }

    /// Best effort: the message is already accepted.
    func quit() async {
        _ = try? await command("QUIT")
        try? await channel.close()
    }

    /// EHLO, or HELO from a server that does not know EHLO; the extensions it offers, keyword → parameters.
    private func hello() async throws -> [String: [String]] {
        let reply = try await command("EHLO \(settings.helloName)")
        if (500..<503).contains(reply.code) {
            try await expect(200..<300, after: "HELO", try await command("HELO \(settings.helloName)"))
            return [:]
        }
        try await expect(200..<300, after: "EHLO", reply)
        var extensions: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ").map { $0.uppercased() }
            if let keyword = words.first { extensions[keyword] = Array(words.dropFirst()) }
        }
        return extensions
    }

    private func startTLS() async throws {
        let context = try NIOSSLContext(configuration: settings.tls)
        let host = settings.host
        // SNI carries host names only, not IP addresses.
        let serverName: String? = host.first.map { $0.isLetter } == true ? host : nil
        try await channel.eventLoop.submit { [channel] in
            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName), position: .first)
        }.get()
        secured = true
    }

    private func authenticate(username: String, password: String, mechanisms: [String]) async throws {
        guard secured || settings.isLoopback else {
            throw SMTPError.permanent("\(settings.host) offers no STARTTLS: SMTP_USER and SMTP_PASSWORD are not sent in clear")
        }
        if mechanisms.contains("PLAIN") {
            let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
            try await expect(200..<300, after: "AUTH PLAIN", try await command("AUTH PLAIN \(token)"))
        } else if mechanisms.contains("LOGIN") {
            try await expect(300..<400, after: "AUTH LOGIN", try await command("AUTH LOGIN"))
            try await expect(300..<400, after: "AUTH LOGIN user", try await command(Data(username.utf8).base64EncodedString()))
            try await expect(200..<300, after: "AUTH LOGIN password", try await command(Data(password.utf8).base64EncodedString()))
        } else {
            throw SMTPError.permanent("\(settings.host) offers neither AUTH PLAIN nor AUTH LOGIN")
        }
    }

    private func expect(_ codes: Range<Int>, after step: String, _ reply: SMTPReply) async throws {
        guard codes.contains(reply.code) else { throw SMTPError.unexpected(reply, after: step) }
    }

    private func command(_ line: String) async throws -> SMTPReply {
        try await channel.writeAndFlush(ByteBuffer(string: line + "\r\n")).get()
        // Credentials stay out of error messages.
        let step = line.hasPrefix("AUTH") ? "AUTH" : String(line.prefix(40))
        return try await read(step)
    }

    /// The next reply, or a transient error once `replyTimeout` passes without one.
    private func read(_ step: String) async throws -> SMTPReply {
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(settings.replyTimeout)) { [channel] in
            channel.pipeline.fireUserInboundEventTriggered(SMTPReplyHandler.TimedOut(step: step))
        }
        defer { timer.cancel() }
        guard let reply = try await replies.next() else { throw SMTPError.transient("\(step): connection closed") }
        return reply
    }
}

/// Splits the server's bytes into replies (`250-first`, `250 last`) and hands each to the session.
final class SMTPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    struct TimedOut: Sendable { var step: String }

    static let maximumLineBytes = 4096
    static let maximumLines = 100

    private let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation
    private var pending = ByteBuffer()
    private var lines: [String] = []

    init(continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        pending.writeBuffer(&incoming)
        while let length = pending.withUnsafeReadableBytes({ $0.firstIndex(of: UInt8(ascii: "\n")) }) {
            var line = pending.readString(length: length) ?? ""
            pending.moveReaderIndex(forwardBy: 1)
            if line.hasSuffix("\r") { line.removeLast() }
            guard line.utf8.count >= 3, let code = Int(line.prefix(3)), (200..<600).contains(code), lines.count < Self.maximumLines else {
                fail(context, SMTPError.transient("malformed reply '\(line.prefix(80))'"))
                return
            }
            let rest = line.dropFirst(3)
            lines.append(String(rest.dropFirst()))
            if rest.first != "-" {
                continuation.yield(SMTPReply(code: code, lines: lines))
                lines = []
            }
        }
        if pending.readableBytes > Self.maximumLineBytes {
            fail(context, SMTPError.transient("reply line longer than \(Self.maximumLineBytes) bytes"))
            return
        }
        pending.discardReadBytes()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let timeout = event as? TimedOut {
            fail(context, SMTPError.transient("\(timeout.step): no reply in time"))
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish(throwing: SMTPError.transient("connection closed by the server"))
        context.fireChannelInactive()
    }

    private func fail(_ context: ChannelHandlerContext, _ error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
