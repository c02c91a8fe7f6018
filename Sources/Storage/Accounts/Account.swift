import Foundation
import MariaDB

public enum AccountStatus: String, Codable, Sendable, CaseIterable {
    case active, suspended, closed
}

/// A node of the accounts tree: the provider, a reseller, or a customer.
public struct Account: Sendable, Equatable, Codable {
    public var id: Int64
    public var parentID: Int64?
    public var kind: AccountKind
    public var name: String
    public var path: String
    public var depth: Int
    public var currency: String
    /// Exact decimal text, e.g. `"0.200000"`.
    public var taxRate: String
    public var status: AccountStatus
    public var contactName: String
    public var contactEmail: String
    public var contactPhone: String
    public var address: String
    public var createdAt: Date
    public var updatedAt: Date
    /// When the status last changed (suspended, lifted, closed) and by which user; nil until it first does.
    public var statusChangedAt: Date?
    public var statusChangedBy: Int64?

    static let columns = "id, parent_id, kind, name, path, depth, currency, tax_rate, status, contact_name, contact_email, contact_phone, address, created_at, updated_at, status_changed_at, status_changed_by"

    init(row: MariaDBRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        parentID = try row.decode(column: "parent_id", as: Int64?.self)
        kind = AccountKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .customer
        name = try row.decode(column: "name", as: String.self)
        path = try row.decode(column: "path", as: String.self)
        depth = try row.decode(column: "depth", as: Int.self)
        currency = try row.decode(column: "currency", as: String.self)
        taxRate = try row.decode(column: "tax_rate", as: String.self)
        status = AccountStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .active
        contactName = try row.decode(column: "contact_name", as: String.self)
        contactEmail = try row.decode(column: "contact_email", as: String.self)
        contactPhone = try row.decode(column: "contact_phone", as: String.self)
        address = try row.decode(column: "address", as: String.self)
        createdAt = try row.decode(column: "created_at", as: Date.self)
        updatedAt = try row.decode(column: "updated_at", as: Date.self)
        statusChangedAt = try row.decode(column: "status_changed_at", as: Date?.self)
        statusChangedBy = try row.decode(column: "status_changed_by", as: Int64?.self)
    }

    /// The tax rate as typed by people: `"0.20"`, `"0.075"`, `"0.00"`.
    public var taxRateDisplay: String { TaxRate.display(taxRate) }

    /// Ids from the root down to this account, itself included.
    public var ancestry: [Int64] { path.split(separator: "/").compactMap { Int64($0) } }
}

/// What a new account is made from.
public struct AccountDraft: Sendable {
    public var kind: AccountKind
    public var parentID: Int64
    public var name: String
    public var currency: String
    public var taxRate: String
    public var contactName: String
    public var contactEmail: String
    public var contactPhone: String
    public var address: String

    public init(kind: AccountKind, parentID: Int64, name: String, currency: String, taxRate: String,
                contactName: String = "", contactEmail: String = "", contactPhone: String = "", address: String = "") {
        self.kind = kind
        self.parentID = parentID
        self.name = name
        self.currency = currency
        self.taxRate = taxRate
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.contactPhone = contactPhone
        self.address = address
    }
}

/// Tax rates are fractions (`0.20` is 20 %), 0 ≤ rate < 1, with at most 6 decimals, kept exact.
public enum TaxRate {
    public static func parse(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, whole == "0",
              parts.count == 1 || (1...6).contains(parts[1].count),
              parts.dropFirst().allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        return trimmed
    }

    /// `"0.200000"` → `"0.20"`: trailing zeros dropped, at least two decimals kept.
    public static func display(_ stored: String) -> String {
        guard let dot = stored.firstIndex(of: ".") else { return stored + ".00" }
        var decimals = String(stored[stored.index(after: dot)...])
        while decimals.count > 2 && decimals.hasSuffix("0") { decimals.removeLast() }
        while decimals.count < 2 { decimals += "0" }
        return String(stored[..<dot]) + "." + decimals
    }
}
