import Console
import Foundation
import Logging
import MariaDB

/// A console configuration for tests: the test database, the repository's Views and Assets.
public enum TestConsole {
    public static func configuration(database: MariaDBConfiguration? = nil) -> ConsoleConfiguration {
        var configuration = ConsoleConfiguration(
            database: database ?? TestDatabase.configuration(database: TestDatabase.applicationDatabaseName),
            host: "127.0.0.1", port: 0, logLevel: .warning, testMode: true, secureCookies: false,
            rootDirectory: TestDatabase.repositoryRoot
        )
        // Tests run the billing run themselves (POST /api/v1/billing-runs), never on a schedule.
        configuration.billingRunInterval = 0
        return configuration
    }
}
