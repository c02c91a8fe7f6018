import ArgumentParser
import Commerce
import Console
import Foundation
import Hummingbird
import Logging
import MariaDB
import Notifications
import OrderEngine
import ServiceLifecycle
import UnixSignals
import Storage

@main
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The reseller admin console.",
        subcommands: [Serve.self, Worker.self, BillingRunCommand.self, Migrate.self, Doctor.self, Seed.self, CreateAdmin.self]
    )
}

/// Reads the configuration, or stops with the variable that is wrong.
func loadConfiguration() throws -> ConsoleConfiguration {
    do {
        return try ConsoleConfiguration.fromEnvironment()
    } catch let error as ConsoleConfiguration.Invalid {
        FileHandle.standardError.write(Data("configuration error: \(error)\n".utf8))
        throw ExitCode(78)  // EX_CONFIG
    }
}

func makeLogger(_ configuration: ConsoleConfiguration, label: String) -> Logger {
    LoggingSetup.bootstrap(format: configuration.logFormat)
    var logger = Logger(label: label)
    logger.logLevel = configuration.logLevel
    return logger
}

/// Runs `body` with a pool that is shut down afterwards, whatever happens.
func withDatabase<R>(_ configuration: ConsoleConfiguration, logger: Logger,
                     _ body: (MariaDBDatabase) async throws -> R) async throws -> R {
    let pool = MariaDBConnectionPool(configuration: configuration.database, logger: logger)
    let database = MariaDBDatabase(pool: pool, logger: logger)
    do {
        let result = try await body(database)
        await pool.shutdown()
        return result
    } catch {
        await pool.shutdown()
        throw error
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the console over HTTP.")

    func run() async throws {
        let configuration = try loadConfiguration()
        let logger = makeLogger(configuration, label: "console")
        // Before the pool exists: the driver makes its swift-metrics handles when the pool is made.
        let metrics = ConsoleMetrics.bootstrapProcess()
        try await withDatabase(configuration, logger: logger) { database in
            let migrations = try Migrator.load(from: configuration.migrationsDirectory)
            if let status = try? await Migrator(database: database, migrations: migrations, logger: logger).status(),
               !status.isCurrent {
                logger.warning("the schema is not current: run `console migrate`", metadata: ["pending": "\(status.pending)"])
            }
            let app = try await buildApplication(configuration: configuration, database: database, logger: logger, metrics: metrics)
            logger.info("serving on http://\(configuration.host):\(configuration.port)")
            try await app.runService()
        }
    }
}

/// The provisioning worker on its own, for nodes that don't serve pages (`PROVISIONING_WORKER=0` on
/// those that do). Any number may run: orders are claimed by a conditional update.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the provisioning worker until SIGTERM or SIGINT.")

    func run() async throws {
        let configuration = try loadConfiguration()
        let logger = makeLogger(configuration, label: "worker")
        try await withDatabase(configuration, logger: logger) { database in
            var provisioner = Provisioner(database: database, connectors: .standard(database: database), clock: BusinessClock(database: database, testMode: configuration.testMode), logger: logger)
            provisioner.concurrency = configuration.provisioningConcurrency
            provisioner.claimSeconds = configuration.provisioningClaimSeconds
            let service = ProvisioningService(provisioner: provisioner, bell: ProvisioningBell(), poll: configuration.provisioningPoll)
            logger.info("provisioning worker started", metadata: ["poll": "\(configuration.provisioningPoll)", "concurrency": "\(provisioner.concurrency)"])
            // The outbox's deliveries (webhooks, email) run beside it.
            let outbox = OutboxService(database: database, logger: logger, otherChannels: [EmailChannel(configuration: configuration, database: database, logger: logger)],
                                     allowPrivateWebhookAddresses: configuration.allowPrivateWebhookAddresses)
            try await ServiceGroup(services: [service, outbox], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
        }
    }
}

/// The billing run for the current business date, by hand or from cron; idempotent.
struct BillingRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "billing-run", abstract: "Run the billing run for the current business date and print what it did.")

    func run() async throws {
        let configuration = try loadConfiguration()
        let logger = makeLogger(configuration, label: "billing-run")
        try await withDatabase(configuration, logger: logger) { database in
            let run = BillingRun(database: database, clock: BusinessClock(database: database, testMode: configuration.testMode),
                                 settings: BillingSettings(renewalLeadDays: configuration.renewalLeadDays, graceDays: configuration.graceDays), logger: logger)
            let started = ContinuousClock.now
            let result = try await run.run(node: "console billing-run")
            print("billing run #\(result.id) for \(result.businessDate) in \(ContinuousClock.now - started): \(result.subscriptions) due, "
                  + "\(result.renewalOrders) renewal orders, \(result.invoices) invoices, \(result.rolledOver) rolled over, \(result.suspended) suspended, "
                  + "\(result.reactivated) reactivated, \(result.trialsEnded) trials ended, \(result.cancelled) cancelled, \(result.errors) errors")
            if result.errors > 0 { throw ExitCode(1) }
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations from migrations/.")

    func run() async throws {
        let configuration = try loadConfiguration()
        let logger = makeLogger(configuration, label: "migrate")
        try await withDatabase(configuration, logger: logger) { database in
            let migrator = Migrator(database: database, migrations: try Migrator.load(from: configuration.migrationsDirectory), logger: logger)
            do {
                let applied = try await migrator.migrate()
                print(applied.isEmpty ? "schema is current" : "applied: \(applied.joined(separator: ", "))")
            } catch let failure as Migrator.Failure {
                FileHandle.standardError.write(Data("migrate: \(failure)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what the console connects to and whether the schema is current.")

    func run() async throws {
        let configuration = try loadConfiguration()
        let logger = makeLogger(configuration, label: "doctor")
        print("database:   \(configuration.database.redactedDescription)")
        print("pool:       \(configuration.database.poolSize) connections, lease timeout \(configuration.database.poolTimeout)")
        print("http:       http://\(configuration.host):\(configuration.port)")
        print("files:      \(configuration.rootDirectory.path)")
        print("test mode:  \(configuration.testMode ? "on (the business clock can be set)" : "off")")
        try await withDatabase(configuration, logger: logger) { database in
            do {
                let version = try await ServerVersion.read(on: database)
                print("server:     \(version)")
            } catch {
                print("server:     unreachable: \(error)")
                throw ExitCode.failure
            }
            let migrator = Migrator(database: database, migrations: try Migrator.load(from: configuration.migrationsDirectory), logger: logger)
            do {
                let status = try await migrator.status()
                print("schema:     \(status.isCurrent ? "current" : "pending: \(status.pending.joined(separator: ", "))") (\(status.applied.count) applied)")
                if !status.isCurrent { throw ExitCode.failure }
            } catch let failure as Migrator.Failure {
                print("schema:     \(failure)")
                throw ExitCode.failure
            }
        }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the demo provider, resellers, customers and users (idempotent).")

    func run() async throws {
        let configuration = try loadConfiguration()
        let logger = makeLogger(configuration, label: "seed")
        try await withDatabase(configuration, logger: logger) { database in
            let logins = try await DemoSeed.run(database: database, passwords: Passwords(cost: configuration.bcryptCost))
            print("Demo logins (password for all: \(DemoSeed.password)):")
            for login in logins {
                print("  \(login.tier.padding(toLength: 20, withPad: " ", startingAt: 0)) \(login.email.padding(toLength: 24, withPad: " ", startingAt: 0)) \(login.account)")
            }
        }
    }
}

struct CreateAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-admin",
        abstract: "Create the provider account (if missing) and an admin user of it.")

    @Option(help: "The admin's email address.") var email: String
    @Option(help: "The admin's password (at least 10 characters).") var password: String
    @Option(help: "The admin's name.") var name: String = ""
    @Option(name: .customLong("provider-name"), help: "The provider account's name, when it is created now.") var providerName = "Provider"
    @Option(help: "The provider's billing currency, when it is created now.") var currency = "USD"

    func validate() throws {
        if let problem = PasswordRule.problem(password) { throw ValidationError("--password: \(problem)") }
        // The same bounds as the pages and the API (Commerce/Bounds.swift).
        func check(_ option: String, _ parse: () throws(BoundsError) -> String) throws {
            do { _ = try parse() } catch { throw ValidationError("\(option): \(error.description)") }
        }
        try check("--email") { () throws(BoundsError) in try EmailAddress.parse(email) }
        try check("--name") { () throws(BoundsError) in try PlainText.parse(name, maximumLength: 200) }
        try check("--provider-name") { () throws(BoundsError) in try PlainText.required(providerName, maximumLength: 200) }
        if !Currency.isValidCode(currency.uppercased()) { throw ValidationError("--currency: use a three-letter ISO 4217 code such as USD") }
    }

    func run() async throws {
        let configuration = try loadConfiguration()
        let logger = makeLogger(configuration, label: "create-admin")
        try await withDatabase(configuration, logger: logger) { database in
            let provider = try await Bootstrap.provider(on: database, name: try PlainText.required(providerName, maximumLength: 200), currency: currency.uppercased())
            let hash = try await Passwords(cost: configuration.bcryptCost).hash(password)
            let address = try EmailAddress.parse(email)
            let id = try await Bootstrap.user(on: database, account: provider, email: address, name: try PlainText.parse(name, maximumLength: 200),
                                              role: .admin, passwordHash: hash)
            print("admin \(address) (user \(id)) of \(provider.name)")
        }
    }
}
