import Foundation
import MariaDB

/// What closing an order does to its invoice (inside the closing transaction).
extension InvoiceStore {
    /// What succeeded payments have paid of an invoice.
    public static func paid(_ invoiceID: Int64, on tx: MariaDBDatabase) async throws -> Int64 {
        try await tx.rows(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) AS paid FROM payments WHERE invoice_id = ? AND status = 'succeeded'", [.int(invoiceID)])[0]
            .decode(column: "paid", as: Int64.self)
    }

    /// Locks the invoice's row and answers its number as people read it (`#id` if it is gone).
    public static func lockedNumber(_ invoiceID: Int64, on tx: MariaDBDatabase) async throws -> String {
        try await tx.rows("SELECT seller_id, number FROM invoices WHERE id = ? FOR UPDATE", [.int(invoiceID)]).first
            .map { Invoice.displayNumber(seller: try $0.decode(column: "seller_id", as: Int64.self), number: try $0.decode(column: "number", as: Int64.self)) }
            ?? "#\(invoiceID)"
    }

    public static func cancel(_ invoiceID: Int64, on tx: MariaDBDatabase) async throws {
        try await tx.query("UPDATE invoices SET status = 'cancelled', cancelled_at = UTC_TIMESTAMP(6) WHERE id = ?", [.int(invoiceID)])
    }

    /// Whether the postpaid invoice of a period (its `period_key`) is issued already.
    public static func isIssued(periodKey: String, on tx: MariaDBDatabase) async throws -> Bool {
        try await !tx.rows("SELECT id FROM invoices WHERE period_key = ?", [.string(periodKey)]).isEmpty
    }
}
