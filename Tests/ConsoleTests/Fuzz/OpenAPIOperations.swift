import Foundation
import HTTPTypes
import TestSupport

/// One operation of `openapi/openapi.yaml`, as the fuzzer needs it: where its inputs are, and
/// bodies built from its schema that a handler would take, so a single fuzzed field reaches deep.
struct APIOperation: CustomStringConvertible {
    let method: HTTPRequest.Method
    /// `/api/v1/accounts/{id}`.
    let path: String
    let pathParameters: [String]
    let queryParameters: [String]
    let headerParameters: [String]
    /// One body per `oneOf` alternative of the request schema; empty when it takes no body.
    let bodies: [FuzzJSON]

    var description: String { "\(method.rawValue) \(path)" }

    /// Reads and destroys nothing: sent first. Operations that take things away (DELETE, cancel)
    /// go last, so the rest run against the world as it was built.
    var order: Int {
        if method == .get { return 0 }
        if method == .delete || path.hasSuffix("/cancel") { return 2 }
        return 1
    }
}

/// The operations of the document, with sample values for the fields the test world knows.
struct OpenAPIOperations {
    let document: YAML
    /// A value for a field of an operation's body by name (`plan_id` → a plan of the world), else `nil`.
    let known: (_ field: String, _ path: String) -> FuzzJSON?

    static func load() throws -> YAML {
        try YAML.parse(String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("openapi/openapi.yaml"), encoding: .utf8))
    }

    var all: [APIOperation] {
        var operations: [APIOperation] = []
        for (path, item) in document["paths"]?.pairs ?? [] {
            for (method, operation) in item.pairs {
                guard let method = HTTPRequest.Method(method.uppercased()), ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method.rawValue) else { continue }
                let parameters = ((item["parameters"]?.items ?? []) + (operation["parameters"]?.items ?? [])).map(resolve)
                func named(_ place: String) -> [String] {
                    parameters.filter { $0["in"]?.string == place }.compactMap { $0["name"]?.string }
                }
                var bodies: [FuzzJSON] = []
                if let schema = operation["requestBody"]?["content"]?["application/json"]?["schema"] {
                    bodies = variants(of: resolve(schema)).map { sample($0, name: nil, in: path, depth: 0) }
                }
                operations.append(APIOperation(method: method, path: path, pathParameters: named("path"), queryParameters: named("query"),
                                               headerParameters: named("header"), bodies: bodies))
            }
        }
        return operations.sorted { $0.order < $1.order }
    }

    func resolve(_ node: YAML) -> YAML {
        guard let reference = node["$ref"]?.string, reference.hasPrefix("#/") else { return node }
        var target: YAML? = document
        for part in reference.dropFirst(2).split(separator: "/") { target = target?[String(part)] }
        return target.map(resolve) ?? .null
    }

    /// `allOf` merged into one object schema.
    func flattened(_ schema: YAML) -> YAML {
        let schema = resolve(schema)
        guard let parts = schema["allOf"]?.items else { return schema }
        var pairs = schema.pairs.filter { $0.key != "allOf" }
        var properties: [(key: String, value: YAML)] = []
        for part in parts.map(flattened) {
            properties += part["properties"]?.pairs ?? []
            for pair in part.pairs where pair.key != "properties" && !pairs.contains(where: { $0.key == pair.key }) { pairs.append(pair) }
        }
        pairs.removeAll { $0.key == "properties" }
        let all = (schema["properties"]?.pairs ?? []) + properties
        if !all.isEmpty { pairs.append((key: "properties", value: .map(all))) }
        return .map(pairs)
    }

    /// The request schema once per `oneOf` alternative that only says which property is required
    /// (a change body is `resources`, `switch` or `plan`): those properties, one group at a time.
    func variants(of schema: YAML) -> [YAML] {
        let schema = flattened(schema)
        guard let alternatives = schema["oneOf"]?.items, alternatives.allSatisfy({ $0["properties"] == nil && $0["$ref"] == nil && $0["required"] != nil }) else {
            return [schema]
        }
        let exclusive = Set(alternatives.flatMap { $0["required"]!.items.compactMap(\.string) })
        return alternatives.map { alternative in
            let keep = Set(alternative["required"]!.items.compactMap(\.string))
            let properties = (schema["properties"]?.pairs ?? []).filter { !exclusive.contains($0.key) || keep.contains($0.key) }
            return .map(schema.pairs.filter { $0.key != "properties" && $0.key != "oneOf" } + [(key: "properties", value: .map(properties))])
        }
    }

    /// A value the schema accepts: the world's value for a known name, else an example, the
    /// first enum value, or a plain value of the type. Objects carry every property.
    func sample(_ schema: YAML, name: String?, in path: String, depth: Int) -> FuzzJSON {
        let schema = flattened(schema)
        if let name, let value = known(name, path) { return value }
        if depth > 6 { return .literal("null") }
        if let alternatives = schema["oneOf"]?.items ?? schema["anyOf"]?.items, let first = alternatives.first, schema["properties"] == nil {
            return sample(first, name: name, in: path, depth: depth + 1)
        }
        if let example = schema["example"], case .scalar(let text) = example {
            return schema["type"]?.string == "string" || schema["type"] == nil && Double(text) == nil ? .string(text) : .literal(text)
        }
        if let value = schema["default"]?.string, schema["type"]?.string != "object" {
            return schema["type"]?.string == "string" ? .string(value) : .literal(value)
        }
        if let first = schema["enum"]?.items.first?.string { return schema["type"]?.string == "integer" ? .literal(first) : .string(first) }
        let type = schema["type"]?.string ?? (schema["properties"] != nil ? "object" : schema["items"] != nil ? "array" : "string")
        switch type {
        case "object":
            if let properties = schema["properties"]?.pairs, !properties.isEmpty {
                return .object(properties.map { (key: $0.key, value: sample($0.value, name: $0.key, in: path, depth: depth + 1)) })
            }
            if let values = schema["additionalProperties"], values != .scalar("false") {
                return .object([(key: "ram_gb", value: sample(values, name: "ram_gb", in: path, depth: depth + 1))])
            }
            return .object([])
        case "array":
            return .array([sample(schema["items"] ?? .null, name: nil, in: path, depth: depth + 1)])
        case "integer", "number":
            return .literal(schema["minimum"]?.string.flatMap { Int($0) }.map { String(max($0, 1)) } ?? "1")
        case "boolean":
            return .literal("false")
        default:
            switch schema["format"]?.string {
            case "date": return .string("2026-05-01")
            case "date-time": return .string("2026-04-26T09:00:00Z")
            default: return .string("fuzz")
            }
        }
    }
}
