import Testing

@testable import PlyEngine

/// `KeyedTurns`: one holder per key, waiters served in arrival order, other keys untouched.
@Suite struct KeyedTurnsTests {
    actor Holder {
        var turns = KeyedTurns()
        var log: [String] = []

        func take(_ key: String, _ label: String) async {
            if !turns.claim(key) { await withCheckedContinuation { turns.wait(key, $0) } }
            log.append("\(label) in")
            await Task.yield()
            log.append("\(label) out")
            turns.end(key)
        }
    }

    @Test func oneHolderAtATimeInArrivalOrder() async {
        let h = Holder()
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<5 { group.addTask { await h.take("p1", "\(n)") } }
        }
        let log = await h.log
        #expect(log.count == 10)
        for i in stride(from: 0, to: log.count, by: 2) {
            let label = log[i].dropLast(3)
            #expect(log[i + 1] == "\(label) out", "nobody else got in while \(label) held the key: \(log)")
        }
    }

    @Test func aFreedKeyIsClaimedAgainAndOtherKeysAreFree() {
        var t = KeyedTurns()
        let first = t.claim("a")
        let whileHeld = t.claim("a")
        let other = t.claim("b")
        t.end("a")
        let again = t.claim("a")
        #expect(first && !whileHeld && other && again)
    }
}
