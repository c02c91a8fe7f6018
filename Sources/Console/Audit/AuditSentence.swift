import Foundation
import Localization
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
    /// "Account: what happened, by whom", in the reader's language (`Language.current`): every
    /// clause is a catalog text (`audit.sentence.*`, `audit.action.*`, `audit.field.*`, `audit.value.*`
    /// in Locales/*/admin.catalog) whose placeholders take names, numbers, money and dates.
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
        sentence.say("by", ["actor": .plain(entry.actor)])
        return AuditSentence(parts: sentence.parts)
    }
}

/// A placeholder's value in a sentence: words, linked to a page when `link` is set.
private struct Piece {
    var text: String
    var link: AuditLink?

    static func plain(_ text: String) -> Piece { Piece(text: text, link: nil) }
}

/// The catalog's wording of a sentence's clause, in the reader's language.
private enum Words {
    /// The text of `audit.<key>` in the current language, else English, else the key itself.
    static func template(_ key: String) -> String {
        let full = "audit." + key
        return Catalogs.shared.text(full, in: Language.current) ?? Catalogs.shared.text(full, in: .en) ?? full
    }

    /// `audit.<key>` with its `{name}` placeholders filled (one pass: a filled value is never read again).
    static func text(_ key: String, _ values: [String: String] = [:]) -> String {
        Writer.filled(template(key), values.mapValues(Piece.plain)).map(\.text).joined()
    }

    /// The text of `audit.<key>` when the catalog has it.
    static func optional(_ key: String) -> String? {
        Catalogs.isKey(key) ? Catalogs.shared.text("audit." + key, in: Language.current) ?? Catalogs.shared.text("audit." + key, in: .en) : nil
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

    mutating func piece(_ piece: Piece) { link(piece.text, piece.link) }

    /// The clause `audit.sentence.<key>`, its placeholders filled with the pieces (links kept as links).
    mutating func say(_ key: String, _ values: [String: Piece] = [:]) {
        for piece in Self.filled(Words.template("sentence." + key), values) { link(piece.text, piece.link) }
    }

    /// `: a, b, c` when there is anything to list.
    mutating func list(_ clauses: [String], lead: String = ": ") {
        guard !clauses.isEmpty else { return }
        text(lead + clauses.joined(separator: ", "))
    }

    /// A template cut at its placeholders: the text between them and the pieces in them; a name
    /// without a value stays as it is written.
    static func filled(_ template: String, _ values: [String: Piece]) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let name = String(rest[rest.index(after: open)..<close])
            guard let value = values[name] else {
                pieces.append(.plain(String(rest[...close])))
                rest = rest[rest.index(after: close)...]
                continue
            }
            pieces.append(.plain(String(rest[..<open])))
            pieces.append(value)
            rest = rest[rest.index(after: close)...]
        }
        pieces.append(.plain(String(rest)))
        return pieces.filter { !$0.text.isEmpty || $0.link != nil }
    }
}

/// One entry's wording, per object type.
private struct Telling {
    let entry: AuditFacts
    let before: AuditState
    let after: AuditState
    let names: AuditVocabulary

    var latest: AuditState { after.fields == nil ? before : after }

    /// `subscription #12` linked to its page, or the bare noun without an id.
    func reference(_ noun: String, _ id: Int64?, _ link: (Int64) -> AuditLink) -> Piece {
        guard let id else { return .plain(Words.text("noun." + noun)) }
        return Piece(text: Words.text("ref." + noun, ["id": String(id)]), link: link(id))
    }

    // MARK: Subscriptions and orders

    func subscription(_ sentence: inout Writer) {
        var clauses: [String] = []
        if after.fields == nil || before.fields == nil {
            // Created (imported, or by a sales order) or ended by the billing run: what happened, not a difference.
        } else {
            if let from = before.text("status"), let to = after.text("status"), from != to {
                clauses.append(Words.text("sentence.status_change", ["from": Self.value(from), "to": Self.value(to)]))
            }
            if let from = before.integer("plan_id"), let to = after.integer("plan_id"), from != to {
                clauses.append(Words.text("sentence.plan_change", ["from": planName(from), "to": planName(to)]))
            }
            if let from = before.text("period"), let to = after.text("period"), from != to {
                clauses.append(Words.text("sentence.period_change", ["from": Self.period(from), "to": Self.period(to)]))
            }
            clauses += resourceChanges(before.object("resources") ?? [:], after.object("resources") ?? [:])
        }
        let orderID = entry.action.hasPrefix("order #") ? Int64(entry.action.dropFirst("order #".count)) : nil
        let subscription = reference("subscription", entry.objectID, AuditLink.subscription)
        if after.fields != nil, before.fields == nil {
            sentence.say("did", ["object": subscription, "did": .plain(orderID == nil ? Self.phrase(entry.action) : Self.phrase("create"))])
            var created: [String] = []
            if let plan = after.integer("plan_id") { created.append(planName(plan)) }
            if let period = after.text("period") { created.append(Self.period(period)) }
            sentence.list(created)
        } else if clauses.isEmpty {
            sentence.say("did", ["object": subscription, "did": .plain(Self.phrase(orderID == nil ? entry.action : "unchanged"))])
        } else {
            sentence.say("changes_on", ["changes": .plain(clauses.joined(separator: ", ")), "object": subscription])
            if orderID == nil, !["status", "usage"].contains(entry.action) { sentence.text(" (\(Self.phrase(entry.action)))") }
        }
        if let orderID {
            sentence.text(", ")
            sentence.piece(reference("order", orderID, AuditLink.order))
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
                if old.total != new.total {
                    clauses.append(Words.text("sentence.resource_change", ["name": name, "from": Self.units(old.total), "to": Self.quantity(new.total, unit)]))
                }
                if old.usage != new.usage {
                    clauses.append(Words.text("sentence.resource_usage", ["name": name, "from": Self.units(old.usage), "to": Self.quantity(new.usage, unit)]))
                }
            case (nil, let new?): clauses.append(Words.text("sentence.resource_added", ["name": name, "quantity": Self.quantity(new.total, unit)]))
            case (_?, nil): clauses.append(Words.text("sentence.resource_removed", ["name": name]))
            case (nil, nil):
                if from[code] != to[code] {
                    clauses.append(Words.text("sentence.resource_change", ["name": name, "from": Self.shown(from[code]), "to": Self.shown(to[code])]))
                }
            }
        }
        return clauses
    }

    func order(_ sentence: inout Writer) {
        let state = latest
        let order = reference("order", entry.objectID, AuditLink.order)
        switch entry.action {
        case "submit":
            sentence.say("order_placed", ["order": order])
        case "renewal issued":
            sentence.say("order_renewal_issued", ["order": order])
        case "provisioning":
            switch after.text("status") {
            case "completed": sentence.say("order_provisioned", ["order": order])
            case "failed":
                if let reason = after.text("failure_reason") {
                    sentence.say("order_failed_because", ["order": order, "reason": .plain(reason)])
                } else {
                    sentence.say("order_failed", ["order": order])
                }
            case let status?:
                if let from = before.text("status") {
                    sentence.say("order_status_change", ["order": order, "from": .plain(Self.value(from)), "to": .plain(Self.value(status))])
                } else {
                    sentence.say("did", ["object": order, "did": .plain(Self.value(status))])
                }
            case nil: sentence.say("order_provisioning", ["order": order])
            }
            return
        default:
            sentence.say("did", ["object": order, "did": .plain(Self.phrase(entry.action))])
            if entry.action == "cancel" || entry.action == "expire" { return }
        }
        var details: [String] = []
        if let summary = state.text("summary") { details.append(Self.summary(names.resources.naming(summary))) }
        if let total = state.text("total") { details.append(Words.text("sentence.total", ["amount": Self.amount(total)])) }
        sentence.list(details)
        if let invoice = state.integer("invoice_id") {
            sentence.text(", ")
            sentence.piece(reference("invoice", invoice, AuditLink.invoice))
        }
    }

    /// "card payment of 24.00 USD succeeded on invoice #9 (card ending 4242)".
    func payment(_ sentence: inout Writer) {
        let state = latest
        let recorded = state.text("method") ?? ""
        let method = Words.optional("method." + recorded) ?? recorded.replacingOccurrences(of: "_", with: " ")
        let outcome = state.text("status").map(Self.value) ?? Self.phrase(entry.action)
        let invoice = reference("invoice", entry.objectID, AuditLink.invoice)
        if let amount = state.text("amount") {
            sentence.say("payment", ["method": .plain(method), "amount": .plain(Self.amount(amount)), "outcome": .plain(outcome), "invoice": invoice])
        } else {
            sentence.say("payment_without_amount", ["method": .plain(method), "outcome": .plain(outcome), "invoice": invoice])
        }
        if let last4 = state.text("card_last4") { sentence.text(" "); sentence.say("card_ending", ["last4": .plain(last4)]) }
        if let reference = state.text("reference") { sentence.text(" "); sentence.say("payment_reference", ["reference": .plain(reference)]) }
    }

    // MARK: Accounts and people

    func account(_ sentence: inout Writer) {
        if before.fields == nil, let created = after.fields {
            if let kind = created["kind"]?.string, !kind.isEmpty {
                sentence.say("account_created", ["kind": .plain(Self.value(kind))])
            } else {
                sentence.say("account_created_plain")
            }
            var details: [String] = []
            if let currency = after.text("currency") { details.append(currency) }
            if let tax = after.text("tax_rate") { details.append(Words.text("sentence.tax_rate", ["rate": Self.shownText(tax)])) }
            if let status = after.text("status"), status != "active" { details.append(Self.value(status)) }
            if !details.isEmpty { sentence.text(" (\(details.joined(separator: ", ")))") }
            return
        }
        // Suspending, closing and lifting say so; the status is then no news in the list.
        let statusAction = ["suspend", "close", "lift"].contains(entry.action)
        sentence.say("account_did", ["did": .plain(Self.phrase(entry.action == "lift" ? "reactivate" : entry.action))])
        sentence.list(Self.differences(before, after, hidden: statusAction ? ["parent_id", "kind", "status"] : ["parent_id", "kind"]))
    }

    func user(_ sentence: inout Writer) {
        let email = latest.text("email") ?? entry.objectID.map { "#\($0)" } ?? ""
        if before.fields == nil, after.fields != nil {
            if let role = after.text("role") {
                sentence.say("user_added_as", ["email": .plain(email), "role": .plain(Self.value(role))])
            } else {
                sentence.say("user_added", ["email": .plain(email)])
            }
            return
        }
        sentence.say("user_did", ["email": .plain(email), "did": .plain(Self.phrase(entry.action))])
        let statusAction = ["disable", "enable"].contains(entry.action)
        sentence.list(Self.differences(before, after, hidden: statusAction ? ["status"] : []))
    }

    /// "credit adjusted by -5.00 USD: Goodwill (balance 12.00 USD → 7.00 USD)".
    func creditAdjustment(_ sentence: inout Writer) {
        guard let amount = after.text("amount") else { return generic(&sentence) }
        let signed = (amount.hasPrefix("-") ? "" : "+") + Self.amount(amount)
        sentence.say("credit_adjusted", ["credit": Piece(text: Words.text("noun.credit"), link: .credit(account: entry.accountID)), "amount": .plain(signed)])
        if let reason = after.text("reason") { sentence.text(": \(reason)") }
        if let from = after.text("balance_before"), let to = after.text("balance_after") {
            sentence.text(" ")
            sentence.say("balance", ["from": .plain(Self.amount(from)), "to": .plain(Self.amount(to))])
        }
        if after.text("allow_negative_balance") == "true" { sentence.text(", "); sentence.say("below_zero_allowed") }
    }

    /// "webhook https://example.test/hook added for invoice_issued, payment_failed".
    func webhook(_ sentence: inout Writer) {
        let url = latest.text("url") ?? entry.objectID.map { "#\($0)" } ?? ""
        switch entry.action {
        case "create":
            let events = after.list("events")
            if events.isEmpty {
                sentence.say("webhook_added", ["url": .plain(url)])
            } else {
                sentence.say("webhook_added_for", ["url": .plain(url), "events": .plain(events.joined(separator: ", "))])
            }
        case "delete":
            sentence.say("webhook_removed", ["url": .plain(url)])
        default:
            sentence.say("webhook_did", ["url": .plain(url), "did": .plain(Self.phrase(entry.action))])
            sentence.list(Self.differences(before, after, hidden: ["url"]))
        }
    }

    // MARK: Catalog

    /// `plan Cloud VPS S` linked to its page.
    func planPiece(_ name: String, _ id: Int64?) -> Piece {
        Piece(text: Words.text("ref.plan", ["name": name]), link: id.map(AuditLink.plan))
    }

    func plan(_ sentence: inout Writer) {
        let id = entry.objectID
        let plan = planPiece(latest.text("name") ?? id.map(planName) ?? "", id)
        switch entry.action {
        case "add_switch_path":
            let target = after.integer("to_plan_id")
            sentence.say("plan_switch_path", ["plan": plan, "target": Piece(text: target.map(planName) ?? Words.text("noun.another_plan"), link: target.map(AuditLink.plan))])
        case "create" where before.fields == nil:
            sentence.say("did", ["object": plan, "did": .plain(Self.phrase("create"))])
            var details: [String] = []
            if let type = after.text("billing_type") { details.append(Self.billingType(type)) }
            details += periodFees(after.object("prices")?["periods"]?.object ?? [:])
            sentence.list(details)
        default:
            sentence.say("did", ["object": plan, "did": .plain(Self.phrase(entry.action))])
            var clauses: [String] = []
            for key in ["name", "billing_type", "fixed_price"] where before.fields?[key] != after.fields?[key] {
                clauses.append(Words.text("sentence.field_change", ["field": Self.label(key), "from": Self.shown(before.fields?[key]), "to": Self.shown(after.fields?[key])]))
            }
            clauses += planResourceChanges(before.list("resources"), after.list("resources"))
            clauses += priceChanges(before.object("prices") ?? [:], after.object("prices") ?? [:])
            sentence.list(clauses)
        }
    }

    func priceList(_ sentence: inout Writer) {
        sentence.say("prices_set", ["plan": planPiece(entry.objectID.map(planName) ?? "", entry.objectID)])
        if before.fields == nil {
            var details = periodFees(after.object("periods") ?? [:])
            for (id, text) in (after.object("resources") ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let fees = text.string.flatMap(ResourceFeesText.init) else { continue }
                let name = Int64(id).map(resourceName(id:)) ?? id
                details.append(Words.text("sentence.resource_priced", ["name": name, "setup": money(fees.setup), "monthly": money(fees.monthly)]))
            }
            sentence.list(details)
        } else {
            sentence.list(priceChanges(before.fields ?? [:], after.fields ?? [:]))
        }
    }

    func delegation(_ sentence: inout Writer) {
        let plan = entry.objectID ?? after.text("plan_id").flatMap { Int64($0) }
        let piece = planPiece(plan.map(planName) ?? "", plan)
        if entry.action == "create" {
            sentence.say("plan_delegated", ["plan": piece])
        } else {
            sentence.say("plan_delegated_action", ["plan": piece, "action": .plain(Self.phrase(entry.action))])
        }
    }

    func resource(_ sentence: inout Writer) {
        let code = latest.text("code") ?? entry.objectID.flatMap { names.resourcesByID[$0]?.code }
        let name = latest.text("name") ?? entry.objectID.flatMap { names.resourcesByID[$0]?.name }
        let title = [name, code.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        let resource = Piece(text: Words.text("ref.resource", ["title": title]), link: entry.action == "delete" ? nil : entry.objectID.map(AuditLink.resource))
        sentence.say("did", ["object": resource, "did": .plain(Self.phrase(entry.action))])
        if before.fields == nil, after.fields != nil {
            var details: [String] = []
            if let kind = after.text("kind") { details.append(Self.value(kind)) }
            if let min = after.text("min_units"), let max = after.text("max_units") {
                let range = Words.text("sentence.range", ["min": Self.shownText(min), "max": max == "-1" ? Words.text("value.unlimited") : Self.shownText(max)])
                details.append(range + (entry.objectID.flatMap { names.resourcesByID[$0]?.unit }.map { " \($0)" } ?? ""))
            }
            sentence.list(details)
        } else if after.fields != nil {
            sentence.list(Self.differences(before, after))
        }
    }

    func upgrade(_ sentence: inout Writer) {
        let from = latest.integer("from_resource_id").map(resourceName(id:)) ?? "?"
        let to = latest.integer("to_resource_id").map(resourceName(id:)) ?? "?"
        sentence.say("upgrade_did", ["from": .plain(from), "to": .plain(to), "did": .plain(Self.phrase(entry.action))])
        if before.fields == nil {
            var details: [String] = []
            details.append(Words.text(after.text("downgradable") == "true" ? "sentence.downgradable" : "sentence.not_downgradable"))
            details.append(Words.text(after.text("active") == "true" ? "value.active" : "value.inactive"))
            if let fee = after.text("upgrade_fee") { details.append(Words.text("sentence.fee", ["amount": Self.amount(fee)])) }
            sentence.list(details)
        } else {
            sentence.list(Self.differences(before, after, hidden: ["from_resource_id", "to_resource_id"]))
        }
    }

    func currency(_ sentence: inout Writer) {
        let code = latest.text("code") ?? ""
        switch entry.action {
        case "create":
            let details = [after.text("name"), after.text("exponent").map { Words.text("sentence.decimals", ["count": Self.shownText($0)]) }].compactMap { $0 }
            if details.isEmpty {
                sentence.say("currency_added", ["code": .plain(code)])
            } else {
                sentence.say("currency_added_with", ["code": .plain(code), "details": .plain(details.joined(separator: ", "))])
            }
        case "rename":
            sentence.say("currency_renamed", ["code": .plain(code), "name": .plain(after.text("name") ?? "")])
        default:
            sentence.say("currency_did", ["code": .plain(code), "did": .plain(Self.phrase(entry.action))])
            sentence.list(Self.differences(before, after))
        }
    }

    func rate(_ sentence: inout Writer) {
        guard let from = latest.text("from"), let to = latest.text("to"), let rate = latest.text("rate") else { return generic(&sentence) }
        let values: [String: Piece] = ["from": .plain(from), "to": .plain(to), "rate": .plain(Self.shownText(rate))]
        if let effective = latest.text("effective_from") {
            sentence.say("rate_from", values.merging(["when": .plain(Self.timestamp(effective))], uniquingKeysWith: { a, _ in a }))
        } else {
            sentence.say("rate", values)
        }
        if entry.action != "create" { sentence.text(" " + Self.phrase(entry.action)) }
    }

    func connectorRule(_ sentence: inout Writer) {
        let code = entry.action.hasPrefix("set ") ? String(entry.action.dropFirst(4)) : entry.action
        sentence.say("connector_rule", ["resource": .plain(resourceName(code: code))])
        if before.fields == nil {
            sentence.list(Self.differences(AuditState(nil), after))
        } else {
            let changes = Self.differences(before, after)
            sentence.list(changes.isEmpty ? [Self.phrase("unchanged")] : changes)
        }
    }

    func restriction(_ sentence: inout Writer) {
        switch entry.action {
        case "restrict":
            if let by = after.text("restricted_by") {
                sentence.say("restricted_by", ["by": .plain(by)])
            } else {
                sentence.say("restricted")
            }
            if let reason = after.text("reason") { sentence.text(": \(reason)") }
        case "lift":
            sentence.say("restriction_lifted")
            if let reason = before.text("reason") { sentence.text(" "); sentence.say("was", ["reason": .plain(reason)]) }
        default:
            generic(&sentence)
        }
    }

    func exception(_ sentence: inout Writer) {
        let plan = after.string ?? before.string ?? ""
        sentence.say("exception_did", ["plan": .plain(plan), "did": .plain(Self.phrase(entry.action))])
    }

    func promo(_ sentence: inout Writer) {
        let code = latest.text("code") ?? ""
        sentence.say("promo_did", ["code": .plain(code), "did": .plain(Self.phrase(entry.action))])
        if before.fields == nil {
            let details = [after.text("percent").map { Words.text("sentence.percent_off", ["percent": Self.shownText($0)]) },
                           after.text("valid_until").map { Words.text("sentence.until", ["date": Self.shownText($0)]) }].compactMap { $0 }
            if !details.isEmpty { sentence.text(": " + details.joined(separator: " ")) }
        } else {
            sentence.list(Self.differences(before, after))
        }
    }

    /// Any other type: "object #id verb: field a → b, …", or its recorded fields when created.
    func generic(_ sentence: inout Writer) {
        let object = Words.optional("object." + entry.objectType) ?? Self.label(entry.objectType)
        sentence.say("did", ["object": .plain(object + (entry.objectID.map { " #\($0)" } ?? "")), "did": .plain(Self.phrase(entry.action))])
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
    func resourceName(id: Int64) -> String { names.resourcesByID[id]?.name ?? Words.text("ref.resource", ["title": "#\(id)"]) }

    /// A plan's amount text with its currency (plans record amounts in their currency's digits, without the code).
    func money(_ amount: String) -> String {
        guard let currency = entry.objectID.flatMap({ names.plans[$0]?.currency }) else { return Self.shownText(amount) }
        return Self.amount("\(amount) \(currency)")
    }

    /// "1 month 20.00 USD, 12 months 216.00 USD".
    func periodFees(_ periods: [String: AuditValue]) -> [String] {
        periods.compactMap { key, value -> (Int, String)? in
            guard let months = Int(key.dropLast()), let fee = value.string else { return nil }
            return (months, Words.text(months == 1 ? "sentence.period_fee_one" : "sentence.period_fee",
                                       ["months": Format.number(Int64(months)), "fee": money(fee)]))
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Fee changes: "1-month fee 20.00 → 22.00 USD", "RAM monthly 2.50 → 3.00 USD".
    func priceChanges(_ from: [String: AuditValue], _ to: [String: AuditValue]) -> [String] {
        var clauses: [String] = []
        let oldPeriods = from["periods"]?.object ?? [:], newPeriods = to["periods"]?.object ?? [:]
        for key in Set(oldPeriods.keys).union(newPeriods.keys).sorted(by: { (Int($0.dropLast()) ?? 0) < (Int($1.dropLast()) ?? 0) }) {
            let old = oldPeriods[key]?.string, new = newPeriods[key]?.string
            guard old != new else { continue }
            let months = Self.shownText(String(key.dropLast()))
            switch (old, new) {
            case let (old?, new?): clauses.append(Words.text("sentence.period_fee_change", ["months": months, "from": Self.shownText(old), "to": money(new)]))
            case (nil, let new?): clauses.append(Words.text("sentence.period_added", ["months": months, "fee": money(new)]))
            default: clauses.append(Words.text("sentence.period_removed", ["months": months]))
            }
        }
        let oldFees = from["resources"]?.object ?? [:], newFees = to["resources"]?.object ?? [:]
        for key in Set(oldFees.keys).union(newFees.keys).sorted() {
            let name = Int64(key).map(resourceName(id:)) ?? key
            let old = oldFees[key]?.string.flatMap(ResourceFeesText.init), new = newFees[key]?.string.flatMap(ResourceFeesText.init)
            guard old != new else { continue }
            if let old, let new {
                if old.setup != new.setup {
                    clauses.append(Words.text("sentence.setup_change", ["name": name, "from": Self.shownText(old.setup), "to": money(new.setup)]))
                }
                if old.monthly != new.monthly {
                    clauses.append(Words.text("sentence.monthly_change", ["name": name, "from": Self.shownText(old.monthly), "to": money(new.monthly)]))
                }
            } else if let new {
                clauses.append(Words.text("sentence.resource_priced_first", ["name": name, "setup": money(new.setup), "monthly": money(new.monthly)]))
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
                if a.included != b.included {
                    clauses.append(Words.text("sentence.included_change", ["name": name, "from": Self.units(a.included), "to": Self.quantity(b.included, unit)]))
                }
                if a.limits != b.limits {
                    clauses.append(Words.text("sentence.limits_change", ["name": name, "from": Self.shownText(a.limits), "to": Self.shownText(b.limits)]))
                }
            case (nil, let b?): clauses.append(Words.text("sentence.resource_added_included", ["name": name, "quantity": Self.quantity(b.included, unit)]))
            case (_?, nil): clauses.append(Words.text("sentence.resource_removed", ["name": name]))
            case (nil, nil): break
            }
        }
        return clauses
    }

    static func units(_ value: Int64) -> String { value == -1 ? Words.text("value.unlimited") : Format.number(value) }

    static func quantity(_ value: Int64, _ unit: String) -> String {
        value == -1 || unit.isEmpty ? units(value) : "\(Format.number(value)) \(unit)"
    }

    /// "2026-01-01T00:00:00Z" → "2026-01-01 00:00 UTC" (in the reader's digits and months).
    static func timestamp(_ text: String) -> String {
        guard text.count >= 16, text.dropFirst(10).first == "T",
              let moment = Timestamps.parse(text) ?? Timestamps.parse(String(text.prefix(16)) + ":00Z") else { return text }
        return Format.dateTime(moment)
    }

    /// "2026-12-03–2027-01-03": each day in the reader's way.
    static func period(_ text: String) -> String {
        text.components(separatedBy: "–").map { Format.date($0) }.joined(separator: "–")
    }

    /// Money recorded as text ("24.00 USD", "1200 JPY") in the reader's way; anything else as it is.
    static func amount(_ text: String) -> String {
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[1].count == 3, parts[1].allSatisfy({ $0.isASCII && $0.isUppercase }),
              let value = decimal(parts[0]) else { return text }
        return Format.money(minor: value.minor, exponent: value.exponent, currency: String(parts[1]))
    }

    /// "-12.50" → (-1250, 2); nil unless a plain decimal of at most 18 digits.
    static func decimal(_ text: Substring) -> (minor: Int64, exponent: Int)? {
        let negative = text.hasPrefix("-")
        let digits = negative ? text.dropFirst() : text
        let halves = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = halves.first, !whole.isEmpty, halves.count == 1 || !halves[1].isEmpty,
              halves.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }), digits.count <= 18,
              let value = Int64(halves.joined()) else { return nil }
        return (negative ? -value : value, halves.count == 2 ? halves[1].count : 0)
    }

    /// A recorded value in the reader's way: a day, money, a number in its digits, a known word
    /// (a status, a role, a kind) in the reader's language; names and codes as they are.
    static func shownText(_ text: String) -> String {
        guard !text.isEmpty else { return Words.text("value.none") }
        if text.count == 10, text.split(separator: "-").count == 3, text.first?.isNumber == true { return Format.date(text) }
        if text.contains(" ") { return amount(text) }
        if text.first?.isNumber == true || text.first == "-", text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" || $0 == "–" }) {
            return Format.digits(text)
        }
        return value(text)
    }

    /// A known word (`active`, `operator`, `quantity`) in the reader's language, else as recorded.
    static func value(_ word: String) -> String {
        guard word.allSatisfy({ ("a"..."z").contains($0) || $0 == "_" || $0 == " " }) else { return word }
        return Words.optional("value." + word.replacingOccurrences(of: " ", with: "_")) ?? word
    }

    /// A plan's billing type: "monthly_commitment" → "monthly commitment".
    static func billingType(_ type: String) -> String {
        Words.optional("billing_type." + type) ?? type.replacingOccurrences(of: "_", with: " ")
    }

    /// An order's recorded summary ("Renewal 2027-01-03 → 2027-02-03") in the reader's language.
    static func summary(_ text: String) -> String {
        if text == "No change" { return Words.text("summary.no_change") }
        if text == "Cancellation, unused part refunded" { return Words.text("summary.cancellation") }
        if text.hasPrefix("Renewal "), let arrow = text.range(of: " → ") {
            let start = String(text[text.index(text.startIndex, offsetBy: 8)..<arrow.lowerBound]), end = String(text[arrow.upperBound...])
            return Words.text("summary.renewal", ["start": Format.date(start), "end": Format.date(end)])
        }
        if text.hasPrefix("New "), text.hasSuffix("-month period"), let comma = text.range(of: ", ", options: .backwards) {
            let plan = String(text[text.index(text.startIndex, offsetBy: 4)..<comma.lowerBound])
            let months = text[comma.upperBound...].dropLast("-month period".count)
            return Words.text("summary.new", ["plan": plan, "months": shownText(String(months))])
        }
        return text
    }

    /// "tax_rate" → "tax rate", or the field's name in the reader's language.
    static func label(_ key: String) -> String {
        Words.optional("field." + key.replacingOccurrences(of: " ", with: "_")) ?? key.replacingOccurrences(of: "_", with: " ")
    }

    static func shown(_ value: AuditValue?) -> String {
        guard let value else { return Words.text("value.none") }
        switch value {
        case .text(let text): return shownText(text)
        case .number(let number): return Format.number(number)
        case .flag(let flag): return Words.text(flag ? "value.yes" : "value.no")
        case .null: return Words.text("value.none")
        case .list(let items): return items.isEmpty ? Words.text("value.none") : items.map { shown($0) }.joined(separator: "; ")
        case .object(let fields):
            return fields.isEmpty ? Words.text("value.none") : fields.sorted { $0.key < $1.key }.map { "\(label($0.key)) \(shown($0.value))" }.joined(separator: "; ")
        }
    }

    /// "field a → b" for each field that differs (nested objects by their path), or "field value"
    /// for each recorded field when there is no before.
    static func differences(_ before: AuditState, _ after: AuditState, hidden: Set<String> = []) -> [String] {
        let old = flattened(before.fields ?? [:]), new = flattened(after.fields ?? [:])
        var clauses: [String] = []
        for key in Set(old.keys).union(new.keys).sorted() where !hidden.contains(key) && old[key] != new[key] {
            if before.fields == nil {
                clauses.append(Words.text("sentence.field_value", ["field": label(key), "value": shown(new[key])]))
            } else if after.fields == nil {
                clauses.append(Words.text("sentence.field_was", ["field": label(key), "value": shown(old[key])]))
            } else {
                clauses.append(Words.text("sentence.field_change", ["field": label(key), "from": shown(old[key]), "to": shown(new[key])]))
            }
        }
        if clauses.isEmpty, before.fields == nil, after.fields == nil, before.string != after.string {
            clauses.append([before.string, after.string].map { $0 ?? Words.text("value.none") }.joined(separator: " → "))
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
        let key: String
        switch action {
        case "cancel at period end": key = "cancel_at_period_end"
        case "schedule for renewal": key = "schedule_for_renewal"
        case "suspend: renewal unpaid": key = "suspend_renewal_unpaid"
        case "cancelled at period end": key = "cancelled_at_period_end"
        case "activate": key = "reactivate"
        default: key = action
        }
        return Words.optional("action." + key) ?? action.replacingOccurrences(of: "_", with: " ")
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
