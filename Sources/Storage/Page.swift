/// One page of a newest-first list; `nextCursor` is the id to continue below.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: Int64?

    public init(items: [Item], nextCursor: Int64?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

public struct PageRequest: Sendable {
    public var limit: Int
    /// Items with ids below this one; nil for the first page.
    public var cursor: Int64?

    public init(limit: Int = 25, cursor: Int64? = nil) {
        self.limit = min(max(limit, 1), 200)
        self.cursor = cursor
    }
}

extension Page {
    /// From `limit + 1` fetched rows, newest first: the extra row only says a next page exists.
    public init(fetched: [Item], limit: Int, id: (Item) -> Int64) {
        var items = fetched
        var next: Int64?
        if items.count > limit {
            items.removeLast(items.count - limit)
            next = items.last.map(id)
        }
        self.init(items: items, nextCursor: next)
    }
}
