/// A whole list for an export, read in keyset batches through the list's own query: each batch is
/// one short statement (plus the list's own hydration), `id < last` newest first like every page,
/// with the list's filters and tenant scope exactly as its page applies them. Nothing but the
/// current batch is held, and no transaction spans batches (a row written meanwhile may or may not
/// appear, as on paging by hand).
public enum ListExport {
    /// Rows per statement: large enough that a million rows take 500 statements, small enough that a
    /// batch is a few hundred kilobytes.
    public static let batchSize = 2_000

    /// Calls `body` with each batch in list order until the list ends.
    public static func forEachBatch<Item: Sendable>(
        size: Int = batchSize, _ fetch: (PageRequest) async throws -> Page<Item>, _ body: ([Item]) async throws -> Void
    ) async throws {
        var cursor: Int64?
        repeat {
            var request = PageRequest(cursor: cursor)
            // Past the API's 200: the export is the one reader that wants whole batches.
            request.limit = max(1, size)
            let page = try await fetch(request)
            if !page.items.isEmpty { try await body(page.items) }
            cursor = page.nextCursor
        } while cursor != nil
    }
}
