import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// The router's paths with their methods, loaded once every route is added (`load`); the
/// middleware that reads it is added before the routes, so it runs for all of them.
final class RouteMethods: Sendable {
    private struct Route {
        let components: [RouterPath.Element]
        let methods: Set<HTTPRequest.Method>
        /// 0 for a literal segment, 1 for a capture or wildcard: the router prefers literals.
        var specificity: [Int] { components.map { $0 == $0.description ? 0 : 1 } }
    }

    private let routes = NIOLockedValueBox<[Route]>([])

    func load(_ descriptions: [Router<AppContext>.RouteDescription]) {
        let grouped = Dictionary(grouping: descriptions, by: \.path.description)
        routes.withLockedValue { routes in
            routes = grouped.values.map { group in Route(components: group[0].path.components, methods: Set(group.map(\.method))) }
        }
    }

    /// What a request path may be asked with: `nil` when no route has the path. `allowed` lists the
    /// methods of the route the router picks (literal segments before captures); `any` those of every
    /// route that matches, so a method is only refused when no route could take it.
    func methods(for path: String) -> (allowed: Set<HTTPRequest.Method>, any: Set<HTTPRequest.Method>)? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let matching = routes.withLockedValue { routes in routes.filter { Self.matches($0.components, segments) } }
        guard let best = matching.min(by: { $0.specificity.lexicographicallyPrecedes($1.specificity) }) else { return nil }
        return (best.methods, matching.reduce(into: Set()) { $0.formUnion($1.methods) })
    }

    private static func matches(_ components: [RouterPath.Element], _ segments: [Substring]) -> Bool {
        for (index, component) in components.enumerated() {
            if component.description == "**" { return true }
            guard index < segments.count, component ~= segments[index] else { return false }
        }
        return components.count == segments.count
    }
}

/// API.md: a method a path does not have answers 405 with an `Allow` header listing those it has
/// (the router alone would answer 404). JSON under `/api/`, the error page elsewhere.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let services: ConsoleServices
    let routes: RouteMethods

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard let methods = routes.methods(for: request.uri.path), !methods.any.contains(request.method) else {
            return try await next(request, context)
        }
        let allow = methods.allowed.map(\.rawValue).sorted().joined(separator: ", ")
        let message = "\(request.method.rawValue) is not allowed here; this address takes \(allow)."
        return request.uri.path.hasPrefix("/api/")
            ? ErrorBody.json(status: .methodNotAllowed, code: "method_not_allowed", message: message, requestID: nil, headers: [.allow: allow])
            : ErrorBody.page(services, status: .methodNotAllowed, title: "Not allowed here", message: message, headers: [.allow: allow])
    }
}
