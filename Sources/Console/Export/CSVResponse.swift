import Commerce
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A list as a streamed CSV answer (issue 16, item 2): `text/csv; charset=utf-8; header=present`,
/// an attachment named after the list and the day (UTC), the header row first, then each batch
/// written as soon as it is read, so memory holds one batch whatever the list's length.
///
/// Column names are the JSON fields' snake_case codes, never translated: the file is for machines
/// (spreadsheets, scripts) and stays the same in every language. Money is decimal text in the
/// currency's minor digits beside a `currency` column; times are UTC ISO 8601 to the second.
enum CSVResponse {
    static let contentType = "text/csv; charset=utf-8; header=present"

    /// Whether the caller asked for CSV: `text/csv` listed with q > 0 and `application/json` not
    /// preferred over it. Anything else keeps the JSON answer it has today.
    static func wanted(_ request: Request) -> Bool {
        let accept = request.headers[values: .accept].joined(separator: ",")
        guard !accept.isEmpty else { return false }
        var csv: Double?
        var json: Double?
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = parts.first else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if type == "text/csv" { csv = max(csv ?? 0, q) }
            if type == "application/json" { json = max(json ?? 0, q) }
        }
        guard let csv, csv > 0 else { return false }
        return csv >= (json ?? 0)
    }

    /// `subscriptions-2026-12-03.csv`
    static func filename(_ list: String, on day: Date = Date()) -> String {
        "\(list)-\(CSVCells.day(day)).csv"
    }

    /// The answer; `rows` hands each batch to `emit`. The status is sent before the first row, so a
    /// failure half way (the database gone, a statement timing out) cannot become an error answer:
    /// it is logged with the request id and the connection is closed without the chunked body's
    /// end, so the client sees a truncated transfer (curl: "transfer closed with outstanding read
    /// data") rather than a file that looks complete.
    static func stream(
        list: String, header: [String], logger: Logger,
        rows: @escaping @Sendable (_ emit: ([[String]]) async throws -> Void) async throws -> Void
    ) -> Response {
        let body = ResponseBody { writer in
            var written = 0
            do {
                try await writer.write(ByteBuffer(string: CSVText.record(header)))
                try await rows { batch in
                    var text = ""
                    text.reserveCapacity(batch.count * 128)
                    for row in batch { text += CSVText.record(row) }
                    try await writer.write(ByteBuffer(string: text))
                    written += batch.count
                }
                try await writer.finish(nil)
            } catch {
                logger.error("CSV export ended early: the client receives a truncated file", metadata: [
                    "export.list": .string(list), "export.rows_written": .stringConvertible(written), "error": .string(String(reflecting: error)),
                ])
                throw error
            }
        }
        return Response(status: .ok, headers: [
            .contentType: contentType,
            .contentDisposition: "attachment; filename=\"\(filename(list))\"",
            .cacheControl: "no-store",
        ], body: body)
    }
}

/// Cells as the exports write them.
enum CSVCells {
    static func id(_ value: Int64?) -> String { value.map(String.init) ?? "" }
    static func bool(_ value: Bool) -> String { value ? "true" : "false" }

    /// `2026-12-03` (UTC).
    static func day(_ date: Date) -> String { time(date).prefix(10).description }

    /// `2026-12-03T14:05:09Z`: UTC ISO 8601, to the second; empty for none.
    static func time(_ date: Date?) -> String {
        guard let date else { return "" }
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let civil = BusinessDate(ordinal: Int(days))
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(civil)T\(two(secondOfDay / 3_600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}
