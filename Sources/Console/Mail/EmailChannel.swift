import Commerce
import Foundation
import Logging
import Mail
import MariaDB
import Notifications
import Storage

/// The outbox's email channel (DOMAIN.md 11): each event of an account goes to its contact address
/// and its active users, one message each, in the recipient's language and under the brand the
/// account sees (a customer of a branded reseller never sees the provider's name); a password
/// reset goes to its user alone. An SMTP 5xx is final (`rejected`), anything else is tried again by the worker.
public struct EmailChannel: OutboxChannel {
    public var name: String { "email" }
    let database: MariaDBDatabase
    let transport: any MailTransport
    let composer: MailComposer
    let logger: Logger

    public init(database: MariaDBDatabase, transport: any MailTransport, fromAddress: String, logger: Logger) {
        self.database = database
        self.transport = transport
        composer = MailComposer(fromAddress: fromAddress)
        self.logger = logger
    }

    /// The SMTP server of the configuration, or the local sink when it names none.
    public init(configuration: ConsoleConfiguration, database: MariaDBDatabase, logger: Logger) {
        self.init(database: database, transport: configuration.mail.transport(root: configuration.rootDirectory),
                  fromAddress: configuration.mail.fromAddress, logger: logger)
    }

    public func destinations(for events: [OutboxEvent], on tx: MariaDBDatabase) async throws -> [OutboxDestination] {
        var destinations: [OutboxDestination] = []
        for event in events {
            guard let type = OutboxEventType(rawValue: event.type) else { continue }
            let addressees: [MailAddressee]
            if type == .passwordReset {
                // The link signs its holder in: it goes to the user it was made for, nobody else.
                guard let userID = (try? JSONDecoder.snakeCase.decode(ResetPayload.self, from: Data(event.payload.utf8)))?.userId,
                      let user = try await MailFactsStore.user(userID, on: tx) else { continue }
                addressees = [user]
            } else {
                addressees = try await MailFactsStore.addressees(ofAccount: event.accountID, on: tx)
            }
            for addressee in addressees where SMTPClient.isSendableAddress(addressee.email) {
                destinations.append(OutboxDestination(eventID: event.id, channel: name, destination: addressee.email,
                                                      accountID: addressee.accountID, accountPath: addressee.accountPath))
            }
        }
        return destinations
    }

    public func deliver(_ delivery: OutboxDelivery) async -> OutboxAttemptResult {
        let message: MailMessage
        do {
            guard let composed = try await compose(delivery) else {
                return .cancelled(reason: "nothing to send: the recipient or the event's object is gone")
            }
            message = composed
        } catch {
            return .failed(code: nil, error: "composing: \(error)")
        }
        do {
            try await transport.deliver(message)
            return .delivered(code: 250)
        } catch {
            logger.notice("email not accepted", metadata: ["delivery": "\(delivery.id)", "event": "\(delivery.event.type)", "error": "\(error)"])
            return error.isPermanent ? .rejected(code: error.replyCode, error: error.reason) : .failed(code: error.replyCode, error: error.reason)
        }
    }

    /// The message for one delivery, from what the database holds when it is sent; nil when the
    /// recipient is no longer one (a disabled user, a changed contact) or the object is gone.
    func compose(_ delivery: OutboxDelivery) async throws -> MailMessage? {
        let event = delivery.event
        guard let type = OutboxEventType(rawValue: event.type) else { return nil }
        let facts = MailFactsStore(database: database)
        guard let addressee = try await facts.addressee(email: delivery.destination, accountID: delivery.accountID),
              let mailEvent = try await mailEvent(type, event, facts) else { return nil }
        let brand = try await BrandStore(database: database).brand(seenByAccountID: event.accountID)
        return composer.message(for: mailEvent, brand: MailBrand(name: brand.name, supportEmail: brand.supportEmail.isEmpty ? nil : brand.supportEmail, color: brand.color),
                                to: MailRecipient(name: addressee.name, address: addressee.email, locale: addressee.locale))
    }

    private func mailEvent(_ type: OutboxEventType, _ event: OutboxEvent, _ facts: MailFactsStore) async throws -> MailEvent? {
        guard let objectID = event.objectID else { return nil }
        switch type {
        case .invoiceIssued:
            return try await facts.invoice(objectID).map { .invoiceIssued(number: $0.number, total: $0.total, issuedOn: $0.issuedOn) }
        case .paymentReceived:
            return try await facts.payment(objectID).map { .paymentReceived(invoiceNumber: $0.invoiceNumber, amount: $0.amount) }
        case .orderCompleted:
            return try await facts.order(objectID).map { .orderCompleted(orderID: $0.orderID, subscription: $0.subscription, summary: $0.summary) }
        case .orderFailed:
            return try await facts.order(objectID).map { .orderFailed(orderID: $0.orderID, subscription: $0.subscription, summary: $0.summary) }
        case .renewalDue:
            guard let title = try await facts.subscriptionTitle(objectID) else { return nil }
            let renewal = try? JSONDecoder.snakeCase.decode(RenewalPayload.self, from: Data(event.payload.utf8))
            var invoice: MailFactsStore.InvoiceFacts?
            if let renewal { invoice = try await facts.invoice(ofOrder: renewal.orderId) }
            return .renewalDue(subscription: title, periodEnd: renewal?.periodStart ?? "", invoiceNumber: invoice?.number, total: invoice?.total)
        case .subscriptionSuspended:
            return try await facts.subscriptionTitle(objectID).map { .subscriptionSuspended(subscription: $0) }
        case .passwordReset:
            guard let reset = try? JSONDecoder.snakeCase.decode(ResetPayload.self, from: Data(event.payload.utf8)), reset.userId == objectID else { return nil }
            return .passwordReset(link: reset.link, validMinutes: reset.validMinutes ?? 60)
        }
    }

    /// What the `password_reset` event carries (Storage's PasswordResetStore records it).
    struct ResetPayload: Decodable {
        var userId: Int64
        var link: String
        var validMinutes: Int?
    }

    /// What the `renewal_due` event carries: the renewal order and the day the new period starts.
    struct RenewalPayload: Decodable {
        var orderId: Int64
        var periodStart: String?
    }
}

private extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
