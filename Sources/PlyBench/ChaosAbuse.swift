import PlyProtocol
import Foundation
import PlyClient
import PlyJSON
import Synchronization

/// Abuse by accounts that follow the protocol: floods (challenges, invitations, new
/// accounts), the one-second rating trap, and harassment (watching and chatting into other
/// players' matches, challenging someone who blocked you). Each scenario states what harm it
/// tries and returns a failure for each one that got through.
extension ChaosRun {
    /// Runs the scenarios one after the other; returns what got through (nothing, on a
    /// healthy server) and counts what was tried. Each is run with its own new accounts.
    func abuse(_ counter: Counter) async -> [String] {
        var failures: [String] = []
        // The flood goes last: it uses up this address's new accounts.
        let scenarios: [(String, (Counter) async throws -> [String])] = [("trap", trap), ("harassment", harassment), ("flood", flood)]
        for (name, scenario) in scenarios {
            do {
                failures += try await scenario(counter)
            } catch {
                failures.append("\(name) scenario could not run: \(error)")
            }
        }
        return failures
    }

    /// A client logged in with a fresh device; `unavailable` (PostgreSQL restarting) is retried.
    func freshPlayer(_ label: String) async throws -> (PlyClient, String) {
        let c = try await PlyClient.connect(host: host, port: port)
        let login = try await retrying { try await c.authDevice("chaos-\(label)-\(UInt64.random(in: 0...UInt64.max))") }
        return (c, login.player)
    }

    /// Runs `body` again while the server answers `unavailable` (for up to 30 seconds).
    func retrying<T>(_ body: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                return try await body()
            } catch PlyClientError.server(let code, _) where code == "unavailable" && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// The error code of a request, or "ok".
    func outcome(_ c: PlyClient, _ line: String) async throws -> String {
        switch try await c.request(line) {
        case .ok: "ok"
        case .error(let code, _): code
        }
    }

    /// One account posts 50 open challenges and 100 invitations to one player; one address
    /// makes 300 accounts.
    func flood(_ counter: Counter) async throws -> [String] {
        var failures: [String] = []
        let (flooder, _) = try await freshPlayer("flooder")
        let (target, targetID) = try await freshPlayer("flood-target")
        var open = 0
        for _ in 0..<50 {
            if try await outcome(flooder, #"CHALLENGE open reversi {"turn_seconds":1,"side":"second"}"#) == "ok" { open += 1 }
        }
        counter.input("flood: open challenges", 50)
        if open > 5 { failures.append("flood: one account posted \(open) open challenges (at most 5)") }
        var invitations = 0
        for _ in 0..<100 {
            if try await outcome(flooder, "CHALLENGE \(targetID) reversi") == "ok" { invitations += 1 }
        }
        counter.input("flood: invitations to one player", 100)
        if invitations > 1 { failures.append("flood: \(invitations) invitations from one player to another (at most 1 per game)") }
        await target.close()
        await flooder.close()
        var made = 0
        for n in 0..<300 {
            let c = try await PlyClient.connect(host: host, port: port)
            if case .ok = try await c.request("AUTH DEVICE chaos-cheap-\(n)-\(UInt64.random(in: 0...UInt64.max))") { made += 1 }
            await c.close()
        }
        counter.input("flood: new accounts from one address", 300)
        if made >= 100 { failures.append("flood: \(made) accounts made from one address (at most 100 an hour)") }
        return failures
    }

    /// The trap: an open challenge with one second a turn, the accepter moving first. The
    /// victim must not lose and nobody's rating may move.
    func trap(_ counter: Counter) async throws -> [String] {
        let (trapper, trapperID) = try await freshPlayer("trapper")
        let (victim, victimID) = try await freshPlayer("trap-victim")
        defer { Task { await trapper.close(); await victim.close() } }
        let match = try await retrying {
            try await trapper.callObject(#"CHALLENGE open reversi {"turn_seconds":1,"side":"second"}"#)
        }["match"]?.stringValue ?? ""
        _ = try await retrying { try await victim.call("ACCEPT \(match)") }
        counter.input("trap: one-second challenges accepted")
        var m = JSONObject()
        for _ in 0..<150 {
            try await Task.sleep(for: .milliseconds(100))
            m = try await retrying { try await victim.callObject("MATCH \(match)") }
            if m["status"]?.stringValue != "active" { break }
        }
        var failures: [String] = []
        let reason = m["result"]?["reason"]?.stringValue ?? "none"
        if m["status"]?.stringValue != "aborted" || reason != "no_start" {
            failures.append("trap: the victim's match ended \(m["status"]?.stringValue ?? "?") (\(reason)), not aborted (no_start)")
        }
        for id in [trapperID, victimID] {
            let profile = try await retrying { try await victim.callObject("PROFILE \(id)") }
            if profile["stats"]?["reversi"] != nil { failures.append("trap: \(id) was rated") }
        }
        return failures
    }

    /// Strangers watch and chat into a private match; a pest keeps challenging a player who
    /// blocked them; spectators talk at the players of a public match.
    func harassment(_ counter: Counter) async throws -> [String] {
        var failures: [String] = []
        let (victim, victimID) = try await freshPlayer("harassed")
        let (friend, _) = try await freshPlayer("friend")
        let (pest, pestID) = try await freshPlayer("pest")
        let heard = Mutex(0)
        let listener = Task {
            for await e in victim.events where e.type == "chat" && e.body["by"]?.stringValue != victimID {
                heard.withLock { $0 += 1 }
            }
        }
        let friendID = friend.player ?? ""
        let privateMatch = try await retrying { try await victim.callObject("CHALLENGE \(friendID) reversi") }["match"]?.stringValue ?? ""
        _ = try await retrying { try await friend.call("ACCEPT \(privateMatch)") }
        let publicMatch = try await retrying {
            try await victim.callObject(#"CHALLENGE \#(friendID) hive {"public":true}"#)
        }["match"]?.stringValue ?? ""
        _ = try await retrying { try await friend.call("ACCEPT \(publicMatch)") }
        var strangers: [PlyClient] = []
        for n in 0..<10 { strangers.append(try await freshPlayer("stranger\(n)").0) }
        for s in strangers {
            if try await outcome(s, "WATCH \(privateMatch)") == "ok" { failures.append("harassment: a stranger watched a private match") }
            if try await outcome(s, "SAY \(privateMatch) hi") == "ok" { failures.append("harassment: a stranger chatted into a private match") }
            _ = try await retrying { try await s.call("WATCH \(publicMatch)") }
            for line in 0..<5 { _ = try await outcome(s, "SAY \(publicMatch) look at me \(line)") }
        }
        counter.input("harassment: stranger chat lines", 10 * 6)
        _ = try await retrying { try await victim.call("BLOCK \(pestID)") }
        for _ in 0..<20 {
            if try await outcome(pest, "CHALLENGE \(victimID) khet") == "ok" {
                failures.append("harassment: a blocked player's challenge went through")
            }
        }
        counter.input("harassment: challenges after a block", 20)
        try await Task.sleep(for: .milliseconds(500))
        listener.cancel()
        let lines = heard.withLock { $0 }
        if lines > 0 { failures.append("harassment: \(lines) strangers' chat lines reached a player") }
        for c in strangers + [victim, friend, pest] { await c.close() }
        return failures
    }
}
