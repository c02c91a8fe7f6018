import Commerce
import Storage
import Testing

/// DOMAIN.md 1, white label: an account's users see the nearest reseller at or above it that set
/// a brand; a sub-reseller's brand wins within its own subtree, its parent's above it. Without
/// one, a customer sees its seller's name (never what lies above it), staff the provider's.
@Suite struct BrandRules {
    static let northwind = BrandSettings(brandName: "Northwind Cloud", slug: "northwind", supportEmail: "support@northwind.test", primaryColor: "#0b5394")
    static let edge = BrandSettings(brandName: "Edge Hosting", slug: "edge", supportEmail: "help@edge.test", primaryColor: "#f4c542")

    static func link(_ id: Int64, _ kind: AccountKind, _ name: String, _ brand: BrandSettings? = nil) -> BrandLink {
        BrandLink(accountID: id, kind: kind, name: name, contactEmail: "billing@\(id).test", settings: brand)
    }

    /// Provider /1/ ── Northwind /1/2/ ── Edge /1/2/3/ ── Globex /1/2/3/4/; Acme /1/2/5/ buys from Northwind.
    static let provider = link(1, .provider, "Upstream Cloud Ltd")

    @Test func withoutAnyBrandStaffSeeTheProvidersNameInTheStandardColour() {
        let seen = Brand.seen(along: [Self.provider, Self.link(2, .reseller, "Northwind Hosting")])
        #expect(seen == Brand(name: "Upstream Cloud Ltd", supportEmail: "billing@1.test", color: .standard, slug: nil, accountID: 1))
        #expect(Brand.seen(along: [Self.provider])?.name == "Upstream Cloud Ltd")
    }

    @Test func withoutAnyBrandACustomerSeesItsSellersNameNeverTheProviders() {
        let chain = [Self.provider, Self.link(2, .reseller, "Northwind Hosting"), Self.link(3, .reseller, "Northwind Edge"), Self.link(4, .customer, "Globex")]
        #expect(Brand.seen(along: chain) == Brand(name: "Northwind Edge", supportEmail: "billing@3.test", color: .standard, slug: nil, accountID: 3))
        // A customer of the provider itself buys from the provider.
        #expect(Brand.seen(along: [Self.provider, Self.link(6, .customer, "Initech")])?.name == "Upstream Cloud Ltd")
    }

    @Test func aResellersBrandIsSeenByItsOwnStaffAndEveryoneBelow() throws {
        let northwind = Self.link(2, .reseller, "Northwind Hosting", Self.northwind)
        let expected = Brand(name: "Northwind Cloud", supportEmail: "support@northwind.test", color: try BrandColor.parse("#0b5394"), slug: "northwind", accountID: 2)
        #expect(Brand.seen(along: [Self.provider, northwind]) == expected)
        #expect(Brand.seen(along: [Self.provider, northwind, Self.link(5, .customer, "Acme")]) == expected)
        // An unbranded sub-reseller and its customers wear the brand above them.
        #expect(Brand.seen(along: [Self.provider, northwind, Self.link(3, .reseller, "Northwind Edge"), Self.link(4, .customer, "Globex")]) == expected)
    }

    @Test func aSubResellersOwnBrandWinsBelowItAndItsParentsAboveIt() {
        let northwind = Self.link(2, .reseller, "Northwind Hosting", Self.northwind)
        let edge = Self.link(3, .reseller, "Northwind Edge", Self.edge)
        #expect(Brand.seen(along: [Self.provider, northwind, edge, Self.link(4, .customer, "Globex")])?.name == "Edge Hosting")
        #expect(Brand.seen(along: [Self.provider, northwind, edge])?.slug == "edge")
        #expect(Brand.seen(along: [Self.provider, northwind, Self.link(5, .customer, "Acme")])?.name == "Northwind Cloud")
        #expect(Brand.seen(along: [Self.provider, northwind])?.name == "Northwind Cloud")
    }

    @Test func theProvidersOwnAccountNeverWearsAResellersBrand() {
        #expect(Brand.seen(along: [Self.provider])?.slug == nil)
        #expect(Brand.seen(along: []) == nil)
    }
}
