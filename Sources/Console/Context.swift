import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import Storage

/// The first stage of every request: maybe a session, maybe a signed-in actor.
public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Filled by the session middleware; shared with it so changes made by handlers reach the response.
    public var session: SessionBox
    /// The signed-in user, when there is one (resolved from the session or a bearer token).
    public var actor: Actor?
    /// The peer, made into text only when asked (sign-in, the actor, the audit), not for every request.
    private let peer: SocketAddress?
    /// The client's address a trusted proxy forwarded (`ForwardedForMiddleware`), when there is one.
    public var forwardedAddress: String?
    /// Who sent the request: the client behind a trusted proxy, else the connection's peer.
    public var remoteAddress: String { forwardedAddress ?? peer?.ipAddress ?? "unknown" }
    /// The connection's own peer, whatever it forwards.
    public var peerAddress: String? { peer?.ipAddress }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.session = SessionBox(nil)
        self.actor = nil
        self.forwardedAddress = nil
        self.peer = source.channel.remoteAddress
    }

    /// Forms are small; anything bigger is refused before it is read.
    public var maxUploadSize: Int { 1_048_576 }
}

/// A request from a signed-in user: handlers in this stage cannot run without an actor,
/// because this context cannot be built without one.
public struct SignedInContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let session: SessionBox
    public let actor: Actor

    public init(context: AppContext) throws {
        guard let actor = context.actor else { throw NotSignedIn() }
        self.coreContext = context.coreContext
        self.session = context.session
        self.actor = actor
    }

    public var scope: TenantScope { actor.scope }
}

/// Raised when a signed-in stage is reached without a user: pages redirect to sign-in, the API answers 401.
public struct NotSignedIn: Error {}

/// The session of a request, in a box so middleware sees what handlers changed.
public final class SessionBox: Sendable {
    public enum Change: Sendable { case none, updated, rotated, cleared }

    private let state: NIOLockedValueBox<(session: ConsoleSession?, change: Change)>
    /// A customer's available credit as the top bar shows it, read once per page request; never stored.
    private let credit = NIOLockedValueBox<String?>(nil)

    public var availableCredit: String? {
        get { credit.withLockedValue { $0 } }
        set { credit.withLockedValue { $0 = newValue } }
    }

    public init(_ session: ConsoleSession?) {
        state = .init((session, .none))
    }

    public var current: ConsoleSession? { state.withLockedValue { $0.session } }
    public var change: Change { state.withLockedValue { $0.change } }

    /// Replaces the session under a new id (sign-in, first visit): the old id stops working.
    public func rotate(to session: ConsoleSession) {
        state.withLockedValue { $0 = (session, .rotated) }
    }

    public func update(_ edit: (inout ConsoleSession) -> Void) {
        state.withLockedValue { value in
            guard var session = value.session else { return }
            edit(&session)
            value.session = session
            if value.change == .none { value.change = .updated }
        }
    }

    public func clear() {
        state.withLockedValue { $0 = (nil, .cleared) }
    }
}

/// What a console session holds; kept in MariaDB so every app node shares it.
public struct ConsoleSession: Codable, Sendable, Equatable {
    public var userID: Int64?
    /// Bound to the session; every state-changing form must send it back.
    public var csrfToken: String
    public var signedInAt: Date?
    /// A one-time message for the next page ("Reseller created.").
    public var flash: String?

    public init(userID: Int64? = nil, signedInAt: Date? = nil) {
        self.userID = userID
        self.csrfToken = ConsoleSession.randomToken()
        self.signedInAt = signedInAt
    }

    public static func randomToken() -> String { SecretToken.random() }
}
