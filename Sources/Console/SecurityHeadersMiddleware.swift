import HTTPTypes
import Hummingbird

/// Headers every answer carries, pages, API, assets and errors alike: only the console's own
/// scripts, styles and connections (so an injected `<script>` or inline handler does not run),
/// never framed by another site, no MIME sniffing, no full URLs sent to other sites.
///
/// The templates therefore carry no inline `<script>`, `<style>`, `style=` or `on…=`: behaviour
/// lives in `Assets/console.js`, looks in `Assets/console.css`. Bootstrap's own stylesheet draws
/// a few icons from `data:` images, hence `img-src 'self' data:`.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // Answers made from errors (the router's 404, a 405) carry the headers too.
            response = try error.response(from: request, context: context)
        }
        SecurityHeaders.add(to: &response.headers)
        return response
    }
}

/// The headers themselves, made and checked once (static assets carry them in their own headers).
enum SecurityHeaders {
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
        "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static let fields: [HTTPField] = [
        HTTPField(name: .contentSecurityPolicy, value: contentSecurityPolicy), HTTPField(name: .xFrameOptions, value: "DENY"),
        HTTPField(name: .xContentTypeOptions, value: "nosniff"), HTTPField(name: .referrerPolicy, value: "same-origin"),
    ]

    /// Sets each header, replacing any value it had.
    static func add(to headers: inout HTTPFields) {
        for field in fields { headers[fields: field.name] = [field] }
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
