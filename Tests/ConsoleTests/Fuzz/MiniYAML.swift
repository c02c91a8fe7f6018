import Foundation

/// Just enough YAML to read `openapi/openapi.yaml`: block maps and lists, flow lists and maps
/// (possibly over several lines), quoted and plain scalars, `|`/`>` block scalars, full-line comments.
indirect enum YAML: Equatable {
    case map([(key: String, value: YAML)])
    case list([YAML])
    case scalar(String)
    case null

    static func == (lhs: YAML, rhs: YAML) -> Bool {
        switch (lhs, rhs) {
        case (.map(let a), .map(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.list(let a), .list(let b)): a == b
        case (.scalar(let a), .scalar(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    subscript(_ key: String) -> YAML? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    var string: String? {
        if case .scalar(let text) = self { return text }
        return nil
    }

    var items: [YAML] {
        if case .list(let items) = self { return items }
        return []
    }

    var pairs: [(key: String, value: YAML)] {
        if case .map(let pairs) = self { return pairs }
        return []
    }

    static func parse(_ text: String) throws -> YAML {
        var parser = Parser(lines: text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) })
        return try parser.node(indent: 0)
    }

    struct SyntaxError: Error, CustomStringConvertible {
        let line: Int
        let why: String
        var description: String { "openapi.yaml line \(line + 1): \(why)" }
    }

    private struct Parser {
        var lines: [String]
        var index = 0

        static func indent(of line: String) -> Int { line.prefix { $0 == " " }.count }
        static func isBlank(_ line: String) -> Bool {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("#")
        }

        mutating func skipBlank() {
            while index < lines.count, Self.isBlank(lines[index]) { index += 1 }
        }

        /// The node whose lines start at `indent` (a list when they start with `- `).
        mutating func node(indent: Int) throws -> YAML {
            skipBlank()
            guard index < lines.count else { return .null }
            let content = lines[index].dropFirst(indent)
            if content == "-" || content.hasPrefix("- ") { return try list(indent: indent) }
            if Self.keyValue(String(content)) != nil { return try map(indent: indent) }
            index += 1
            return Self.scalar(String(content).trimmingCharacters(in: .whitespaces))
        }

        mutating func map(indent: Int) throws -> YAML {
            var pairs: [(key: String, value: YAML)] = []
            while true {
                skipBlank()
                guard index < lines.count, Self.indent(of: lines[index]) == indent else { break }
                let content = String(lines[index].dropFirst(indent))
                if content.hasPrefix("- ") { break }
                guard let (key, rest) = Self.keyValue(content) else { throw SyntaxError(line: index, why: "expected `key:`") }
                index += 1
                pairs.append((key, try value(rest, indent: indent)))
            }
            return .map(pairs)
        }

        mutating func list(indent: Int) throws -> YAML {
            var items: [YAML] = []
            while true {
                skipBlank()
                guard index < lines.count, Self.indent(of: lines[index]) == indent else { break }
                let content = lines[index].dropFirst(indent)
                guard content == "-" || content.hasPrefix("- ") else { break }
                if content == "-" {
                    index += 1
                    skipBlank()
                    items.append(index < lines.count ? try node(indent: Self.indent(of: lines[index])) : .null)
                } else {
                    // `- key: value` opens a map two columns in: read the line as if the dash were a space.
                    lines[index] = String(repeating: " ", count: indent + 2) + content.dropFirst(2)
                    items.append(try node(indent: indent + 2))
                }
            }
            return .list(items)
        }

        /// The value after `key:`; `indent` is the key's.
        mutating func value(_ rest: String, indent: Int) throws -> YAML {
            if rest.isEmpty {
                skipBlank()
                guard index < lines.count else { return .null }
                let next = Self.indent(of: lines[index])
                let content = lines[index].dropFirst(next)
                if next > indent || (next == indent && (content == "-" || content.hasPrefix("- "))) { return try node(indent: next) }
                return .null
            }
            if rest.hasPrefix("|") || rest.hasPrefix(">") {
                var text: [String] = []
                while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces).isEmpty || Self.indent(of: lines[index]) > indent {
                    text.append(lines[index].trimmingCharacters(in: .whitespaces))
                    index += 1
                }
                return .scalar(text.joined(separator: rest.hasPrefix("|") ? "\n" : " "))
            }
            if rest.hasPrefix("[") || rest.hasPrefix("{") {
                var flow = rest
                while !Self.balanced(flow) {
                    guard index < lines.count else { throw SyntaxError(line: index, why: "unclosed flow collection") }
                    flow += " " + lines[index].trimmingCharacters(in: .whitespaces)
                    index += 1
                }
                var reader = FlowReader(text: Array(flow))
                return try reader.read(line: index)
            }
            return Self.scalar(rest)
        }

        static func balanced(_ text: String) -> Bool {
            var depth = 0
            var quote: Character?
            for char in text {
                if let open = quote { if char == open { quote = nil }; continue }
                switch char {
                case "\"", "'": quote = char
                case "[", "{": depth += 1
                case "]", "}": depth -= 1
                default: break
                }
            }
            return depth == 0
        }

        /// `key: rest` or `key:` (key plain or quoted); nil when the line is not a map entry.
        static func keyValue(_ content: String) -> (String, String)? {
            if let quote = content.first, quote == "\"" || quote == "'" {
                guard let close = content.dropFirst().firstIndex(of: quote) else { return nil }
                let after = content[content.index(after: close)...]
                guard after == ":" || after.hasPrefix(": ") else { return nil }
                return (String(content[content.index(after: content.startIndex)..<close]), after.dropFirst().trimmingCharacters(in: .whitespaces))
            }
            guard let first = content.first, first != "[", first != "{", first != "#" else { return nil }
            if content.hasSuffix(":"), !content.dropLast().contains(": ") { return (String(content.dropLast()), "") }
            guard let range = content.range(of: ": ") else { return nil }
            return (String(content[..<range.lowerBound]), content[range.upperBound...].trimmingCharacters(in: .whitespaces))
        }

        static func scalar(_ text: String) -> YAML {
            if text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first {
                return .scalar(String(text.dropFirst().dropLast()))
            }
            if text == "~" || text == "null" { return .null }
            return .scalar(text)
        }
    }

    private struct FlowReader {
        let text: [Character]
        var position = 0

        mutating func skipSpace() {
            while position < text.count, text[position] == " " { position += 1 }
        }

        mutating func read(line: Int) throws -> YAML {
            skipSpace()
            guard position < text.count else { throw SyntaxError(line: line, why: "flow collection ends early") }
            switch text[position] {
            case "[":
                position += 1
                var items: [YAML] = []
                while true {
                    skipSpace()
                    if position < text.count, text[position] == "]" { position += 1; return .list(items) }
                    items.append(try read(line: line))
                    skipSpace()
                    if position < text.count, text[position] == "," { position += 1 }
                }
            case "{":
                position += 1
                var pairs: [(key: String, value: YAML)] = []
                while true {
                    skipSpace()
                    if position < text.count, text[position] == "}" { position += 1; return .map(pairs) }
                    guard case .scalar(let key) = try read(line: line, stopAtColon: true) else { throw SyntaxError(line: line, why: "flow key") }
                    skipSpace()
                    guard position < text.count, text[position] == ":" else { throw SyntaxError(line: line, why: "expected `:` in flow map") }
                    position += 1
                    pairs.append((key, try read(line: line)))
                    skipSpace()
                    if position < text.count, text[position] == "," { position += 1 }
                }
            default:
                return try read(line: line, stopAtColon: false)
            }
        }

        mutating func read(line: Int, stopAtColon: Bool) throws -> YAML {
            skipSpace()
            if position < text.count, text[position] == "\"" || text[position] == "'" {
                let quote = text[position]
                var value = ""
                position += 1
                while position < text.count, text[position] != quote { value.append(text[position]); position += 1 }
                position += 1
                return .scalar(value)
            }
            var value = ""
            while position < text.count, !",]}".contains(text[position]), !(stopAtColon && text[position] == ":") {
                value.append(text[position])
                position += 1
            }
            return Parser.scalar(value.trimmingCharacters(in: .whitespaces))
        }
    }
}
