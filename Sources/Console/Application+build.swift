import Foundation
import Hummingbird
import Logging
import MariaDB
import Mustache
import NIOCore

/// What every controller may need, built once at start.
public struct ConsoleServices: Sendable {
    public let configuration: ConsoleConfiguration
    public let database: MariaDBDatabase
    public let views: MustacheLibrary
    public let logger: Logger
}

/// Builds the console; `console serve` runs it and tests drive the same function.
public func buildApplication(
    configuration: ConsoleConfiguration, database: MariaDBDatabase, logger: Logger
) async throws -> some ApplicationProtocol {
    let views = try await MustacheLibrary(directory: configuration.viewsDirectory.path)
    let services = ConsoleServices(configuration: configuration, database: database, views: views, logger: logger)
    let router = buildRouter(services)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "reseller-console"),
        logger: logger
    )
}

public func buildRouter(_ services: ConsoleServices) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: FileMiddleware(services.configuration.assetsDirectory.path, urlBasePath: "/assets",
                                          cacheControl: .init([(MediaType(type: .any), [.maxAge(3600)])]), logger: services.logger))
    router.add(middleware: FileMiddleware(services.configuration.bootstrapDirectory.path, urlBasePath: "/vendor/bootstrap",
                                          cacheControl: .init([(MediaType(type: .any), [.maxAge(86400)])]), logger: services.logger))
    HealthController(database: services.database).addRoutes(to: router)
    HomeController(services: services).addRoutes(to: router)
    return router
}
