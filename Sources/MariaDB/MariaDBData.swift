import Foundation

/// One value as it travels to or from the server, exact both ways.
///
/// DECIMAL stays text (`"12.3400"`) so no amount ever passes through a Double;
/// DATETIME and TIMESTAMP are read and written in UTC with microseconds.
public enum MariaDBData: Sendable, Hashable {
    case null
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    /// Exact decimal text as the server printed it.
    case decimal(String)
    case string(String)
    case bytes([UInt8])
    /// DATETIME / TIMESTAMP, in UTC.
    case datetime(MariaDBTimestamp)
    /// DATE.
    case date(MariaDBCalendarDate)
    /// TIME, as signed microseconds.
    case time(Int64)

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A calendar date with no time zone, as a DATE column holds it.
public struct MariaDBCalendarDate: Sendable, Hashable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (0...12).contains(m), (0...31).contains(d)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }
}

/// A DATETIME(6) value: a date and a time of day in UTC, to the microsecond.
public struct MariaDBTimestamp: Sendable, Hashable, CustomStringConvertible {
    public var date: MariaDBCalendarDate
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var microsecond: Int

    public init(date: MariaDBCalendarDate, hour: Int, minute: Int, second: Int, microsecond: Int) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.microsecond = microsecond
    }

    public init(_ instant: Date) {
        // Whole microseconds since the epoch: the nearest one, since Doubles near a microsecond boundary wobble.
        let micros = Int64((instant.timeIntervalSince1970 * 1_000_000).rounded(.toNearestOrAwayFromZero))
        let (days, dayMicros) = micros.floorDivided(by: 86_400_000_000)
        self.date = MariaDBCalendarDate(civilFromDays: days)
        self.hour = Int(dayMicros / 3_600_000_000)
        self.minute = Int(dayMicros / 60_000_000 % 60)
        self.second = Int(dayMicros / 1_000_000 % 60)
        self.microsecond = Int(dayMicros % 1_000_000)
    }

    public var instant: Date {
        let days = date.daysSinceEpoch
        let micros = ((Int64(days) * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000_000
            + Int64(second) * 1_000_000 + Int64(microsecond)
        // Split to keep sub-second precision exact in the Double.
        let (secs, rest) = micros.floorDivided(by: 1_000_000)
        return Date(timeIntervalSince1970: Double(secs) + Double(rest) / 1_000_000)
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff`.
    public var description: String {
        "\(date) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(microsecond, 6))"
    }

    public init?(_ text: some StringProtocol) {
        let halves = text.split(separator: " ", maxSplits: 1)
        guard let day = halves.first.flatMap({ MariaDBCalendarDate($0) }) else { return nil }
        guard halves.count == 2 else {
            self.init(date: day, hour: 0, minute: 0, second: 0, microsecond: 0)
            return
        }
        let clock = halves[1].split(separator: ".", maxSplits: 1)
        let hms = clock[0].split(separator: ":")
        guard hms.count == 3, let h = Int(hms[0]), let mi = Int(hms[1]), let s = Int(hms[2]) else { return nil }
        var micro = 0
        if clock.count == 2 {
            let digits = String(clock[1].prefix(6))
            guard let f = Int(digits) else { return nil }
            micro = f * Int(pow(10.0, Double(6 - digits.count)))
        }
        self.init(date: day, hour: h, minute: mi, second: s, microsecond: micro)
    }
}

extension MariaDBCalendarDate {
    /// Days since 1970-01-01 (Howard Hinnant's civil calendar algorithm).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(civilFromDays days: Int64) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var q = self / divisor
        var r = self % divisor
        if r < 0 { q -= 1; r += divisor }
        return (q, r)
    }
}

func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}
