import Foundation
import Hummingbird
import Logging
import MariaDB
import Mustache
import NIOCore
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
}

/// Builds the console; `console serve` runs it and tests drive the same function.
public func buildApplication(
    configuration: ConsoleConfiguration, database: MariaDBDatabase, logger: Logger
) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(configuration: configuration, database: database, logger: logger)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "reseller-console"),
        logger: logger
    )
}

/// The router with every route of the console and its API; tests walk `router.routes`.
public func buildRouter(configuration: ConsoleConfiguration, database: MariaDBDatabase, logger: Logger) async throws -> Router<AppContext> {
    let views = try await MustacheLibrary(directory: configuration.viewsDirectory.path)
    let services = ConsoleServices(configuration: configuration, database: database, views: views, logger: logger,
                                   passwords: Passwords(cost: configuration.bcryptCost),
                                   clock: BusinessClock(database: database, testMode: configuration.testMode))
    let router = Router(context: AppContext.self)
    router.add(middleware: NotFoundPageMiddleware(services: services))
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: FileMiddleware(configuration.assetsDirectory.path, urlBasePath: "/assets",
                                          cacheControl: .init([(MediaType(type: .any), [.maxAge(3600)])]), logger: logger))
    router.add(middleware: FileMiddleware(configuration.bootstrapDirectory.path, urlBasePath: "/vendor/bootstrap",
                                          cacheControl: .init([(MediaType(type: .any), [.maxAge(86400)])]), logger: logger))
    // Session first, so error pages know who is signed in and a rotated session is saved whatever the page.
    router.add(middleware: SessionMiddleware(persist: MariaDBPersistDriver(database: database), users: UserStore(database: database),
                                             secureCookie: configuration.secureCookies, idleTimeout: configuration.sessionIdleTimeout))
    router.add(middleware: PageErrorMiddleware(services: services))
    router.add(middleware: CSRFMiddleware())

    HealthController(database: database).addRoutes(to: router)
    HomeController(services: services).addRoutes(to: router)
    AuthController(services: services).addRoutes(to: router)
    let signedIn = router.group(context: SignedInContext.self)
    DashboardController(services: services).addRoutes(to: signedIn)
    AccountsController(services: services).addRoutes(to: signedIn)
    AuditController(services: services).addRoutes(to: signedIn)
    CatalogController(services: services).addRoutes(to: signedIn)
    PlansController(services: services).addRoutes(to: signedIn)
    SubscriptionsController(services: services).addRoutes(to: signedIn)
    SettingsController(services: services).addRoutes(to: signedIn)
    APIController(services: services).addRoutes(to: router)
    return router
}
