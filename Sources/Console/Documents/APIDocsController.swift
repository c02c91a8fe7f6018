import Foundation
import Hummingbird
import Logging
import Mustache

/// `/api/docs`: the API reference, rendered from `openapi/openapi.yaml`, parsed once at start.
/// Public like the document itself (`GET /api/v1/openapi.yaml` needs no sign-in, and the page
/// shows nothing the document does not); the footer links it for staff (`Policy`, `seeStaffArea`).
/// Under `/api/` it is answered without a session, so it wears the neutral brand and no top bar.
struct APIDocsController: Sendable {
    let services: ConsoleServices
    /// Nil when the document is missing or unreadable (logged at start): the page answers 404, like the YAML's route.
    let reference: APIReference?

    init(services: ConsoleServices) {
        self.services = services
        let file = services.configuration.rootDirectory.appendingPathComponent("openapi/openapi.yaml")
        do {
            reference = try APIReference(yaml: String(contentsOf: file, encoding: .utf8))
        } catch {
            services.logger.error("no API reference: \(file.path) could not be read", metadata: ["error": "\(error)"])
            reference = nil
        }
    }

    func addRoutes(to router: Router<AppContext>) {
        router.get(URLs.apiDocs.route, use: page)
    }

    @Sendable func page(_ request: Request, context: AppContext) async throws -> HTML {
        guard let reference else { throw HTTPError(.notFound, message: "There is no API reference here.") }
        return try services.render("api_docs", reference)
    }
}

// MARK: Values by name for the templates

extension APIReference: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "version": version
        case "intro": intro
        case "tags": tags
        case "schemas": schemas
        case "pathCount": pathCount
        case "operationCount": operationCount
        default: nil
        }
    }
}

extension APIReference.Tag: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "anchor": anchor
        case "operations": operations
        default: nil
        }
    }
}

extension APIReference.Operation: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "anchor": anchor
        case "method": method
        case "methodBadge": methodBadge
        case "path": path
        case "summary": summary
        case "description": description
        case "isPublic": isPublic
        case "parameters": parameters
        case "hasParameters": hasParameters
        case "requestBody": requestBody
        case "responses": responses
        default: nil
        }
    }
}

extension APIReference.Parameter: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "location": location
        case "required": required
        case "type": type
        case "description": description
        default: nil
        }
    }
}

extension APIReference.Body: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "contentType": contentType
        case "required": required
        case "type": type
        case "description": description
        default: nil
        }
    }
}

extension APIReference.Response: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "status": status
        case "description": description
        case "contentType": contentType
        case "type": type
        default: nil
        }
    }
}

extension APIReference.Schema: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "anchor": anchor
        case "description": description
        case "type": type
        case "properties": properties
        case "hasProperties": hasProperties
        default: nil
        }
    }
}

extension APIReference.Property: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "type": type
        case "required": required
        case "description": description
        default: nil
        }
    }
}

extension APIReference.TypePart: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "text": text
        case "href": href
        default: nil
        }
    }
}
