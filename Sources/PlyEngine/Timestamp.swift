import Foundation

/// Times as the protocol shows them: RFC 3339 in UTC, in whole seconds
/// (`2026-05-01T10:00:00Z`).
enum Timestamp {
    /// The first and last instants written by hand: the years 1970 to 9999.
    private static let handWritten = 0.0..<253_402_300_800.0

    static func rfc3339(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        // Every move's reply and event carries a deadline: written directly, without the
        // calendar machinery of a format style.
        guard handWritten.contains(t) else { return foundation(date) }
        let seconds = Int(t)  // toward zero, which is down here: whole seconds, as the style writes them
        let (days, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (year, month, day) = civil(days: days)
        return String(unsafeUninitializedCapacity: 20) { out in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var v = value
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
            }
            put(year, 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            out[10] = UInt8(ascii: "T")
            put(second / 3600, 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(second / 60 % 60, 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(second % 60, 2, at: 17)
            out[19] = UInt8(ascii: "Z")
            return 20
        }
    }

    /// The same through Foundation's format style (any date).
    static func foundation(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt))
    }

    /// The Gregorian date `days` days after 1970-01-01 (`days` >= 0), by Howard Hinnant's
    /// `civil_from_days`: eras of 400 years, each 146,097 days, counted from March 1st.
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 is March
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
