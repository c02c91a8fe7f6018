import Commerce
import PropertyBased
import Testing

/// Money entry and display (DOMAIN.md 2): exact both ways, in currencies of 0, 2 and 3 digits.
@Suite struct MoneyTextTests {
    static let usd = Currency(code: "USD", exponent: 2)
    static let jpy = Currency(code: "JPY", exponent: 0)
    static let bhd = Currency(code: "BHD", exponent: 3)

    @Test func typedAmountsBecomeExactMinorUnits() throws {
        #expect(try Money.parse("12.5", currency: Self.usd).minorUnits == 1250)
        #expect(try Money.parse("12.50", currency: Self.usd).minorUnits == 1250)
        #expect(try Money.parse("0", currency: Self.usd).minorUnits == 0)
        #expect(try Money.parse("1200", currency: Self.jpy).minorUnits == 1200)
        #expect(try Money.parse("1.005", currency: Self.bhd).minorUnits == 1005)
        #expect(try Money.parse(" .5 ", currency: Self.usd).minorUnits == 50)
        #expect(try Money.parse("-4", currency: Self.usd, allowNegative: true).minorUnits == -400)
    }

    @Test func refusalsSayWhy() {
        #expect(throws: AmountError.tooManyDecimals(maximum: 2)) { try Money.parse("12.505", currency: Self.usd) }
        #expect(throws: AmountError.tooManyDecimals(maximum: 0)) { try Money.parse("12.5", currency: Self.jpy) }
        #expect(throws: AmountError.notANumber) { try Money.parse("12,50", currency: Self.usd) }
        #expect(throws: AmountError.notANumber) { try Money.parse("1e3", currency: Self.usd) }
        #expect(throws: AmountError.notANumber) { try Money.parse("12.", currency: Self.usd) }
        #expect(throws: AmountError.empty) { try Money.parse("  ", currency: Self.usd) }
        #expect(throws: AmountError.negative) { try Money.parse("-1", currency: Self.usd) }
        #expect(throws: AmountError.tooLarge) { try Money.parse("99999999999999999999", currency: Self.usd) }
        #expect(AmountError.tooManyDecimals(maximum: 0).description == "Use whole units: this currency has no decimals.")
    }

    @Test func displayShowsExactlyTheCurrencysDigits() {
        #expect(Money(minorUnits: 1250, currency: Self.usd).description == "12.50 USD")
        #expect(Money(minorUnits: -400, currency: Self.usd).amountText == "-4.00")
        #expect(Money(minorUnits: 5, currency: Self.usd).amountText == "0.05")
        #expect(Money(minorUnits: 1200, currency: Self.jpy).amountText == "1200")
        #expect(Money(minorUnits: -1, currency: Self.bhd).amountText == "-0.001")
    }

    @Test func unitPricesCarryFourMoreDigits() throws {
        let price = try UnitPrice.parse("0.1234", currency: Self.usd)
        #expect(price.scaled == 123_400, "USD has 2 digits, unit prices 4 more: 0.1234 is 123400 millionths")
        #expect(price.amountText == "0.1234")
        #expect(try UnitPrice.parse("12.5", currency: Self.usd).amountText == "12.50")
        #expect(try UnitPrice.parse("3.0001", currency: Self.jpy).amountText == "3.0001")
        #expect(throws: AmountError.tooManyDecimals(maximum: 6)) { try UnitPrice.parse("0.1234567", currency: Self.usd) }
    }

    @Test func ratesHaveSixDecimalsAndArePositive() throws {
        #expect(try RateValue.parse("0.912345").scaled == 912_345)
        #expect(try RateValue.parse("1").text == "1.000000")
        #expect(throws: AmountError.notPositive) { try RateValue.parse("0") }
        #expect(throws: AmountError.tooManyDecimals(maximum: 6)) { try RateValue.parse("0.9123456") }
    }

    @Test(arguments: [0, 2, 3])
    func formattingThenParsingGivesTheSameMinorUnits(exponent: Int) async {
        let currency = Currency(code: "XTS", exponent: exponent)
        await propertyCheck(count: 3000, input: Gen.int64(in: -1_000_000_000_000_000...1_000_000_000_000_000)) { minor in
            let text = Money(minorUnits: minor, currency: currency).amountText
            #expect((try? Money.parse(text, currency: currency, allowNegative: true).minorUnits) == minor)
            #expect(text.split(separator: ".").dropFirst().first?.count ?? 0 == exponent)
        }
    }

    @Test(arguments: [0, 2, 3])
    func parsingThenFormattingKeepsTheValueTyped(exponent: Int) async {
        let currency = Currency(code: "XTS", exponent: exponent)
        let digits = Gen.int(in: 0...9)
        await propertyCheck(count: 3000, input: Gen.int(in: 0...999_999_999), digits.array(of: 0...exponent)) { whole, fraction in
            let typed = fraction.isEmpty ? "\(whole)" : "\(whole)." + fraction.map(String.init).joined()
            let shown = (try? Money.parse(typed, currency: currency))?.amountText
            // Same number, padded to the currency's digits.
            let expected = exponent == 0 ? "\(whole)" : "\(whole)." + (fraction.map(String.init).joined() + String(repeating: "0", count: exponent - fraction.count))
            #expect(shown == expected)
        }
    }

    @Test(arguments: [0, 2, 3])
    func moreDigitsThanTheCurrencyHasAreAlwaysRefused(exponent: Int) async {
        let currency = Currency(code: "XTS", exponent: exponent)
        await propertyCheck(count: 1000, input: Gen.int(in: 0...99_999), Gen.int(in: 1...9).array(of: (exponent + 1)...(exponent + 4))) { whole, fraction in
            let typed = "\(whole)." + fraction.map(String.init).joined()
            #expect(throws: AmountError.tooManyDecimals(maximum: exponent)) { try Money.parse(typed, currency: currency) }
        }
    }

    @Test func unitPricesRoundTripAtEveryScale() async {
        await propertyCheck(count: 3000, input: Gen.int64(in: 0...10_000_000_000_000), Gen.int(in: 0...3)) { scaled, exponent in
            let currency = Currency(code: "XTS", exponent: exponent == 1 ? 0 : exponent)
            let price = UnitPrice(scaled: scaled, currency: currency)
            #expect((try? UnitPrice.parse(price.amountText, currency: currency)) == price)
        }
    }
}
