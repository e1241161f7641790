import Foundation
import Testing

@testable import PlyEngine

/// RFC 3339 times written by hand read exactly as Foundation's format style writes them.
@Suite struct TimestampTests {
    @Test(arguments: [
        0, 59.999, 86_399, 86_400, 68_169_599, 951_782_400, 951_868_799, 978_307_200, 1_709_164_800,
        1_800_000_000.5, 4_107_542_399, 4_107_542_400, 4_133_980_800, 253_402_300_799.9,
    ])
    func knownInstantsReadAsFoundationWritesThem(_ seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(Timestamp.rfc3339(date) == Timestamp.foundation(date))
    }

    @Test func everyDayOfFourCenturiesReadsAsFoundationWritesIt() {
        // 1970 to 2370 (leap years of every kind, 2000 and 2100 and 2300), at a varying
        // time of day; then random instants up to the year 9999.
        var rng = SystemRandomNumberGenerator()
        for day in stride(from: 0, to: 146_097, by: 1) {
            let date = Date(timeIntervalSince1970: Double(day * 86_400 + day % 86_400) + 0.75)
            guard Timestamp.rfc3339(date) == Timestamp.foundation(date) else {
                Issue.record("day \(day): \(Timestamp.rfc3339(date)) is not \(Timestamp.foundation(date))")
                return
            }
        }
        for _ in 0..<10_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: 0..<253_402_300_800, using: &rng))
            #expect(Timestamp.rfc3339(date) == Timestamp.foundation(date))
        }
    }

    @Test func instantsOutsideTheHandWrittenYearsGoThroughFoundation() {
        for date in [Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: -86_400 * 400), Date.distantFuture] {
            #expect(Timestamp.rfc3339(date) == Timestamp.foundation(date))
        }
    }

    @Test func theCivilDateOfADayCount() {
        #expect(Timestamp.civil(days: 0) == (1970, 1, 1))
        #expect(Timestamp.civil(days: 11_016) == (2000, 2, 29))
        #expect(Timestamp.civil(days: 47_541) == (2100, 3, 1))
    }
}
