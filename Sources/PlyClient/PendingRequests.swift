/// Which request each reply answers. Every request leaves with a fresh tag (`#1`, `#2`, ...)
/// and its reply comes back with the same tag, so many requests may be in flight on one
/// connection. A reply without a tag (the server could not read the line far enough to find
/// one, as with `too_long`) answers the oldest open request, because replies come in
/// request order.
///
/// A value type holding whatever the caller waits with (a continuation in the client, a
/// plain value in tests), so the matching is tested without a socket.
public struct PendingRequests<Waiter> {
    private var open: [Int: Waiter] = [:]
    private var nextNumber = 1

    public init() {}

    public var count: Int { open.count }
    public var isEmpty: Bool { open.isEmpty }

    /// Registers a waiter and returns the tag its request must carry.
    public mutating func issue(_ waiter: Waiter) -> String {
        let n = nextNumber
        nextNumber += 1
        open[n] = waiter
        return "#\(n)"
    }

    /// The waiter a reply with this tag answers, removed; nil for an unknown or repeated tag.
    public mutating func resolve(tag: String?) -> Waiter? {
        guard let tag else {
            guard let oldest = open.keys.min() else { return nil }
            return open.removeValue(forKey: oldest)
        }
        guard tag.first == "#", let n = Int(tag.dropFirst()) else { return nil }
        return open.removeValue(forKey: n)
    }

    /// Every open waiter, oldest first, removed: the connection is gone.
    public mutating func removeAll() -> [Waiter] {
        let waiters = open.sorted { $0.key < $1.key }.map(\.value)
        open = [:]
        return waiters
    }
}
