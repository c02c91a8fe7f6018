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

// MARK: Values by name for the templates

// Looked up by name, not by reflection (swift-mustache builds a `Mirror` of the value for each
// `{{name}}` otherwise): every stored property, nothing else; MustacheLookupTests holds them to that.

extension HomePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "chrome": chrome
        case "signInHref": signInHref
        default: nil
        }
    }
}
