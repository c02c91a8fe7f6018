import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TestSupport

/// Sends fuzzed requests and keeps every answer that breaks the rule "never a 5xx". Before each
/// request it writes the request to a file, so when a Swift trap kills the process (the app runs
/// inside the test), that file names the request that did it.
final class Fuzzer: @unchecked Sendable {
    struct Finding: CustomStringConvertible {
        let request: String
        let status: Int
        let body: String
        var description: String { "\(request) → \(status) \(body.prefix(300))" }
    }

    let client: any TestClientProtocol
    let seed: UInt64
    /// Per input, this many more fixed values drawn at random and this many random ones (FUZZ_ITERATIONS, default 2).
    let iterations: Int
    var random: SeededRandom
    private(set) var findings: [Finding] = []
    private(set) var sent = 0
    /// How many answers had each status: a run that only ever met 401 or 404 proved little.
    private(set) var statuses: [Int: Int] = [:]
    private var lastRequest: FileHandle?
    static let lastRequestPath = ProcessInfo.processInfo.environment["FUZZ_LAST_REQUEST"]
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("console-fuzz-last-request.txt").path

    init(client: any TestClientProtocol) {
        let environment = ProcessInfo.processInfo.environment
        self.client = client
        seed = environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1 ... UInt64(UInt32.max))
        iterations = environment["FUZZ_ITERATIONS"].flatMap { Int($0) }.map { max($0, 0) } ?? 2
        random = SeededRandom(state: seed)
        _ = FileManager.default.createFile(atPath: Self.lastRequestPath, contents: nil)
        lastRequest = FileHandle(forWritingAtPath: Self.lastRequestPath)
        print("fuzz: FUZZ_SEED=\(seed) FUZZ_ITERATIONS=\(iterations); if the process dies, the request that killed it is in \(Self.lastRequestPath)")
    }

    deinit { try? lastRequest?.close() }

    /// The core edges, then `iterations` more fixed values drawn at random and `iterations` random ones, as JSON.
    func jsonValues() -> [FuzzJSON] {
        FuzzValues.coreJSON + (0..<iterations).flatMap { _ in [FuzzValues.json.randomElement(using: &random)!, FuzzValues.randomJSON(&random)] }
    }

    /// The same as text, for query strings, forms and path segments.
    func textValues() -> [String] {
        FuzzValues.coreText + (0..<iterations).flatMap { _ in [FuzzValues.text.randomElement(using: &random)!, FuzzValues.random(&random)] }
    }

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: String? = nil, bytes: [UInt8]? = nil,
              as role: String) async throws -> TestResponse {
        let shown = body ?? bytes.map { "bytes " + $0.prefix(200).map { String(format: "%02x", $0) }.joined() }
        return try await run(Self.summary(role, method, uri, shown)) {
            try await self.client.execute(uri: uri, method: method, headers: headers,
                                          body: body.map { ByteBuffer(string: $0) } ?? bytes.map { ByteBuffer(bytes: $0) })
        }
    }

    /// Notes the request where a crash would leave it, sends it, and checks the answer.
    @discardableResult
    func run(_ summary: String, _ request: () async throws -> TestResponse) async throws -> TestResponse {
        if let lastRequest {
            try? lastRequest.truncate(atOffset: 0)
            try? lastRequest.write(contentsOf: Data("seed \(seed), request \(sent + 1)\n\(summary)\n".utf8))
        }
        sent += 1
        let response = try await request()
        check(response, summary)
        return response
    }

    static func summary(_ role: String, _ method: HTTPRequest.Method, _ uri: String, _ body: String?) -> String {
        "\(role): \(method.rawValue) \(uri.prefix(400))\(uri.count > 400 ? "…(\(uri.count) chars)" : "")"
            + (body.map { " body \($0.prefix(600))\($0.count > 600 ? "…(\($0.count) chars)" : "")" } ?? "")
    }

    func check(_ response: TestResponse, _ summary: String) {
        statuses[response.status.code, default: 0] += 1
        // API.md: the test gateway's failing card is a documented 502 `gateway_error`, not a failure of ours.
        let documented = response.status.code == 502 && String(buffer: response.body).contains("gateway_error")
        if response.status.code >= 500 && !documented {
            findings.append(Finding(request: summary, status: response.status.code, body: String(buffer: response.body)))
        }
    }

    /// The process still answers and its database is reachable.
    func healthy() async throws -> Bool {
        try await client.execute(uri: "/healthz", method: .get).status == .ok
    }

    var statusSummary: String {
        statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    func report(_ what: String) -> String {
        "\(what): \(findings.count) answers were 5xx out of \(sent) requests (replay with FUZZ_SEED=\(seed) FUZZ_ITERATIONS=\(iterations)):\n"
            + findings.prefix(40).map { "  " + $0.description }.joined(separator: "\n")
    }

    /// Percent-encodes everything but unreserved characters, so any text travels as itself.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }

    static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }
}
