/// An exact fraction over Int128, for the arithmetic inside a line before its one rounding.
public struct Rational: Sendable, Hashable, CustomStringConvertible {
    public private(set) var numerator: Int128
    public private(set) var denominator: Int128

    public init(_ numerator: Int128, _ denominator: Int128 = 1) {
        precondition(denominator != 0, "a fraction over zero")
        let sign: Int128 = denominator < 0 ? -1 : 1
        let divisor = Self.gcd(numerator.magnitude, denominator.magnitude)
        self.numerator = sign * numerator / Int128(divisor == 0 ? 1 : divisor)
        self.denominator = sign * denominator / Int128(divisor == 0 ? 1 : divisor)
    }

    public init(_ value: Int64) { self.init(Int128(value)) }

    private static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }

    public static func + (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator)
    }
    public static func - (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.denominator - b.numerator * a.denominator, a.denominator * b.denominator)
    }
    public static func * (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.numerator, a.denominator * b.denominator)
    }
    public static func / (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.denominator, a.denominator * b.numerator)
    }
    public static prefix func - (a: Rational) -> Rational { Rational(-a.numerator, a.denominator) }

    public var isNegative: Bool { numerator < 0 }
    public var isPositive: Bool { numerator > 0 }

    /// Half up, away from zero (DOMAIN.md 2): 0.5 → 1, −0.5 → −1, 2.5 → 3.
    public func roundedHalfAwayFromZero() -> Int64 {
        let magnitude = numerator.magnitude
        let d = denominator.magnitude
        var quotient = magnitude / d
        if (magnitude % d) * 2 >= d { quotient += 1 }
        let signed = numerator < 0 ? -Int128(quotient) : Int128(quotient)
        return Int64(clamping: signed)
    }

    /// Whether the value is within ±10^15 (minor units): what a line may amount to. Larger values
    /// come only from absurd input and are refused before anything is stored.
    public var isWithinMoneyRange: Bool { numerator.magnitude <= denominator.magnitude * 1_000_000_000_000_000 }

    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
}

extension Rational: Comparable {
    public static func < (a: Rational, b: Rational) -> Bool {
        a.numerator * b.denominator < b.numerator * a.denominator
    }
}
