import Foundation
import Storage

/// An audit entry told as a person reads it: "Acme Corp: RAM 4 → 6 GB on subscription #12, order #41,
/// by Northwind Hosting". Pure: the entry's recorded before/after states and the names they refer to
/// (`AuditVocabulary`) in, words out. Every page and API answer that shows an entry asks `AuditSentence.of`.
/// A type of entry it has no wording for still gets a sentence from its before/after difference.
struct AuditSentence: Sendable, Equatable {
    struct Part: Sendable, Equatable {
        var text: String
        var link: AuditLink?
    }

    var parts: [Part]

    /// The sentence as plain text (the API's `sentence`).
    var text: String { parts.map(\.text).joined() }
}

/// What an id in a sentence links to: only things that have a page.
enum AuditLink: Sendable, Hashable {
    case account(Int64), subscription(Int64), order(Int64), invoice(Int64), plan(Int64), resource(Int64), credit(account: Int64)

    var path: String {
        switch self {
        case .account(let id): URLs.account(id).path
        case .subscription(let id): URLs.subscription(id).path
        case .order(let id): URLs.order(id).path
        case .invoice(let id): URLs.invoice(id).path
        case .plan(let id): URLs.plan(id).path
        case .resource(let id): URLs.resource(id).path
        case .credit(let account): URLs.credit(account: account).path
        }
    }
}

/// One entry as the sentence needs it (already white-labelled: `actor` is what the viewer may see).
struct AuditFacts: Sendable {
    var objectType: String
    var objectID: Int64?
    var action: String
    var accountID: Int64
    var accountName: String
    var actor: String
    var before: String?
    var after: String?
}

/// The names behind the codes and ids an entry records: resources by code and by id, plans by id.
struct AuditVocabulary: Sendable {
    struct Plan: Sendable, Equatable {
        var name: String
        var currency: String
    }

    var resources: [ResourceLabel]
    var resourcesByID: [Int64: ResourceLabel]
    var resourcesByCode: [String: ResourceLabel]
    var plans: [Int64: Plan]

    init(resources: [ResourceLabel] = [], plans: [Int64: Plan] = [:]) {
        self.resources = resources
        resourcesByID = Dictionary(resources.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        resourcesByCode = Dictionary(resources.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        self.plans = plans
    }

    /// The codes and ids a list of entries refers to, to be looked up at once.
    struct References: Sendable, Equatable {
        var resourceIDs: Set<Int64> = []
        var resourceCodes: Set<String> = []
        var planIDs: Set<Int64> = []
        var isEmpty: Bool { resourceIDs.isEmpty && resourceCodes.isEmpty && planIDs.isEmpty }
    }

    static func references(of entries: [AuditFacts]) -> References {
        var found = References()
        for entry in entries {
            let states = [AuditState(entry.before), AuditState(entry.after)]
            switch entry.objectType {
            case "subscription":
                for state in states {
                    found.resourceCodes.formUnion((state.object("resources") ?? [:]).keys)
                    if let plan = state.integer("plan_id") { found.planIDs.insert(plan) }
                }
                // A change of plan made by an order is recorded as its order.
            case "plan", "price_list":
                if let id = entry.objectID { found.planIDs.insert(id) }
                for state in states {
                    for text in state.list("resources") { if let id = PlanResourceText(text)?.resourceID { found.resourceIDs.insert(id) } }
                    let prices = entry.objectType == "plan" ? state.object("prices") : state.fields
                    for key in (prices?["resources"]?.object ?? [:]).keys { if let id = Int64(key) { found.resourceIDs.insert(id) } }
                    if let target = state.integer("to_plan_id") { found.planIDs.insert(target) }
                }
            case "plan_delegation":
                if let id = entry.objectID { found.planIDs.insert(id) }
            case "resource":
                if let id = entry.objectID { found.resourceIDs.insert(id) }
            case "resource_upgrade":
                for state in states {
                    for key in ["from_resource_id", "to_resource_id"] { if let id = state.integer(key) { found.resourceIDs.insert(id) } }
                }
            case "order":
                // Order summaries are written with resource codes ("ram_gb 4 → 6").
                for state in states { found.resourceCodes.formUnion(state.text("summary").map(ResourceLabels.codeLikeWords) ?? []) }
            case "connector_rule":
                if entry.action.hasPrefix("set ") { found.resourceCodes.insert(String(entry.action.dropFirst(4))) }
            default:
                break
            }
        }
        return found
    }
}

extension AuditSentence {
    /// "Account: what happened, by whom".
    static func of(_ entry: AuditFacts, names: AuditVocabulary) -> AuditSentence {
        var sentence = Writer()
        sentence.link(entry.accountName, .account(entry.accountID))
        sentence.text(": ")
        let before = AuditState(entry.before), after = AuditState(entry.after)
        let telling = Telling(entry: entry, before: before, after: after, names: names)
        switch entry.objectType {
        case "subscription": telling.subscription(&sentence)
        case "order": telling.order(&sentence)
        case "invoice" where entry.action.hasPrefix("payment"): telling.payment(&sentence)
        case "account": telling.account(&sentence)
        case "user": telling.user(&sentence)
        case "plan": telling.plan(&sentence)
        case "price_list": telling.priceList(&sentence)
        case "plan_delegation": telling.delegation(&sentence)
        case "resource": telling.resource(&sentence)
        case "resource_upgrade": telling.upgrade(&sentence)
        case "currency": telling.currency(&sentence)
        case "currency_rate": telling.rate(&sentence)
        case "connector_rule": telling.connectorRule(&sentence)
        case "restriction": telling.restriction(&sentence)
        case "restriction_exception": telling.exception(&sentence)
        case "promo_code": telling.promo(&sentence)
        case "credit_entry": telling.creditAdjustment(&sentence)
        case "webhook": telling.webhook(&sentence)
        default: telling.generic(&sentence)
        }
        sentence.text(", by \(entry.actor)")
        return AuditSentence(parts: sentence.parts)
    }
}

/// Builds the parts, merging adjacent plain text.
private struct Writer {
    var parts: [AuditSentence.Part] = []

    mutating func text(_ text: String) {
        guard !text.isEmpty else { return }
        if let last = parts.last, last.link == nil {
            parts[parts.count - 1].text += text
        } else {
            parts.append(.init(text: text, link: nil))
        }
    }

    mutating func link(_ text: String, _ link: AuditLink?) {
        guard link != nil else { return self.text(text) }
        parts.append(.init(text: text, link: link))
    }

    /// `label #id` linked to the id's page.
    mutating func reference(_ label: String, _ id: Int64?, _ link: (Int64) -> AuditLink) {
        guard let id else { return text(label) }
        self.link("\(label) #\(id)", link(id))
    }

    /// `: a, b, c` when there is anything to list.
    mutating func list(_ clauses: [String], lead: String = ": ") {
        guard !clauses.isEmpty else { return }
        text(lead + clauses.joined(separator: ", "))
    }
}

/// One entry's wording, per object type.
private struct Telling {
    let entry: AuditFacts
    let before: AuditState
    let after: AuditState
    let names: AuditVocabulary

    var latest: AuditState { after.fields == nil ? before : after }

    // MARK: Subscriptions and orders

    func subscription(_ sentence: inout Writer) {
        var clauses: [String] = []
        if after.fields == nil || before.fields == nil {
            // Created (imported, or by a sales order) or ended by the billing run: what happened, not a difference.
        } else {
            if let from = before.text("status"), let to = after.text("status"), from != to { clauses.append("status \(from) → \(to)") }
            if let from = before.integer("plan_id"), let to = after.integer("plan_id"), from != to { clauses.append("plan \(planName(from)) → \(planName(to))") }
            if let from = before.text("period"), let to = after.text("period"), from != to { clauses.append("period \(from) → \(to)") }
            clauses += resourceChanges(before.object("resources") ?? [:], after.object("resources") ?? [:])
        }
        let orderID = entry.action.hasPrefix("order #") ? Int64(entry.action.dropFirst("order #".count)) : nil
        if after.fields != nil, before.fields == nil {
            sentence.reference("subscription", entry.objectID, AuditLink.subscription)
            sentence.text(" " + (orderID == nil ? Self.phrase(entry.action) : "created"))
            var created: [String] = []
            if let plan = after.integer("plan_id") { created.append(planName(plan)) }
            if let period = after.text("period") { created.append(period) }
            sentence.list(created)
        } else if clauses.isEmpty {
            sentence.reference("subscription", entry.objectID, AuditLink.subscription)
            sentence.text(" " + Self.phrase(orderID == nil ? entry.action : "unchanged"))
        } else {
            sentence.text(clauses.joined(separator: ", ") + " on ")
            sentence.reference("subscription", entry.objectID, AuditLink.subscription)
            if orderID == nil, !["status", "usage"].contains(entry.action) { sentence.text(" (\(Self.phrase(entry.action)))") }
        }
        if let orderID {
            sentence.text(", ")
            sentence.reference("order", orderID, AuditLink.order)
        }
    }

    /// "RAM 4 → 6 GB", "RAM usage 2 → 3 GB", "SSD storage added (50 GB)".
    func resourceChanges(_ from: [String: AuditValue], _ to: [String: AuditValue]) -> [String] {
        var clauses: [String] = []
        for code in Set(from.keys).union(to.keys).sorted(by: { resourceName(code: $0) < resourceName(code: $1) }) {
            let name = resourceName(code: code), unit = names.resourcesByCode[code]?.unit ?? ""
            let old = from[code]?.string.flatMap(SubscriptionLineText.init), new = to[code]?.string.flatMap(SubscriptionLineText.init)
            switch (old, new) {
            case let (old?, new?):
                if old.total != new.total { clauses.append("\(name) \(Self.units(old.total)) → \(Self.quantity(new.total, unit))") }
                if old.usage != new.usage { clauses.append("\(name) usage \(old.usage) → \(Self.quantity(new.usage, unit))") }
            case (nil, let new?): clauses.append("\(name) added (\(Self.quantity(new.total, unit)))")
            case (_?, nil): clauses.append("\(name) removed")
            case (nil, nil):
                if from[code] != to[code] { clauses.append("\(name) \(Self.shown(from[code])) → \(Self.shown(to[code]))") }
            }
        }
        return clauses
    }

    func order(_ sentence: inout Writer) {
        let state = latest
        switch entry.action {
        case "submit":
            sentence.reference("order", entry.objectID, AuditLink.order)
            sentence.text(" placed")
        case "renewal issued":
            sentence.text("renewal ")
            sentence.reference("order", entry.objectID, AuditLink.order)
            sentence.text(" issued")
        case "provisioning":
            sentence.reference("order", entry.objectID, AuditLink.order)
            switch after.text("status") {
            case "completed": sentence.text(" provisioned")
            case "failed": sentence.text(" failed" + (after.text("failure_reason").map { ": \($0)" } ?? ""))
            case let status?: sentence.text(" " + (before.text("status").map { "\($0) → " } ?? "") + status)
            case nil: sentence.text(" provisioning")
            }
            return
        default:
            sentence.reference("order", entry.objectID, AuditLink.order)
            sentence.text(" " + Self.phrase(entry.action))
            if entry.action == "cancel" || entry.action == "expire" { return }
        }
        var details: [String] = []
        if let summary = state.text("summary") { details.append(names.resources.naming(summary)) }
        if let total = state.text("total") { details.append("total \(total)") }
        sentence.list(details)
        if let invoice = state.integer("invoice_id") {
            sentence.text(", ")
            sentence.reference("invoice", invoice, AuditLink.invoice)
        }
    }

    /// "card payment of 24.00 USD succeeded on invoice #9 (card ending 4242)".
    func payment(_ sentence: inout Writer) {
        let state = latest
        let method = (state.text("method") ?? "").replacingOccurrences(of: "_", with: " ")
        sentence.text("\(method) payment" + (state.text("amount").map { " of \($0)" } ?? "") + " \(state.text("status") ?? Self.phrase(entry.action)) on ")
        sentence.reference("invoice", entry.objectID, AuditLink.invoice)
        if let last4 = state.text("card_last4") { sentence.text(" (card ending \(last4))") }
        if let reference = state.text("reference") { sentence.text(" (reference \(reference))") }
    }

    // MARK: Accounts and people

    func account(_ sentence: inout Writer) {
        if before.fields == nil, let created = after.fields {
            sentence.text("\(created["kind"]?.string ?? "") account created".trimmingCharacters(in: .whitespaces))
            var details: [String] = []
            if let currency = after.text("currency") { details.append(currency) }
            if let tax = after.text("tax_rate") { details.append("tax rate \(tax)") }
            if let status = after.text("status"), status != "active" { details.append(status) }
            if !details.isEmpty { sentence.text(" (\(details.joined(separator: ", ")))") }
            return
        }
        // Suspending, closing and lifting say so; the status is then no news in the list.
        let statusAction = ["suspend", "close", "lift"].contains(entry.action)
        sentence.text("account " + (entry.action == "lift" ? "reactivated" : Self.phrase(entry.action)))
        sentence.list(Self.differences(before, after, hidden: statusAction ? ["parent_id", "kind", "status"] : ["parent_id", "kind"]))
    }

    func user(_ sentence: inout Writer) {
        let email = latest.text("email") ?? entry.objectID.map { "#\($0)" } ?? ""
        if before.fields == nil, after.fields != nil {
            sentence.text("user \(email) added" + (after.text("role").map { " as \($0)" } ?? ""))
            return
        }
        sentence.text("user \(email) \(Self.phrase(entry.action))")
        let statusAction = ["disable", "enable"].contains(entry.action)
        sentence.list(Self.differences(before, after, hidden: statusAction ? ["status"] : []))
    }

    /// "credit adjusted by -5.00 USD: Goodwill (balance 12.00 USD → 7.00 USD)".
    func creditAdjustment(_ sentence: inout Writer) {
        guard let amount = after.text("amount") else { return generic(&sentence) }
        sentence.link("credit", .credit(account: entry.accountID))
        sentence.text(" adjusted by \(amount.hasPrefix("-") ? "" : "+")\(amount)")
        if let reason = after.text("reason") { sentence.text(": \(reason)") }
        if let from = after.text("balance_before"), let to = after.text("balance_after") { sentence.text(" (balance \(from) → \(to))") }
        if after.text("allow_negative_balance") == "true" { sentence.text(", below zero allowed") }
    }

    /// "webhook https://example.test/hook added for invoice_issued, payment_failed".
    func webhook(_ sentence: inout Writer) {
        let url = latest.text("url") ?? entry.objectID.map { "#\($0)" } ?? ""
        switch entry.action {
        case "create":
            sentence.text("webhook \(url) added")
            let events = after.list("events")
            if !events.isEmpty { sentence.text(" for " + events.joined(separator: ", ")) }
        case "delete":
            sentence.text("webhook \(url) removed")
        default:
            sentence.text("webhook \(url) \(Self.phrase(entry.action))")
            sentence.list(Self.differences(before, after, hidden: ["url"]))
        }
    }

    // MARK: Catalog

    func plan(_ sentence: inout Writer) {
        let id = entry.objectID
        sentence.link("plan \(latest.text("name") ?? id.map(planName) ?? "")", id.map(AuditLink.plan))
        switch entry.action {
        case "add_switch_path":
            let target = after.integer("to_plan_id")
            sentence.text(": customers may switch to ")
            sentence.link(target.map(planName) ?? "another plan", target.map(AuditLink.plan))
        case "create" where before.fields == nil:
            sentence.text(" created")
            var details: [String] = []
            if let type = after.text("billing_type") { details.append(type.replacingOccurrences(of: "_", with: " ")) }
            details += periodFees(after.object("prices")?["periods"]?.object ?? [:])
            sentence.list(details)
        default:
            sentence.text(" " + Self.phrase(entry.action))
            var clauses: [String] = []
            for key in ["name", "billing_type", "fixed_price"] where before.fields?[key] != after.fields?[key] {
                clauses.append("\(Self.label(key)) \(Self.shown(before.fields?[key])) → \(Self.shown(after.fields?[key]))")
            }
            clauses += planResourceChanges(before.list("resources"), after.list("resources"))
            clauses += priceChanges(before.object("prices") ?? [:], after.object("prices") ?? [:])
            sentence.list(clauses)
        }
    }

    func priceList(_ sentence: inout Writer) {
        sentence.text("prices of ")
        sentence.link("plan \(entry.objectID.map(planName) ?? "")", entry.objectID.map(AuditLink.plan))
        sentence.text(" set")
        if before.fields == nil {
            var details = periodFees(after.object("periods") ?? [:])
            for (id, text) in (after.object("resources") ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let fees = text.string.flatMap(ResourceFeesText.init) else { continue }
                let name = Int64(id).map(resourceName(id:)) ?? id
                details.append("\(name) setup \(money(fees.setup)), monthly \(money(fees.monthly))")
            }
            sentence.list(details)
        } else {
            sentence.list(priceChanges(before.fields ?? [:], after.fields ?? [:]))
        }
    }

    func delegation(_ sentence: inout Writer) {
        let plan = entry.objectID ?? after.text("plan_id").flatMap { Int64($0) }
        sentence.link("plan \(plan.map(planName) ?? "")", plan.map(AuditLink.plan))
        sentence.text(" delegated" + (entry.action == "create" ? "" : " (\(entry.action))"))
    }

    func resource(_ sentence: inout Writer) {
        let code = latest.text("code") ?? entry.objectID.flatMap { names.resourcesByID[$0]?.code }
        let name = latest.text("name") ?? entry.objectID.flatMap { names.resourcesByID[$0]?.name }
        let title = [name, code.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        sentence.link("resource \(title)", entry.action == "delete" ? nil : entry.objectID.map(AuditLink.resource))
        sentence.text(" " + Self.phrase(entry.action))
        if before.fields == nil, after.fields != nil {
            var details: [String] = []
            if let kind = after.text("kind") { details.append(kind) }
            if let min = after.text("min_units"), let max = after.text("max_units") {
                details.append("\(min)–\(max == "-1" ? "unlimited" : max)" + (entry.objectID.flatMap { names.resourcesByID[$0]?.unit }.map { " \($0)" } ?? ""))
            }
            sentence.list(details)
        } else if after.fields != nil {
            sentence.list(Self.differences(before, after))
        }
    }

    func upgrade(_ sentence: inout Writer) {
        let from = latest.integer("from_resource_id").map(resourceName(id:)) ?? "?"
        let to = latest.integer("to_resource_id").map(resourceName(id:)) ?? "?"
        sentence.text("upgrade \(from) → \(to) \(Self.phrase(entry.action))")
        if before.fields == nil {
            var details: [String] = []
            details.append(after.text("downgradable") == "true" ? "downgradable" : "not downgradable")
            details.append(after.text("active") == "true" ? "active" : "inactive")
            if let fee = after.text("upgrade_fee") { details.append("fee \(fee)") }
            sentence.list(details)
        } else {
            sentence.list(Self.differences(before, after, hidden: ["from_resource_id", "to_resource_id"]))
        }
    }

    func currency(_ sentence: inout Writer) {
        let code = latest.text("code") ?? ""
        switch entry.action {
        case "create":
            let details = [after.text("name"), after.text("exponent").map { "\($0) decimals" }].compactMap { $0 }
            sentence.text("currency \(code) added" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"))
        case "rename":
            sentence.text("currency \(code) renamed " + (after.text("name") ?? ""))
        default:
            sentence.text("currency \(code) \(Self.phrase(entry.action))")
            sentence.list(Self.differences(before, after))
        }
    }

    func rate(_ sentence: inout Writer) {
        guard let from = latest.text("from"), let to = latest.text("to"), let rate = latest.text("rate") else { return generic(&sentence) }
        sentence.text("rate 1 \(from) = \(rate) \(to)" + (latest.text("effective_from").map { " from \(Self.timestamp($0))" } ?? ""))
        if entry.action != "create" { sentence.text(" " + Self.phrase(entry.action)) }
    }

    func connectorRule(_ sentence: inout Writer) {
        let code = entry.action.hasPrefix("set ") ? String(entry.action.dropFirst(4)) : entry.action
        sentence.text("test connector rule for \(resourceName(code: code))")
        if before.fields == nil {
            sentence.list(Self.differences(AuditState(nil), after))
        } else {
            let changes = Self.differences(before, after)
            sentence.list(changes.isEmpty ? ["unchanged"] : changes)
        }
    }

    func restriction(_ sentence: inout Writer) {
        switch entry.action {
        case "restrict":
            sentence.text("restricted" + (after.text("restricted_by").map { " by \($0)" } ?? ""))
            if let reason = after.text("reason") { sentence.text(": \(reason)") }
        case "lift":
            sentence.text("restriction lifted")
            if let reason = before.text("reason") { sentence.text(" (was: \(reason))") }
        default:
            generic(&sentence)
        }
    }

    func exception(_ sentence: inout Writer) {
        let plan = after.string ?? before.string ?? ""
        sentence.text("exception for plan \(plan) \(Self.phrase(entry.action))")
    }

    func promo(_ sentence: inout Writer) {
        let code = latest.text("code") ?? ""
        sentence.text("promo code \(code) \(Self.phrase(entry.action))")
        if before.fields == nil {
            let details = [after.text("percent").map { "\($0)% off" }, after.text("valid_until").map { "until \($0)" }].compactMap { $0 }
            if !details.isEmpty { sentence.text(": " + details.joined(separator: " ")) }
        } else {
            sentence.list(Self.differences(before, after))
        }
    }

    /// Any other type: "object #id verb: field a → b, …", or its recorded fields when created.
    func generic(_ sentence: inout Writer) {
        sentence.text(Self.label(entry.objectType) + (entry.objectID.map { " #\($0)" } ?? "") + " " + Self.phrase(entry.action))
        if before.fields == nil, before.string == nil {
            sentence.list(Self.differences(AuditState(nil), after))
        } else if after.fields == nil, after.string == nil {
            return
        } else {
            sentence.list(Self.differences(before, after))
        }
    }

    // MARK: Names and numbers

    func planName(_ id: Int64) -> String { names.plans[id]?.name ?? "#\(id)" }
    func resourceName(code: String) -> String { names.resourcesByCode[code]?.name ?? code }
    func resourceName(id: Int64) -> String { names.resourcesByID[id]?.name ?? "resource #\(id)" }

    /// A plan's amount text with its currency (plans record amounts in their currency's digits, without the code).
    func money(_ amount: String) -> String {
        guard let currency = entry.objectID.flatMap({ names.plans[$0]?.currency }) else { return amount }
        return "\(amount) \(currency)"
    }

    /// "1 month 20.00 USD, 12 months 216.00 USD".
    func periodFees(_ periods: [String: AuditValue]) -> [String] {
        periods.compactMap { key, value -> (Int, String)? in
            guard let months = Int(key.dropLast()), let fee = value.string else { return nil }
            return (months, "\(months) \(months == 1 ? "month" : "months") \(money(fee))")
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Fee changes: "1-month fee 20.00 → 22.00 USD", "RAM monthly 2.50 → 3.00 USD".
    func priceChanges(_ from: [String: AuditValue], _ to: [String: AuditValue]) -> [String] {
        var clauses: [String] = []
        let oldPeriods = from["periods"]?.object ?? [:], newPeriods = to["periods"]?.object ?? [:]
        for key in Set(oldPeriods.keys).union(newPeriods.keys).sorted(by: { (Int($0.dropLast()) ?? 0) < (Int($1.dropLast()) ?? 0) }) {
            let old = oldPeriods[key]?.string, new = newPeriods[key]?.string
            guard old != new else { continue }
            let months = key.dropLast()
            switch (old, new) {
            case let (old?, new?): clauses.append("\(months)-month fee \(old) → \(money(new))")
            case (nil, let new?): clauses.append("\(months)-month period added at \(money(new))")
            default: clauses.append("\(months)-month period removed")
            }
        }
        let oldFees = from["resources"]?.object ?? [:], newFees = to["resources"]?.object ?? [:]
        for key in Set(oldFees.keys).union(newFees.keys).sorted() {
            let name = Int64(key).map(resourceName(id:)) ?? key
            let old = oldFees[key]?.string.flatMap(ResourceFeesText.init), new = newFees[key]?.string.flatMap(ResourceFeesText.init)
            guard old != new else { continue }
            if let old, let new {
                if old.setup != new.setup { clauses.append("\(name) setup \(old.setup) → \(money(new.setup))") }
                if old.monthly != new.monthly { clauses.append("\(name) monthly \(old.monthly) → \(money(new.monthly))") }
            } else if let new {
                clauses.append("\(name) priced setup \(money(new.setup)), monthly \(money(new.monthly))")
            }
        }
        return clauses
    }

    /// Changes of a plan's resource rates: "RAM included 4 → 8 GB", "RAM limits 1–16 → 1–32", "RAM added".
    func planResourceChanges(_ from: [String], _ to: [String]) -> [String] {
        let old = Dictionary(from.compactMap(PlanResourceText.init).map { ($0.resourceID, $0) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(to.compactMap(PlanResourceText.init).map { ($0.resourceID, $0) }, uniquingKeysWith: { a, _ in a })
        var clauses: [String] = []
        for id in Set(old.keys).union(new.keys).sorted() {
            let name = resourceName(id: id), unit = names.resourcesByID[id]?.unit ?? ""
            switch (old[id], new[id]) {
            case let (a?, b?):
                if a.included != b.included { clauses.append("\(name) included \(Self.units(a.included)) → \(Self.quantity(b.included, unit))") }
                if a.limits != b.limits { clauses.append("\(name) limits \(a.limits) → \(b.limits)") }
            case (nil, let b?): clauses.append("\(name) added (included \(Self.quantity(b.included, unit)))")
            case (_?, nil): clauses.append("\(name) removed")
            case (nil, nil): break
            }
        }
        return clauses
    }

    static func units(_ value: Int64) -> String { value == -1 ? "unlimited" : String(value) }

    static func quantity(_ value: Int64, _ unit: String) -> String {
        value == -1 || unit.isEmpty ? units(value) : "\(value) \(unit)"
    }

    /// "2026-01-01T00:00:00Z" → "2026-01-01 00:00 UTC".
    static func timestamp(_ text: String) -> String {
        guard text.count >= 16, text.dropFirst(10).first == "T" else { return text }
        return "\(text.prefix(10)) \(text.dropFirst(11).prefix(5)) UTC"
    }

    /// "tax_rate" → "tax rate".
    static func label(_ key: String) -> String { key.replacingOccurrences(of: "_", with: " ") }

    static func shown(_ value: AuditValue?) -> String {
        guard let value else { return "none" }
        switch value {
        case .text(let text): return text.isEmpty ? "none" : text
        case .number(let number): return String(number)
        case .flag(let flag): return flag ? "yes" : "no"
        case .null: return "none"
        case .list(let items): return items.isEmpty ? "none" : items.map { shown($0) }.joined(separator: "; ")
        case .object(let fields): return fields.isEmpty ? "none" : fields.sorted { $0.key < $1.key }.map { "\(label($0.key)) \(shown($0.value))" }.joined(separator: "; ")
        }
    }

    /// "field a → b" for each field that differs (nested objects by their path), or "field value"
    /// for each recorded field when there is no before.
    static func differences(_ before: AuditState, _ after: AuditState, hidden: Set<String> = []) -> [String] {
        let old = flattened(before.fields ?? [:]), new = flattened(after.fields ?? [:])
        var clauses: [String] = []
        for key in Set(old.keys).union(new.keys).sorted() where !hidden.contains(key) && old[key] != new[key] {
            if before.fields == nil {
                clauses.append("\(label(key)) \(shown(new[key]))")
            } else if after.fields == nil {
                clauses.append("\(label(key)) was \(shown(old[key]))")
            } else {
                clauses.append("\(label(key)) \(shown(old[key])) → \(shown(new[key]))")
            }
        }
        if clauses.isEmpty, before.fields == nil, after.fields == nil, before.string != after.string {
            clauses.append([before.string, after.string].map { $0 ?? "none" }.joined(separator: " → "))
        }
        return clauses
    }

    static func flattened(_ fields: [String: AuditValue], prefix: String = "") -> [String: AuditValue] {
        var flat: [String: AuditValue] = [:]
        for (key, value) in fields {
            if case .object(let inner) = value, !inner.isEmpty {
                flat.merge(flattened(inner, prefix: prefix + key + " "), uniquingKeysWith: { a, _ in a })
            } else {
                flat[prefix + key] = value
            }
        }
        return flat
    }

    /// An action as a past participle: "create" → "created"; anything unknown as it was recorded.
    static func phrase(_ action: String) -> String {
        switch action {
        case "create": "created"
        case "update": "updated"
        case "delete": "deleted"
        case "add": "added"
        case "remove": "removed"
        case "set": "set"
        case "rename": "renamed"
        case "cancel": "cancelled"
        case "expire": "expired"
        case "import": "imported"
        case "status": "status changed"
        case "usage": "usage recorded"
        case "unchanged": "unchanged"
        case "cancel at period end": "set to cancel at the period end"
        case "keep": "set to renew (cancellation withdrawn)"
        case "schedule for renewal": "change scheduled for the renewal"
        case "unschedule": "scheduled change withdrawn"
        case "suspend: renewal unpaid": "suspended: renewal unpaid"
        case "cancelled at period end": "cancelled at the period end"
        case "suspend": "suspended"
        case "close": "closed"
        case "reactivate", "activate": "reactivated"
        case "disable": "disabled"
        case "enable": "enabled"
        case "update_profile": "updated their profile"
        case "change_password": "changed their password"
        case "password_reset_requested": "asked for a password reset link"
        case "reset_password": "set a new password through a reset link"
        case "adjust": "adjusted"
        default: action.replacingOccurrences(of: "_", with: " ")
        }
    }
}

// MARK: The recorded states

/// A JSON value as the audit log records it.
enum AuditValue: Decodable, Equatable, Sendable {
    case text(String), number(Int64), flag(Bool), null, list([AuditValue]), object([String: AuditValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .flag(flag) }
        else if let number = try? container.decode(Int64.self) { self = .number(number) }
        else if let decimal = try? container.decode(Decimal.self) { self = .text("\(decimal)") }
        else if let text = try? container.decode(String.self) { self = .text(text) }
        else if let list = try? container.decode([AuditValue].self) { self = .list(list) }
        else { self = .object(try container.decode([String: AuditValue].self)) }
    }

    var string: String? {
        switch self {
        case .text(let text): text
        case .number(let number): String(number)
        case .flag(let flag): String(flag)
        default: nil
        }
    }

    var object: [String: AuditValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }
}

/// A before or after state: an object of fields (most types), a bare value (an exception's plan name), or nothing.
struct AuditState: Sendable {
    let value: AuditValue?

    init(_ json: String?) {
        value = json.flatMap { try? JSONDecoder().decode(AuditValue.self, from: Data($0.utf8)) }
    }

    var fields: [String: AuditValue]? { value?.object }
    var string: String? { fields == nil ? value?.string : nil }

    func text(_ key: String) -> String? {
        guard let value = fields?[key], value != .null else { return nil }
        return value.string
    }

    func integer(_ key: String) -> Int64? { text(key).flatMap { Int64($0) } }
    func object(_ key: String) -> [String: AuditValue]? { fields?[key]?.object }

    func list(_ key: String) -> [String] {
        guard case .list(let items)? = fields?[key] else { return [] }
        return items.compactMap(\.string)
    }
}

/// A subscription's resource as recorded: "included 4, additional 2, usage 1".
struct SubscriptionLineText: Equatable {
    var included: Int64
    var additional: Int64
    var usage: Int64
    var total: Int64 { included == -1 ? -1 : included + additional }

    init?(_ text: String) {
        var values: [String: Int64] = [:]
        for part in text.split(separator: ",") {
            let words = part.split(separator: " ")
            guard words.count == 2, let number = Int64(words[1]) else { return nil }
            values[String(words[0])] = number
        }
        guard let included = values["included"], let additional = values["additional"] else { return nil }
        self.included = included
        self.additional = additional
        usage = values["usage"] ?? 0
    }
}

/// A plan's resource rate as recorded: "12: included 4, 1–16".
struct PlanResourceText: Equatable {
    var resourceID: Int64
    var included: Int64
    var limits: String

    init?(_ text: String) {
        let halves = text.split(separator: ":", maxSplits: 1)
        guard halves.count == 2, let id = Int64(halves[0]) else { return nil }
        let rest = halves[1].split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard rest.count == 2, rest[0].hasPrefix("included "), let included = Int64(rest[0].dropFirst("included ".count)) else { return nil }
        resourceID = id
        self.included = included
        limits = rest[1]
    }
}

/// A resource's fees in a price schedule as recorded: "setup 0.00, monthly 5.00".
struct ResourceFeesText: Equatable {
    var setup: String
    var monthly: String

    init?(_ text: String) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, parts[0].hasPrefix("setup "), parts[1].hasPrefix("monthly ") else { return nil }
        setup = String(parts[0].dropFirst("setup ".count))
        monthly = String(parts[1].dropFirst("monthly ".count))
    }
}
