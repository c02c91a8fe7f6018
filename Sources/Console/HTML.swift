import Hummingbird
import Mustache
import NIOCore

/// A rendered page.
struct HTML: ResponseGenerator {
    var body: String
    var status: HTTPResponse.Status = .ok

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try response(status: status)
    }

    func response(status: HTTPResponse.Status) throws -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

struct MissingTemplate: Error, CustomStringConvertible {
    let name: String
    var description: String { "template Views/\(name).mustache is missing" }
}

extension ConsoleServices {
    /// Renders a page with the request's brand beside it (`{{brand.name}}` in the layout).
    func render(_ template: String, _ page: Any, status: HTTPResponse.Status = .ok) throws -> HTML {
        let framed: Any = (page as? any MustacheParent).map { PageFrame(page: $0, brand: PageBrand.current.map(BrandView.init) ?? .neutral) } ?? page
        guard let body = views.render(framed, withTemplate: template) else { throw MissingTemplate(name: template) }
        return HTML(body: body, status: status)
    }
}
