import Commerce
import Foundation
import Localization
import MariaDB

/// One reseller level of a new order: what the reseller owes its parent and what it sold at (plan currency).
public struct UpstreamLevel: Sendable, Equatable {
    public var reseller: Account
    public var parentID: Int64
    public var currency: Currency
    public var amount: Int64
    public var sold: Int64

    public init(reseller: Account, parentID: Int64, currency: Currency, amount: Int64, sold: Int64) {
        self.reseller = reseller
        self.parentID = parentID
        self.currency = currency
        self.amount = amount
        self.sold = sold
    }
}

/// One renewal of a billing run's batch: the order (with its renewal key), its upstream levels and
/// what its audit entry says.
public struct RenewalDraft: Sendable {
    public var order: NewOrder
    public var levels: [UpstreamLevel]
    public var audit: [String: String]

    public init(order: NewOrder, levels: [UpstreamLevel], audit: [String: String]) {
        self.order = order
        self.levels = levels
        self.audit = audit
    }
}

/// Writes the renewal orders of a batch the way `OrderWriter.insert` writes one (the same rows:
/// order, lines, invoice with its lines, upstream levels, audit), in one multi-row statement per
/// table inside the caller's transaction. Invoice numbers are taken last, just before the commit,
/// so each seller's counter row is held for the shortest time.
public enum RenewalBatchWriter {
    /// Placeholders one statement may carry (the protocol's limit is 65,535).
    static let maximumBinds = 60_000

    /// Answers the order ids in the drafts' order. Every draft is a renewal (it has a `renewalKey`).
    public static func insert(_ drafts: [RenewalDraft], on tx: MariaDBDatabase) async throws -> [Int64] {
        guard !drafts.isEmpty else { return [] }
        let keys = try drafts.map { draft -> String in
            guard let key = draft.order.renewalKey, !draft.order.billNow else { throw StoreError.invalid(field: "renewal_key", message: .init("error.internal.renewal_batch")) }
            return key
        }
        // A system actor: `created_by` NULL.
        try await insertRows(into: "orders (\(OrderWriter.orderColumns), created_at, created_by, updated_at)",
                             row: "(\(OrderWriter.orderMarks), UTC_TIMESTAMP(6), NULL, UTC_TIMESTAMP(6))",
                             drafts.map { OrderWriter.orderValues($0.order) }, on: tx)
        // Ids are read back by their unique keys: under Galera (auto_increment_increment) they are not consecutive.
        var idByKey: [String: Int64] = [:]
        for row in try await tx.rows("SELECT id, renewal_key FROM orders WHERE renewal_key IN (\(marks(keys.count)))", keys.map { .string($0) }) {
            idByKey[try row.decode(column: "renewal_key", as: String.self)] = try row.decode(column: "id", as: Int64.self)
        }
        let ids = try keys.map { key -> Int64 in
            guard let id = idByKey[key] else { throw StoreError.conflict(code: "renewal_lost", message: .init("error.internal.renewal_lost", ["key": .text(key)])) }
            return id
        }
        try await insertRows(into: "order_lines (\(OrderWriter.lineColumns))", row: OrderWriter.lineRow,
                             zip(ids, drafts).flatMap { id, draft in OrderWriter.lineValues(draft.order.quote, order: id) }, on: tx)
        try await insertRows(into: "order_upstream (order_id, reseller_id, reseller_path, parent_id, currency, currency_exponent, amount, sold)",
                             row: "(?, ?, ?, ?, ?, ?, ?, ?)",
                             zip(ids, drafts).flatMap { id, draft in
                                 draft.levels.map { level -> [MariaDBData] in
                                     [.int(id), .int(level.reseller.id), .string(level.reseller.path), .int(level.parentID), .string(level.currency.code),
                                      .int(Int64(level.currency.exponent)), .int(level.amount), .int(level.sold)]
                                 }
                             }, on: tx)
        try await AuditLog.recordSystem(zip(ids, drafts).map { id, draft in
            AuditLog.SystemEntry(account: draft.order.customer, objectType: "order", objectID: id, action: "renewal issued", after: draft.audit)
        }, on: tx)
        try await Outbox.record(on: tx, try zip(ids, drafts).map { id, draft in try .renewalDue(draft.order, orderID: id) })
        // Last, just before the commit: the invoices, numbered under their sellers' counter rows.
        let invoiced = zip(ids, drafts).filter { $0.1.order.issueInvoice }
        if !invoiced.isEmpty {
            _ = try await InvoiceStore.issueAll(invoiced.map { id, draft in
                let new = draft.order, charged = new.quote.charged
                return InvoiceDraft(
                    sellerID: new.sellerID, customer: new.customer, orderID: id, subscriptionID: new.subscriptionID, currency: charged.currency,
                    subtotal: charged.subtotal, discount: charged.discount, tax: charged.tax, total: charged.total, taxRate: new.customer.taxRate,
                    pricesIncludeTaxes: new.plan.pricesIncludeTaxes, issuedOn: new.today,
                    lines: new.quote.lines.indices.map { index in
                        Invoice.Line(position: index + 1, description: "Order #\(id): \(new.quote.lines[index].description)", amount: charged.lines[index],
                                     discount: charged.discounts[index])
                    })
            }, on: tx)
            let orderIDs = invoiced.map { $0.0 }
            try await tx.query("UPDATE orders o JOIN invoices i ON i.order_id = o.id SET o.invoice_id = i.id WHERE o.id IN (\(marks(orderIDs.count)))",
                               orderIDs.map { .int($0) })
        }
        return ids
    }

    /// `INSERT INTO table (columns) VALUES row, row, …`, in as few statements as the placeholder limit allows.
    static func insertRows(into table: String, row: String, _ rows: [[MariaDBData]], on tx: MariaDBDatabase) async throws {
        guard let width = rows.first?.count, width > 0 else { return }
        let perStatement = max(1, maximumBinds / width)
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + perStatement)]
            try await tx.query("INSERT INTO \(table) VALUES " + Array(repeating: row, count: chunk.count).joined(separator: ", "), chunk.flatMap { $0 })
            start += chunk.count
        }
    }

    static func marks(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }
}

extension InvoiceStore {
    /// Issues several invoices inside the caller's transaction, as `issue` does one: each seller's
    /// counter row moves once by its count and stays locked until the transaction ends, so numbers
    /// are gapless (a rollback takes them all back). Sellers are locked in id order. Answers the
    /// invoice ids in the drafts' order.
    public static func issueAll(_ drafts: [InvoiceDraft], on tx: MariaDBDatabase) async throws -> [Int64] {
        guard !drafts.isEmpty else { return [] }
        var counts: [Int64: Int64] = [:]
        for draft in drafts { counts[draft.sellerID, default: 0] += 1 }
        let sellers = counts.keys.sorted()
        try await tx.query(
            "INSERT INTO invoice_counters (seller_id, last_number) VALUES \(Array(repeating: "(?, ?)", count: sellers.count).joined(separator: ", ")) "
                + "ON DUPLICATE KEY UPDATE last_number = last_number + VALUES(last_number)",
            sellers.flatMap { [.int($0), .int(counts[$0]!)] as [MariaDBData] })
        var next: [Int64: Int64] = [:]
        for row in try await tx.rows("SELECT seller_id, last_number FROM invoice_counters WHERE seller_id IN (\(RenewalBatchWriter.marks(sellers.count)))",
                                     sellers.map { .int($0) }) {
            let seller = try row.decode(column: "seller_id", as: Int64.self)
            next[seller] = try row.decode(column: "last_number", as: Int64.self) - counts[seller, default: 0] + 1
        }
        var numbers: [Int64] = []
        for draft in drafts {
            guard let number = next[draft.sellerID] else { throw StoreError.conflict(code: "invoice_counter", message: .init("error.internal.invoice_counter", ["seller": .text(String(draft.sellerID))])) }
            numbers.append(number)
            next[draft.sellerID] = number + 1
        }
        try await RenewalBatchWriter.insertRows(
            into: "invoices (seller_id, number, customer_id, customer_path, order_id, subscription_id, period_key, currency, currency_exponent, "
                + "subtotal, discount, tax, total, tax_rate, prices_include_taxes, status, issued_on, created_at, created_by)",
            row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), NULL)",
            zip(drafts, numbers).map { draft, number -> [MariaDBData] in
                [.int(draft.sellerID), .int(number), .int(draft.customer.id), .string(draft.customer.path), draft.orderID.map { .int($0) } ?? .null,
                 draft.subscriptionID.map { .int($0) } ?? .null, draft.periodKey.map { .string($0) } ?? .null,
                 .string(draft.currency.code), .int(Int64(draft.currency.exponent)), .int(draft.subtotal), .int(draft.discount), .int(draft.tax),
                 .int(draft.total), .string(draft.taxRate), draft.pricesIncludeTaxes.mariaDBData,
                 .string(draft.total <= 0 ? InvoiceStatus.paid.rawValue : InvoiceStatus.unpaid.rawValue), draft.issuedOn.mariaDB]
            }, on: tx)
        // Read back by (seller, number), the unique key: one range per seller.
        var ranges: [(seller: Int64, first: Int64, last: Int64)] = []
        for seller in sellers { ranges.append((seller, next[seller]! - counts[seller]!, next[seller]! - 1)) }
        var idByNumber: [String: Int64] = [:]
        for row in try await tx.rows(
            "SELECT id, seller_id, number FROM invoices WHERE " + Array(repeating: "(seller_id = ? AND number BETWEEN ? AND ?)", count: ranges.count).joined(separator: " OR "),
            ranges.flatMap { [.int($0.seller), .int($0.first), .int($0.last)] as [MariaDBData] }) {
            idByNumber["\(try row.decode(column: "seller_id", as: Int64.self))/\(try row.decode(column: "number", as: Int64.self))"] = try row.decode(column: "id", as: Int64.self)
        }
        let ids = try zip(drafts, numbers).map { draft, number -> Int64 in
            guard let id = idByNumber["\(draft.sellerID)/\(number)"] else { throw StoreError.conflict(code: "invoice_lost", message: .init("error.internal.invoice_lost", ["number": .text(String(number)), "seller": .text(String(draft.sellerID))])) }
            return id
        }
        try await RenewalBatchWriter.insertRows(
            into: "invoice_lines (invoice_id, position, description, amount, discount)", row: "(?, ?, ?, ?, ?)",
            zip(ids, drafts).flatMap { id, draft in
                draft.lines.map { line -> [MariaDBData] in
                    [.int(id), .int(Int64(line.position)), .string(line.description.scalarPrefix(500)), .int(line.amount), .int(line.discount)]
                }
            }, on: tx)
        try await Outbox.record(on: tx, try zip(ids, zip(drafts, numbers)).map { id, invoice in try .invoiceIssued(id, invoice.0, number: invoice.1) })
        return ids
    }
}

extension AuditLog {
    /// An entry of the system (no user: a worker or the billing run) with only an after state.
    public struct SystemEntry: Sendable {
        public var account: Account
        public var objectType: String
        public var objectID: Int64?
        public var action: String
        public var after: [String: String]

        public init(account: Account, objectType: String, objectID: Int64?, action: String, after: [String: String]) {
            self.account = account
            self.objectType = objectType
            self.objectID = objectID
            self.action = action
            self.after = after
        }
    }

    /// Records several system entries in one statement, as `record` records each (inside the caller's transaction).
    public static func recordSystem(_ entries: [SystemEntry], on tx: MariaDBDatabase) async throws {
        try await RenewalBatchWriter.insertRows(
            into: "audit_log (occurred_at, actor_user_id, actor_email, actor_account_id, account_id, account_path, object_type, object_id, action, "
                + "before_state, after_state, address)",
            row: "(UTC_TIMESTAMP(6), NULL, 'system', NULL, ?, ?, ?, ?, ?, NULL, ?, '')",
            try entries.map { entry -> [MariaDBData] in
                [.int(entry.account.id), .string(entry.account.path), .string(entry.objectType), entry.objectID.map { .int($0) } ?? .null,
                 .string(entry.action), .string(String(decoding: try encoder.encode(entry.after), as: UTF8.self))]
            }, on: tx)
    }
}
