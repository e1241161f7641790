/// One turn at a time per key, for work that reads a count and then writes what it
/// counted, such as the rating desk's read, rate and commit of a player's stats (an async
/// mutex per key, for an actor to hold; waiters go in arrival order).
struct KeyedTurns {
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Takes `key` if it is free; false when someone holds it.
    mutating func claim(_ key: String) -> Bool {
        guard waiting[key] == nil else { return false }
        waiting[key] = []
        return true
    }

    /// Waits for `key`: the continuation resumes when `end` hands it over.
    mutating func wait(_ key: String, _ c: CheckedContinuation<Void, Never>) {
        waiting[key, default: []].append(c)
    }

    /// How many wait for `key`.
    func waiters(_ key: String) -> Int { waiting[key]?.count ?? 0 }

    /// Hands `key` to the next waiter, or frees it.
    mutating func end(_ key: String) {
        guard var queue = waiting[key] else { return }
        if queue.isEmpty {
            waiting[key] = nil
        } else {
            queue.removeFirst().resume()
            waiting[key] = queue
        }
    }
}
