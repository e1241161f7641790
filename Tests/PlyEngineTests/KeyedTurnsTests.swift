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

        func hold(_ key: String) { precondition(turns.claim(key)) }
        func release(_ key: String) { turns.end(key) }
        func waiters(_ key: String) -> Int { turns.waiters(key) }
    }

    @Test func waitersAreServedInArrivalOrder() async {
        let h = Holder()
        await h.hold("p1")
        // Four arrive one after another while the key is held, each waiting before the next comes.
        var takers: [Task<Void, Never>] = []
        for n in 1...4 {
            takers.append(Task { await h.take("p1", "\(n)") })
            while await h.waiters("p1") < n { await Task.yield() }
        }
        await h.release("p1")
        for t in takers { await t.value }
        #expect(await h.log == (1...4).flatMap { ["\($0) in", "\($0) out"] })
    }

    @Test func oneHolderAtATime() async {
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
