import Commerce
import Configuration
import Foundation
import Logging
import Mail
import MariaDB

/// Everything the console reads from its environment, read once at start.
/// A missing or malformed setting stops the start with a message naming the variable.
public struct ConsoleConfiguration: Sendable {
    public var database: MariaDBConfiguration
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    /// `CONSOLE_TEST_MODE=1`: the business clock may be set through the API.
    public var testMode: Bool
    /// Marks the session cookie `Secure` (`SESSION_COOKIE_SECURE`; on by default unless `HOST` is a
    /// loopback address), for a console served over https.
    public var secureCookies: Bool
    /// Folder holding `Views/`, `Assets/` and `migrations/`.
    public var rootDirectory: URL
    /// bcrypt work factor for new passwords (`BCRYPT_COST`, 4–15).
    public var bcryptCost: UInt8 = 12
    /// A session unused this long is signed out (`SESSION_IDLE_MINUTES`).
    public var sessionIdleTimeout: Duration = .seconds(120 * 60)
    /// Whether `serve` runs the provisioning worker in its own process (`PROVISIONING_WORKER`,
    /// default on; turn it off on nodes where `console worker` runs apart).
    public var provisioningWorker = true
    /// How often an idle worker looks for orders to provision (`PROVISIONING_POLL_MS`); a payment
    /// on the same node wakes it at once.
    public var provisioningPoll: Duration = .milliseconds(1000)
    /// Orders one worker provisions at once (`PROVISIONING_CONCURRENCY`, 1–64), each under its own claim.
    public var provisioningConcurrency = 8
    /// Proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`: comma-separated IP
    /// addresses, e.g. the load balancer's; none by default, when the connection's peer is the client).
    public var trustedProxies: Set<String> = []
    /// How long a provisioning claim lasts unless its worker renews it (`PROVISIONING_CLAIM_SECONDS`,
    /// 3–600): the time another node's worker waits before taking over the orders of a dead one.
    public var provisioningClaimSeconds = 15
    /// How often `serve` runs the billing run for the business date (`BILLING_RUN_INTERVAL_MINUTES`; 0: never, run it by hand or from cron).
    public var billingRunInterval = 60
    /// Days before a period ends that its renewal is invoiced (`RENEWAL_LEAD_DAYS`).
    public var renewalLeadDays = 7
    /// Days after a period ends that an unpaid renewal suspends the subscription (`GRACE_DAYS`).
    public var graceDays = 7
    /// Email: the SMTP server (`SMTP_HOST`…), or none and the local sink under `.local/mail`; `MAIL_FROM`.
    public var mail = MailSettings()
    /// The console's address as people reach it (`PUBLIC_URL`, http or https, no trailing slash):
    /// links in emails (a password reset link) start with it.
    public var publicURL = "http://127.0.0.1:8080"
    /// Host names whose sign-in page wears a reseller's brand (`BRAND_HOSTS`, comma-separated
    /// `host=slug`, e.g. `portal.northwind.example=northwind`), host lower-cased without port.
    public var brandHosts: [String: String] = [:]
    /// Webhooks may be delivered to loopback, private and reserved addresses
    /// (`WEBHOOK_ALLOW_PRIVATE_ADDRESSES`, off: an account's admin must not reach into the
    /// provider's network through the console; on for receivers inside one's own network, and tests).
    public var allowPrivateWebhookAddresses = false
    /// `METRICS_TOKEN`: a bearer token that reads `/metrics` from anywhere (without it, only this machine reads it).
    public var metricsToken: String?
    /// `LOG_FORMAT`: `text` (the default) or `json`, one object per line.
    public var logFormat: LogFormat = .text
    /// `REQUEST_METRICS=0` stops counting and timing requests for `/metrics` (to measure what that costs).
    public var requestMetrics = true

    public var viewsDirectory: URL { rootDirectory.appendingPathComponent("Views") }
    public var assetsDirectory: URL { rootDirectory.appendingPathComponent("Assets") }
    public var migrationsDirectory: URL { rootDirectory.appendingPathComponent("migrations") }
    /// Debian's libjs-bootstrap5, served under /vendor/bootstrap.
    public var bootstrapDirectory = URL(fileURLWithPath: "/usr/share/javascript/bootstrap5")
    /// Debian's libjs-chart.js (Chart.js 3), served under /vendor/chartjs for the dashboards' charts.
    public var chartJSDirectory = URL(fileURLWithPath: "/usr/share/javascript/chart.js")

    public init(database: MariaDBConfiguration, host: String = "127.0.0.1", port: Int = 8080,
                logLevel: Logger.Level = .info, testMode: Bool = false, secureCookies: Bool = false,
                rootDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        self.database = database
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.testMode = testMode
        self.secureCookies = secureCookies
        self.rootDirectory = rootDirectory
    }

    /// Whether `HOST` listens on this machine only: `localhost`, 127.0.0.0/8 or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.lowercased() == "localhost" || bare == "::1" || bare == "0:0:0:0:0:0:0:1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// `portal.northwind.example=northwind, portal.edge.example=edge` → host → slug.
    static func brandHosts(_ text: String) throws -> [String: String] {
        var hosts: [String: String] = [:]
        let entries = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard entries.count <= 256 else { throw Invalid(variable: "BRAND_HOSTS", problem: "more than 256 host names") }
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let host = parts[0].lowercased()
            let isHostName = (1...253).contains(host.utf8.count) && host.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            }
            guard parts.count == 2, isHostName, BrandSlug.isValid(parts[1]) else {
                throw Invalid(variable: "BRAND_HOSTS", problem: "'\(entry.prefix(80))' is not host=slug, like portal.northwind.example=northwind")
            }
            guard hosts[host] == nil else { throw Invalid(variable: "BRAND_HOSTS", problem: "\(host) is named twice") }
            hosts[host] = parts[1]
        }
        return hosts
    }

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var variable: String
        public var problem: String
        public var description: String { "\(variable): \(problem)" }
    }

    /// Reads the process environment (or the given variables, for tests).
    public static func fromEnvironment(_ variables: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        let reader = EnvironmentReader(ConfigReader(provider: EnvironmentVariablesProvider(
            environmentVariables: variables, secretsSpecifier: .specific(["DATABASE_PASSWORD", "DATABASE_URL", "SMTP_PASSWORD"])
        )))
        var database: MariaDBConfiguration
        if let url = reader.string("DATABASE_URL") {
            do {
                database = try MariaDBConfiguration(url: url)
            } catch let error as MariaDBError {
                throw Invalid(variable: "DATABASE_URL", problem: error.message)
            }
        } else {
            guard let user = reader.string("DATABASE_USER") else {
                throw Invalid(variable: "DATABASE_URL", problem: "not set, and neither is DATABASE_USER: say where the database is")
            }
            let endpoint: MariaDBConfiguration.Endpoint
            if let socket = reader.string("DATABASE_SOCKET") {
                endpoint = .socket(path: socket)
            } else {
                endpoint = .tcp(host: reader.string("DATABASE_HOST") ?? "127.0.0.1",
                                port: try reader.integer("DATABASE_PORT", default: 3306, in: 1...65535))
            }
            guard let name = reader.string("DATABASE_NAME") else {
                throw Invalid(variable: "DATABASE_NAME", problem: "not set")
            }
            database = MariaDBConfiguration(endpoint: endpoint, user: user,
                                            password: reader.string("DATABASE_PASSWORD") ?? "", database: name)
        }
        database.poolSize = try reader.integer("DATABASE_POOL_SIZE", default: 8, in: 1...500)
        database.poolTimeout = .milliseconds(try reader.integer("DATABASE_POOL_TIMEOUT_MS", default: 5000, in: 1...600_000))
        database.queryTimeout = .milliseconds(try reader.integer("DATABASE_QUERY_TIMEOUT_MS", default: 30000, in: 1...3_600_000))

        let levelText = reader.string("LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw Invalid(variable: "LOG_LEVEL", problem: "'\(levelText)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        let host = reader.string("HOST") ?? "127.0.0.1"
        var configuration = ConsoleConfiguration(
            database: database,
            host: host,
            port: try reader.integer("PORT", default: 8080, in: 1...65535),
            logLevel: level,
            testMode: try reader.flag("CONSOLE_TEST_MODE"),
            // Served beyond this machine, the cookie is Secure unless the operator says otherwise.
            secureCookies: try reader.flag("SESSION_COOKIE_SECURE", default: !Self.isLoopback(host))
        )
        configuration.bcryptCost = UInt8(try reader.integer("BCRYPT_COST", default: 12, in: 4...15))
        configuration.sessionIdleTimeout = .seconds(60 * (try reader.integer("SESSION_IDLE_MINUTES", default: 120, in: 1...43_200)))
        configuration.provisioningWorker = try reader.flag("PROVISIONING_WORKER", default: true)
        configuration.allowPrivateWebhookAddresses = try reader.flag("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default: false)
        configuration.provisioningPoll = .milliseconds(try reader.integer("PROVISIONING_POLL_MS", default: 1000, in: 20...600_000))
        configuration.provisioningConcurrency = try reader.integer("PROVISIONING_CONCURRENCY", default: 8, in: 1...64)
        configuration.provisioningClaimSeconds = try reader.integer("PROVISIONING_CLAIM_SECONDS", default: 15, in: 3...600)
        configuration.billingRunInterval = try reader.integer("BILLING_RUN_INTERVAL_MINUTES", default: 60, in: 0...10_080)
        configuration.renewalLeadDays = try reader.integer("RENEWAL_LEAD_DAYS", default: 7, in: 0...60)
        configuration.graceDays = try reader.integer("GRACE_DAYS", default: 7, in: 0...90)
        if let publicURL = reader.string("PUBLIC_URL") {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false,
                  url.query == nil, url.fragment == nil, publicURL.utf8.count <= 200 else {
                throw Invalid(variable: "PUBLIC_URL", problem: "'\(publicURL.prefix(60))' is not an http(s) address like https://console.example.com")
            }
            configuration.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        }
        if let smtpHost = reader.string("SMTP_HOST") {
            let smtp = SMTPSettings(host: smtpHost, port: try reader.integer("SMTP_PORT", default: 587, in: 1...65535),
                                    username: reader.string("SMTP_USER"), password: reader.string("SMTP_PASSWORD"))
            guard (smtp.username == nil) == (smtp.password == nil) else {
                throw Invalid(variable: smtp.username == nil ? "SMTP_USER" : "SMTP_PASSWORD", problem: "not set: SMTP_USER and SMTP_PASSWORD go together")
            }
            configuration.mail.smtp = smtp
        }
        if let from = reader.string("MAIL_FROM") {
            guard SMTPClient.isSendableAddress(from) else {
                throw Invalid(variable: "MAIL_FROM", problem: "'\(from.prefix(60))' is not a plain address like billing@example.com")
            }
            configuration.mail.fromAddress = from
        } else if configuration.mail.smtp != nil {
            throw Invalid(variable: "MAIL_FROM", problem: "not set: SMTP_HOST needs the address mail is sent from")
        }
        if let hosts = reader.string("BRAND_HOSTS") {
            configuration.brandHosts = try Self.brandHosts(hosts)
        }
        if let proxies = reader.string("TRUSTED_PROXIES") {
            let entries = proxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard entries.count <= 64 else { throw Invalid(variable: "TRUSTED_PROXIES", problem: "more than 64 addresses") }
            for entry in entries {
                guard let address = ForwardedFor.normalized(entry) else {
                    throw Invalid(variable: "TRUSTED_PROXIES", problem: "'\(entry.prefix(60))' is not an IP address")
                }
                configuration.trustedProxies.insert(address)
            }
        }
        if let token = reader.string("METRICS_TOKEN") {
            guard (16...512).contains(token.utf8.count), token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw Invalid(variable: "METRICS_TOKEN", problem: "use 16 to 512 printable characters without spaces")
            }
            configuration.metricsToken = token
        }
        configuration.requestMetrics = try reader.flag("REQUEST_METRICS", default: true)
        if let format = reader.string("LOG_FORMAT") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else { throw Invalid(variable: "LOG_FORMAT", problem: "'\(format.prefix(20))' is not one of text, json") }
            configuration.logFormat = parsed
        }
        if let root = reader.string("CONSOLE_ROOT") {
            configuration.rootDirectory = URL(fileURLWithPath: root)
        }
        return configuration
    }
}

/// Reads environment variables by their own names through swift-configuration, and parses
/// numbers and flags itself so that a malformed value is an error rather than a silent default.
private struct EnvironmentReader {
    let reader: ConfigReader

    init(_ reader: ConfigReader) { self.reader = reader }

    /// `DATABASE_POOL_SIZE` → the key `database.pool.size`, which the provider maps back.
    func string(_ variable: String) -> String? {
        let key = ConfigKey(variable.lowercased().split(separator: "_").map(String.init))
        let value = reader.string(forKey: key)?.trimmingCharacters(in: .whitespaces)
        return value?.isEmpty == false ? value : nil
    }

    func integer(_ variable: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = string(variable) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ConsoleConfiguration.Invalid(variable: variable, problem: "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func flag(_ variable: String, default fallback: Bool = false) throws -> Bool {
        guard let text = string(variable) else { return fallback }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConsoleConfiguration.Invalid(variable: variable, problem: "'\(text)' is not 1 or 0")
        }
    }
}
