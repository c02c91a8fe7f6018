/// One line of a quote: what it is, the days it is prorated over, and its amount in the plan
/// currency, rounded once from its exact value.
public struct QuoteLine: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable {
        case resourceChange = "resource_change"
        case setupFee = "setup_fee"
        case upgradeFee = "upgrade_fee"
        case resourceSwitch = "resource_switch"
        case planCredit = "plan_credit"
        case planDebit = "plan_debit"
        case resourceCredit = "resource_credit"
        case resourceDebit = "resource_debit"
        /// A whole period's subscription fee (sales, renewals, postpaid period invoices).
        case periodFee = "period_fee"
        /// Additional units × months × the monthly fee, for a whole period.
        case recurringFee = "recurring_fee"
        /// A postpaid change carried onto the period's invoice.
        case periodChange = "period_change"
    }

    public var kind: Kind
    public var description: String
    public var resourceCode: String?
    public var quantityDelta: Int64?
    public var unitPrice: UnitPrice?
    public var daysRemaining: Int
    public var daysInPeriod: Int
    /// Minor units of the plan currency.
    public var amount: Int64
    /// The value before its one rounding.
    public var exact: Rational

    public init(kind: Kind, description: String, resourceCode: String? = nil, quantityDelta: Int64? = nil, unitPrice: UnitPrice? = nil,
                daysRemaining: Int, daysInPeriod: Int, exact: Rational) {
        self.kind = kind
        self.description = description
        self.resourceCode = resourceCode
        self.quantityDelta = quantityDelta
        self.unitPrice = unitPrice
        self.daysRemaining = daysRemaining
        self.daysInPeriod = daysInPeriod
        self.exact = exact
        self.amount = exact.roundedHalfAwayFromZero()
    }

    /// Whose prices the line is in, when a plan switch mixes a plan with taxes included and one
    /// without (DOMAIN.md 6); nil: the quote's terms say.
    public var pricesIncludeTaxes: Bool?

    /// The same line priced at zero (a change during a free trial, DOMAIN.md 6).
    public var free: QuoteLine {
        var line = self
        line.exact = Rational(0)
        line.amount = 0
        return line
    }
}

/// A priced change (DOMAIN.md 6): lines, discount, tax and total in the plan currency, and the
/// same figures in the invoice currency when it differs. An order stores exactly this.
public struct Quote: Sendable, Hashable {
    public struct Totals: Sendable, Hashable {
        public var currency: Currency
        public var lines: [Int64]
        public var discounts: [Int64]
        public var subtotal: Int64
        public var discount: Int64
        public var tax: Int64
        public var total: Int64
    }

    public var lines: [QuoteLine]
    /// In the plan currency.
    public var plan: Totals
    /// In the invoice (seller's) currency when it differs from the plan's; what the invoice charges.
    public var converted: Totals?
    public var rate: RateValue?

    /// The figures the invoice charges.
    public var charged: Totals { converted ?? plan }
}

/// What a quote needs besides its lines: currencies, the rate between them, tax and promo.
public struct QuoteTerms: Sendable, Hashable {
    public var planCurrency: Currency
    public var invoiceCurrency: Currency
    /// `1 plan currency = rate invoice currency`; required when the currencies differ.
    public var rate: RateValue?
    /// The customer's tax rate as a fraction (0.20 for 20 %).
    public var taxRate: Rational
    public var pricesIncludeTaxes: Bool
    /// The promo code's percentage as a fraction (0.10 for 10 %), if one applies.
    public var promo: Rational?

    public init(planCurrency: Currency, invoiceCurrency: Currency, rate: RateValue?, taxRate: Rational, pricesIncludeTaxes: Bool, promo: Rational?) {
        self.planCurrency = planCurrency
        self.invoiceCurrency = invoiceCurrency
        self.rate = rate
        self.taxRate = taxRate
        self.pricesIncludeTaxes = pricesIncludeTaxes
        self.promo = promo
    }
}

public enum Pricing {
    private static let unitScale = Int128(10_000)  // UnitPrice carries 4 digits more than minor units

    private static func pow10(_ n: Int) -> Int128 { (0..<n).reduce(Int128(1)) { result, _ in result * 10 } }

    /// Δ units at `price` per unit per month, over `months` months, prorated R/D:
    /// exact Δ × m × P × R / D, in minor units.
    public static func prorated(units: Int64, monthly price: UnitPrice, months: Int, remaining: Int, days: Int) -> Rational {
        Rational(Int128(units) * Int128(months) * Int128(price.scaled) * Int128(remaining), Int128(days) * unitScale)
    }

    /// A fee for a whole period, prorated R/D.
    public static func prorated(periodFee: UnitPrice, remaining: Int, days: Int) -> Rational {
        Rational(Int128(periodFee.scaled) * Int128(remaining), Int128(days) * unitScale)
    }

    /// Units × a one-off price (setup fees): not prorated.
    public static func once(units: Int64, price: UnitPrice) -> Rational {
        Rational(Int128(units) * Int128(price.scaled), unitScale)
    }

    /// Minor units of one currency in another at `rate` (6 decimals), rounded once.
    public static func convert(_ amount: Int64, from: Currency, to: Currency, rate: RateValue) -> Int64 {
        Rational(Int128(amount) * Int128(rate.scaled) * pow10(to.exponent),
                 pow10(RateValue.scale) * pow10(from.exponent)).roundedHalfAwayFromZero()
    }

    /// Discounts per positive line, conversion per line and discount, tax last on the subtotal
    /// after discount, rounded once (DOMAIN.md 6).
    public static func quote(_ lines: [QuoteLine], terms: QuoteTerms) -> Quote {
        let amounts = lines.map(\.amount)
        let included = lines.map { $0.pricesIncludeTaxes ?? terms.pricesIncludeTaxes }
        let discounts = amounts.map { amount -> Int64 in
            guard let promo = terms.promo, amount > 0 else { return 0 }
            return (Rational(Int128(amount)) * promo).roundedHalfAwayFromZero()
        }
        let plan = totals(amounts, discounts, included: included, currency: terms.planCurrency, taxRate: terms.taxRate)
        guard terms.invoiceCurrency != terms.planCurrency, let rate = terms.rate else {
            return Quote(lines: lines, plan: plan, converted: nil, rate: nil)
        }
        let convert = { (amount: Int64) in Self.convert(amount, from: terms.planCurrency, to: terms.invoiceCurrency, rate: rate) }
        let converted = totals(amounts.map(convert), discounts.map(convert), included: included, currency: terms.invoiceCurrency, taxRate: terms.taxRate)
        return Quote(lines: lines, plan: plan, converted: converted, rate: rate)
    }

    /// Subtotal, discount, tax and total of lines; `included[i]` says whether line i's prices include taxes.
    public static func totals(_ lines: [Int64], _ discounts: [Int64], included: [Bool], currency: Currency, taxRate: Rational) -> Quote.Totals {
        let subtotal = lines.reduce(0, +)
        let discount = discounts.reduce(0, +)
        let (tax, added) = self.tax(lines, discounts, included: included, rate: taxRate)
        return Quote.Totals(currency: currency, lines: lines, discounts: discounts, subtotal: subtotal, discount: discount, tax: tax,
                            total: subtotal - discount + added)
    }

    /// DOMAIN.md 6, taxes: round(rate × the lines without taxes + rate / (1 + rate) × the lines with
    /// taxes, each after its discount), rounded once; only the first part is added to the total.
    public static func tax(_ lines: [Int64], _ discounts: [Int64], included: [Bool], rate: Rational) -> (tax: Int64, added: Int64) {
        var without: Int128 = 0, with: Int128 = 0
        for index in lines.indices {
            let net = Int128(lines[index]) - Int128(discounts[index])
            if included[index] { with += net } else { without += net }
        }
        let added = Rational(without) * rate
        let contained = Rational(with) * rate / (Rational(1) + rate)
        return ((added + contained).roundedHalfAwayFromZero(), added.roundedHalfAwayFromZero())
    }

    /// A decimal fraction typed as text (`"0.20"`, `"12.5"`) as a Rational; nil when not a plain decimal.
    public static func fraction(_ text: String) -> Rational? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int128(parts[0].isEmpty ? "0" : String(parts[0])) else { return nil }
        let decimals = parts.count == 2 ? String(parts[1]) : ""
        guard decimals.count <= 12, decimals.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let scale = pow10(decimals.count)
        return Rational(whole * scale + (Int128(decimals.isEmpty ? "0" : decimals) ?? 0), scale)
    }
}
