import Commerce
import Foundation
import MariaDB
import Storage
import Synchronization

/// What a billing run reads again and again for subscriptions alike (plans, accounts, price
/// schedules and invoice terms at the run's moment), kept for the length of one run.
final class LookupCache: Sendable {
    private struct State {
        var plans: [Int64: Plan] = [:]
        var accounts: [Int64: Account] = [:]
        var schedules: [String: PriceSchedule] = [:]
        var unrestricted: Set<String> = []
        var terms: [String: InvoiceTerms] = [:]
    }
    private let state = Mutex(State())

    func plan(_ id: Int64, on db: MariaDBDatabase) async throws -> Plan {
        if let plan = state.withLock({ $0.plans[id] }) { return plan }
        let plan = try await PlanStore(database: db).planForWorker(id)
        state.withLock { $0.plans[id] = plan }
        return plan
    }

    func account(_ id: Int64, on db: MariaDBDatabase) async throws -> Account {
        if let account = state.withLock({ $0.accounts[id] }) { return account }
        let account = try await AccountStore(database: db).accountForWorker(id, on: db)
        state.withLock { $0.accounts[id] = account }
        return account
    }

    /// The invoice terms (currency, rate, tax) of a plan sold to a customer at the run's moment.
    func invoiceTerms(plan: Plan, customer: Account, now: Date, on db: MariaDBDatabase) async throws -> InvoiceTerms {
        let key = "\(plan.currency.code)|\(plan.pricesIncludeTaxes)|\(customer.currency)|\(customer.taxRate)|\(now.timeIntervalSince1970)"
        if let terms = state.withLock({ $0.terms[key] }) { return terms }
        let terms = try await InvoiceTerms.load(plan: plan, customer: customer, now: now, on: db)
        state.withLock { $0.terms[key] = terms }
        return terms
    }

    func schedule(_ key: String) -> PriceSchedule? { state.withLock { $0.schedules[key] } }
    func store(_ schedule: PriceSchedule, _ key: String) { state.withLock { $0.schedules[key] = schedule } }

    /// Whether no restriction covers the account path for the plan (only "no restriction" is kept: a refusal is always read afresh).
    func isUnrestricted(_ key: String) -> Bool { state.withLock { $0.unrestricted.contains(key) } }
    func markUnrestricted(_ key: String) { _ = state.withLock { $0.unrestricted.insert(key) } }
}
