import PlyRules

/// Property and fuzz tests draw from PlyRules' `SeededRandom` (SplitMix64): many inputs, yet
/// a failure repeats on every run.
extension SeededRandom {
    /// True about once in `n` draws.
    mutating func oneIn(_ n: Int) -> Bool { Int.random(in: 0..<n, using: &self) == 0 }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}
