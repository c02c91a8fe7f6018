import Commerce
import Foundation
import Localization
import MariaDB

/// Subscriptions of customers in the caller's subtree.
public struct SubscriptionStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    public func subscription(_ id: Int64, in scope: TenantScope, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> Subscription {
        let db = db ?? database
        let rows = try await db.rows(
            "SELECT * FROM subscriptions WHERE id = ? AND customer_path LIKE ?\(forUpdate ? " FOR UPDATE" : "")",
            [.int(id), .string(scope.pathPattern)])
        guard let row = rows.first else { throw StoreError.notFound("subscription \(id)") }
        return try await hydrate(row, on: db)
    }

    /// A subscription by id whatever the tenant: only for the order engine's workers, which act on
    /// orders already reached in scope.
    public func subscriptionForWorker(_ id: Int64, on db: MariaDBDatabase? = nil, forUpdate: Bool = false) async throws -> Subscription? {
        let db = db ?? database
        guard let row = try await db.rows("SELECT * FROM subscriptions WHERE id = ?\(forUpdate ? " FOR UPDATE" : "")", [.int(id)]).first else { return nil }
        return try await hydrate(row, on: db)
    }

    public struct Filter: Sendable {
        public var customerID: Int64?
        public var planID: Int64?
        public var status: SubscriptionStatus?
        public init(customerID: Int64? = nil, planID: Int64? = nil, status: SubscriptionStatus? = nil) {
            self.customerID = customerID
            self.planID = planID
            self.status = status
        }
    }

    public func list(in scope: TenantScope, filter: Filter = Filter(), page: PageRequest = PageRequest()) async throws -> Page<Subscription> {
        var conditions = ["customer_path LIKE ?"]
        var binds: [MariaDBData] = [.string(scope.pathPattern)]
        if let ancestor = scope.ancestorCondition() { conditions.append(ancestor.sql); binds.append(ancestor.bind) }
        if let customer = filter.customerID { conditions.append("customer_id = ?"); binds.append(.int(customer)) }
        if let plan = filter.planID { conditions.append("plan_id = ?"); binds.append(.int(plan)) }
        if let status = filter.status { conditions.append("status = ?"); binds.append(.string(status.rawValue)) }
        if let cursor = page.cursor { conditions.append("id < ?"); binds.append(.int(cursor)) }
        binds.append(.int(Int64(page.limit + 1)))
        // Rows, then all their lines in one query: a page costs the same statements at 5 rows as at 50.
        var items = try await hydrate(try await database.rows("SELECT * FROM subscriptions WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?", binds),
                                      on: database)
        var next: Int64?
        if items.count > page.limit {
            items.removeLast()
            next = items.last?.id
        }
        return Page(items: items, nextCursor: next)
    }

    private func hydrate(_ row: MariaDBRow, on db: MariaDBDatabase) async throws -> Subscription {
        try await hydrate([row], on: db)[0]
    }

    /// The names of the plans of subscriptions already reached through a scope, for a list: one query
    /// whatever the row count.
    public func planNames(of subscriptions: [Subscription]) async throws -> [Int64: String] {
        let ids = Set(subscriptions.map(\.planID)).sorted()
        guard !ids.isEmpty else { return [:] }
        var names: [Int64: String] = [:]
        for row in try await database.rows("SELECT id, name FROM plans WHERE id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))",
                                           ids.map { .int($0) }) {
            names[try row.decode(column: "id", as: Int64.self)] = try row.decode(column: "name", as: String.self)
        }
        return names
    }

    /// Subscriptions with their resource lines: one query for the lines of the whole batch.
    func hydrate(_ rows: [MariaDBRow], on db: MariaDBDatabase) async throws -> [Subscription] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.decode(column: "id", as: Int64.self) }
        var lines: [Int64: [Subscription.Line]] = [:]
        for line in try await db.rows(
            """
            SELECT sr.subscription_id, sr.resource_id, r.code, sr.included, sr.additional, sr.usage_units FROM subscription_resources sr
            JOIN resources r ON r.id = sr.resource_id WHERE sr.subscription_id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))
            """, ids.map { .int($0) }) {
            lines[try line.decode(column: "subscription_id", as: Int64.self), default: []].append(
                Subscription.Line(resourceID: try line.decode(column: "resource_id", as: Int64.self), code: try line.decode(column: "code", as: String.self),
                                  included: try line.decode(column: "included", as: Int64.self), additional: try line.decode(column: "additional", as: Int64.self),
                                  usage: try line.decode(column: "usage_units", as: Int64.self)))
        }
        // Sorted here, not by the query: its ORDER BY made MariaDB build a temporary table and sort
        // it (about a sixth of the query's time for a page of 50 subscriptions).
        return try zip(rows, ids).map { row, id in
            try Self.subscription(row, id: id, lines: (lines[id] ?? []).sorted { $0.code < $1.code })
        }
    }

    private static func subscription(_ row: MariaDBRow, id: Int64, lines: [Subscription.Line]) throws -> Subscription {
        func date(_ column: String) throws -> BusinessDate {
            let text = try row.decode(column: column, as: String.self)
            guard let date = BusinessDate(text) else { throw StoreError.invalid(field: column, message: .init("error.internal.stored_date", ["text": .text(text)])) }
            return date
        }
        return Subscription(
            id: id, customerID: try row.decode(column: "customer_id", as: Int64.self), customerPath: try row.decode(column: "customer_path", as: String.self),
            planID: try row.decode(column: "plan_id", as: Int64.self),
            status: SubscriptionStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .blocked,
            period: BillingPeriod(start: try date("period_start"), end: try date("period_end"), months: try row.decode(column: "period_months", as: Int.self)),
            anchorDay: try row.decode(column: "anchor_day", as: Int.self), pricedAt: try row.decode(column: "priced_at", as: Date.self),
            individualPrices: try row.decode(column: "individual_prices", as: Bool.self), resources: lines,
            paidUntil: try row.decode(column: "paid_until", as: String?.self).flatMap(BusinessDate.init),
            cancelAtPeriodEnd: try row.decode(column: "cancel_at_period_end", as: Bool.self),
            suspendedByBilling: try row.decode(column: "suspended_by_billing", as: Bool.self),
            scheduledChange: try row.decode(column: "scheduled_change", as: String?.self),
            cancelledAt: try row.decode(column: "cancelled_at", as: Date?.self))
    }

    private func requireStaffChange(_ actor: Actor) throws {
        guard Policy.allows(actor, .manageSubscriptions) else { throw StoreError.forbidden(.init("error.forbidden.staff_only")) }
    }

    /// Imports an existing subscription without charge. A resource left out gets the plan's included
    /// units, additional 0, usage 0.
    public func importSubscription(_ draft: SubscriptionImport, in scope: TenantScope, clock: BusinessClock) async throws -> Subscription {
        // Outside the subtree is 404 whatever the role; inside it, the role decides.
        let customer = try await AccountStore(database: database).account(draft.customerID, in: scope)
        try requireStaffChange(scope.actor)
        var errors = ValidationErrors()
        if customer.kind != .customer { errors.add("customer_id", .init("error.subscription.for_customers")) }
        let plans = PlanStore(database: database)
        let plan = try await plans.plan(draft.planID, in: scope)
        if let seller = customer.parentID, !(try await plans.sells(plan, seller: seller)) {
            errors.add("plan_id", .init("error.subscription.seller_not_selling", ["customer": .text(customer.name), "plan": .text(plan.name)]))
        }
        if !plan.periods.contains(draft.periodMonths) {
            errors.add("period_months", .init("error.subscription.plan_periods", ["plan": .text(plan.name), "periods": .text(plan.periods.map { Format.number(Int64($0)) }.joined(separator: ", "))]))
        }
        let start = errors.check("period_start") { try BusinessDate.parse(draft.periodStart) }
        let status = SubscriptionStatus(rawValue: draft.status)
        if status == nil || status == .cancelled { errors.add("status", .init("error.subscription.status_import")) }
        let codes = try await ResourceStore(database: database).codes()
        let byCode = Dictionary(uniqueKeysWithValues: codes.map { ($1, $0) })
        var lines: [(Int64, Int64, Int64, Int64)] = []
        let given = Dictionary(draft.resources.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        for (index, line) in draft.resources.enumerated() where byCode[line.code].map({ id in plan.resources.contains { $0.resourceID == id } }) != true {
            errors.add("resources.\(index).resource_code", .init("error.subscription.plan_no_resource", ["plan": .text(plan.name), "code": .text(line.code)]))
        }
        for rate in plan.resources {
            let code = codes[rate.resourceID] ?? ""
            let additional = errors.check("resources.\(code).additional") { try Units.checked(given[code]?.additional ?? 0) }
            let usage = errors.check("resources.\(code).usage") { try Units.checked(given[code]?.usage ?? 0) }
            guard let additional, let usage else { continue }
            if rate.included != -1, Units(rate.included).flatMap({ $0.adding(additional) }).map({ $0.value < 0 }) ?? true {
                errors.add("resources.\(code).additional", .init("error.subscription.negative_total", ["code": .text(code)]))
            }
            if usage.value < 0 { errors.add("resources.\(code).usage", .init("error.subscription.usage_negative")) }
            lines.append((rate.resourceID, rate.included, additional.value, usage.value))
        }
        try errors.throwIfAny()
        let period = BillingPeriod(starting: start!, months: draft.periodMonths, anchorDay: start!.day)
        let now = try await clock.now()
        return try await database.withTransaction { tx in
            let id = Int64(try await tx.query(
                """
                INSERT INTO subscriptions (customer_id, customer_path, plan_id, period_months, status, period_start, period_end, paid_until, anchor_day,
                  priced_at, individual_prices, created_at, updated_at, created_by, updated_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?)
                """, [.int(customer.id), .string(customer.path), .int(plan.id), .int(Int64(draft.periodMonths)), .string(status!.rawValue),
                      period.start.mariaDB, period.end.mariaDB, (plan.billingType == .postpaid ? period.start : period.end).mariaDB, .int(Int64(start!.day)), now.mariaDBData,
                      (draft.individualPrices != nil).mariaDBData, .int(scope.actor.userID), .int(scope.actor.userID)]).lastInsertID)
            try await SubscriptionMonths.countCreated(id, on: tx)
            for (resource, included, additional, usage) in lines {
                try await tx.query("INSERT INTO subscription_resources (subscription_id, resource_id, included, additional, usage_units) VALUES (?, ?, ?, ?, ?)",
                                   [.int(id), .int(resource), .int(included), .int(additional), .int(usage)])
            }
            if let individual = draft.individualPrices {
                for (index, line) in individual.enumerated() {
                    guard let resource = byCode[line.code] else { throw StoreError.invalid(field: "individual_prices.\(index).resource_code", message: .init("error.subscription.no_such_resource", ["code": .text(line.code)])) }
                    let setup: UnitPrice, recurring: UnitPrice
                    do {
                        setup = try UnitPrice.parseBounded(line.setupFee.isEmpty ? "0" : line.setupFee, currency: plan.currency)
                        recurring = try UnitPrice.parseBounded(line.recurringFee.isEmpty ? "0" : line.recurringFee, currency: plan.currency)
                    } catch {
                        throw StoreError.invalid(field: "individual_prices.\(index)", message: (error as? AmountError)?.localized ?? .init("error.text", ["text": .text("\(error)")]))
                    }
                    try await tx.query("INSERT INTO subscription_individual_prices (subscription_id, resource_id, setup_fee_scaled, recurring_fee_scaled) VALUES (?, ?, ?, ?)",
                                       [.int(id), .int(resource), .int(setup.scaled), .int(recurring.scaled)])
                }
            }
            let subscription = try await self.subscription(id, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: customer, objectType: "subscription", objectID: id, action: "import",
                                      before: nil as SubscriptionAudit?, after: SubscriptionAudit(subscription))
            return subscription
        }
    }

    /// Staff set a subscription active, blocked or suspended.
    public func setStatus(_ id: Int64, _ status: String, in scope: TenantScope) async throws -> Subscription {
        try requireStaffChange(scope.actor)
        guard let status = SubscriptionStatus(rawValue: status), [.active, .blocked, .suspended].contains(status) else {
            throw StoreError.invalid(field: "status", message: .init("error.subscription.status_set"))
        }
        return try await database.withTransaction { tx in
            let before = try await subscription(id, in: scope, on: tx, forUpdate: true)
            guard before.status != .cancelled else { throw StoreError.invalid(field: "status", message: .init("error.subscription.cancelled_read_only")) }
            // Staff decide now: a later payment doesn't lift what they set.
            try await tx.query("UPDATE subscriptions SET status = ?, suspended_by_billing = FALSE, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?",
                               [.string(status.rawValue), .int(scope.actor.userID), .int(id)])
            let after = try await subscription(id, in: scope, on: tx)
            let customer = try await AccountStore(database: tx).account(before.customerID, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: customer, objectType: "subscription", objectID: id, action: "status",
                                      before: SubscriptionAudit(before), after: SubscriptionAudit(after))
            if status == .suspended && before.status != .suspended {
                try await Outbox.record(on: tx, [try .subscriptionSuspended(id, customer: customer, byBilling: false)])
            }
            return after
        }
    }

    /// Staff record usage per resource code.
    public func setUsage(_ id: Int64, _ usage: [String: Int64], in scope: TenantScope) async throws -> Subscription {
        try requireStaffChange(scope.actor)
        return try await database.withTransaction { tx in
            let before = try await subscription(id, in: scope, on: tx, forUpdate: true)
            guard before.status != .cancelled else { throw StoreError.invalid(field: "status", message: .init("error.subscription.cancelled_read_only")) }
            var errors = ValidationErrors()
            for (code, value) in usage.sorted(by: { $0.key < $1.key }) {
                guard let line = before.line(code) else { errors.add(code, .init("error.subscription.no_resource", ["code": .text(code)])); continue }
                guard let units = errors.check(code, { try Units.checked(value) }) else { continue }
                if units.value < 0 { errors.add(code, .init("error.subscription.usage_negative")); continue }
                try await tx.query("UPDATE subscription_resources SET usage_units = ? WHERE subscription_id = ? AND resource_id = ?",
                                   [.int(units.value), .int(id), .int(line.resourceID)])
            }
            try errors.throwIfAny()
            let after = try await subscription(id, in: scope, on: tx)
            let customer = try await AccountStore(database: tx).account(before.customerID, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: customer, objectType: "subscription", objectID: id, action: "usage",
                                      before: SubscriptionAudit(before), after: SubscriptionAudit(after))
            return after
        }
    }

    /// Individual prices of a subscription, by resource id.
    public func individualPrices(of subscription: Subscription, currency: Currency) async throws -> [Int64: PriceSchedule.ResourceFees] {
        var fees: [Int64: PriceSchedule.ResourceFees] = [:]
        for row in try await database.rows("SELECT resource_id, setup_fee_scaled, recurring_fee_scaled FROM subscription_individual_prices WHERE subscription_id = ?",
                                           [.int(subscription.id)]) {
            fees[try row.decode(column: "resource_id", as: Int64.self)] = .init(
                setupFee: UnitPrice(scaled: try row.decode(column: "setup_fee_scaled", as: Int64.self), currency: currency),
                recurringFee: UnitPrice(scaled: try row.decode(column: "recurring_fee_scaled", as: Int64.self), currency: currency))
        }
        return fees
    }
}

/// What the audit log keeps of a subscription before and after a change.
public struct SubscriptionAudit: Encodable {
    var status: String
    var planID: Int64
    var period: String
    var resources: [String: String]

    public init(_ subscription: Subscription) {
        status = subscription.status.rawValue
        planID = subscription.planID
        period = "\(subscription.period.start)–\(subscription.period.end)"
        resources = Dictionary(uniqueKeysWithValues: subscription.resources.map { ($0.code, "included \($0.included), additional \($0.additional), usage \($0.usage)") })
    }
}
