import SQLKit

/// One result row, decodable column by column or as a whole model through SQLKit.
public struct MariaDBRow: SQLRow, Sendable {
    public let columns: MariaDBColumns
    public let values: [MariaDBData]

    public init(columns: MariaDBColumns, values: [MariaDBData]) {
        self.columns = columns
        self.values = values
    }

    public var allColumns: [String] { columns.names }

    public func contains(column: String) -> Bool { columns.position(of: column) != nil }

    /// The raw value of a column, or nil when the row has no such column.
    public subscript(column: String) -> MariaDBData? {
        columns.position(of: column).map { values[$0] }
    }

    public func decodeNil(column: String) throws -> Bool {
        try value(column).isNull
    }

    public func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        try MariaDBDataDecoder.decode(D.self, from: value(column), column: column)
    }

    private func value(_ column: String) throws -> MariaDBData {
        guard let index = columns.position(of: column) else {
            throw DecodingError.keyNotFound(
                SQLCodingKey(stringValue: column),
                .init(codingPath: [], debugDescription: "no column '\(column)' in \(columns.names)")
            )
        }
        return values[index]
    }
}

struct SQLCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
