import Hummingbird
import Logging

/// What the logs may say of a request's path: a password reset link's token is a secret (whoever
/// holds it sets the user's password), so it never reaches a log line.
enum LoggedPath {
    static func of(_ request: Request) -> String {
        let path = request.uri.path
        for prefix in ["/password-resets/", "/api/v1/password-resets/"] where path.hasPrefix(prefix) && path.utf8.count > prefix.utf8.count {
            return prefix + "<token>"
        }
        return path
    }
}

/// Hummingbird's `LogRequestsMiddleware`, with the path as `LoggedPath` gives it (and no query string).
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level

    init(_ level: Logger.Level) { self.level = level }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.log(level: level, "Request", metadata: [
            "hb.request.path": .string(LoggedPath.of(request)), "hb.request.method": .string(request.method.rawValue),
        ])
        return try await next(request, context)
    }
}
