import Foundation

/// An `application/x-www-form-urlencoded` body as a dictionary (the last value of a name wins).
struct FormData: Sendable {
    private(set) var values: [String: String] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            values[name] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
    }

    private static func decode(_ text: Substring) -> String {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
    }

    subscript(name: String) -> String? { values[name] }

    mutating func set(_ name: String, _ value: String) { values[name] = value }

    /// The trimmed value, or "" when absent.
    func text(_ name: String) -> String { (values[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
}
