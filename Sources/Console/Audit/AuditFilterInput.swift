import Commerce
import Foundation
import Localization
import Storage

/// The audit list's filters as typed, for the page and `GET /api/v1/audit` alike: `account` (a name
/// search), `account_id`, `object_type`, `user` (an email or name search, or `system`), `from` and
/// `to` (UTC dates, both inclusive). Each is bounded; a bad one is an error naming it.
struct AuditFilterInput: Sendable {
    var account = ""
    var accountID = ""
    var objectType = ""
    var user = ""
    var from = ""
    var to = ""

    static let nameSearchLength = 100
    static let userSearchLength = 254
    static let objectTypeLength = 50

    init(query: (String) -> String?) {
        account = query("account") ?? ""
        accountID = query("account_id") ?? ""
        objectType = query("object_type") ?? ""
        user = query("user") ?? ""
        from = query("from") ?? ""
        to = query("to") ?? ""
    }

    /// The filter, or the fields that are wrong.
    func filter() -> Result<AuditLog.Filter, ValidationErrors> {
        var errors = ValidationErrors()
        var filter = AuditLog.Filter()
        func text(_ field: String, _ raw: String, _ maximum: Int) -> String? {
            do {
                let text = try PlainText.parse(raw, maximumLength: maximum)
                return text.isEmpty ? nil : text
            } catch {
                errors.add(field, .init("error.field.problem", ["field": .text(field), "problem": .text(error.description)]))
                return nil
            }
        }
        filter.accountName = text("account", account, Self.nameSearchLength)
        filter.user = text("user", user, Self.userSearchLength)
        if !accountID.isEmpty {
            do { filter.accountID = try RecordID.parse(accountID).value } catch { errors.add("account_id", .init("error.field.problem", ["field": .text("account_id"), "problem": .text(error.description)])) }
        }
        if let type = text("object_type", objectType, Self.objectTypeLength) {
            if type.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) }) {
                filter.objectType = type
            } else {
                errors.add("object_type", .init("error.audit.object_type"))
            }
        }
        func date(_ field: String, _ raw: String) -> BusinessDate? {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return nil }
            guard let date = BusinessDate(trimmed), (1970...9998).contains(date.year) else {
                errors.add(field, .init("error.audit.date", ["field": .text(field)]))
                return nil
            }
            return date
        }
        filter.from = date("from", from)
        filter.through = date("to", to)
        if let from = filter.from, let through = filter.through, through < from {
            errors.add("to", .init("error.audit.to_before_from", ["from": .text("\(from)")]))
        }
        return errors.isEmpty ? .success(filter) : .failure(errors)
    }

    /// The filters as query parameters (for the next page's link), empty ones left out.
    var queryString: String {
        [("account", account), ("account_id", accountID), ("object_type", objectType), ("user", user), ("from", from), ("to", to)]
            .filter { !$0.1.isEmpty }
            .map { "&\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined()
    }
}
