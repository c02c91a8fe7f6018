import Foundation
import Logging
import MariaDB
import Storage

/// Delivers the outbox (DOMAIN.md 11): fans new events out to their channels' destinations, then
/// claims due deliveries and hands them to their channel, after commit, at least once. Safe with
/// workers on several nodes: a delivery is claimed by a conditional update committed before it is
/// sent, and a claim that runs out (a worker that died mid-flight) passes it to another worker, so
/// a receiver may see one event twice and de-duplicates by its id.
public struct OutboxWorker: Sendable {
    let database: MariaDBDatabase
    let channels: [any OutboxChannel]
    let logger: Logger
    /// Who holds a claim: this process, for the claim columns and the attempts' history.
    public var worker = "\(ProcessInfo.processInfo.hostName.prefix(40))-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    /// How long a claim lasts: longer than any channel's bounded attempt (a webhook's 10 s).
    public var claimSeconds = 60
    /// Deliveries sent at once by this worker.
    public var concurrency = 8
    /// The wait after the first failed attempt, doubling each time up to `longestRetrySeconds`.
    public var firstRetrySeconds = 30
    public var longestRetrySeconds = 3600
    /// A delivery still failing this long after its event is given up (`failed`).
    public var retryWindowSeconds = 86_400

    public init(database: MariaDBDatabase, channels: [any OutboxChannel], logger: Logger) {
        self.database = database
        self.channels = channels
        self.logger = logger
    }

    var store: OutboxStore { OutboxStore(database: database) }

    /// The wait before attempt `attempt + 1`: 30 s, 60 s, 120 s, … at most an hour apart.
    public static func retryDelay(afterAttempt attempt: Int, first: Int, longest: Int) -> Int {
        min(longest, first << min(max(attempt - 1, 0), 20))
    }

    /// Writes the deliveries of up to `limit` new events, in one transaction; answers how many events.
    @discardableResult
    public func fanOut(limit: Int = 200) async throws -> Int {
        try await database.withTransaction { tx in
            let events = try await OutboxStore.eventsToFanOut(limit: limit, on: tx)
            guard !events.isEmpty else { return 0 }
            var destinations: [OutboxDestination] = []
            for channel in channels { destinations += try await channel.destinations(for: events, on: tx) }
            try await OutboxStore.fanOut(events.map(\.id), to: destinations, on: tx)
            return events.count
        }
    }

    /// Fans out what is new, then attempts what is due; answers how many attempts it made.
    @discardableResult
    public func runOnce(limit: Int = 50) async throws -> Int {
        while try await fanOut() > 0 {}
        let due = try await store.due(channels: channels.map(\.name), limit: max(limit, concurrency))
        return await withTaskGroup(of: Bool.self) { group -> Int in
            var next = due.makeIterator()
            func start() -> Bool {
                guard let id = next.next() else { return false }
                group.addTask {
                    do { return try await self.claimAndDeliver(id) } catch is CancellationError {
                        return false  // shutting down: the claim runs out and another worker sends it
                    } catch {
                        self.logger.error("outbox delivery failed", metadata: ["delivery": "\(id)", "error": "\(error)"])
                        return false
                    }
                }
                return true
            }
            for _ in 0..<max(1, concurrency) where !start() { break }
            var attempted = 0
            while let done = await group.next() {
                if done { attempted += 1 }
                _ = start()
            }
            return attempted
        }
    }

    /// Claims one delivery (unless another worker holds it), sends it, and records the attempt.
    func claimAndDeliver(_ id: Int64) async throws -> Bool {
        guard try await store.claim(id, worker: worker, for: claimSeconds) else { return false }
        guard let delivery = try await store.claimed(id, worker: worker) else { return false }
        let started = ContinuousClock.now
        let result: OutboxAttemptResult
        if let channel = channels.first(where: { $0.name == delivery.channel }) {
            result = await channel.deliver(delivery)
        } else {
            result = .failed(code: nil, error: "no channel named \(delivery.channel) in this worker")
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Int(elapsed.components.seconds) * 1000 + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
        try await store.finish(id, worker: worker, attempt(for: result, of: delivery, milliseconds: milliseconds))
        return true
    }

    /// What an attempt's result makes of the delivery: done, tried again after a backoff, or given up.
    public func attempt(for result: OutboxAttemptResult, of delivery: OutboxDelivery, milliseconds: Int, now: Date = Date()) -> OutboxAttempt {
        switch result {
        case .delivered(let code):
            return OutboxAttempt(responseCode: code, error: nil, durationMilliseconds: milliseconds, next: .delivered)
        case .rejected(let code, let error):
            return OutboxAttempt(responseCode: code, error: error, durationMilliseconds: milliseconds, next: .failed)
        case .cancelled(let reason):
            return OutboxAttempt(responseCode: nil, error: reason, durationMilliseconds: milliseconds, next: .cancelled)
        case .failed(let code, let error):
            let delay = Self.retryDelay(afterAttempt: delivery.attempt, first: firstRetrySeconds, longest: longestRetrySeconds)
            let givenUp = now.addingTimeInterval(TimeInterval(delay)) > delivery.event.occurredAt.addingTimeInterval(TimeInterval(retryWindowSeconds))
            if givenUp {
                logger.warning("outbox delivery given up", metadata: ["delivery": "\(delivery.id)", "event": "\(delivery.event.uuid)", "error": "\(error)"])
            }
            return OutboxAttempt(responseCode: code, error: error, durationMilliseconds: milliseconds, next: givenUp ? .failed : .retry(inSeconds: delay))
        }
    }

    /// Polls until cancelled.
    public func run(pollInterval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            var busy = false
            do {
                busy = try await runOnce() > 0
            } catch is CancellationError {
                break
            } catch {
                guard !Task.isCancelled else { break }
                logger.error("outbox run failed", metadata: ["error": "\(error)"])
            }
            if busy { continue }
            try? await Task.sleep(for: pollInterval)
        }
    }
}
