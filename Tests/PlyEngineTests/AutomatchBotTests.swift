import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import Testing

@testable import PlyEngine

/// `MatchDirectory.pairWithBots` on `MemoryStorage` with a clock moved by hand: who is
/// handed to the bot, when, and who is not.
@Suite(.timeLimit(.minutes(1))) struct AutomatchBotTests {
    static func pass(_ e: InProcessEngine, bot: String) async throws -> Int {
        try await e.engine.matches.pairWithBots(["reversi": bot], after: 30) { GameCatalog.game($0) }.count
    }

    @Test func aPlayerWaitingLongerThanTheTimeIsHandedToTheBot() async throws {
        try await InProcessEngine.with { e in
            let (_, bot, _) = try await e.login("device-bot-00001")
            let (ann, annID, _) = try await e.login("device-ann-0001")
            #expect(try await ann.ok("QUEUE reversi")?["queued"]?.boolValue == true)
            e.clock.advance(by: 29)
            #expect(try await Self.pass(e, bot: bot) == 0)
            e.clock.advance(by: 2)
            #expect(try await Self.pass(e, bot: bot) == 1)
            let start = try await ann.event("start")
            let players = start.body["players"]?.arrayValue?.compactMap { $0["player"]?.stringValue }
            #expect(Set(players ?? []) == [annID, bot])
            // Out of the queue: nothing more to hand over.
            #expect(try await Self.pass(e, bot: bot) == 0)
        }
    }

    /// One player in several queues gets one bot match at a time.
    @Test func aPlayerWithABotMatchRunningWaitsForAHuman() async throws {
        try await InProcessEngine.with { e in
            let (_, bot, _) = try await e.login("device-bot-00001")
            let (ann, _, _) = try await e.login("device-ann-0001")
            try await ann.ok("QUEUE reversi")
            try await ann.ok(#"QUEUE reversi {"turn_seconds":3600}"#)
            e.clock.advance(by: 31)
            #expect(try await Self.pass(e, bot: bot) == 1)
            e.clock.advance(by: 31)
            #expect(try await Self.pass(e, bot: bot) == 0)
        }
    }

    @Test func aPlayerWhoBlockedTheBotIsNotHandedToIt() async throws {
        try await InProcessEngine.with { e in
            let (_, bot, _) = try await e.login("device-bot-00001")
            let (bo, _, _) = try await e.login("device-bo-00001")
            try await bo.ok("BLOCK \(bot)")
            try await bo.ok("QUEUE reversi")
            e.clock.advance(by: 31)
            #expect(try await Self.pass(e, bot: bot) == 0)
            // The bot's own queue entry is never paired with itself.
            let (botConnection, _, _) = try await e.login("device-bot-00001")
            try await botConnection.ok("QUEUE reversi")
            e.clock.advance(by: 31)
            #expect(try await Self.pass(e, bot: bot) == 0)
        }
    }
}
