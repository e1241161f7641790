import Foundation
import PlyClient
import PlyTesting
import XCTest

/// The same fixture from XCTest, with a clock the test moves: a day-long turn times out
/// without the test sleeping.
final class DeadlineXCTests: XCTestCase {
    func testATurnTimesOutWhenTheClockPassesItsDeadline() async throws {
        guard let url = ProcessInfo.processInfo.environment["PLY_TEST_DATABASE_URL"] else {
            throw XCTSkip("needs PLY_TEST_DATABASE_URL")
        }
        var options = PlyTestServer.Options()
        options.clock = PlyTestClock()
        options.deadlinePollSeconds = 3600
        let server = try await PlyTestServer.start(databaseURL: url, options: options)
        let table = try await server.match("reversi", settings: #"{"side":"first","turn_seconds":86400}"#)
        _ = try await table.first.move(match: table.id, ply: 1, move: "f5")
        _ = try await table.second.move(match: table.id, ply: 2, move: "d6")
        let acted = try await server.advanceClock(by: 86_401)
        XCTAssertGreaterThanOrEqual(acted, 1)
        let end = await table.first.events.first { $0.type == "end" }
        XCTAssertEqual(end?.body["result"]?.objectValue?["reason"]?.stringValue, "timeout")
        await table.close()
        try await server.stop()
    }
}
