import MariaDB
import Storage

/// Audit entries with their sentences, for every place a person or an integration reads the log:
/// the audit page, `GET /api/v1/audit`, the dashboard and a subscription's history. The names the
/// sentences need are read once per page (`AuditLog.names`), never per entry.
enum AuditFeed {
    struct Item: Sendable {
        let entry: AuditLog.Entry
        let sentence: AuditSentence
    }

    static func page(on db: MariaDBDatabase, in scope: TenantScope, filter: AuditLog.Filter = .init(),
                     page: PageRequest) async throws -> Page<Item> {
        let listed = try await AuditLog.list(on: db, in: scope, filter: filter, page: page)
        let sentences = try await sentences(of: listed.items, on: db)
        return Page(items: zip(listed.items, sentences).map(Item.init), nextCursor: listed.nextCursor)
    }

    static func sentences(of entries: [AuditLog.Entry], on db: MariaDBDatabase) async throws -> [AuditSentence] {
        let facts = entries.map(AuditFacts.init)
        let wanted = AuditVocabulary.references(of: facts)
        var vocabulary = AuditVocabulary()
        if !wanted.isEmpty {
            let found = try await AuditLog.names(resourceIDs: wanted.resourceIDs, resourceCodes: wanted.resourceCodes, planIDs: wanted.planIDs, on: db)
            vocabulary = AuditVocabulary(
                resources: found.resources,
                plans: Dictionary(found.plans.map { ($0.id, AuditVocabulary.Plan(name: $0.name, currency: $0.currency)) }, uniquingKeysWith: { a, _ in a }))
        }
        return facts.map { AuditSentence.of($0, names: vocabulary) }
    }

    /// The object types a person can filter by, with their labels.
    static let objectTypes: [(value: String, label: String)] = [
        ("account", "Accounts"), ("user", "Users"), ("subscription", "Subscriptions"), ("order", "Orders"),
        ("invoice", "Invoices and payments"), ("credit_entry", "Credit adjustments"), ("plan", "Plans"), ("price_list", "Price lists"),
        ("plan_delegation", "Plan delegations"), ("promo_code", "Promo codes"), ("restriction", "Restrictions"),
        ("restriction_exception", "Restriction exceptions"), ("resource", "Resources"), ("resource_upgrade", "Resource upgrades"),
        ("currency", "Currencies"), ("currency_rate", "Currency rates"), ("connector_rule", "Connector rules"),
        ("brand", "Branding"), ("webhook", "Webhooks"),
    ]
}

extension AuditFacts {
    init(_ entry: AuditLog.Entry) {
        self.init(objectType: entry.objectType, objectID: entry.objectID, action: entry.action, accountID: entry.accountID,
                  accountName: entry.accountName, actor: entry.actor, before: entry.before, after: entry.after)
    }
}
