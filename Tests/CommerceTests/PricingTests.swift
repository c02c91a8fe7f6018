import Commerce
import PropertyBased
import Testing

/// DOMAIN.md 6 to the minor unit: proration by days, one half-up rounding per line, promo,
/// conversion and tax in that order.
@Suite struct PricingTests {
    static let usd = Currency(code: "USD", exponent: 2)
    static let eur = Currency(code: "EUR", exponent: 2)
    static let jpy = Currency(code: "JPY", exponent: 0)
    static let bhd = Currency(code: "BHD", exponent: 3)

    static func price(_ text: String, _ currency: Currency = usd) -> UnitPrice { try! UnitPrice.parse(text, currency: currency) }
    static func date(_ text: String) -> BusinessDate { BusinessDate(text)! }
    static func period(_ start: String, months: Int = 1, anchor: Int? = nil) -> BillingPeriod {
        let start = date(start)
        return BillingPeriod(starting: start, months: months, anchorDay: anchor ?? start.day)
    }
    static func change(_ monthly: String, delta: Int64, _ period: BillingPeriod, on day: String, currency: Currency = usd) -> Int64 {
        let price = ChangePricing.ResourcePrice(code: "ram_gb", monthly: Self.price(monthly, currency), setup: Self.price("0", currency))
        return ChangePricing.quantityChange(price, delta: delta, period: period, on: date(day))[0].amount
    }

    @Test func theKillBillExampleOfDomain6() {
        // Silver $20 for 04-11 → 05-11, a switch to Gold at $30 on 04-26: credit −$10.00, debit +$15.00 (R = 15, D = 30).
        let period = Self.period("2026-04-11")
        #expect(period.end == Self.date("2026-05-11"))
        #expect(period.days == 30)
        #expect(period.daysRemaining(at: Self.date("2026-04-26")) == 15)
        let lines = ChangePricing.planSwitch(oldFee: Self.price("20"), newFee: Self.price("30"), old: [], new: [], period: period, newMonths: 1, on: Self.date("2026-04-26"))
        #expect(lines.map(\.amount) == [-1000, 1500])
        #expect(lines.map(\.kind) == [.planCredit, .planDebit])
    }

    @Test(arguments: [
        // monthly price, Δ, period start, change day, expected minor units — worked by hand in the comments.
        ("2.50", Int64(4), "2026-02-01", "2026-02-01", Int64(1000)),  // first day: R = D = 28, 4 × 2.50
        ("2.50", 4, "2026-02-01", "2026-02-28", 36),                  // last day: R = 1, 10/28 = 0.357 → 0.36
        ("2.50", 4, "2028-02-01", "2028-02-15", 517),                 // 29-day February: 150/29 = 5.172 → 5.17
        ("2.50", 4, "2026-04-01", "2026-04-21", 333),                 // 30 days, R = 10: 3.333 → 3.33
        ("2.50", 4, "2026-01-01", "2026-01-17", 484),                 // 31 days, R = 15: 150/31 = 4.839 → 4.84
        ("2.50", -4, "2026-01-01", "2026-01-17", -484),               // a reduction is the same line, negative
        ("0.01", 1, "2026-04-01", "2026-04-16", 1),                   // exactly half a cent (0.005): half up → 0.01, not half even 0.00
        ("0.01", -1, "2026-04-01", "2026-04-16", -1),                 // and away from zero going down
        ("0.001250", 1000, "2026-04-01", "2026-04-01", 125),          // 4 extra decimals: 1000 × 0.00125 = 1.25
        ("0.1234", 100, "2026-04-01", "2026-04-16", 617),             // 100 × 0.1234 × 15/30 = 6.17
    ])
    func quantityChangesAreProratedByDays(monthly: String, delta: Int64, start: String, day: String, expected: Int64) {
        #expect(Self.change(monthly, delta: delta, Self.period(start), on: day) == expected)
    }

    @Test func aSubscriptionStartedOnThe31stKeepsItsDay() {
        let first = Self.period("2026-01-31")
        #expect(first.end == Self.date("2026-02-28"))
        let second = BillingPeriod(starting: first.end, months: 1, anchorDay: 31)
        #expect(second.end == Self.date("2026-03-31"))
        #expect(second.days == 31)
        // 1 × 2.50 × 30/31 = 2.419 → 2.42
        #expect(Self.change("2.50", delta: 1, second, on: "2026-03-01") == 242)
        #expect(BillingPeriod(starting: Self.date("2028-01-31"), months: 1, anchorDay: 31).end == Self.date("2028-02-29"), "leap year")
    }

    @Test func aTwelveMonthPeriodChargesTwelveMonthsProrated() {
        let year = Self.period("2026-01-15", months: 12)
        #expect(year.end == Self.date("2027-01-15"))
        #expect(year.days == 365)
        // 2 × 12 × 10.00 × 184/365 = 120.986 → 120.99
        #expect(Self.change("10", delta: 2, year, on: "2026-07-15") == 12099)
    }

    @Test func currenciesWithZeroAndThreeDigits() {
        let march = Self.period("2026-03-01")
        // JPY: 3 × 1000 × 10/31 = 967.74 → 968 yen
        #expect(Self.change("1000", delta: 3, march, on: "2026-03-22", currency: Self.jpy) == 968)
        // BHD: 1.250 × 10/31 = 0.40322 → 0.403
        #expect(Self.change("1.250", delta: 1, march, on: "2026-03-22", currency: Self.bhd) == 403)
    }

    @Test func taxesExclusiveAndInclusive() {
        let line = QuoteLine(kind: .resourceChange, description: "x", daysRemaining: 30, daysInPeriod: 30, exact: Rational(1000))
        let exclusive = Pricing.quote([line], terms: QuoteTerms(planCurrency: Self.usd, invoiceCurrency: Self.usd, rate: nil,
                                                                 taxRate: Pricing.fraction("0.20")!, pricesIncludeTaxes: false, promo: nil))
        #expect((exclusive.plan.subtotal, exclusive.plan.tax, exclusive.plan.total) == (1000, 200, 1200))
        let inclusive = Pricing.quote([QuoteLine(kind: .resourceChange, description: "x", daysRemaining: 30, daysInPeriod: 30, exact: Rational(1200))],
                                      terms: QuoteTerms(planCurrency: Self.usd, invoiceCurrency: Self.usd, rate: nil,
                                                        taxRate: Pricing.fraction("0.20")!, pricesIncludeTaxes: true, promo: nil))
        // The tax is the part contained: 12.00 × 0.2 / 1.2 = 2.00; the total stays 12.00.
        #expect((inclusive.plan.tax, inclusive.plan.total) == (200, 1200))
        let awkward = Pricing.quote([QuoteLine(kind: .resourceChange, description: "x", daysRemaining: 1, daysInPeriod: 1, exact: Rational(999))],
                                    terms: QuoteTerms(planCurrency: Self.usd, invoiceCurrency: Self.usd, rate: nil,
                                                      taxRate: Pricing.fraction("0.19")!, pricesIncludeTaxes: true, promo: nil))
        // 9.99 × 0.19 / 1.19 = 1.5950 → 1.60
        #expect(awkward.plan.tax == 160)
    }

    @Test func promoDiscountsPositiveLinesOnlyAndTaxComesLast() {
        let lines = [QuoteLine(kind: .resourceChange, description: "up", daysRemaining: 30, daysInPeriod: 30, exact: Rational(1000)),
                     QuoteLine(kind: .resourceChange, description: "down", daysRemaining: 30, daysInPeriod: 30, exact: Rational(-500))]
        let quote = Pricing.quote(lines, terms: QuoteTerms(planCurrency: Self.usd, invoiceCurrency: Self.usd, rate: nil,
                                                           taxRate: Pricing.fraction("0.20")!, pricesIncludeTaxes: false, promo: Pricing.fraction("0.10")))
        #expect(quote.plan.discounts == [100, 0])
        #expect((quote.plan.subtotal, quote.plan.discount, quote.plan.tax, quote.plan.total) == (500, 100, 80, 480))
    }

    @Test func conversionAtASixDecimalRateIsPerLineThenTax() {
        let lines = [QuoteLine(kind: .resourceChange, description: "a", daysRemaining: 30, daysInPeriod: 30, exact: Rational(1000)),
                     QuoteLine(kind: .setupFee, description: "b", daysRemaining: 30, daysInPeriod: 30, exact: Rational(333))]
        let quote = Pricing.quote(lines, terms: QuoteTerms(planCurrency: Self.usd, invoiceCurrency: Self.eur, rate: try! RateValue.parse("0.912345"),
                                                           taxRate: Pricing.fraction("0.20")!, pricesIncludeTaxes: false, promo: Pricing.fraction("0.10")))
        let eur = try! #require(quote.converted)
        // 10.00 × 0.912345 = 9.12345 → 9.12; 3.33 × 0.912345 = 3.0381 → 3.04; discounts 1.00 → 0.91, 0.33 → 0.30
        #expect(eur.lines == [912, 304])
        #expect(eur.discounts == [91, 30])
        #expect((eur.subtotal, eur.discount) == (1216, 121))
        // Tax on 10.95 EUR: 2.19
        #expect((eur.tax, eur.total) == (219, 1314))
        #expect(quote.charged.currency == Self.eur)
        // Between currencies of different digits: 1.00 USD at 149.123456 → 149 JPY; 100 JPY at 0.006706 → 0.67 USD
        #expect(Pricing.convert(100, from: Self.usd, to: Self.jpy, rate: try! RateValue.parse("149.123456")) == 149)
        #expect(Pricing.convert(100, from: Self.jpy, to: Self.usd, rate: try! RateValue.parse("0.006706")) == 67)
    }

    @Test func resourceSwitchChargesFeeMarginAndSetupAndTheDowngradeHasNoFee() {
        let basic = ChangePricing.ResourcePrice(code: "support_basic", monthly: Self.price("5"), setup: Self.price("0"))
        let premium = ChangePricing.ResourcePrice(code: "support_premium", monthly: Self.price("15"), setup: Self.price("2"))
        let period = Self.period("2026-04-11")
        let up = ChangePricing.resourceSwitch(from: basic, to: premium, upgradeFee: 1000, isDowngrade: false, period: period, on: Self.date("2026-04-26"))
        // fee 10.00, margin (15 − 5) × 15/30 = 5.00, setup 2.00
        #expect(up.map(\.amount) == [1000, 500, 200])
        let down = ChangePricing.resourceSwitch(from: premium, to: basic, upgradeFee: 1000, isDowngrade: true, period: period, on: Self.date("2026-04-26"))
        #expect(down.map(\.amount) == [-500])
    }

    @Test func planSwitchWithANewBillingPeriodDebitsTheWholeNewPeriod() {
        let period = Self.period("2026-04-11")
        let old = [ChangePricing.Held(code: "ram_gb", additional: 2, monthly: Self.price("2.50"))]
        let new = [ChangePricing.Held(code: "ram_gb", additional: 2, monthly: Self.price("2"))]
        let lines = ChangePricing.planSwitch(oldFee: Self.price("20"), newFee: Self.price("216"), old: old, new: new, period: period,
                                             newMonths: 12, on: Self.date("2026-04-26"))
        // credit −10.00; debit 216.00; ram credit −2 × 2.50 × 15/30 = −2.50; ram debit 2 × 12 × 2.00 = 48.00
        #expect(lines.map(\.amount) == [-1000, 21600, -250, 4800])
        let samePeriod = ChangePricing.planSwitch(oldFee: Self.price("20"), newFee: Self.price("30"), old: old, new: old, period: period,
                                                  newMonths: 1, on: Self.date("2026-04-26"))
        #expect(samePeriod.count == 2, "a resource whose price does not differ gets no lines")
    }

    // MARK: Properties, thousands of cases each

    static let prices = Gen.int64(in: 0...50_000_000)       // up to 50.000000 per unit per month (USD, 6 digits)
    static let deltas = Gen.int64(in: -500...500)
    static let offsets = Gen.int(in: 0...400)

    @Test func everyRoundedLineIsWithinHalfAMinorUnitOfItsExactValue() async {
        await propertyCheck(count: 3000, input: Self.prices, Self.deltas, Self.offsets, Gen.int(in: 0...3)) { scaled, delta, offset, monthsIndex in
            let months = [1, 3, 6, 12][monthsIndex]
            let start = BusinessDate(ordinal: 20_000 + offset)
            let period = BillingPeriod(starting: start, months: months, anchorDay: start.day)
            let day = start.adding(days: offset % period.days)
            let price = ChangePricing.ResourcePrice(code: "r", monthly: UnitPrice(scaled: scaled, currency: Self.usd), setup: UnitPrice(scaled: 0, currency: Self.usd))
            for line in ChangePricing.quantityChange(price, delta: delta, period: period, on: day) {
                let error = Rational(Int128(line.amount)) - line.exact
                #expect(error <= Rational(1, 2) && error >= Rational(-1, 2))
            }
        }
    }

    @Test func linesSumToTheSubtotalAndTheTotalAddsUp() async {
        await propertyCheck(count: 2000, input: Self.deltas.array(of: 1...6), Self.prices, Gen.int(in: 0...30), Gen.bool) { deltas, scaled, promo, inclusive in
            let period = Self.period("2026-04-11")
            let price = ChangePricing.ResourcePrice(code: "r", monthly: UnitPrice(scaled: scaled, currency: Self.usd), setup: UnitPrice(scaled: 1234, currency: Self.usd))
            let lines = deltas.flatMap { ChangePricing.quantityChange(price, delta: $0, period: period, on: Self.date("2026-04-20")) }
            let quote = Pricing.quote(lines, terms: QuoteTerms(planCurrency: Self.usd, invoiceCurrency: Self.eur, rate: try! RateValue.parse("0.912345"),
                                                               taxRate: Pricing.fraction("0.2")!, pricesIncludeTaxes: inclusive,
                                                               promo: promo == 0 ? nil : Rational(Int128(promo), 100)))
            for totals in [quote.plan, quote.converted!] {
                #expect(totals.lines.reduce(0, +) == totals.subtotal)
                #expect(totals.discounts.reduce(0, +) == totals.discount)
                #expect(totals.total == totals.subtotal - totals.discount + (inclusive ? 0 : totals.tax))
            }
        }
    }

    @Test func anUpgradeAndTheSameDowngradeOnOneDayNetToZero() async {
        await propertyCheck(count: 3000, input: Self.prices, Gen.int64(in: 1...500), Self.offsets) { scaled, delta, offset in
            let start = BusinessDate(ordinal: 20_500 + offset)
            let period = BillingPeriod(starting: start, months: 1, anchorDay: start.day)
            let day = start.adding(days: offset % period.days)
            let price = ChangePricing.ResourcePrice(code: "r", monthly: UnitPrice(scaled: scaled, currency: Self.usd), setup: UnitPrice(scaled: 0, currency: Self.usd))
            let up = ChangePricing.quantityChange(price, delta: delta, period: period, on: day)[0].amount
            let down = ChangePricing.quantityChange(price, delta: -delta, period: period, on: day)[0].amount
            #expect(abs(up + down) <= 1)
            let a = ChangePricing.ResourcePrice(code: "a", monthly: UnitPrice(scaled: scaled, currency: Self.usd), setup: UnitPrice(scaled: 0, currency: Self.usd))
            let b = ChangePricing.ResourcePrice(code: "b", monthly: UnitPrice(scaled: scaled / 3 + 7, currency: Self.usd), setup: UnitPrice(scaled: 0, currency: Self.usd))
            let switchUp = ChangePricing.resourceSwitch(from: a, to: b, upgradeFee: 0, isDowngrade: false, period: period, on: day).map(\.amount).reduce(0, +)
            let switchDown = ChangePricing.resourceSwitch(from: b, to: a, upgradeFee: 0, isDowngrade: true, period: period, on: day).map(\.amount).reduce(0, +)
            #expect(abs(switchUp + switchDown) <= 1)
        }
    }
}
