import Foundation

/// Where and how to connect, and how the pool behaves.
public struct MariaDBConfiguration: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    public var endpoint: Endpoint
    public var user: String
    public var password: String
    public var database: String?
    /// Seconds allowed to open a connection.
    public var connectTimeout: Int = 5
    /// Server-side limit for one statement (`max_statement_time`); the connection survives it.
    public var queryTimeout: Duration = .seconds(30)
    /// How many connections the pool opens at most.
    public var poolSize: Int = 8
    /// How long a lease waits for a free connection before it fails.
    public var poolTimeout: Duration = .seconds(5)
    /// A connection idle longer than this is pinged before it is handed out.
    public var healthCheckAfterIdle: Duration = .seconds(1)
    /// Prepared statements kept per connection.
    public var statementCacheSize: Int = 128

    public init(endpoint: Endpoint, user: String, password: String, database: String?) {
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.database = database
    }

    /// Seconds the client waits for any one answer: past the server's own limit, so a statement
    /// timeout is reported by the server and only a dead peer trips this.
    var readTimeoutSeconds: Int {
        Int(queryTimeout.components.seconds) + 10
    }

    /// Parses `mariadb://user:password@host:port/name` or
    /// `mariadb://user:password@localhost/name?socket=/path/to.sock` (`mysql://` is accepted too).
    public init(url text: String) throws {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, ["mariadb", "mysql"].contains(scheme)
        else {
            throw MariaDBError(kind: .configuration, message: "DATABASE_URL must look like mariadb://user:password@host:port/database")
        }
        guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw MariaDBError(kind: .configuration, message: "DATABASE_URL has no user name")
        }
        let password = components.percentEncodedPassword?.removingPercentEncoding ?? ""
        let name = String(components.path.drop(while: { $0 == "/" }))
        let socket = components.queryItems?.first(where: { $0.name == "socket" })?.value
        let endpoint: Endpoint
        if let socket, !socket.isEmpty {
            endpoint = .socket(path: socket)
        } else {
            guard let host = components.host, !host.isEmpty else {
                throw MariaDBError(kind: .configuration, message: "DATABASE_URL has no host")
            }
            endpoint = .tcp(host: host, port: components.port ?? 3306)
        }
        self.init(endpoint: endpoint, user: user, password: password, database: name.isEmpty ? nil : name)
    }

    /// Where this points, without the password, for logs and `console doctor`.
    public var redactedDescription: String {
        let place: String
        switch endpoint {
        case .tcp(let host, let port): place = "\(host):\(port)"
        case .socket(let path): place = "socket \(path)"
        }
        return "\(user)@\(place)/\(database ?? "")"
    }
}
