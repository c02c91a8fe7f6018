import Commerce
import Foundation
import Localization
import Storage

/// Too many attempts for this email or from this address (the sign-in throttle said so).
struct Throttled: Error {
    let minutes: Int
    var localized: LocalizedText { LocalizedText("error.throttle.minutes", ["minutes": .number(Int64(minutes))]) }
    var message: String { localized.rendered() }
}

/// The rules behind both a page and its API twin: changing one's own password and the reset link.
extension ConsoleServices {
    /// A reset request answers after this long whether or not the email has a user, so the time
    /// taken says nothing either (the work itself is a few milliseconds).
    static let passwordResetAnswerTime: Duration = .milliseconds(250)

    /// `PUT /me/password` and the profile page: the current password is checked as a sign-in is
    /// (throttled, timing-even); the new one within the bounds of `PasswordRule`. Every other session
    /// and token of the user ends; `keepingToken` is the bearer token of the request, if any.
    func changeOwnPassword(_ actor: Actor, current: String, new: String, keepingToken: String?) async throws {
        var errors = ValidationErrors()
        if current.isEmpty { errors.add("current_password", .init("error.user.current_password")) }
        if let problem = PasswordRule.problem(new) { errors.add("password", problem) }
        try errors.throwIfAny()
        switch try await signIn(email: actor.email, password: current, address: actor.address) {
        case .signedIn(let userID) where userID == actor.userID:
            break
        case .throttled(let minutes):
            throw Throttled(minutes: minutes)
        case .signedIn, .wrongCredentials:
            errors.add("current_password", .init("error.user.wrong_password"))
            throw errors
        }
        let hash = try await passwords.hash(new)
        try await UserStore(database: database).changePassword(of: actor, passwordHash: hash, keepingToken: keepingToken)
    }

    /// `POST /password-resets` and its page: throttled like a sign-in (each request counts as a failed
    /// attempt of its email and address), then a link for the email's user if there is one, with the
    /// `password_reset` event that emails it. The caller answers the same whatever happened here.
    func requestPasswordReset(email raw: String, address: String) async throws {
        let started = ContinuousClock.now
        let email: String
        do { email = try EmailAddress.parse(raw) } catch {
            throw StoreError.invalid(field: "email", message: .init("error.field.problem", ["field": .text("email"), "problem": .text(String(describing: error))]))
        }
        let throttle = SignInThrottle(database: database)
        switch try await throttle.admit(email: email, address: address) {
        case .refused(let minutes):
            throw Throttled(minutes: minutes)
        case .proceed(let delay, let attempt):
            try await throttle.recordFailure(attempt, address: address)
            if delay > .zero { try await Task.sleep(for: delay) }
        }
        _ = try await PasswordResetStore(database: database).issue(email: email, linkBase: configuration.publicURL)
        try await Task.sleep(until: started + Self.passwordResetAnswerTime, clock: .continuous)
    }

    /// `POST /password-resets/{token}` and its page: a new password within `PasswordRule`'s bounds
    /// for the link's user; the link is used up and every session and token of the user ends.
    /// An unknown, used or expired link is `StoreError.notFound`, all alike.
    func resetPassword(token: String, password: String, address: String) async throws {
        if let problem = PasswordRule.problem(password) { throw StoreError.invalid(field: "password", message: problem) }
        guard SecretToken.isWellFormed(token) else { throw StoreError.notFound("reset link") }
        let hash = try await passwords.hash(password)
        try await PasswordResetStore(database: database).reset(token: token, passwordHash: hash, address: address)
    }
}
