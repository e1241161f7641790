/// Shift-based move generation on 64-bit boards. Bit `8 * (rank - 1) + file` holds a
/// square, so a1 (top-left) is bit 0, h1 is bit 7 and a8 (bottom-left) is bit 56.
///
/// Each direction is a shift: one file right is `<< 1`, one rank down is `<< 8`. A
/// sideways or diagonal shift would wrap from the h-file to the a-file of the next rank,
/// so runs in those directions only pass over discs off the edge files (`interior`);
/// the edge files can end a run but never lie inside one. This is the dumb7fill
/// technique: six steps cover the longest possible run of opponent discs.
///
/// Public and inlinable so the engines in `PlyBots` search on the same move generator
/// the rules use, at full speed across the module boundary.
public enum ReversiBitboard {
    /// Every square but the a-file and the h-file.
    @usableFromInline static let interior: UInt64 = 0x7E7E_7E7E_7E7E_7E7E

    /// Squares where `mover` may place a disc: empty, and ending at least one straight
    /// run of `opponent` discs that starts next to a `mover` disc.
    @inlinable @inline(__always)
    public static func moves(mover p: UInt64, opponent o: UInt64) -> UInt64 {
        let empty = ~(p | o)
        let oi = o & interior
        var m = upRun(p, oi, 1)
        m |= downRun(p, oi, 1)
        m |= upRun(p, o, 8)
        m |= downRun(p, o, 8)
        m |= upRun(p, oi, 7)
        m |= downRun(p, oi, 7)
        m |= upRun(p, oi, 9)
        m |= downRun(p, oi, 9)
        return m & empty
    }

    /// The opponent discs that a disc placed on `square` (a single bit) turns over.
    @inlinable @inline(__always)
    public static func flips(at square: UInt64, mover p: UInt64, opponent o: UInt64) -> UInt64 {
        let oi = o & interior
        var f = upFlips(square, p, oi, 1)
        f |= downFlips(square, p, oi, 1)
        f |= upFlips(square, p, o, 8)
        f |= downFlips(square, p, o, 8)
        f |= upFlips(square, p, oi, 7)
        f |= downFlips(square, p, oi, 7)
        f |= upFlips(square, p, oi, 9)
        f |= downFlips(square, p, oi, 9)
        return f
    }

    /// The squares one step past a run of `o` that starts next to `p`, towards higher bits.
    @usableFromInline @inline(__always)
    static func upRun(_ p: UInt64, _ o: UInt64, _ s: UInt64) -> UInt64 {
        var x = o & (p &<< s)
        x |= o & (x &<< s)
        x |= o & (x &<< s)
        x |= o & (x &<< s)
        x |= o & (x &<< s)
        x |= o & (x &<< s)
        return x &<< s
    }

    @usableFromInline @inline(__always)
    static func downRun(_ p: UInt64, _ o: UInt64, _ s: UInt64) -> UInt64 {
        var x = o & (p &>> s)
        x |= o & (x &>> s)
        x |= o & (x &>> s)
        x |= o & (x &>> s)
        x |= o & (x &>> s)
        x |= o & (x &>> s)
        return x &>> s
    }

    /// The run of `o` starting next to `square` towards higher bits, if `p` closes it.
    @usableFromInline @inline(__always)
    static func upFlips(_ square: UInt64, _ p: UInt64, _ o: UInt64, _ s: UInt64) -> UInt64 {
        var x = o & (square &<< s)
        x |= o & (x &<< s)
        x |= o & (x &<< s)
        x |= o & (x &<< s)
        x |= o & (x &<< s)
        x |= o & (x &<< s)
        return p & (x &<< s) != 0 ? x : 0
    }

    @usableFromInline @inline(__always)
    static func downFlips(_ square: UInt64, _ p: UInt64, _ o: UInt64, _ s: UInt64) -> UInt64 {
        var x = o & (square &>> s)
        x |= o & (x &>> s)
        x |= o & (x &>> s)
        x |= o & (x &>> s)
        x |= o & (x &>> s)
        x |= o & (x &>> s)
        return p & (x &>> s) != 0 ? x : 0
    }

    /// Leaves of the move tree below a position given as mover and opponent discs. A
    /// forced pass is a ply; a position where neither side can move is one leaf however
    /// deep the count was meant to go. The last ply is counted, not played.
    static func perft(mover p: UInt64, opponent o: UInt64, depth: Int) -> Int {
        if depth <= 0 { return 1 }
        var m = moves(mover: p, opponent: o)
        if m == 0 {
            // The pass itself is the one leaf at depth 1, and so is the end of the game.
            if depth == 1 || moves(mover: o, opponent: p) == 0 { return 1 }
            return perft(mover: o, opponent: p, depth: depth - 1)
        }
        if depth == 1 { return m.nonzeroBitCount }
        var total = 0
        while m != 0 {
            let square = m & (0 &- m)
            m &= m &- 1
            let f = flips(at: square, mover: p, opponent: o)
            total &+= perft(mover: o & ~f, opponent: p | f | square, depth: depth - 1)
        }
        return total
    }
}
