/// Every URL of the console, so links and routes never drift apart.
enum URLs {
    case home
    case health

    var path: String {
        switch self {
        case .home: "/"
        case .health: "/healthz"
        }
    }
}
