/// Counts attempts per key in a sliding window (failed logins per account and address, chat
/// lines per connection). Pure: the caller passes the time, so tests need no clock.
public struct AttemptLimiter: Sendable {
    public let limit: Int
    public let window: Double
    private var failures: [String: [Double]] = [:]
    /// Bounds memory under a flood of distinct keys: past this, the oldest keys go.
    public let maxKeys: Int

    public init(limit: Int, window: Double, maxKeys: Int = 100_000) {
        self.limit = limit
        self.window = window
        self.maxKeys = maxKeys
    }

    /// Whether a new attempt for `key` may go ahead at time `now` (seconds).
    public mutating func allows(_ key: String, now: Double) -> Bool {
        guard var times = failures[key] else { return true }
        times.removeAll { now - $0 >= window }
        if times.isEmpty { failures[key] = nil } else { failures[key] = times }
        return times.count < limit
    }

    /// Whether a new attempt for `key` may go ahead at `now`, recording it if so (an attempt
    /// that counts from its start).
    public mutating func admit(_ key: String, now: Double) -> Bool {
        guard allows(key, now: now) else { return false }
        record(key, now: now)
        return true
    }

    public mutating func record(_ key: String, now: Double) {
        if failures[key] == nil && failures.count >= maxKeys {
            prune(now: now)
            if failures.count >= maxKeys, let victim = failures.min(by: { ($0.value.last ?? 0) < ($1.value.last ?? 0) })?.key {
                failures[victim] = nil
            }
        }
        failures[key, default: []].append(now)
        // Only the newest `limit` decide whether the next may go ahead: a key that keeps
        // failing past its limit holds `limit` times, not one per failure.
        if let n = failures[key]?.count, n > limit { failures[key]!.removeFirst(n - limit) }
    }

    /// Takes back one attempt recorded at `time` (one counted in advance that turned out
    /// not to count).
    public mutating func withdraw(_ key: String, recordedAt time: Double) {
        guard var times = failures[key], let i = times.lastIndex(of: time) else { return }
        times.remove(at: i)
        failures[key] = times.isEmpty ? nil : times
    }

    public mutating func reset(_ key: String) { failures[key] = nil }

    public mutating func prune(now: Double) {
        failures = failures.filter { $0.value.contains { now - $0 < window } }
    }

    public var trackedKeys: Int { failures.count }

    /// The attempt times held for `key`.
    public func held(_ key: String) -> Int { failures[key]?.count ?? 0 }
}

/// Two limits an attempt counts against together: its player's and its client address's.
/// An attempt is admitted only if both allow it, and then counts in both from its start.
public struct PlayerAndAddressLimit: Sendable {
    private var perPlayer: AttemptLimiter
    private var perAddress: AttemptLimiter

    public init(perPlayer: Int, perAddress: Int, window: Double) {
        self.perPlayer = AttemptLimiter(limit: perPlayer, window: window)
        self.perAddress = AttemptLimiter(limit: perAddress, window: window)
    }

    public mutating func admit(player: String, address: String, now: Double) -> Bool {
        guard perPlayer.allows(player, now: now), perAddress.allows(address, now: now) else { return false }
        perPlayer.record(player, now: now)
        perAddress.record(address, now: now)
        return true
    }

    /// Takes back an attempt admitted at `time`.
    public mutating func withdraw(player: String, address: String, recordedAt time: Double) {
        perPlayer.withdraw(player, recordedAt: time)
        perAddress.withdraw(address, recordedAt: time)
    }
}
