import Metrics
import Prometheus
import Synchronization

extension ConsoleMetrics {
    private static let processMetrics = Mutex<ConsoleMetrics?>(nil)

    /// The metrics of `console serve` / `console worker`: swift-metrics (the driver's pool and query
    /// metrics) bootstrapped once per process with this registry; later calls answer the same one.
    /// Tests never call it: each test app has a registry of its own.
    public static func bootstrapProcess() -> ConsoleMetrics {
        processMetrics.withLock { existing in
            if let existing { return existing }
            let metrics = ConsoleMetrics()
            var factory = PrometheusMetricsFactory(registry: metrics.registry)
            factory.durationHistogramBuckets = ["mariadb_query_duration_seconds": queryBuckets, "mariadb_pool_lease_wait_seconds": queryBuckets]
            // The driver's names in Prometheus' conventions (a unit on durations, `_total` on counters).
            factory.nameAndLabelSanitizer = { name, labels in (driverNames[name] ?? name, labels) }
            MetricsSystem.bootstrap(factory)
            existing = metrics
            return metrics
        }
    }

    static let driverNames = [
        "mariadb_pool_lease_wait": "mariadb_pool_lease_wait_seconds",
        "mariadb_statement_retries": "mariadb_statement_retries_total",
        "mariadb_transaction_retries": "mariadb_transaction_retries_total",
    ]

    /// A statement takes well under a millisecond on an index and up to the query timeout.
    static let queryBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
    ]
}
