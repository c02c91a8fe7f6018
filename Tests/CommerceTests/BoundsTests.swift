import Commerce
import PropertyBased
import Testing

/// DOMAIN.md 10: the bounded types every input goes through. A value is accepted exactly when it
/// is inside its bounds, whatever text or integer arrives, and nothing here can trap.
@Suite struct BoundsTests {
    static let anyInt64 = Gen.int64(in: Int64.min...Int64.max)
    static let nearTheBounds = Gen.int64(in: -1_000_000_010...1_000_000_010)

    // MARK: Whole numbers

    @Test func unitsAcceptExactlyPlusOrMinusABillion() throws {
        #expect(try Units.parse("1000000000").value == 1_000_000_000)
        #expect(try Units.parse(" -1000000000 ").value == -1_000_000_000)
        #expect(try Units.parse("+7").value == 7)
        #expect(throws: BoundsError.outOfRange(minimum: -1_000_000_000, maximum: 1_000_000_000)) { try Units.parse("1000000001") }
        #expect(throws: BoundsError.outOfRange(minimum: -1_000_000_000, maximum: 1_000_000_000)) { try Units.parse("-9223372036854775808") }
        #expect(throws: BoundsError.outOfRange(minimum: -1_000_000_000, maximum: 1_000_000_000)) { try Units.parse("99999999999999999999999999") }
        #expect(throws: BoundsError.notAWholeNumber) { try Units.parse("1.5") }
        #expect(throws: BoundsError.notAWholeNumber) { try Units.parse("1e3") }
        #expect(throws: BoundsError.notAWholeNumber) { try Units.parse("٣") }
        #expect(throws: BoundsError.notAWholeNumber) { try Units.parse("-") }
        #expect(throws: BoundsError.empty) { try Units.parse("  ") }
    }

    @Test func anyInt64AsTextParsesExactlyWhenInsideTheBounds() async {
        await propertyCheck(count: 3000, input: Self.anyInt64) { value in
            let inside = (-1_000_000_000...1_000_000_000).contains(value)
            #expect((try? Units.parse(String(value)))?.value == (inside ? value : nil))
            #expect(Units(value)?.value == (inside ? value : nil))
            // One more digit never traps: it is out of range or (for 0) still inside.
            #expect((try? Units.parse(String(value) + "0")).map { Units.range.contains($0.value) } ?? true)
        }
        await propertyCheck(count: 3000, input: Self.nearTheBounds) { value in
            #expect(((try? Units.parse(String(value))) != nil) == Units.range.contains(value))
        }
    }

    @Test func sumsAndDifferencesOfUnitsLeavingTheBoundsAreNilNeverATrap() async {
        await propertyCheck(count: 3000, input: Self.nearTheBounds, Self.nearTheBounds) { a, b in
            guard let x = Units(a), let y = Units(b) else { return }
            #expect(x.adding(y)?.value == (Units.range.contains(a + b) ? a + b : nil))
            #expect(x.subtracting(y)?.value == (Units.range.contains(a - b) ? a - b : nil))
        }
    }

    @Test func daysIdsLimitsAndPeriods() throws {
        #expect(try Days.parse("3650").value == 3650)
        #expect(throws: BoundsError.outOfRange(minimum: 0, maximum: 3650)) { try Days.checked(2_147_483_648) }
        #expect(throws: BoundsError.outOfRange(minimum: 0, maximum: 3650)) { try Days.checked(-1) }
        #expect(try RecordID.parse("9223372036854775807").value == Int64.max)
        #expect(throws: BoundsError.outOfRange(minimum: 1, maximum: Int64.max)) { try RecordID.parse("0") }
        #expect(throws: BoundsError.outOfRange(minimum: 1, maximum: Int64.max)) { try RecordID.parse("9223372036854775808") }
        #expect(try PageLimit.parse("200").int == 200)
        #expect(throws: BoundsError.outOfRange(minimum: 1, maximum: 200)) { try PageLimit.parse("201") }
        #expect(try PeriodMonths.parse("12").value == 12)
        #expect(throws: BoundsError.notOneOf([1, 3, 6, 12])) { try PeriodMonths.parse("2") }
        #expect(throws: BoundsError.notOneOf([1, 3, 6, 12])) { try PeriodMonths.parse("9223372036854775807") }
        #expect(PeriodMonths(Int.max) == nil)
    }

    // MARK: Dates

    @Test func datesFrom2000To2199() throws {
        #expect(try BusinessDate.parse("2000-01-01") == BusinessDate(year: 2000, month: 1, day: 1))
        #expect(try BusinessDate.parse("2199-12-31") == BusinessDate(year: 2199, month: 12, day: 31))
        let outside = BoundsError.dateOutOfRange(earliest: BusinessDate(year: 2000, month: 1, day: 1), latest: BusinessDate(year: 2199, month: 12, day: 31))
        #expect(throws: outside) { try BusinessDate.parse("9999-12-31") }
        #expect(throws: outside) { try BusinessDate.parse("0001-01-01") }
        #expect(throws: BoundsError.notADate) { try BusinessDate.parse("2026-02-30") }
        #expect(throws: BoundsError.notADate) { try BusinessDate.parse("+2026-01-01") }
    }

    @Test func everyAcceptedDatePlusAYearStillPrintsAsFourDigits() async {
        // 2000-01-01 is ordinal 10957, 2199-12-31 is 84005: around and beyond them.
        await propertyCheck(count: 3000, input: Gen.int(in: 0...120_000)) { ordinal in
            let date = BusinessDate(ordinal: ordinal)
            let accepted = (try? BusinessDate.parse(date.description)) != nil
            #expect(accepted == (10_957...84_005).contains(ordinal))
            if accepted { #expect(date.addingMonths(12, anchorDay: date.day).description.count == 10) }
        }
    }

    // MARK: Money and percentages

    @Test func moneyIsExactAndAtMostABillionOfTheCurrency() throws {
        let usd = Currency(code: "USD", exponent: 2), bhd = Currency(code: "BHD", exponent: 3)
        #expect(try UnitPrice.parseBounded("1000000000", currency: bhd).scaled == 10_000_000_000_000_000)
        #expect(throws: AmountError.tooLarge) { try UnitPrice.parseBounded("1000000000.0000001", currency: bhd) }
        #expect(throws: AmountError.tooLarge) { try Money.parseBounded("922337203685477", currency: usd) }
        #expect(try Money.parseBounded("-1000000000", currency: usd, allowNegative: true).minorUnits == -100_000_000_000)
        #expect(throws: AmountError.tooLarge) { try RateValue.parseBounded("9000000000000") }
        // The largest price for the largest quantity for a year, prorated: exact in Int128, and
        // (far) outside the money range, so the engine refuses it instead of trapping.
        let price = try! UnitPrice.parseBounded("1000000000", currency: bhd)
        let line = Pricing.prorated(units: Units.maximum, monthly: price, months: 12, remaining: 365, days: 366)
        #expect(!line.isWithinMoneyRange)
    }

    @Test func percentagesFrom0To100WithFourDecimals() throws {
        #expect(try Percent.parse("12.5").fraction == Rational(1, 8))
        #expect(try Percent.parse("100").scaled == 1_000_000)
        #expect(throws: BoundsError.outOfRange(minimum: 0, maximum: 100)) { try Percent.parse("100.0001") }
        #expect(throws: BoundsError.outOfRange(minimum: 0, maximum: 100)) { try Percent.parse("-1") }
        #expect(throws: BoundsError.notADecimal(maximumDecimals: 4)) { try Percent.parse("1.00001") }
        #expect(throws: BoundsError.notADecimal(maximumDecimals: 4)) { try Percent.parse("99999999999999999999") }
    }

    // MARK: Texts

    @Test(arguments: Array(0..<32) + [0x7F, 0x85, 0x9F])
    func controlCharactersAreRefused(code: UInt32) {
        let text = "a" + String(Character(Unicode.Scalar(code)!)) + "b"
        let multiLineAllowed = [0x09, 0x0A, 0x0D].contains(code)
        #expect((try? PlainText.parse(text, maximumLength: 10)) == nil)
        #expect(((try? PlainText.parse(text, maximumLength: 10, multiLine: true)) != nil) == multiLineAllowed)
    }

    @Test func textIsTrimmedAndBoundedInCharacters() throws {
        #expect(try PlainText.parse("  Acme Corp \n", maximumLength: 9) == "Acme Corp")
        // Code points, as a MariaDB VARCHAR counts them: the flag is two.
        #expect(try PlainText.parse("Zürich 🇨🇭", maximumLength: 9) == "Zürich 🇨🇭")
        #expect(throws: BoundsError.tooLong(maximum: 8)) { try PlainText.parse("Zürich 🇨🇭", maximumLength: 8) }
        #expect(throws: BoundsError.tooLong(maximum: 3)) { try PlainText.parse("abcd", maximumLength: 3) }
        #expect(throws: BoundsError.empty) { try PlainText.required(" \t ", maximumLength: 3) }
    }

    @Test(arguments: [
        ("jane@example.com", true), ("Jane.O'Neil+ops@Example.TEST", true), ("a@b.co", true), ("x@xn--bcher-kva.example", true),
        ("a@sub-domain.example.org", true),
        ("\"><svg/onload=alert(1)>@x.test", false), ("<script>@x.test", false), ("a b@x.test", false), ("a@x", false),
        ("a@@x.test", false), ("@x.test", false), ("a@.x.test", false), ("a@x.test.", false), (".a@x.test", false),
        ("a..b@x.test", false), ("a@-x.test", false), ("a@x.t", false), ("a@x.123", false), ("jäne@x.test", false),
        ("a\u{0}@x.test", false), ("a@x_y.test", false),
    ])
    func emailAddresses(address: String, valid: Bool) {
        #expect(EmailAddress.isValid(address.lowercased()) == valid)
        #expect(((try? EmailAddress.parse(address)) != nil) == valid)
    }

    @Test func anEmailIsAtMost254Characters() {
        let long = String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63) + "."
            + String(repeating: "d", count: 57) + ".test"
        #expect(long.count == 255)
        #expect(!EmailAddress.isValid(long))
        #expect(EmailAddress.isValid(String(long.dropFirst())))
    }
}
