import Foundation
import TestSupport

/// A real SMTP server on loopback: `scripts/mail/smtp_sink.py` (Debian's python3-aiosmtpd). Each
/// accepted message is read back as Python's email module parsed it.
final class SMTPSink: @unchecked Sendable {
    let port: Int
    let folder: URL
    private let process: Process

    /// One received message: the envelope and the parsed headers and parts.
    struct Received: Decodable {
        struct Part: Decodable {
            var content_type: String
            var charset: String?
            var transfer_encoding: String?
            var content: String
        }

        var subject: String
        var from: String
        var from_name: String?
        var from_address: String?
        var to: String
        var reply_to: String?
        var date: String
        var message_id: String
        var mime_version: String
        var content_type: String
        var parts: [Part]
        var seven_bit: Bool
        var longest_line: Int
        var defects: [String]
        var envelope_from: String
        var envelope_to: [String]
        var tls: Bool
        var auth_login: String?

        /// The parts' text with LF line ends (Python keeps the CRLF of the wire).
        var text: String? { parts.first { $0.content_type == "text/plain" }?.content.replacingOccurrences(of: "\r\n", with: "\n") }
        var html: String? { parts.first { $0.content_type == "text/html" }?.content.replacingOccurrences(of: "\r\n", with: "\n") }
    }

    /// Starts the sink on `port` (tests use 2525-2535, one port per test) and waits until it listens.
    init(port: Int, arguments: [String] = []) throws {
        self.port = port
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-sink-\(port)-\(UUID().uuidString.prefix(8))")
        let script = TestDatabase.repositoryRoot.appendingPathComponent("scripts/mail/smtp_sink.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, "--port", "\(port)", "--dir", folder.path] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // "ready" once it listens; nothing (end of file) if it could not start.
        let line = output.fileHandleForReading.readData(ofLength: 6)
        guard String(decoding: line, as: UTF8.self).hasPrefix("ready") else {
            process.terminate()
            throw SinkError(message: "smtp_sink.py did not start on port \(port) (is python3-aiosmtpd installed?)")
        }
    }

    struct SinkError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// The messages received so far, in order.
    func received() throws -> [Received] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { try JSONDecoder().decode(Received.self, from: Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    func stop() {
        process.terminate()
        // A child that does not go on SIGTERM within two seconds is killed.
        for _ in 0..<20 where process.isRunning { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
