import Hummingbird
import Mustache

/// The start page: what the console is, and where to sign in. Signed-in users go to their dashboard.
struct HomeController: Sendable {
    let services: ConsoleServices

    func addRoutes(to router: Router<AppContext>) {
        router.get(URLs.home.route) { _, context -> Response in
            if context.actor != nil { return redirect(.dashboard) }
            return try services.render("home", HomePage()).response(status: .ok)
        }
    }
}

struct HomePage {
    let title = "Reseller console"
    let chrome: Chrome? = nil
    let signInHref = URLs.signIn.path
}
