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
    func render(_ template: String, _ page: Any, status: HTTPResponse.Status = .ok) throws -> HTML {
        guard let body = views.render(page, withTemplate: template) else { throw MissingTemplate(name: template) }
        return HTML(body: body, status: status)
    }
}
