import Hummingbird
import Mustache

/// The start page: what the console is, and where to sign in.
struct HomeController: Sendable {
    let services: ConsoleServices

    func addRoutes(to router: Router<some RequestContext>) {
        router.get(RouterPath(URLs.home.path)) { _, _ -> HTML in
            try services.render("home", HomePage())
        }
    }
}

struct HomePage {
    let title = "Reseller console"
}
