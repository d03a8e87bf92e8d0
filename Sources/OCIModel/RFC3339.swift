/// Formats seconds since the epoch as RFC 3339 UTC (`1970-01-01T00:00:00Z`), without Foundation's
/// locale machinery so the text never depends on the host.
public func rfc3339(epochSeconds: Int) -> String {
    let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
    let secondsOfDay = epochSeconds - days * 86_400
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthPrime = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
    let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
    return "\(yearText)-\(two(month))-\(two(day))T\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60))Z"
}

/// The last second RFC 3339 can write with a four-digit year: 9999-12-31T23:59:59Z.
public let rfc3339LatestEpochSeconds = 253_402_300_799

/// `SOURCE_DATE_EPOCH` (https://reproducible-builds.org/specs/source-date-epoch/) read strictly:
/// whole non-negative seconds up to the end of year 9999, the last time RFC 3339 can write.
public enum SourceDateEpoch {
    /// The seconds in `text`, or an error that says what is accepted.
    public static func parse(_ text: String) throws(SourceDateEpochError) -> Int {
        guard let seconds = Int(text), seconds >= 0 else { throw SourceDateEpochError(text: text, reason: "must be a non-negative whole number of seconds") }
        guard seconds <= rfc3339LatestEpochSeconds else {
            throw SourceDateEpochError(text: text, reason: "is after 9999-12-31T23:59:59Z; use at most \(rfc3339LatestEpochSeconds)")
        }
        return seconds
    }

    /// The value from `environment`: nil when unset or empty.
    public static func from(environment: [String: String]) throws(SourceDateEpochError) -> Int? {
        guard let text = environment["SOURCE_DATE_EPOCH"], !text.isEmpty else { return nil }
        return try parse(text)
    }
}

public struct SourceDateEpochError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "SOURCE_DATE_EPOCH='\(text)' \(reason)" }
}
