import Commerce
import Foundation

/// The name, colour and support address an account's users see the console under (DOMAIN.md 1,
/// white label): on every page's top bar and title, on the sign-in page, on invoices and in emails.
public struct Brand: Sendable, Equatable {
    public var name: String
    /// Where its users write for help: the brand's support address, else the named account's
    /// contact email ("" when it has none).
    public var supportEmail: String
    public var color: BrandColor
    /// The sign-in link's name when this is a reseller's own brand; nil for a plain account name.
    public var slug: String?
    /// The account whose brand, or whose name, this is.
    public var accountID: Int64

    public init(name: String, supportEmail: String, color: BrandColor, slug: String?, accountID: Int64) {
        self.name = name
        self.supportEmail = supportEmail
        self.color = color
        self.slug = slug
        self.accountID = accountID
    }

    /// `/signin?brand=northwind`, the reseller's own sign-in link.
    public var signInPath: String? { slug.map { "/signin?brand=\($0)" } }
}

/// What a reseller's admins set: its brand as stored.
public struct BrandSettings: Sendable, Equatable, Codable {
    public var brandName: String
    public var slug: String
    public var supportEmail: String
    public var primaryColor: String

    public init(brandName: String, slug: String, supportEmail: String, primaryColor: String) {
        self.brandName = brandName
        self.slug = slug
        self.supportEmail = supportEmail
        self.primaryColor = primaryColor
    }

    enum CodingKeys: String, CodingKey {
        case brandName = "brand_name", slug, supportEmail = "support_email", primaryColor = "primary_color"
    }
}

/// One account of the chain from the root (the provider) down to the viewer's account.
public struct BrandLink: Sendable, Equatable {
    public var accountID: Int64
    public var kind: AccountKind
    public var name: String
    public var contactEmail: String
    /// Its own brand, when it is a reseller that set one.
    public var settings: BrandSettings?

    public init(accountID: Int64, kind: AccountKind, name: String, contactEmail: String, settings: BrandSettings?) {
        self.accountID = accountID
        self.kind = kind
        self.name = name
        self.contactEmail = contactEmail
        self.settings = settings
    }
}

extension Brand {
    /// The rule, given the chain root first and the viewer's account last: the nearest reseller at
    /// or above the viewer that set a brand (so a sub-reseller's brand wins within its subtree, its
    /// parent's above it). Without one, a customer sees its seller's name (never what lies above
    /// its seller), and staff see the provider's name; both in the standard colour.
    public static func seen(along chain: [BrandLink]) -> Brand? {
        guard let viewer = chain.last else { return nil }
        if let branded = chain.last(where: { $0.kind == .reseller && $0.settings != nil }), let settings = branded.settings {
            return Brand(name: settings.brandName, supportEmail: settings.supportEmail,
                         color: (try? BrandColor.parse(settings.primaryColor)) ?? .standard, slug: settings.slug, accountID: branded.accountID)
        }
        let named = viewer.kind == .customer && chain.count >= 2 ? chain[chain.count - 2] : chain[0]
        return Brand(name: named.name, supportEmail: named.contactEmail, color: .standard, slug: nil, accountID: named.accountID)
    }
}
