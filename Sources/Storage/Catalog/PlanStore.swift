import Commerce
import Foundation
import Localization
import MariaDB

/// Service plans, their delegation down the tree and every seller's price lists.
public struct PlanStore: Sendable {
    let database: MariaDBDatabase

    public init(database: MariaDBDatabase) { self.database = database }

    static let connectors: Set<String> = ["test"]

    // MARK: Reading

    /// A plan the caller may see: owned in its subtree, or delegated to its account.
    public func plan(_ id: Int64, in scope: TenantScope, on db: MariaDBDatabase? = nil) async throws -> Plan {
        let rows = try await (db ?? database).rows(
            """
            SELECT p.*, c.exponent FROM plans p JOIN currencies c ON c.code = p.currency
            WHERE p.id = ? AND (p.owner_path LIKE ? OR EXISTS (SELECT 1 FROM plan_delegations d WHERE d.plan_id = p.id AND d.reseller_id = ?))
            """, [.int(id), .string(scope.pathPattern), .int(scope.actor.accountID)])
        guard let row = rows.first else { throw StoreError.notFound("plan \(id)") }
        return try await hydrate(row, on: db ?? database)
    }

    /// The plan of a subscription the caller has already reached through its scope.
    public func plan(of subscription: Subscription) async throws -> Plan {
        let rows = try await database.rows("SELECT p.*, c.exponent FROM plans p JOIN currencies c ON c.code = p.currency WHERE p.id = ?", [.int(subscription.planID)])
        guard let row = rows.first else { throw StoreError.notFound("plan \(subscription.planID)") }
        return try await hydrate(row, on: database)
    }

    /// The plans a seller sells: its own and those delegated to it (a customer's catalogue).
    public func sold(by sellerID: Int64, on db: MariaDBDatabase? = nil) async throws -> [Plan] {
        let db = db ?? database
        return try await hydrate(try await db.rows(
            """
            SELECT p.*, c.exponent FROM plans p JOIN currencies c ON c.code = p.currency
            WHERE p.owner_account_id = ? OR EXISTS (SELECT 1 FROM plan_delegations d WHERE d.plan_id = p.id AND d.reseller_id = ?)
            ORDER BY p.name
            """, [.int(sellerID), .int(sellerID)]), on: db)
    }

    /// A plan by id for the order engine's workers, which act on orders already reached in scope.
    public func planForWorker(_ id: Int64) async throws -> Plan {
        let rows = try await database.rows("SELECT p.*, c.exponent FROM plans p JOIN currencies c ON c.code = p.currency WHERE p.id = ?", [.int(id)])
        guard let row = rows.first else { throw StoreError.notFound("plan \(id)") }
        return try await hydrate(row, on: database)
    }

    /// Every plan a switch path of `plan` leads to that `sellerID` sells (DOMAIN.md 5 rule 9): what a
    /// subscription's change page offers.
    public func switchTargets(of plan: Plan, soldBy sellerID: Int64) async throws -> [Plan] {
        try await hydrate(try await database.rows(
            """
            SELECT p.*, c.exponent FROM plan_switch_paths s JOIN plans p ON p.id = s.to_plan_id JOIN currencies c ON c.code = p.currency
            WHERE s.plan_id = ? AND (p.owner_account_id = ? OR EXISTS (SELECT 1 FROM plan_delegations d WHERE d.plan_id = p.id AND d.reseller_id = ?))
            ORDER BY p.name
            """, [.int(plan.id), .int(sellerID), .int(sellerID)]), on: database)
    }

    /// The plan a switch path of `plan` leads to, or nil when there is no such path.
    public func switchTarget(of plan: Plan, to targetID: Int64) async throws -> Plan? {
        let rows = try await database.rows(
            """
            SELECT p.*, c.exponent FROM plan_switch_paths s JOIN plans p ON p.id = s.to_plan_id JOIN currencies c ON c.code = p.currency
            WHERE s.plan_id = ? AND s.to_plan_id = ?
            """, [.int(plan.id), .int(targetID)])
        guard let row = rows.first else { return nil }
        return try await hydrate(row, on: database)
    }

    /// What a change of a subscription on `planID` needs of plans, in one read (with their periods and
    /// resources): the plan, and a switch's target when a switch path leads to it, with whether the
    /// customer's seller sells it (DOMAIN.md 5 rule 9). The plan itself as target: a change of period.
    public func planAndTarget(_ planID: Int64, target targetID: Int64?, seller sellerID: Int64,
                              on db: MariaDBDatabase? = nil) async throws -> (plan: Plan, target: Plan?, targetSold: Bool) {
        let db = db ?? database
        let rows = try await db.rows(
            """
            SELECT p.*, c.exponent,
              EXISTS (SELECT 1 FROM plan_switch_paths s WHERE s.plan_id = ? AND s.to_plan_id = p.id) AS on_switch_path,
              (p.owner_account_id = ? OR EXISTS (SELECT 1 FROM plan_delegations d WHERE d.plan_id = p.id AND d.reseller_id = ?)) AS sold_by_seller
            FROM plans p JOIN currencies c ON c.code = p.currency WHERE p.id IN (?, ?)
            """, [.int(planID), .int(sellerID), .int(sellerID), .int(planID), .int(targetID ?? planID)])
        let plans = try await hydrate(rows, on: db)
        guard let plan = plans.first(where: { $0.id == planID }) else { throw StoreError.notFound("plan \(planID)") }
        guard let targetID else { return (plan, nil, false) }
        if targetID == planID { return (plan, plan, true) }
        guard let index = plans.firstIndex(where: { $0.id == targetID }), try rows[index].decode(column: "on_switch_path", as: Bool.self) else {
            return (plan, nil, false)
        }
        return (plan, plans[index], try rows[index].decode(column: "sold_by_seller", as: Bool.self))
    }

    /// Plans the caller owns (in its subtree) or sells by delegation, newest first.
    public func list(in scope: TenantScope) async throws -> [Plan] {
        let rows = try await database.rows(
            """
            SELECT p.*, c.exponent FROM plans p JOIN currencies c ON c.code = p.currency
            WHERE p.owner_path LIKE ? OR EXISTS (SELECT 1 FROM plan_delegations d WHERE d.plan_id = p.id AND d.reseller_id = ?)
            ORDER BY p.id DESC LIMIT 500
            """, [.string(scope.pathPattern), .int(scope.actor.accountID)])
        return try await hydrate(rows, on: database)
    }

    private func hydrate(_ row: MariaDBRow, on db: MariaDBDatabase) async throws -> Plan {
        try await hydrate([row], on: db)[0]
    }

    /// Plans with their periods and resource rates: two queries for the whole batch, not two per plan.
    private func hydrate(_ rows: [MariaDBRow], on db: MariaDBDatabase) async throws -> [Plan] {
        let ids = try rows.map { try $0.decode(column: "id", as: Int64.self) }
        guard !ids.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let binds = ids.map { MariaDBData.int($0) }
        var periods: [Int64: [Int]] = [:]
        for row in try await db.rows("SELECT plan_id, months FROM plan_periods WHERE plan_id IN (\(placeholders)) ORDER BY months", binds) {
            periods[try row.decode(column: "plan_id", as: Int64.self), default: []].append(try row.decode(column: "months", as: Int.self))
        }
        var resources: [Int64: [ResourceRate]] = [:]
        var addedAt: [Int64: [Int64: Date]] = [:]
        for row in try await db.rows(
            """
            SELECT pr.plan_id, pr.resource_id, pr.included, pr.min_units, pr.max_units, pr.added_at FROM plan_resources pr JOIN resources r ON r.id = pr.resource_id
            WHERE pr.plan_id IN (\(placeholders)) ORDER BY r.code
            """, binds) {
            addedAt[try row.decode(column: "plan_id", as: Int64.self), default: [:]][try row.decode(column: "resource_id", as: Int64.self)] =
                try row.decode(column: "added_at", as: Date.self)
            resources[try row.decode(column: "plan_id", as: Int64.self), default: []].append(
                ResourceRate(resourceID: try row.decode(column: "resource_id", as: Int64.self), included: try row.decode(column: "included", as: Int64.self),
                             minUnits: try row.decode(column: "min_units", as: Int64.self), maxUnits: try row.decode(column: "max_units", as: Int64.self)))
        }
        return try zip(rows, ids).map { row, id in
            Plan(
                id: id, ownerAccountID: try row.decode(column: "owner_account_id", as: Int64.self),
                ownerPath: try row.decode(column: "owner_path", as: String.self), name: try row.decode(column: "name", as: String.self),
                currency: Currency(code: try row.decode(column: "currency", as: String.self), exponent: try row.decode(column: "exponent", as: Int.self)),
                billingType: BillingType(rawValue: try row.decode(column: "billing_type", as: String.self)) ?? .prepaid,
                fixedPrice: try row.decode(column: "fixed_price", as: Bool.self), pricesIncludeTaxes: try row.decode(column: "prices_include_taxes", as: Bool.self),
                trialDays: try row.decode(column: "trial_days", as: Int.self), changesInTrial: try row.decode(column: "changes_in_trial", as: Bool.self),
                connector: try row.decode(column: "connector", as: String.self), periods: periods[id] ?? [], resources: resources[id] ?? [], resourcesAddedAt: addedAt[id] ?? [:])
        }
    }

    /// The upgrade pairs a plan offers: every pair whose both resources it includes, derived, never copied.
    public func upgradePairs(of plan: Plan) async throws -> [ResourceUpgrade] {
        let included = Set(plan.resources.map(\.resourceID))
        return try await ResourceUpgradeStore(database: database).list().filter { included.contains($0.from.id) && included.contains($0.to.id) }
    }

    /// The plans a subscription of `plan` may switch to.
    public func switchPaths(of plan: Plan, in scope: TenantScope) async throws -> [Plan] {
        let ids = try await database.rows("SELECT to_plan_id FROM plan_switch_paths WHERE plan_id = ? ORDER BY to_plan_id", [.int(plan.id)])
            .map { try $0.decode(column: "to_plan_id", as: Int64.self) }
        var plans: [Plan] = []
        for id in ids {
            if let target = try? await self.plan(id, in: scope) { plans.append(target) }
        }
        return plans
    }

    /// The resellers a plan is delegated to, as (reseller id, name, seller id).
    public func delegations(of plan: Plan, in scope: TenantScope) async throws -> [(resellerID: Int64, name: String, sellerID: Int64)] {
        try await database.rows(
            """
            SELECT d.reseller_id, a.name, d.seller_id FROM plan_delegations d JOIN accounts a ON a.id = d.reseller_id
            WHERE d.plan_id = ? AND a.path LIKE ? ORDER BY a.name
            """, [.int(plan.id), .string(scope.pathPattern)]).map {
                (try $0.decode(column: "reseller_id", as: Int64.self), try $0.decode(column: "name", as: String.self), try $0.decode(column: "seller_id", as: Int64.self))
            }
    }

    // MARK: Prices

    /// The prices `sellerID` sells `plan` at, at `moment`: its own price list, else its parent's,
    /// up to the plan owner's (DOMAIN.md 3). Versions effective after `moment` are ignored.
    public func prices(of plan: Plan, seller sellerID: Int64, at moment: Date, on db: MariaDBDatabase? = nil) async throws -> PriceSchedule {
        let db = db ?? database
        return try await priceChain(of: [plan], path: sellers(upTo: sellerID, of: plan, on: db), at: moment, on: db).prices(of: plan, seller: sellerID)
    }

    /// The chain of sellers whose price lists `sellerID`'s prices may come from: root first, down to
    /// `sellerID` (the plan's owner alone when the seller is unknown).
    public func sellers(upTo sellerID: Int64, of plan: Plan, on db: MariaDBDatabase? = nil) async throws -> [Int64] {
        let db = db ?? database
        let sellerPath = try await db.rows("SELECT path FROM accounts WHERE id = ?", [.int(sellerID)]).first?.decode(column: "path", as: String.self) ?? ""
        let path = sellerPath.split(separator: "/").compactMap { Int64($0) }
        return path.isEmpty ? [plan.ownerAccountID] : path
    }

    /// What `resellerID` pays its parent for the plan: the parent's selling prices.
    public func netCost(of plan: Plan, reseller resellerID: Int64, at moment: Date) async throws -> PriceSchedule? {
        guard resellerID != plan.ownerAccountID,
              let parent = try await database.rows("SELECT parent_id FROM accounts WHERE id = ?", [.int(resellerID)]).first?.decode(column: "parent_id", as: Int64?.self)
        else { return nil }
        return try await prices(of: plan, seller: parent, at: moment)
    }

    /// Parses typed prices into a schedule, naming each bad field.
    private func schedule(periods: [(months: Int, fee: String)], resources: [(resourceID: Int64, setupFee: String, recurringFee: String)],
                          currency: Currency, errors: inout ValidationErrors) -> PriceSchedule {
        var periodFees: [Int: UnitPrice] = [:]
        for (index, period) in periods.enumerated() {
            if !PlanRules.allowedPeriods.contains(period.months) { errors.add("periods.\(index).months", .init("error.plan.periods_allowed")) }
            if periodFees[period.months] != nil { errors.add("periods.\(index).months", .init("error.plan.period_twice", ["months": .number(Int64(period.months))])) }
            do { periodFees[period.months] = try UnitPrice.parseBounded(period.fee.isEmpty ? "0" : period.fee, currency: currency) }
            catch { errors.add("periods.\(index).fee", .init("error.plan.fee_decimals", ["problem": .text(error.description), "currency": .text(currency.code), "decimals": .number(Int64(currency.exponent + UnitPrice.extraDigits))])) }
        }
        var resourceFees: [Int64: PriceSchedule.ResourceFees] = [:]
        for (index, line) in resources.enumerated() {
            var setup = UnitPrice(scaled: 0, currency: currency), recurring = setup
            do { setup = try UnitPrice.parseBounded(line.setupFee.isEmpty ? "0" : line.setupFee, currency: currency) }
            catch { errors.add("resources.\(index).setup_fee", error.localized) }
            do { recurring = try UnitPrice.parseBounded(line.recurringFee.isEmpty ? "0" : line.recurringFee, currency: currency) }
            catch { errors.add("resources.\(index).recurring_fee", error.localized) }
            resourceFees[line.resourceID] = .init(setupFee: setup, recurringFee: recurring)
        }
        return PriceSchedule(periodFees: periodFees, resourceFees: resourceFees)
    }

    private func insertPriceList(_ schedule: PriceSchedule, seller: Int64, plan: Int64, by actor: Actor, effective: Date, on tx: MariaDBDatabase) async throws {
        let list = Int64(try await tx.query(
            "INSERT INTO price_lists (seller_id, plan_id, effective_from, created_at, created_by) VALUES (?, ?, ?, UTC_TIMESTAMP(6), ?)",
            [.int(seller), .int(plan), effective.mariaDBData, .int(actor.userID)]).lastInsertID)
        for (months, fee) in schedule.periodFees {
            try await tx.query("INSERT INTO price_list_periods (price_list_id, months, fee_scaled) VALUES (?, ?, ?)", [.int(list), .int(Int64(months)), .int(fee.scaled)])
        }
        for (resource, fees) in schedule.resourceFees {
            try await tx.query("INSERT INTO price_list_resources (price_list_id, resource_id, setup_fee_scaled, recurring_fee_scaled) VALUES (?, ?, ?, ?)",
                               [.int(list), .int(resource), .int(fees.setupFee.scaled), .int(fees.recurringFee.scaled)])
        }
    }

    // MARK: Creating and changing plans

    /// Validates a draft against the catalog; returns the currency and the parsed schedule.
    private func validate(_ draft: PlanDraft) async throws -> (Currency, BillingType, PriceSchedule) {
        var errors = ValidationErrors()
        _ = errors.check("name") { try PlainText.required(draft.name, maximumLength: 200) }
        let currency = try await CurrencyStore(database: database).currency(draft.currency.uppercased())
        if currency == nil { errors.add("currency", .init("error.currency.undefined", ["code": .text(draft.currency)])) }
        let billingType = BillingType(rawValue: draft.billingType)
        if billingType == nil { errors.add("billing_type", .init("error.plan.billing_type")) }
        _ = errors.check("trial_days") { try Days.checked(draft.trialDays) }
        if !Self.connectors.contains(draft.connector) { errors.add("connector", .init("error.plan.connector", ["connectors": .text(Self.connectors.sorted().joined(separator: ", "))])) }
        if draft.periods.isEmpty { errors.add("periods", .init("error.plan.no_periods")) }
        let catalog = Dictionary(uniqueKeysWithValues: try await ResourceStore(database: database).all().map { ($0.id, $0) })
        var seen = Set<Int64>()
        for (index, line) in draft.resources.enumerated() {
            if catalog[line.resourceID] == nil { errors.add("resources.\(index).resource_id", .init("error.plan.no_resource", ["id": .text(String(line.resourceID))])) }
            if !seen.insert(line.resourceID).inserted { errors.add("resources.\(index).resource_id", .init("error.plan.resource_twice")) }
            let bounded = [("included", line.included), ("min_units", line.minUnits), ("max_units", line.maxUnits)].map { key, value in
                errors.check("resources.\(index).\(key)") { try Units.checked(value) }
            }
            guard !bounded.contains(where: { $0 == nil }) else { continue }
            for problem in PlanRules.problems(of: ResourceRate(resourceID: line.resourceID, included: line.included, minUnits: line.minUnits, maxUnits: line.maxUnits),
                                              field: "resources.\(index)") {
                errors.add(problem.field, .init("error.text", ["text": .text(problem.message)]))
            }
        }
        let schedule = schedule(periods: draft.periods, resources: draft.resources.map { ($0.resourceID, $0.setupFee, $0.recurringFee) },
                                currency: currency ?? Currency(code: "XXX", exponent: 2), errors: &errors)
        try errors.throwIfAny()
        return (currency!, billingType!, schedule)
    }

    /// A new plan owned by the caller's account (provider or reseller admins).
    /// `effective` is the business moment the first prices start (the console's clock).
    public func create(_ draft: PlanDraft, in scope: TenantScope, effective: Date = Date()) async throws -> Plan {
        let actor = scope.actor
        guard Policy.allows(actor, .createPlan) else { throw StoreError.forbidden(.init("error.forbidden.create_plans")) }
        let (currency, billingType, schedule) = try await validate(draft)
        return try await database.withTransaction { tx in
            let owner = try await AccountStore(database: tx).account(actor.accountID, in: scope, on: tx)
            let id = Int64(try await tx.query(
                """
                INSERT INTO plans (owner_account_id, owner_path, name, currency, billing_type, fixed_price, prices_include_taxes, trial_days,
                  changes_in_trial, connector, created_at, updated_at, created_by, updated_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?)
                """, [.int(owner.id), .string(owner.path), .string(draft.name.trimmingCharacters(in: .whitespaces)), .string(currency.code),
                      .string(billingType.rawValue), draft.fixedPrice.mariaDBData, draft.pricesIncludeTaxes.mariaDBData, .int(Int64(draft.trialDays)),
                      draft.changesInTrial.mariaDBData, .string(draft.connector), .int(actor.userID), .int(actor.userID)]).lastInsertID)
            try await writeShape(draft, plan: id, effective: effective, on: tx)
            try await insertPriceList(schedule, seller: owner.id, plan: id, by: actor, effective: effective, on: tx)
            let plan = try await self.plan(id, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: actor, account: owner, objectType: "plan", objectID: id, action: "create",
                                      before: nil as PlanAudit?, after: PlanAudit(plan, schedule))
            return plan
        }
    }

    /// Changes a plan's fields, resources and prices. New prices are a new version of the owner's
    /// price list, effective now: the old one stays for fixed-price subscriptions.
    public func update(_ id: Int64, _ draft: PlanDraft, in scope: TenantScope, effective: Date = Date()) async throws -> Plan {
        let actor = scope.actor
        let before = try await plan(id, in: scope)
        guard Policy.allows(actor, .editPlan(ownerAccountID: before.ownerAccountID)) else {
            throw StoreError.forbidden(.init("error.forbidden.change_plan"))
        }
        let (currency, billingType, schedule) = try await validate(draft)
        let beforeSchedule = try await prices(of: before, seller: before.ownerAccountID, at: effective)
        let codes = try await ResourceStore(database: database).codes()
        return try await database.withTransaction { tx in
            // The plan's row lock orders this against other edits of it; then nothing may strand.
            _ = try await tx.rows("SELECT id FROM plans WHERE id = ? FOR UPDATE", [.int(id)])
            let current = try await self.plan(id, in: scope, on: tx)
            if let refusal = PlanInUse.refusal(current.shape, PlanInUse.Shape(currency: currency.code, billingType: billingType, periods: Set(draft.periods.map { $0.months }),
                                                                              resources: draft.resources.map(\.rate)),
                                               facts: try await inUse(plan: id, on: tx), codes: codes) {
                throw refusal
            }
            guard currency == current.currency else { throw StoreError.invalid(field: "currency", message: .init("error.plan.keeps_currency")) }
            try await tx.query(
                """
                UPDATE plans SET name = ?, billing_type = ?, fixed_price = ?, prices_include_taxes = ?, trial_days = ?, changes_in_trial = ?,
                  connector = ?, updated_at = UTC_TIMESTAMP(6), updated_by = ? WHERE id = ?
                """, [.string(draft.name.trimmingCharacters(in: .whitespaces)), .string(billingType.rawValue), draft.fixedPrice.mariaDBData,
                      draft.pricesIncludeTaxes.mariaDBData, .int(Int64(draft.trialDays)), draft.changesInTrial.mariaDBData,
                      .string(draft.connector), .int(actor.userID), .int(id)])
            try await writeShape(draft, plan: id, effective: effective, on: tx)
            if schedule != beforeSchedule {
                try await insertPriceList(schedule, seller: before.ownerAccountID, plan: id, by: actor, effective: effective, on: tx)
            }
            let after = try await self.plan(id, in: scope, on: tx)
            let owner = try await AccountStore(database: tx).account(before.ownerAccountID, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: actor, account: owner, objectType: "plan", objectID: id, action: "update",
                                      before: PlanAudit(before, beforeSchedule), after: PlanAudit(after, schedule))
            return after
        }
    }

    /// What the plan's live (not cancelled) subscriptions hold: two grouped queries, however many there are.
    public func inUse(plan id: Int64, on db: MariaDBDatabase? = nil) async throws -> PlanInUse.Facts {
        let db = db ?? database
        var byPeriod: [Int: Int] = [:]
        for row in try await db.rows(
            "SELECT period_months, COUNT(*) AS n FROM subscriptions WHERE plan_id = ? AND status <> 'cancelled' GROUP BY period_months", [.int(id)]) {
            byPeriod[try row.decode(column: "period_months", as: Int.self)] = try row.decode(column: "n", as: Int.self)
        }
        var byResource: [Int64: PlanInUse.ResourceUse] = [:]
        for row in try await db.rows(
            """
            SELECT sr.resource_id, sr.included, sr.additional, COUNT(*) AS n,
              SUM(sr.included <> 0 OR sr.additional <> 0 OR sr.usage_units <> 0) AS holding
            FROM subscription_resources sr JOIN subscriptions s ON s.id = sr.subscription_id
            WHERE s.plan_id = ? AND s.status <> 'cancelled'
            GROUP BY sr.resource_id, sr.included, sr.additional
            """, [.int(id)]) {
            let resource = try row.decode(column: "resource_id", as: Int64.self)
            let included = try row.decode(column: "included", as: Int64.self), additional = try row.decode(column: "additional", as: Int64.self)
            let count = try row.decode(column: "n", as: Int.self)
            var use = byResource[resource] ?? PlanInUse.ResourceUse(holding: 0, totals: [:])
            use.holding += try row.decode(column: "holding", as: Int.self)
            if included != -1 {
                // A stored total beyond Int64 is held beyond any bound: saturate rather than trap.
                let (sum, overflow) = included.addingReportingOverflow(additional)
                use.totals[overflow ? (additional < 0 ? .min : .max) : sum, default: 0] += count
            }
            byResource[resource] = use
        }
        return PlanInUse.Facts(byPeriod: byPeriod, byResource: byResource)
    }

    /// Periods and resource rates; a resource kept keeps its `added_at`, a new one gets the business
    /// moment of the edit (a fixed-price subscription is charged for it at that moment's prices).
    private func writeShape(_ draft: PlanDraft, plan id: Int64, effective: Date, on tx: MariaDBDatabase) async throws {
        try await tx.query("DELETE FROM plan_periods WHERE plan_id = ?", [.int(id)])
        for period in draft.periods {
            try await tx.query("INSERT INTO plan_periods (plan_id, months) VALUES (?, ?)", [.int(id), .int(Int64(period.months))])
        }
        let kept = draft.resources.map(\.resourceID)
        if kept.isEmpty {
            try await tx.query("DELETE FROM plan_resources WHERE plan_id = ?", [.int(id)])
        } else {
            let placeholders = Array(repeating: "?", count: kept.count).joined(separator: ", ")
            try await tx.query("DELETE FROM plan_resources WHERE plan_id = ? AND resource_id NOT IN (\(placeholders))", [.int(id)] + kept.map { .int($0) })
        }
        for line in draft.resources {
            try await tx.query(
                """
                INSERT INTO plan_resources (plan_id, resource_id, included, min_units, max_units, added_at) VALUES (?, ?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE included = VALUES(included), min_units = VALUES(min_units), max_units = VALUES(max_units)
                """, [.int(id), .int(line.resourceID), .int(line.included), .int(line.minUnits), .int(line.maxUnits), effective.mariaDBData])
        }
    }

    // MARK: Switch paths and delegation

    public func addSwitchPath(from id: Int64, to target: Int64, in scope: TenantScope) async throws {
        let plan = try await plan(id, in: scope)
        guard Policy.allows(scope.actor, .editPlan(ownerAccountID: plan.ownerAccountID)) else { throw StoreError.forbidden(.init("error.forbidden.switch_paths")) }
        let destination = try await self.plan(target, in: scope)
        guard destination.id != plan.id else { throw StoreError.invalid(field: "to_plan_id", message: .init("error.plan.switch_to_itself")) }
        guard destination.currency == plan.currency else {
            throw StoreError.invalid(field: "to_plan_id", message: .init("error.plan.switch_currency", ["plan": .text(destination.name), "currency": .text(destination.currency.code)]))
        }
        try await database.withTransaction { tx in
            do {
                try await tx.query("INSERT INTO plan_switch_paths (plan_id, to_plan_id, created_at) VALUES (?, ?, UTC_TIMESTAMP(6))", [.int(id), .int(target)])
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw StoreError.conflict(code: "switch_path_exists", message: .init("error.plan.switch_path_exists", ["from": .text(plan.name), "to": .text(destination.name)]))
            }
            let owner = try await AccountStore(database: tx).account(plan.ownerAccountID, in: scope, on: tx)
            try await AuditLog.record(on: tx, actor: scope.actor, account: owner, objectType: "plan", objectID: id, action: "add_switch_path",
                                      before: nil as [String: String]?, after: ["to_plan_id": String(target)])
        }
    }

    /// The caller's account passes a plan it sells to a reseller directly below it.
    public func delegate(_ id: Int64, to resellerID: Int64, in scope: TenantScope) async throws {
        let plan = try await plan(id, in: scope)
        let actor = scope.actor
        guard Policy.allows(actor, .sell(sellerAccountID: actor.accountID)) else { throw StoreError.forbidden(.init("error.forbidden.delegate")) }
        let reseller = try await AccountStore(database: database).account(resellerID, in: scope)
        guard reseller.kind == .reseller, reseller.parentID == actor.accountID else {
            throw StoreError.invalid(field: "reseller_id", message: .init("error.plan.delegate_below"))
        }
        try await database.withTransaction { tx in
            do {
                try await tx.query("INSERT INTO plan_delegations (plan_id, reseller_id, seller_id, created_at, created_by) VALUES (?, ?, ?, UTC_TIMESTAMP(6), ?)",
                                   [.int(plan.id), .int(reseller.id), .int(actor.accountID), .int(actor.userID)])
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw StoreError.conflict(code: "delegation_exists", message: .init("error.plan.delegation_exists", ["plan": .text(plan.name), "reseller": .text(reseller.name)]))
            }
            try await AuditLog.record(on: tx, actor: actor, account: reseller, objectType: "plan_delegation", objectID: plan.id, action: "create",
                                      before: nil as [String: String]?, after: ["plan_id": String(plan.id), "reseller_id": String(reseller.id)])
        }
    }

    /// True when `sellerID` may sell the plan: it owns it, or it was delegated to it.
    public func sells(_ plan: Plan, seller sellerID: Int64) async throws -> Bool {
        if plan.ownerAccountID == sellerID { return true }
        return try await !database.rows("SELECT 1 AS x FROM plan_delegations WHERE plan_id = ? AND reseller_id = ?", [.int(plan.id), .int(sellerID)]).isEmpty
    }

    /// Sets the price list of `sellerID` (the caller's own account) for a delegated plan.
    /// Answers the warnings for prices below the seller's net cost; they do not block.
    public func setPriceList(seller sellerID: Int64, plan id: Int64, _ draft: PriceListDraft, in scope: TenantScope, effective: Date = Date()) async throws -> [String] {
        let actor = scope.actor
        let plan = try await plan(id, in: scope)
        let seller = try await AccountStore(database: database).account(sellerID, in: scope)
        guard Policy.allows(actor, .sell(sellerAccountID: seller.id)) else { throw StoreError.forbidden(.init("error.forbidden.set_prices")) }
        guard try await sells(plan, seller: seller.id) else {
            throw StoreError.invalid(field: "plan_id", message: .init("error.plan.not_delegated", ["seller": .text(seller.name), "plan": .text(plan.name)]))
        }
        guard plan.ownerAccountID != seller.id else {
            throw StoreError.invalid(field: "seller_id", message: .init("error.plan.owner_prices"))
        }
        var errors = ValidationErrors()
        for (index, period) in draft.periods.enumerated() where !plan.periods.contains(period.months) {
            errors.add("periods.\(index).months", .init("error.plan.no_period", ["plan": .text(plan.name), "months": .number(Int64(period.months))]))
        }
        let planResources = Set(plan.resources.map(\.resourceID))
        for (index, line) in draft.resources.enumerated() where !planResources.contains(line.resourceID) {
            errors.add("resources.\(index).resource_id", .init("error.plan.no_such_resource", ["plan": .text(plan.name), "id": .text(String(line.resourceID))]))
        }
        let schedule = schedule(periods: draft.periods, resources: draft.resources, currency: plan.currency, errors: &errors)
        try errors.throwIfAny()
        let cost = try await netCost(of: plan, reseller: seller.id, at: effective)
        let codes = try await ResourceStore(database: database).codes()
        try await database.withTransaction { tx in
            try await insertPriceList(schedule, seller: seller.id, plan: plan.id, by: actor, effective: effective, on: tx)
            try await AuditLog.record(on: tx, actor: actor, account: seller, objectType: "price_list", objectID: plan.id, action: "set",
                                      before: nil as PlanAudit.Prices?, after: PlanAudit.Prices(schedule))
        }
        return cost.map { schedule.pricesBelow($0, resourceCodes: codes) } ?? []
    }
}

extension Plan {
    /// What decides whether an edit of the plan strands a subscription.
    var shape: PlanInUse.Shape { PlanInUse.Shape(currency: currency.code, billingType: billingType, periods: Set(periods), resources: resources) }
}

extension PlanDraft.ResourceLine {
    var rate: ResourceRate { ResourceRate(resourceID: resourceID, included: included, minUnits: minUnits, maxUnits: maxUnits) }
}

/// What the audit log keeps of a plan.
struct PlanAudit: Encodable {
    struct Prices: Encodable {
        var periods: [String: String]
        var resources: [String: String]
        init(_ schedule: PriceSchedule) {
            periods = Dictionary(uniqueKeysWithValues: schedule.periodFees.map { ("\($0.key)m", $0.value.amountText) })
            resources = Dictionary(uniqueKeysWithValues: schedule.resourceFees.map { ("\($0.key)", "setup \($0.value.setupFee.amountText), monthly \($0.value.recurringFee.amountText)") })
        }
    }
    var name: String
    var billingType: String
    var fixedPrice: Bool
    var resources: [String]
    var prices: Prices

    init(_ plan: Plan, _ schedule: PriceSchedule) {
        name = plan.name
        billingType = plan.billingType.rawValue
        fixedPrice = plan.fixedPrice
        resources = plan.resources.map { "\($0.resourceID): included \($0.included), \($0.minUnits)–\($0.maxUnits)" }
        prices = Prices(schedule)
    }
}
