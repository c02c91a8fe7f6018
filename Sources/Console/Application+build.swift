import Foundation
import Hummingbird
import Logging
import MariaDB
import Mustache
import NIOCore
import Notifications
import OrderEngine
import ServiceLifecycle
import Storage

/// What every controller may need, built once at start.
public struct ConsoleServices: Sendable {
    public let configuration: ConsoleConfiguration
    public let database: MariaDBDatabase
    public let views: MustacheLibrary
    public let logger: Logger
    public let passwords: Passwords
    /// Business dates; settable in test mode.
    public let clock: BusinessClock
    /// Rung when an order is ready to provision, so this node's worker starts at once.
    public let bell: ProvisioningBell

    var orders: OrderService { OrderService(database: database, clock: clock, bell: bell) }
    var billingRun: BillingRun {
        BillingRun(database: database, clock: clock, settings: BillingSettings(renewalLeadDays: configuration.renewalLeadDays, graceDays: configuration.graceDays),
                   logger: logger, bell: bell)
    }
}

/// Builds the console; `console serve` runs it and tests drive the same function.
public func buildApplication(
    configuration: ConsoleConfiguration, database: MariaDBDatabase, logger: Logger, metrics: ConsoleMetrics = ConsoleMetrics()
) async throws -> some ApplicationProtocol {
    let bell = ProvisioningBell()
    let router = try await buildRouter(configuration: configuration, database: database, logger: logger, bell: bell, metrics: metrics)
    var services: [any Service] = []
    if configuration.billingRunInterval > 0 {
        let run = BillingRun(database: database, clock: BusinessClock(database: database, testMode: configuration.testMode),
                             settings: BillingSettings(renewalLeadDays: configuration.renewalLeadDays, graceDays: configuration.graceDays), logger: logger, bell: bell)
        services.append(BillingSchedule(run: run, interval: .seconds(60 * configuration.billingRunInterval), logger: logger, metrics: metrics))
    }
    if configuration.provisioningWorker {
        var provisioner = Provisioner(database: database, connectors: .standard(database: database), clock: BusinessClock(database: database, testMode: configuration.testMode), logger: logger)
        provisioner.concurrency = configuration.provisioningConcurrency
        provisioner.claimSeconds = configuration.provisioningClaimSeconds
        services.append(ProvisioningService(provisioner: provisioner, bell: bell, poll: configuration.provisioningPoll))
        // The outbox's deliveries go with the provisioning worker (`PROVISIONING_WORKER=0` keeps both off a node).
        services.append(OutboxService(database: database, logger: logger, otherChannels: [EmailChannel(configuration: configuration, database: database, logger: logger)],
                                     allowPrivateWebhookAddresses: configuration.allowPrivateWebhookAddresses))
    }
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "reseller-console"),
        services: services,
        logger: logger
    )
}

/// The router with every route of the console and its API; tests walk `router.routes`.
public func buildRouter(configuration: ConsoleConfiguration, database: MariaDBDatabase, logger: Logger,
                        bell: ProvisioningBell = ProvisioningBell(), metrics: ConsoleMetrics = ConsoleMetrics()) async throws -> Router<AppContext> {
    let views = try await MustacheLibrary(directory: configuration.viewsDirectory.path)
    let services = ConsoleServices(configuration: configuration, database: database, views: views, logger: logger,
                                   passwords: Passwords(cost: configuration.bcryptCost),
                                   clock: BusinessClock(database: database, testMode: configuration.testMode), bell: bell)
    let assets = try StaticAssets([.init(urlPath: "/assets", directory: configuration.assetsDirectory, maxAge: 3600),
                                   .init(urlPath: "/vendor/bootstrap", directory: configuration.bootstrapDirectory, maxAge: 86400),
                                   .init(urlPath: "/vendor/chartjs", directory: configuration.chartJSDirectory, maxAge: 86400)], logger: logger)
    let router = Router(context: AppContext.self)
    // Static files from memory, before everything else: they carry the security headers themselves.
    router.add(middleware: StaticAssetsMiddleware(assets: assets))
    // So every other answer carries the security headers, error pages included.
    router.add(middleware: SecurityHeadersMiddleware())
    // The language of the answer (issue 16), error pages included; a signed-in user's own below.
    router.add(middleware: VisitorLanguageMiddleware(secureCookie: configuration.secureCookies))
    let routeMethods = RouteMethods()
    router.add(middleware: RequestErrorMiddleware(services: services))
    router.add(middleware: ForwardedForMiddleware(trusted: configuration.trustedProxies))
    router.add(middleware: NotFoundPageMiddleware(services: services))
    router.add(middleware: RequestLogMiddleware(.debug))
    if configuration.requestMetrics { router.add(middleware: RequestMetricsMiddleware(metrics: metrics)) }
    router.add(middleware: MethodNotAllowedMiddleware(services: services, routes: routeMethods))
    // Session first, so error pages know who is signed in and a rotated session is saved whatever the page.
    router.add(middleware: SessionMiddleware(persist: MariaDBPersistDriver(database: database), users: UserStore(database: database),
                                             secureCookie: configuration.secureCookies, idleTimeout: configuration.sessionIdleTimeout))
    router.add(middleware: UserLanguageMiddleware(secureCookie: configuration.secureCookies))
    // The page's brand (one statement), around the error pages too.
    router.add(middleware: BrandMiddleware(store: BrandStore(database: database), hosts: configuration.brandHosts, secureCookie: configuration.secureCookies))
    router.add(middleware: PageErrorMiddleware(services: services))
    router.add(middleware: CSRFMiddleware())
    router.add(middleware: CreditBadgeMiddleware(services: services))

    HealthController(database: database).addRoutes(to: router)
    MetricsController(metrics: metrics, database: database, access: MetricsAccess(token: configuration.metricsToken)).addRoutes(to: router)
    HomeController(services: services).addRoutes(to: router)
    AuthController(services: services).addRoutes(to: router)
    PeopleController(services: services).addPublicRoutes(to: router)
    BrandingController(services: services).addThemeRoute(to: router)
    let signedIn = router.group(context: SignedInContext.self)
    DashboardController(services: services).addRoutes(to: signedIn)
    AccountsController(services: services).addRoutes(to: signedIn)
    AuditController(services: services).addRoutes(to: signedIn)
    CatalogController(services: services).addRoutes(to: signedIn)
    PlansController(services: services).addRoutes(to: signedIn)
    SubscriptionsController(services: services).addRoutes(to: signedIn)
    SettingsController(services: services).addRoutes(to: signedIn)
    BillingController(services: services).addRoutes(to: signedIn)
    InvoicePDFController(services: services).addRoutes(to: signedIn)
    RestrictionsController(services: services).addRoutes(to: signedIn)
    ExportController(services: services).addRoutes(to: signedIn)
    LifecycleController(services: services).addRoutes(to: signedIn)
    MailController(services: services).addRoutes(to: signedIn)
    PeopleController(services: services).addRoutes(to: signedIn)
    BrandingController(services: services).addRoutes(to: signedIn)
    WebhooksController(services: services).addRoutes(to: signedIn)
    APIDocsController(services: services).addRoutes(to: router)
    APIController(services: services).addRoutes(to: router)
    routeMethods.load(router.routes)
    return router
}

/// The provisioning worker as a service of the serve process: it stops with the server.
public struct ProvisioningService: Service {
    let provisioner: Provisioner
    let bell: ProvisioningBell
    let poll: Duration

    public init(provisioner: Provisioner, bell: ProvisioningBell, poll: Duration) {
        self.provisioner = provisioner
        self.bell = bell
        self.poll = poll
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await provisioner.run(bell: bell, pollInterval: poll)
        }
    }
}

/// The billing run of `serve`, on a schedule: a minute after start, then every interval. Safe on
/// several nodes at once (every step is idempotent).
public struct BillingSchedule: Service {
    let run: BillingRun
    let interval: Duration
    let logger: Logger
    var metrics: ConsoleMetrics? = nil

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var wait = Duration.seconds(60)
            while !Task.isCancelled {
                try? await Task.sleep(for: wait)
                if Task.isCancelled { break }
                let started = ContinuousClock.now
                do {
                    let result = try await run.run()
                    metrics?.recordBillingRun(duration: ContinuousClock.now - started, failed: result.errors > 0)
                    logger.info("billing run", metadata: ["date": "\(result.businessDate)", "renewals": "\(result.renewalOrders)", "invoices": "\(result.invoices)",
                                                         "suspended": "\(result.suspended)", "rolled_over": "\(result.rolledOver)"])
                } catch {
                    metrics?.recordBillingRun(duration: ContinuousClock.now - started, failed: true)
                    logger.error("billing run failed", metadata: ["error": "\(error)"])
                }
                wait = interval
            }
        }
    }
}
