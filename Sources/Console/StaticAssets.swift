import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The console's static files (`Assets/` under `/assets`, Debian's Bootstrap under
/// `/vendor/bootstrap`), read into memory once at start with their content type, a strong `ETag`
/// (a hash of the bytes) and `Cache-Control`. A request names an asset by its exact path among
/// those read, so nothing outside the folders can be reached, whatever the path spells.
struct StaticAssets: Sendable {
    /// A folder served under a path prefix, cached by browsers for `maxAge` seconds.
    struct Mount {
        let urlPath: String
        let directory: URL
        let maxAge: Int
    }

    struct Asset: Sendable {
        let body: ByteBuffer
        let eTag: String
        /// Content type, length, `ETag`, `Cache-Control` and the security headers, made once.
        let headers: HTTPFields
        /// What a 304 repeats: `ETag`, `Cache-Control` and the security headers.
        let notModifiedHeaders: HTTPFields
    }

    let assets: [String: Asset]

    /// Reads every regular file under each mount (symbolic links followed, as Debian's package is
    /// made of them; hidden files skipped). A missing folder serves nothing and says so in the log.
    init(_ mounts: [Mount], logger: Logger) throws {
        var assets: [String: Asset] = [:]
        for mount in mounts {
            guard FileManager.default.fileExists(atPath: mount.directory.path) else {
                logger.warning("static assets folder is missing; nothing is served under it", metadata: ["folder": "\(mount.directory.path)", "path": "\(mount.urlPath)"])
                continue
            }
            for (relative, file) in try Self.files(in: mount.directory, depth: 0) {
                let bytes = try Data(contentsOf: file)
                assets[mount.urlPath + "/" + relative] = Asset(bytes: bytes, contentType: Self.contentType(of: relative), maxAge: mount.maxAge)
            }
        }
        self.assets = assets
    }

    /// `(path relative to the folder, file)` of every regular file below `directory`.
    private static func files(in directory: URL, depth: Int) throws -> [(String, URL)] {
        guard depth < 8 else { return [] }  // a link loop ends here
        var found: [(String, URL)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }  // a dangling link
            if isDirectory.boolValue {
                found += try files(in: url, depth: depth + 1).map { (name + "/" + $0.0, $0.1) }
            } else {
                found.append((name, url))
            }
        }
        return found
    }

    /// Types by extension; text is UTF-8. With `nosniff` on every answer, a wrong type would not load.
    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last.map({ $0.lowercased() }) ?? "" {
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "map", "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "woff2": "font/woff2"
        case "woff": "font/woff"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }

    func asset(at path: String) -> Asset? { assets[path] }
}

extension StaticAssets.Asset {
    init(bytes: Data, contentType: String, maxAge: Int) {
        let eTag = "\"" + String(bytes.count, radix: 16) + "-" + String(Self.fnv1a(bytes), radix: 16) + "\""
        let cacheControl = "public, max-age=\(maxAge)"
        var headers: HTTPFields = [.contentType: contentType, .contentLength: String(bytes.count), .eTag: eTag, .cacheControl: cacheControl]
        var notModifiedHeaders: HTTPFields = [.eTag: eTag, .cacheControl: cacheControl]
        SecurityHeaders.add(to: &headers)
        SecurityHeaders.add(to: &notModifiedHeaders)
        self.init(body: ByteBuffer(bytes: bytes), eTag: eTag, headers: headers, notModifiedHeaders: notModifiedHeaders)
    }

    /// 64-bit FNV-1a: the bytes change, the tag changes (a validator, not a secret).
    private static func fnv1a(_ bytes: Data) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in raw {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            return hash
        }
    }

    /// `If-None-Match` holds this tag (or `*`): the browser's copy is current. Compared weakly, as
    /// RFC 9110 13.1.2 says for this header.
    func isCurrent(for request: Request) -> Bool {
        request.headers[values: .ifNoneMatch].contains { field in
            field.split(separator: ",").contains { candidate in
                let tag = candidate.trimmingCharacters(in: .whitespaces)
                return tag == "*" || tag == eTag || tag == "W/" + eTag
            }
        }
    }
}

/// Answers GET and HEAD of a static asset first of all, so no other middleware runs (no session,
/// CSRF, credit badge, request id or log): an asset needs no session, no database and no user, and
/// carries the security headers in its own. Anything else passes on (an unknown path under
/// `/assets` gets the console's 404 page).
struct StaticAssetsMiddleware<Context: RequestContext>: RouterMiddleware {
    let assets: StaticAssets

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head, let asset = assets.asset(at: request.uri.path) else {
            return try await next(request, context)
        }
        if asset.isCurrent(for: request) {
            return Response(status: .notModified, headers: asset.notModifiedHeaders)
        }
        return Response(status: .ok, headers: asset.headers, body: request.method == .head ? .init() : .init(byteBuffer: asset.body))
    }
}
