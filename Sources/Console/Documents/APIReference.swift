import Foundation
import Mustache
import Yams

/// The API reference page (`/api/docs`, issue 16 item 7): `openapi/openapi.yaml` read once with
/// Yams into plain values, operations grouped by tag, every `$ref` to a schema a link to the
/// Schemas section. The content is the API's own text, in English; the page's words around it
/// come from the apidocs catalog.
struct APIReference: Sendable {
    let title: String
    let version: String
    let intro: [String]
    let tags: [Tag]
    let schemas: [Schema]
    /// Distinct paths of the document, and their operations (method and path).
    let pathCount: Int
    let operationCount: Int

    struct Tag: Sendable {
        let name: String
        let anchor: String
        let operations: [Operation]
    }

    struct Operation: Sendable {
        let anchor: String
        let method: String
        /// Bootstrap's badge class for the method.
        let methodBadge: String
        let path: String
        let summary: String
        let description: [String]
        /// `security: []`: no bearer token needed.
        let isPublic: Bool
        let parameters: [Parameter]
        let hasParameters: Bool
        let requestBody: Body?
        let responses: [Response]
    }

    struct Parameter: Sendable {
        let name: String
        let location: String
        let required: Bool
        let type: [TypePart]
        let description: String
    }

    struct Body: Sendable {
        let contentType: String
        let required: Bool
        let type: [TypePart]
        let description: String
    }

    struct Response: Sendable {
        let status: String
        let description: String
        let contentType: String
        let type: [TypePart]
    }

    struct Schema: Sendable {
        let name: String
        let anchor: String
        let description: [String]
        let type: [TypePart]
        let properties: [Property]
        let hasProperties: Bool
    }

    struct Property: Sendable {
        let name: String
        let type: [TypePart]
        let required: Bool
        let description: String
    }

    /// A piece of a type as shown: `array of `, then `Invoice` linking to its schema.
    struct TypePart: Sendable {
        let text: String
        let href: String?
    }

    enum Invalid: Error, CustomStringConvertible {
        case notADocument
        var description: String { "openapi/openapi.yaml is not an OpenAPI document (no paths)" }
    }

    static let methods = ["get", "put", "post", "patch", "delete", "head", "options"]

    /// Blank-line separated paragraphs, each on one line.
    static func paragraphs(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.components(separatedBy: "\n\n").map {
            $0.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        }.filter { !$0.isEmpty }
    }

    /// Letters, digits, `-` and `_`; anything else becomes `-`.
    static func anchor(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") ? Character($0) : "-" })
    }

    static func schemaAnchor(_ name: String) -> String { "schema-" + anchor(name) }

    /// Reads parts of the document, following `$ref`s within it.
    private struct Reader {
        let root: Node

        /// `#/components/parameters/Id` → that node; nil for refs outside the document.
        func resolve(_ node: Node) -> Node {
            guard let ref = node["$ref"]?.string, ref.hasPrefix("#/") else { return node }
            var current: Node? = root
            for part in ref.dropFirst(2).split(separator: "/") {
                current = current?[String(part).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
            }
            return current ?? node
        }

        func operation(method: String, path: String, _ node: Node, shared: [Node]) -> Operation {
            let id = node["operationId"]?.string ?? "\(method)-\(path)"
            let parameters = (shared + (node["parameters"]?.array() ?? [])).map { resolve($0) }.map { parameter in
                Parameter(name: parameter["name"]?.string ?? "", location: parameter["in"]?.string ?? "",
                          required: parameter["required"]?.bool ?? false, type: type(parameter["schema"]),
                          description: APIReference.paragraphs(parameter["description"]?.string).joined(separator: " "))
            }
            let body = node["requestBody"].map { resolve($0) }.map { body in
                let (contentType, schema) = content(body["content"])
                return Body(contentType: contentType, required: body["required"]?.bool ?? false, type: type(schema),
                            description: APIReference.paragraphs(body["description"]?.string).joined(separator: " "))
            }
            let responses = (node["responses"]?.mapping ?? [:]).map { status, response -> Response in
                let resolved = resolve(response)
                let (contentType, schema) = content(resolved["content"])
                return Response(status: status.string ?? "", description: APIReference.paragraphs(resolved["description"]?.string).joined(separator: " "),
                                contentType: contentType, type: type(schema))
            }
            let isPublic = node["security"]?.array().isEmpty == true && node["security"]?.sequence != nil
            return Operation(anchor: "op-" + APIReference.anchor(id), method: method.uppercased(), methodBadge: Self.badge(method), path: path,
                             summary: node["summary"]?.string ?? "", description: APIReference.paragraphs(node["description"]?.string),
                             isPublic: isPublic, parameters: parameters, hasParameters: !parameters.isEmpty, requestBody: body, responses: responses)
        }

        static func badge(_ method: String) -> String {
            switch method {
            case "get": "text-bg-primary"
            case "post": "text-bg-success"
            case "delete": "text-bg-danger"
            default: "text-bg-warning"
            }
        }

        /// The first media type of a `content` map (JSON first) and its schema.
        func content(_ node: Node?) -> (String, Node?) {
            guard let media = node?.mapping, !media.isEmpty else { return ("", nil) }
            if let json = media["application/json"] { return ("application/json", json["schema"]) }
            let first = media.first!
            return (first.key.string ?? "", first.value["schema"])
        }

        func schema(named name: String, _ node: Node) -> Schema {
            let required = Set(node["required"]?.array().compactMap(\.string) ?? [])
            let properties = (node["properties"]?.mapping ?? [:]).compactMap { key, property -> Property? in
                guard let name = key.string else { return nil }
                return Property(name: name, type: type(property), required: required.contains(name),
                                description: APIReference.paragraphs(property["description"]?.string).joined(separator: " "))
            }
            return Schema(name: name, anchor: APIReference.schemaAnchor(name), description: APIReference.paragraphs(node["description"]?.string),
                          type: type(node), properties: properties, hasProperties: !properties.isEmpty)
        }

        /// A schema as words, its `$ref`s as links: `array of ` + `Invoice`, `integer (int64)`,
        /// `string: monthly | yearly`, `one of ` + `A` + `, ` + `B`.
        func type(_ node: Node?) -> [TypePart] {
            guard let node else { return [] }
            if let ref = node["$ref"]?.string {
                let name = String(ref.split(separator: "/").last ?? "")
                return ref.hasPrefix("#/components/schemas/") ? [TypePart(text: name, href: "#" + APIReference.schemaAnchor(name))] : [TypePart(text: name, href: nil)]
            }
            for (key, words) in [("allOf", "all of "), ("oneOf", "one of "), ("anyOf", "any of ")] {
                guard let members = node[key]?.array(), !members.isEmpty else { continue }
                let parts = members.map { type($0) }
                if parts.count == 1 { return parts[0] }
                var joined = [TypePart(text: words, href: nil)]
                for (index, part) in parts.enumerated() {
                    if index > 0 { joined.append(TypePart(text: ", ", href: nil)) }
                    joined += part
                }
                return joined
            }
            let names = node["type"]?.string.map { [$0] } ?? node["type"]?.array().compactMap(\.string) ?? []
            if names.contains("array") {
                return [TypePart(text: "array of ", href: nil)] + (node["items"].map { type($0) } ?? [TypePart(text: "any", href: nil)])
            }
            var text = names.isEmpty ? (node["properties"] != nil ? "object" : "any") : names.joined(separator: " or ")
            if let format = node["format"]?.string { text += " (\(format))" }
            if let values = node["enum"]?.array().compactMap(\.string), !values.isEmpty { text += ": " + values.joined(separator: " | ") }
            return [TypePart(text: text, href: nil)]
        }
    }
}

extension APIReference {
    /// Reads the document; throws when it is not YAML or has no `paths`.
    init(yaml: String) throws {
        guard let root = try Yams.compose(yaml: yaml), let paths = root["paths"]?.mapping else { throw Invalid.notADocument }
        let reader = Reader(root: root)
        title = root["info"]?["title"]?.string ?? "API"
        version = root["info"]?["version"]?.string ?? ""
        intro = Self.paragraphs(root["info"]?["description"]?.string)

        var byTag: [String: [Operation]] = [:]
        var tagOrder = root["tags"]?.array().compactMap { $0["name"]?.string } ?? []
        var operations = 0
        for (key, item) in paths {
            guard let path = key.string else { continue }
            let shared = item["parameters"]?.array() ?? []
            for (methodKey, operation) in item.mapping ?? [:] {
                guard let method = methodKey.string, Self.methods.contains(method) else { continue }
                let tag = operation["tags"]?.array().first?.string ?? "other"
                if !tagOrder.contains(tag) { tagOrder.append(tag) }
                byTag[tag, default: []].append(reader.operation(method: method, path: path, operation, shared: shared))
                operations += 1
            }
        }
        tags = tagOrder.compactMap { name in byTag[name].map { Tag(name: name, anchor: "tag-" + Self.anchor(name), operations: $0) } }
        pathCount = paths.count
        operationCount = operations
        schemas = (root["components"]?["schemas"]?.mapping ?? [:]).compactMap { key, schema in
            key.string.map { reader.schema(named: $0, schema) }
        }.sorted { $0.name < $1.name }
    }
}
