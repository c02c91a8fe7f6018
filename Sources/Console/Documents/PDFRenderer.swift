import Foundation
import HTTPTypes
import Hummingbird
#if canImport(Glibc)
import Glibc
#endif

/// HTML to PDF through Debian's WeasyPrint (docs/documents.md says why that one): a subprocess fed
/// the HTML on stdin that writes the PDF to stdout, never inside a database transaction, at most
/// `slots.limit` at once per process, killed after `timeout`. It fetches nothing from the network:
/// its URL fetcher serves only files under the Assets directory (the stylesheet) and refuses
/// every other URL, so markup in an invoice cannot make the server call out.
struct PDFRenderer: Sendable {
    /// Where `<link href="invoice-pdf.css">` is found; nothing outside it is readable by the renderer.
    let assetsDirectory: URL
    var timeout: Duration = .seconds(30)
    var slots: RenderSlots = .shared
    /// How long a request waits for a free slot before it answers 503.
    var slotWait: Duration = .seconds(10)
    /// Debian's python, whatever python comes first in PATH (the `weasyprint` package is its module).
    var python = "/usr/bin/python3"

    enum Failure: Error, HTTPResponseError, CustomStringConvertible {
        /// Every slot stayed taken for `slotWait`.
        case busy
        case timedOut(Duration)
        /// WeasyPrint is not installed, or exited without a PDF.
        case failed(status: Int32, stderr: String)

        var status: HTTPResponse.Status {
            switch self {
            case .busy, .timedOut: .serviceUnavailable
            case .failed: .internalServerError
            }
        }

        func response(from request: Request, context: some RequestContext) throws -> Response { Response(status: status) }

        var description: String {
            switch self {
            case .busy: "pdf renderer busy: every slot taken"
            case .timedOut(let limit): "pdf renderer timed out after \(limit)"
            case .failed(let status, let stderr): "pdf renderer exited \(status): \(stderr.suffix(2000))"
            }
        }
    }

    /// The PDF of one HTML document.
    func render(html: String) async throws -> Data {
        guard await slots.acquire(waitingAtMost: slotWait) else { throw Failure.busy }
        do {
            let result = try await Subprocess.run(python, ["-I", "-c", Self.script, assetsDirectory.standardizedFileURL.path],
                                                  input: Data(html.utf8), timeout: timeout)
            await slots.release()
            if result.timedOut { throw Failure.timedOut(timeout) }
            // A PDF starts with `%PDF-`; anything else is a failure whatever the exit status says.
            guard result.status == 0, result.stdout.starts(with: Array("%PDF-".utf8)) else {
                throw Failure.failed(status: result.status, stderr: String(decoding: result.stderr, as: UTF8.self))
            }
            return result.stdout
        } catch let error as Failure {
            throw error
        } catch {
            await slots.release()
            throw Failure.failed(status: -1, stderr: "\(error)")
        }
    }

    /// Run by `python3 -I` (isolated: no user site, no PYTHON* variables). The URL fetcher is the
    /// renderer's only way out: `file:` URLs inside the Assets directory, nothing else.
    static let script = #"""
    import os, sys, logging
    import weasyprint
    from urllib.parse import urlsplit, unquote
    root = os.path.realpath(sys.argv[1]) + os.sep
    logging.getLogger('weasyprint').addHandler(logging.StreamHandler(sys.stderr))
    def assets_only(url, timeout=10, ssl_context=None):
        parts = urlsplit(url)
        path = os.path.realpath(unquote(parts.path)) if parts.scheme == 'file' and parts.netloc in ('', 'localhost') else ''
        if not path.startswith(root):
            raise ValueError('the PDF renderer fetches nothing outside the assets: ' + url[:200])
        return weasyprint.default_url_fetcher('file://' + path, timeout=timeout)
    html = sys.stdin.buffer.read().decode('utf-8')
    weasyprint.HTML(string=html, base_url=root, url_fetcher=assets_only).write_pdf(sys.stdout.buffer)
    sys.stdout.buffer.flush()
    """#
}

/// A bound on how many renders run at once in this process: a caller waits for a slot in turn, at
/// most a while. Process memory is right here: it bounds this node's CPU, nothing another node needs.
actor RenderSlots {
    static let shared = RenderSlots(limit: 2)

    let limit: Int
    private var inUse = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextWaiter: UInt64 = 0

    init(limit: Int) { self.limit = limit }

    /// True with a slot taken (give it back with `release`), false when none came free in time.
    func acquire(waitingAtMost wait: Duration) async -> Bool {
        if inUse < limit {
            inUse += 1
            return true
        }
        nextWaiter += 1
        let id = nextWaiter
        return await withCheckedContinuation { continuation in
            waiters.append((id, continuation))
            Task { [weak self] in
                try? await Task.sleep(for: wait)
                await self?.giveUp(id)
            }
        }
    }

    func release() {
        // A slot passes straight to the first waiter; only with nobody waiting is it freed.
        if waiters.isEmpty {
            inUse -= 1
        } else {
            waiters.removeFirst().continuation.resume(returning: true)
        }
    }

    private func giveUp(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }

    var taken: Int { inUse }
}

/// One child process with its stdin fed and its stdout and stderr collected, on threads of their
/// own (blocking reads; at most `RenderSlots.limit` run at once), killed when `timeout` passes.
enum Subprocess {
    struct Result: Sendable {
        let status: Int32
        let stdout: Data
        let stderr: Data
        let timedOut: Bool
    }

    static func run(_ executable: String, _ arguments: [String], input: Data, timeout: Duration) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result { try runBlocking(executable, arguments, input: input, timeout: timeout) })
            }
        }
    }

    private final class Collected: @unchecked Sendable {
        var stdout = Data()
        var stderr = Data()
    }

    private static func runBlocking(_ executable: String, _ arguments: [String], input: Data, timeout: Duration) throws -> Result {
        // stdin is one end of a socket pair, not a pipe: a child that exits before reading it all
        // gets our send() an EPIPE (MSG_NOSIGNAL), where a pipe's write would SIGPIPE the server.
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        let ours = ends[0], theirs = FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
        defer { close(ours) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardInput = theirs
        process.standardOutput = out
        process.standardError = err
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        try? theirs.close()

        let collected = Collected()
        let readers = DispatchGroup()
        let stdout = out.fileHandleForReading, stderr = err.fileHandleForReading
        DispatchQueue.global().async(group: readers) { collected.stdout = stdout.readDataToEndOfFile() }
        DispatchQueue.global().async(group: readers) { collected.stderr = stderr.readDataToEndOfFile() }
        DispatchQueue.global().async(group: readers) {
            input.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < bytes.count {
                    let sent = send(ours, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                    if sent < 0 { if errno == EINTR { continue } else { break } }
                    offset += sent
                }
            }
            shutdown(ours, Int32(SHUT_WR))
        }

        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        var timedOut = false
        if exited.wait(timeout: .now() + seconds) == .timedOut {
            timedOut = true
            process.terminate()
            if exited.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
        }
        readers.wait()
        return Result(status: process.terminationStatus, stdout: collected.stdout, stderr: collected.stderr, timedOut: timedOut)
    }
}
