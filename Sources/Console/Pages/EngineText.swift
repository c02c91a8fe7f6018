import Foundation
import Localization

/// The texts the order engine writes into orders, invoices and the credit log (line descriptions,
/// order summaries, credit reasons) are stored in English, the language of the API and the audit
/// log. Pages show them in the reader's language: each form the engine writes is matched here and
/// said again from the catalog (`engine_text.*`), numbers and days formatted for the language.
/// A text of no known form (a reason typed by staff, a vendor's answer) is shown as it is.
enum EngineText {
    static func localized(_ text: String, in language: Language = Language.current) -> String {
        guard language != .en, !text.isEmpty else { return text }
        for form in forms {
            if let match = try? form.pattern.wholeMatch(in: text) {
                let captured = match.output.dropFirst().map { $0.substring.map(String.init) ?? "" }
                return Catalogs.shared.render(LocalizedText(form.key, form.arguments(captured, language)), in: language)
            }
        }
        return quantities(text, in: language) ?? text
    }

    /// A change's summary, "ram_gb 4 → 6, cpu_core unlimited": the numbers in the language's digits.
    private static func quantities(_ text: String, in language: Language) -> String? {
        var parts: [String] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let words = part.split(separator: " ").map(String.init)
            if words.count == 2, words[1] == "unlimited" {
                parts.append("\(words[0]) \(Catalogs.shared.render(LocalizedText("common.unlimited"), in: language))")
            } else if words.count == 4, words[2] == "→", let before = Int64(words[1]), let after = Int64(words[3]) {
                parts.append("\(words[0]) \(Format.number(before, in: language)) → \(Format.number(after, in: language))")
            } else {
                return nil
            }
        }
        return parts.joined(separator: ", ")
    }

    private struct Form: @unchecked Sendable {
        let key: String
        let pattern: Regex<AnyRegexOutput>
        let arguments: ([String], Language) -> [String: LocalizedText.Argument]
    }

    private static func number(_ text: String) -> LocalizedText.Argument { Int64(text).map { .number($0) } ?? .text(text) }
    private static func day(_ text: String, _ language: Language) -> LocalizedText.Argument { .text(Format.date(text, in: language)) }
    private static func status(_ raw: String, _ language: Language) -> LocalizedText.Argument {
        .text(Catalogs.shared.render(LocalizedText("common.order_status." + raw), in: language))
    }
    /// A part that is itself engine text ("Order #7: Add 2 × ram_gb, 10 of 30 days").
    private static func nested(_ text: String, _ language: Language) -> LocalizedText.Argument { .text(localized(text, in: language)) }

    private static func form(_ key: String, _ pattern: String, _ arguments: @escaping ([String], Language) -> [String: LocalizedText.Argument]) -> Form {
        Form(key: key, pattern: try! Regex(pattern), arguments: arguments)
    }

    private static let date = #"(\d{4}-\d{2}-\d{2})"#
    private static let count = #"(-?\d+)"#
    private static let code = #"([a-z0-9_]+)"#

    /// The forms of `Commerce` (PeriodPricing, ChangePricing), `OrderEngine` (summaries, credit
    /// reasons) as they write them; the first that matches the whole text wins.
    private static let forms: [Form] = [
        form("engine_text.invoice_line", #"Order #(\d+): (.+)"#) { p, l in ["id": .text(p[0]), "line": nested(p[1], l)] },
        form("engine_text.units_months", "\(count) × \(code), (\\d+) months?") { p, _ in ["count": number(p[0]), "resource": .text(p[1]), "months": number(p[2])] },
        form("engine_text.setup_units", "Setup of \(count) × \(code)") { p, _ in ["count": number(p[0]), "resource": .text(p[1])] },
        form("engine_text.setup_one", "Setup of \(code)") { p, _ in ["resource": .text(p[0])] },
        form("engine_text.unused_fee", #"Unused subscription fee, (\d+) of (\d+) days"#) { p, _ in ["remaining": number(p[0]), "days": number(p[1])] },
        form("engine_text.unused_units", "Unused \(count) × \(code), (\\d+) of (\\d+) days") { p, _ in
            ["count": number(p[0]), "resource": .text(p[1]), "remaining": number(p[2]), "days": number(p[3])] },
        form("engine_text.add_units", "Add \(count) × \(code), (\\d+) of (\\d+) days") { p, _ in
            ["count": number(p[0]), "resource": .text(p[1]), "remaining": number(p[2]), "days": number(p[3])] },
        form("engine_text.remove_units", "Remove \(count) × \(code), (\\d+) of (\\d+) days") { p, _ in
            ["count": number(p[0]), "resource": .text(p[1]), "remaining": number(p[2]), "days": number(p[3])] },
        form("engine_text.upgrade_fee", "Upgrade fee \(code) → \(code)") { p, _ in ["from": .text(p[0]), "to": .text(p[1])] },
        form("engine_text.switch_days", "\(code) → \(code), (\\d+) of (\\d+) days") { p, _ in
            ["from": .text(p[0]), "to": .text(p[1]), "remaining": number(p[2]), "days": number(p[3])] },
        form("engine_text.plan_credit", #"Credit for the rest of the current plan, (\d+) of (\d+) days"#) { p, _ in ["remaining": number(p[0]), "days": number(p[1])] },
        form("engine_text.plan_rest", #"New plan for the rest of the period, (\d+) of (\d+) days"#) { p, _ in ["remaining": number(p[0]), "days": number(p[1])] },
        form("engine_text.plan_full", #"New plan, a full (\d+)-month period"#) { p, _ in ["months": number(p[0])] },
        form("engine_text.units_credit", "Credit for \(count) × \(code)") { p, _ in ["count": number(p[0]), "resource": .text(p[1])] },
        form("engine_text.units_new_plan", "\(count) × \(code) on the new plan") { p, _ in ["count": number(p[0]), "resource": .text(p[1])] },
        form("engine_text.used_part", #"The current period's used part, (\d+) of (\d+) days"#) { p, _ in ["used": number(p[0]), "days": number(p[1])] },
        form("engine_text.units_used", "\(count) × \(code), (\\d+) of (\\d+) days used") { p, _ in
            ["count": number(p[0]), "resource": .text(p[1]), "used": number(p[2]), "days": number(p[3])] },
        form("engine_text.paid_ahead", "The next period, paid ahead \\(\(date) → \(date)\\)") { p, l in ["start": day(p[0], l), "end": day(p[1], l)] },
        form("engine_text.first_period_after_trial", "(.+), first period after the trial \(date) → \(date)") { p, l in
            ["plan": .text(p[0]), "start": day(p[1], l), "end": day(p[2], l)] },
        form("engine_text.first_period", "(.+), first period \(date) → \(date)") { p, l in ["plan": .text(p[0]), "start": day(p[1], l), "end": day(p[2], l)] },
        form("engine_text.renewal_period", "(.+) renewal \(date) → \(date)") { p, l in ["plan": .text(p[0]), "start": day(p[1], l), "end": day(p[2], l)] },
        form("engine_text.plan_period", "(.+), period \(date) → \(date)") { p, l in ["plan": .text(p[0]), "start": day(p[1], l), "end": day(p[2], l)] },
        form("engine_text.period", " ?\(date) → \(date)") { p, l in ["start": day(p[0], l), "end": day(p[1], l)] },
        // Order summaries (ChangeRequest.summary, sales orders).
        form("engine_text.no_change", "No change") { _, _ in [:] },
        form("engine_text.renewal", "Renewal \(date) → \(date)") { p, l in ["start": day(p[0], l), "end": day(p[1], l)] },
        form("engine_text.cancellation", "Cancellation, unused part refunded") { _, _ in [:] },
        form("engine_text.new_trial", #"New (.+), (\d+)-month period, (\d+)-day trial first"#) { p, _ in ["plan": .text(p[0]), "months": number(p[1]), "days": number(p[2])] },
        form("engine_text.new_plan", #"New (.+), (\d+)-month period"#) { p, _ in ["plan": .text(p[0]), "months": number(p[1])] },
        form("engine_text.switch_plan_period", #"(.+) → (.+), (\d+)-month period"#) { p, l in
            ["from": .text(p[0]), "to": .text(p[1]), "months": number(p[2])] },
        form("engine_text.to_another_plan", #"(.+) → another plan"#) { p, _ in ["from": .text(p[0])] },
        // Credit log reasons.
        form("engine_text.refund_of_order", #"Refund of order #(\d+): (.+)"#) { p, l in ["id": .text(p[0]), "summary": nested(p[1], l)] },
        form("engine_text.not_provisioned", #"Order #(\d+) could not be provisioned: payment returned"#) { p, _ in ["id": .text(p[0])] },
        form("engine_text.paid_invoice", #"Paid invoice (\S+)"#) { p, _ in ["number": .text(p[0])] },
        form("engine_text.part_paid_returned", #"Order #(\d+) ([a-z_]+): part paid on (\S+) returned"#) { p, l in
            ["id": .text(p[0]), "status": status(p[1], l), "number": .text(p[2])] },
        form("engine_text.card_returned", #"Card payment #(\d+) for invoice (\S+), which is ([a-z_]+): returned as credit"#) { p, l in
            ["id": .text(p[0]), "number": .text(p[1]), "status": .text(Catalogs.shared.render(LocalizedText("common.invoice_status." + p[2]), in: l))] },
        form("engine_text.postpaid_balance", "Postpaid period \(date) → \(date): credit balance") { p, l in ["start": day(p[0], l), "end": day(p[1], l)] },
    ]
}
