import Foundation
import Localization
import Mustache
import Storage

/// One audit entry as the pages show it: its sentence (ids linked), and the raw before/after
/// behind a "details" toggle.
struct AuditRow {
    let id: Int64
    let when: String
    let actor: String
    let accountName: String
    let accountHref: String
    let object: String
    let action: String
    let sentence: [AuditSentencePart]
    let before: String?
    let after: String?
    let hasDetails: Bool
    let address: String

    init(_ item: AuditFeed.Item) {
        let entry = item.entry
        id = entry.id
        when = Format.dateTime(entry.occurredAt)
        actor = entry.actor
        accountName = entry.accountName
        accountHref = URLs.account(entry.accountID).path
        object = entry.objectType + (entry.objectID.map { " #\($0)" } ?? "")
        action = entry.action
        sentence = item.sentence.parts.map { AuditSentencePart(text: $0.text, href: $0.link?.path) }
        before = entry.before
        after = entry.after
        hasDetails = entry.before != nil || entry.after != nil
        address = entry.address
    }
}

/// A run of a sentence's words, a link when `href` is set.
struct AuditSentencePart {
    let text: String
    let href: String?
}

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

extension AuditRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "when": when
        case "actor": actor
        case "accountName": accountName
        case "accountHref": accountHref
        case "object": object
        case "action": action
        case "sentence": sentence
        case "before": before
        case "after": after
        case "hasDetails": hasDetails
        case "address": address
        default: nil
        }
    }
}

extension AuditSentencePart: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "text": text
        case "href": href
        default: nil
        }
    }
}
