import Commerce
import Foundation
import Localization

extension ValidationErrors {
    /// The value `parse` gives, or nil with its refusal (a `BoundsError` or `AmountError`, as a
    /// person reads it) added under `field`: how input is parsed into the bounded types of
    /// `Commerce/Bounds.swift` while every field's problem is still collected.
    public mutating func check<T>(_ field: String, _ parse: () throws -> T) -> T? {
        do { return try parse() } catch {
            add(field, (error as? any LocalizedMessage)?.localized ?? .init("error.text", ["text": .text(String(describing: error))]))
            return nil
        }
    }
}

extension BusinessDate {
    /// Whether an instant from outside (the test clock) falls on an accepted date; checked before
    /// any date arithmetic on it.
    public static func accepts(instant: Date) -> Bool {
        instant >= acceptedRange.lowerBound.instant && instant < acceptedRange.upperBound.adding(days: 1).instant
    }
}
