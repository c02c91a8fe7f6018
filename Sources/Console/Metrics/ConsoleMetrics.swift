import Foundation
import HTTPTypes
import MariaDB
import Prometheus
import Storage
import Synchronization

/// The console's Prometheus registry and the metrics it records itself. Each application gets
/// its own instance (tests build many apps in one process); `console serve` and `console worker`
/// also hand its registry to swift-metrics once per process, so the driver's metrics
/// (`mariadb_*`) land in the same `/metrics` answer.
public final class ConsoleMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Request latency, from the first middleware that sees a request to the last byte of its body:
    /// fine below 100 ms where pages and API calls live, coarse up to the pool and query timeouts.
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5), .seconds(10), .seconds(30),
    ]
    /// A billing run takes seconds on a demo and minutes on a million subscriptions.
    static let billingRunBuckets: [Duration] = [.seconds(1), .seconds(5), .seconds(15), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
                                                .seconds(600), .seconds(1200), .seconds(1800), .seconds(3600)]
    /// Methods the console answers; anything else a client invents is counted as `other`.
    static let knownMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options]
    /// The route label of a request that matched no route (a 404, a 405 of an unknown path).
    public static let unmatchedRoute = "unmatched"

    private struct RequestKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }
    private struct TimingKey: Hashable {
        let route: String
        let method: String
    }
    private let requestCounters = Mutex<[RequestKey: Prometheus.Counter]>([:])
    private let requestTimings = Mutex<[TimingKey: DurationHistogram]>([:])
    private let billingRunDuration: DurationHistogram
    private let billingRunFailures: Prometheus.Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        billingRunDuration = registry.makeDurationHistogram(
            descriptor: Self.named("console_billing_run_duration_seconds", "Billing runs of this process's schedule, from start to end (failed ones included)."),
            buckets: Self.billingRunBuckets)
        billingRunFailures = registry.makeCounter(
            descriptor: Self.named("console_billing_run_failures_total", "Billing runs of this process's schedule that failed or ended with subscription errors."))
    }

    /// A metric's full name (unit included) and help text.
    static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    // MARK: Requests

    /// Counts one answered request under its route pattern (never the raw path), method and status code.
    func recordRequest(route: String?, method: HTTPRequest.Method, status: HTTPResponse.Status, duration: Duration) {
        // Hummingbird names a path no route serves "NotFound" (nil before the router ran).
        let route = route.flatMap { $0 == "NotFound" ? nil : $0 } ?? Self.unmatchedRoute
        let method = Self.knownMethods.contains(method) ? method.rawValue : "other"
        let counterKey = RequestKey(route: route, method: method, status: Int(status.code))
        let counter = requestCounters.withLock { counters in
            if let counter = counters[counterKey] { return counter }
            let made = registry.makeCounter(descriptor: Self.named("console_http_requests_total", "HTTP requests answered, by route pattern, method and status code."),
                                            labels: [("route", route), ("method", method), ("status", String(status.code))])
            counters[counterKey] = made
            return made
        }
        counter.increment()
        let timingKey = TimingKey(route: route, method: method)
        let histogram = requestTimings.withLock { timings in
            if let histogram = timings[timingKey] { return histogram }
            let made = registry.makeDurationHistogram(
                descriptor: Self.named("console_http_request_duration_seconds", "Time to answer an HTTP request, by route pattern and method."),
                labels: [("route", route), ("method", method)], buckets: Self.latencyBuckets)
            timings[timingKey] = made
            return made
        }
        histogram.record(duration)
    }

    // MARK: Billing runs

    /// Times one billing run of the schedule; a thrown error or subscription errors count as a failure.
    public func recordBillingRun(duration: Duration, failed: Bool) {
        billingRunDuration.record(duration)
        if failed { billingRunFailures.increment() }
    }

    // MARK: At scrape time

    /// The pool's state now and what the database says of orders, backlogs and billing runs, then
    /// every metric in the text format. A database that does not answer leaves the database gauges
    /// as they were and sets `console_database_up` to 0: the scrape itself still answers.
    func scrape(pool: MariaDBConnectionPool, database: MariaDBDatabase) async -> [UInt8] {
        let open = pool.openConnections
        let idle = pool.idleConnections
        registry.makeGauge(descriptor: Self.named("console_db_pool_connections", Help.poolConnections), labels: [("state", "in_use")]).set(to: Double(open - idle))
        registry.makeGauge(descriptor: Self.named("console_db_pool_connections", Help.poolConnections), labels: [("state", "idle")]).set(to: Double(idle))
        registry.makeGauge(descriptor: Self.named("console_db_pool_size", "Connections this process may open (DATABASE_POOL_SIZE)."))
            .set(to: Double(pool.configuration.poolSize))
        registry.makeGauge(descriptor: Self.named("console_db_pool_waiting", "Requests waiting for a free database connection now."))
            .set(to: Double(pool.waitingLeases))
        let up = registry.makeGauge(descriptor: Self.named("console_database_up", "1 when this scrape's database queries answered, else 0."))
        do {
            record(try await OperationsGauges.read(on: database))
            up.set(to: 1)
        } catch {
            up.set(to: 0)
        }
        return registry.emitToBuffer()
    }

    private enum Help {
        static let poolConnections = "Database connections of this process, leased (in_use) or idle."
        static let orders = "Orders by kind and status, every status but completed (read from the database at scrape)."
        static let pendingDeliveries = "Outbox deliveries (webhooks, email) not yet made, by channel."
    }

    private func record(_ gauges: OperationsGauges) {
        // Every kind and status is set, to 0 when absent, so a count that drops to nothing reads 0.
        var counts: [String: Int64] = [:]
        for order in gauges.orders { counts["\(order.kind.rawValue)/\(order.status.rawValue)"] = order.count }
        for kind in OrderKind.allCases {
            for status in OperationsGauges.countedStatuses {
                registry.makeGauge(descriptor: Self.named("console_orders", Help.orders), labels: [("kind", kind.rawValue), ("status", status.rawValue)])
                    .set(to: Double(counts["\(kind.rawValue)/\(status.rawValue)"] ?? 0))
            }
        }
        let provisioning = gauges.orders.filter { $0.status == .provisioning }.reduce(Int64(0)) { $0 + $1.count }
        registry.makeGauge(descriptor: Self.named("console_provisioning_backlog", "Paid orders waiting for (or in) provisioning.")).set(to: Double(provisioning))
        registry.makeGauge(descriptor: Self.named("console_provisioning_oldest_seconds", "Seconds since the oldest order in provisioning was paid (0: none)."))
            .set(to: Double(gauges.oldestProvisioningSeconds))
        registry.makeGauge(descriptor: Self.named("console_orders_awaiting_payment_oldest_seconds", "Seconds since the oldest order awaiting payment was placed (0: none)."))
            .set(to: Double(gauges.oldestAwaitingPaymentSeconds))
        for channel in Set(["webhook", "email"]).union(gauges.pendingDeliveries.keys) {
            registry.makeGauge(descriptor: Self.named("console_outbox_pending_deliveries", Help.pendingDeliveries), labels: [("channel", channel)])
                .set(to: Double(gauges.pendingDeliveries[channel] ?? 0))
        }
        registry.makeGauge(descriptor: Self.named("console_outbox_oldest_pending_seconds", "Seconds since the oldest undelivered outbox delivery was created (0: none)."))
            .set(to: Double(gauges.oldestPendingDeliverySeconds))
        registry.makeGauge(descriptor: Self.named("console_outbox_unfanned_events", "Outbox events not yet turned into deliveries.")).set(to: Double(gauges.unfannedEvents))
        registry.makeGauge(descriptor: Self.named("console_outbox_oldest_unfanned_seconds", "Seconds since the oldest event not yet turned into deliveries (0: none)."))
            .set(to: Double(gauges.oldestUnfannedEventSeconds))
        registry.makeGauge(descriptor: Self.named("console_billing_run_running_seconds", "How long the newest billing run has been running, if it has not finished (0: none)."))
            .set(to: Double(gauges.billingRunRunningSeconds))
        if let run = gauges.lastBillingRun {
            registry.makeGauge(descriptor: Self.named("console_billing_run_last_duration_seconds", "Duration of the newest finished billing run (any node, cron included)."))
                .set(to: Double(run.microseconds) / 1_000_000)
            registry.makeGauge(descriptor: Self.named("console_billing_run_last_errors", "Subscriptions that failed in the newest finished billing run."))
                .set(to: Double(run.errors))
            registry.makeGauge(descriptor: Self.named("console_billing_run_last_finished_seconds", "Seconds since the newest billing run finished."))
                .set(to: Double(run.finishedSecondsAgo))
        }
    }
}
