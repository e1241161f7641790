/// What a search learned of positions it met, by their hash: a score with its bound and
/// depth, and the best move found there. One slot per hash's low bits; a slot keeps the
/// deeper of two different positions, since a deeper result saves more work.
struct TranspositionTable<Move> {
    enum Bound: UInt8 {
        /// The score is the position's value at that depth.
        case exact
        /// The position is worth at least the score (the search cut off above beta).
        case lower
        /// The position is worth at most the score (no move reached alpha).
        case upper
    }

    struct Entry {
        var key: Int
        var move: Move?
        var score: Int32
        var depth: Int8
        var bound: Bound
    }

    private var entries: [Entry?]
    private let mask: Int

    /// `size` is rounded up to a power of two between 4,096 and 131,072 slots.
    init(size: Int) {
        var n = 4096
        while n < min(size, 1 << 17) { n <<= 1 }
        entries = Array(repeating: nil, count: n)
        mask = n - 1
    }

    func probe(_ key: Int) -> Entry? {
        guard let e = entries[key & mask], e.key == key else { return nil }
        return e
    }

    mutating func store(_ key: Int, depth: Int, score: Int, bound: Bound, move: Move?) {
        let i = key & mask
        if let old = entries[i], old.key != key, Int(old.depth) > depth { return }
        entries[i] = Entry(
            key: key, move: move, score: Int32(clamping: score), depth: Int8(clamping: depth), bound: bound)
    }
}
