/// The working board behind move generation and perft: flat buffers for speed, made and
/// unmade in place. It lives only inside one call (`legalMoves`, `apply`, `perft`), so it
/// owns its memory and is neither copyable nor shared.
///
/// Cells are axial coordinates (q, r) on a 32 x 32 torus, numbered `(q + 32 r) mod 1024`.
/// 28 pieces never span more than 29 hexes with their neighbours, and the shortest
/// wrap-around vector is 32 hexes long, so two hexes that matter never share a cell.
/// Directions follow Mzinga: 0 up (upper-left), 1 up-right, 2 right, 3 down (lower-right),
/// 4 down-left, 5 left; direction d + 1 and d - 1 are the two hexes that flank a step in d.
struct HiveBoard: ~Copyable {
    static let cells = 1024
    static let maxStack = 8
    static let origin = 0
    /// Offsets of the six directions, repeated so `d + 1` and `d + 5` need no modulo.
    static let offsets: [Int] = [-32, -31, 1, 32, 31, -1, -32, -31, 1, 32, 31, -1]

    static let inHand: Int32 = -1
    static let passMove: UInt32 = .max

    // A move is packed as piece | cell << 5 | level << 15; pass is `passMove`.
    @inline(__always) static func pack(_ piece: Int, _ cell: Int, _ level: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: piece | cell << 5 | level << 15)
    }
    @inline(__always) static func piece(_ m: UInt32) -> Int { Int(m & 31) }
    @inline(__always) static func cell(_ m: UInt32) -> Int { Int((m >> 5) & 1023) }
    @inline(__always) static func level(_ m: UInt32) -> Int { Int(m >> 15) }

    let expansions: HiveExpansions
    /// Plies played so far (Mzinga's CurrentTurn); white moves on even plies.
    var ply: Int
    /// The piece moved or placed by the last ply, which may not move now; -1 after a pass.
    var lastMoved: Int

    /// Per piece: -1 in hand, else cell | level << 10.
    let loc: UnsafeMutablePointer<Int32>
    /// Pieces stacked on each cell.
    let height: UnsafeMutablePointer<UInt8>
    /// Pieces on each cell from the bottom: `stack[cell * 8 + level]`, valid below `height`.
    let stack: UnsafeMutablePointer<Int8>
    private let off: UnsafeMutablePointer<Int>

    // Scratch for generation.
    /// Per piece, a bit per cell: the (piece, cell) pairs already emitted this generation,
    /// so each move appears once. Only the rows of pieces in `emittedRows` hold bits.
    private let emitted: UnsafeMutablePointer<UInt64>
    private var emittedRows: UInt32 = 0
    /// Marks cells seen by one search (placements, the ant's flood fill).
    private let seen: UnsafeMutablePointer<UInt32>
    private var seenStamp: UInt32 = 0
    private let work: UnsafeMutablePointer<Int16>
    private let disc: UnsafeMutablePointer<Int8>
    private var clock: Int8 = 0
    /// Bottom pieces whose cell is an articulation point of the hive: they are pinned.
    private(set) var pinned: UInt32 = 0

    /// Moves are kept on one stack shared by all depths of a search.
    private(set) var moves: UnsafeMutablePointer<UInt32>
    private var moveCapacity: Int
    private(set) var moveCount: Int = 0

    /// Words of one piece's row of `emitted`.
    private static let rowWords = cells / 64

    /// The board's fixed scratch lives in one block, laid out by alignment; a board is made
    /// for every node an engine searches, so it is one allocation and a few kilobytes to
    /// clear rather than one per array.
    private static let layout: (off: Int, emitted: Int, seen: Int, loc: Int, work: Int, height: Int, stack: Int, disc: Int, size: Int) = {
        var at = 0
        func take(_ bytes: Int) -> Int {
            defer { at += bytes }
            return at
        }
        let off = take(12 * MemoryLayout<Int>.stride)
        let emitted = take(HivePieces.count * rowWords * 8)
        let seen = take(cells * 4)
        let loc = take(HivePieces.count * 4)
        let work = take(cells * 2)
        let height = take(cells)
        let stack = take(cells * maxStack)
        let disc = take(HivePieces.count)
        return (off, emitted, seen, loc, work, height, stack, disc, at)
    }()

    private let block: UnsafeMutableRawPointer

    init(_ position: HivePosition) {
        expansions = position.expansions
        ply = position.ply
        lastMoved = Int(position.lastMoved)
        let l = Self.layout
        block = .allocate(byteCount: l.size, alignment: MemoryLayout<Int>.alignment)
        off = (block + l.off).bindMemory(to: Int.self, capacity: 12)
        off.initialize(from: Self.offsets, count: 12)
        emitted = (block + l.emitted).bindMemory(to: UInt64.self, capacity: HivePieces.count * Self.rowWords)
        emitted.initialize(repeating: 0, count: HivePieces.count * Self.rowWords)
        seen = (block + l.seen).bindMemory(to: UInt32.self, capacity: Self.cells)
        seen.initialize(repeating: 0, count: Self.cells)
        loc = (block + l.loc).bindMemory(to: Int32.self, capacity: HivePieces.count)
        work = (block + l.work).bindMemory(to: Int16.self, capacity: Self.cells)
        height = (block + l.height).bindMemory(to: UInt8.self, capacity: Self.cells)
        height.initialize(repeating: 0, count: Self.cells)
        stack = (block + l.stack).bindMemory(to: Int8.self, capacity: Self.cells * Self.maxStack)
        stack.initialize(repeating: -1, count: Self.cells * Self.maxStack)
        disc = (block + l.disc).bindMemory(to: Int8.self, capacity: HivePieces.count)
        disc.initialize(repeating: 0, count: HivePieces.count)
        moveCapacity = 4096
        moves = .allocate(capacity: moveCapacity)
        // Place pieces from the bottom up so each stack is filled in order.
        var top = 0
        for p in 0..<HivePieces.count {
            let l = position.locations[p]
            loc[p] = l
            guard l >= 0 else { continue }
            let lv = Int(l >> 10)
            if lv == 0 {
                let c = Int(l & 1023)
                stack[c * Self.maxStack] = Int8(p)
                height[c] = 1
            } else if lv > top {
                top = lv
            }
        }
        if top > 0 {
            for lv in 1...top {
                for p in 0..<HivePieces.count where loc[p] >= 0 && Int(loc[p] >> 10) == lv {
                    let c = Int(loc[p] & 1023)
                    stack[c * Self.maxStack + lv] = Int8(p)
                    height[c] = UInt8(lv + 1)
                }
            }
        }
    }

    deinit {
        block.deallocate()
        moves.deallocate()
    }

    var position: HivePosition {
        HivePosition(
            expansions: expansions, ply: ply, lastMoved: Int8(lastMoved),
            locations: (0..<HivePieces.count).map { loc[$0] })
    }

    // MARK: Geometry and lookups

    @inline(__always) func neighbour(_ c: Int, _ d: Int) -> Int { (c &+ off[d]) & 1023 }
    @inline(__always) func occupied(_ c: Int) -> Bool { height[c] != 0 }
    @inline(__always) func top(_ c: Int) -> Int {
        let h = Int(height[c])
        return h == 0 ? -1 : Int(stack[c &* 8 &+ h &- 1])
    }
    @inline(__always) func cellOf(_ p: Int) -> Int { Int(loc[p] & 1023) }
    @inline(__always) func levelOf(_ p: Int) -> Int { Int(loc[p] >> 10) }
    @inline(__always) func inPlay(_ p: Int) -> Bool { loc[p] >= 0 }
    @inline(__always) func isOnTop(_ p: Int) -> Bool {
        loc[p] >= 0 && Int(height[cellOf(p)]) == levelOf(p) + 1
    }
    var colour: Int { ply & 1 }
    /// The mover's own turn number, 1-based (Mzinga's CurrentPlayerTurn).
    var playerTurn: Int { 1 + ply / 2 }

    /// A ground slide from `c` in direction `d` keeps touching the hive without squeezing
    /// through a gate: exactly one of the two flanking hexes is occupied.
    @inline(__always) func canSlide(_ c: Int, _ d: Int) -> Bool {
        occupied(neighbour(c, d &+ 1)) != occupied(neighbour(c, d &+ 5))
    }

    /// A climbing step (beetle rules) from `c` in direction `d` for a piece with `from` pieces
    /// beneath it to a stack of `to` pieces: not an unsupported ground slide, and not
    /// through a gate of two flanking stacks higher than both ends.
    @inline(__always) func canClimb(_ c: Int, _ d: Int, from: Int, to: Int) -> Bool {
        let left = Int(height[neighbour(c, d &+ 5)]), right = Int(height[neighbour(c, d &+ 1)])
        if from == 0 && to == 0 && left == 0 && right == 0 { return false }
        return !(to < left && to < right && from < left && from < right)
    }

    func surrounded(_ queen: Int) -> Bool {
        guard inPlay(queen) else { return false }
        let c = cellOf(queen)
        for d in 0..<6 where !occupied(neighbour(c, d)) { return false }
        return true
    }

    var isOver: Bool { surrounded(0) || surrounded(HivePieces.perColour) }

    /// Only the lowest-numbered bug of a type still in hand may be placed.
    func inOrder(_ p: Int) -> Bool {
        guard loc[p] < 0 else { return true }
        return HivePieces.number(p) <= 1 || loc[p - 1] >= 0
    }

    func enabled(_ p: Int) -> Bool { expansions.enables(HivePieces.bug(p)) }

    // MARK: Making moves

    /// Plays a legal move and returns what `unmake` needs.
    @inline(__always) mutating func make(_ m: UInt32) -> (Int32, Int) {
        let undo = (m == Self.passMove ? 0 : loc[Self.piece(m)], lastMoved)
        ply += 1
        if m == Self.passMove {
            lastMoved = -1
            return undo
        }
        let p = Self.piece(m), c = Self.cell(m), lv = Self.level(m)
        let old = loc[p]
        if old >= 0 { height[Int(old & 1023)] &-= 1 }
        stack[c &* 8 &+ lv] = Int8(truncatingIfNeeded: p)
        height[c] = UInt8(truncatingIfNeeded: lv + 1)
        loc[p] = Int32(truncatingIfNeeded: c | lv << 10)
        lastMoved = p
        return undo
    }

    @inline(__always) mutating func unmake(_ m: UInt32, _ undo: (Int32, Int)) {
        ply -= 1
        lastMoved = undo.1
        if m == Self.passMove { return }
        let p = Self.piece(m), c = Self.cell(m), lv = Self.level(m)
        height[c] = UInt8(truncatingIfNeeded: lv)
        let old = undo.0
        if old >= 0 {
            let oc = Int(old & 1023), ol = Int(old >> 10)
            stack[oc &* 8 &+ ol] = Int8(truncatingIfNeeded: p)
            height[oc] = UInt8(truncatingIfNeeded: ol + 1)
        }
        loc[p] = old
    }

    // MARK: The one-hive rule

    /// Marks every ground piece whose removal would split the hive (Tarjan's articulation
    /// points, one depth-first search for the whole position).
    mutating func findPinned() {
        pinned = 0
        clock = 0
        for p in 0..<HivePieces.count { disc[p] = 0 }
        for p in 0..<HivePieces.count where loc[p] >= 0 && loc[p] >> 10 == 0 {
            _ = articulation(cellOf(p), parent: -1)
            return
        }
    }

    private mutating func articulation(_ c: Int, parent: Int) -> Int8 {
        let p = Int(stack[c &* 8])
        clock += 1
        disc[p] = clock
        var low = clock
        var children = 0
        for d in 0..<6 {
            let n = neighbour(c, d)
            guard occupied(n) else { continue }
            let q = Int(stack[n &* 8])
            if disc[q] == 0 {
                children += 1
                let l = articulation(n, parent: c)
                if l < low { low = l }
                if parent >= 0 && l >= disc[p] { pinned |= 1 << UInt32(p) }
            } else if n != parent && disc[q] < low {
                low = disc[q]
            }
        }
        if parent < 0 && children > 1 { pinned |= 1 << UInt32(p) }
        return low
    }

    /// A ground piece may leave without breaking the hive; pieces higher up always may.
    @inline(__always) func isPinned(_ p: Int) -> Bool {
        levelOf(p) == 0 && pinned & (1 << UInt32(p)) != 0
    }

    // MARK: Generation

    private mutating func nextSeen() -> UInt32 {
        seenStamp &+= 1
        if seenStamp == 0 {
            seen.update(repeating: 0, count: Self.cells)
            seenStamp = 1
        }
        return seenStamp
    }

    @inline(__always) private mutating func emit(_ p: Int, _ c: Int, _ level: Int) {
        let w = p &* Self.rowWords &+ c &>> 6
        let bit: UInt64 = 1 &<< UInt64(c & 63)
        guard emitted[w] & bit == 0 else { return }
        emitted[w] |= bit
        emittedRows |= 1 &<< UInt32(p)
        push(Self.pack(p, c, level))
    }

    @inline(__always) private mutating func push(_ m: UInt32) {
        if moveCount == moveCapacity {
            let bigger = UnsafeMutablePointer<UInt32>.allocate(capacity: moveCapacity * 2)
            bigger.moveInitialize(from: moves, count: moveCount)
            moves.deallocate()
            moves = bigger
            moveCapacity *= 2
        }
        moves[moveCount] = m
        moveCount += 1
    }

    /// Drops moves pushed after `count` (the caller's frame of the move stack).
    mutating func truncateMoves(to count: Int) { moveCount = count }

    /// Pushes the legal moves of the side to move, each once, onto the move stack, and
    /// returns how many there are. With `placements: false`, placements are only counted,
    /// not pushed (perft's last ply). A position with no moves for a game in progress
    /// gets `pass`; a finished game gets nothing.
    mutating func generate(placements materialise: Bool = true) -> Int {
        if isOver { return 0 }
        let start = moveCount
        while emittedRows != 0 {
            let p = emittedRows.trailingZeroBitCount
            (emitted + p * Self.rowWords).update(repeating: 0, count: Self.rowWords)
            emittedRows &= emittedRows &- 1
        }
        let me = colour * HivePieces.perColour
        let queenInPlay = inPlay(me)
        var counted = 0

        if ply < 2 {
            // First placements: white on the origin, black next to it; no queen yet.
            for p in me + 1 ..< me + HivePieces.perColour where enabled(p) && inOrder(p) {
                if ply == 0 {
                    emit(p, Self.origin, 0)
                } else {
                    for d in 0..<6 { emit(p, neighbour(Self.origin, d), 0) }
                }
            }
            return moveCount - start
        }

        // Placements: the queen must be down by the mover's fourth turn.
        var kinds = 0
        var placeable: UInt32 = 0
        for p in me ..< me + HivePieces.perColour
        where loc[p] < 0 && enabled(p) && inOrder(p) && (playerTurn != 4 || queenInPlay || p == me) {
            placeable |= 1 << UInt32(p)
            kinds += 1
        }
        if kinds > 0 {
            let cells = placementCells()
            if materialise {
                for p in me ..< me + HivePieces.perColour where placeable & (1 << UInt32(p)) != 0 {
                    for i in 0..<cells { push(Self.pack(p, Int(work[i]), 0)) }
                }
            } else {
                counted = kinds * cells
            }
        }

        // Movement needs the mover's queen on the board.
        if queenInPlay {
            findPinned()
            for p in me ..< me + HivePieces.perColour where p != lastMoved && isOnTop(p) {
                let c = cellOf(p)
                let free = !isPinned(p)
                switch HivePieces.bug(p) {
                case .queen: if free { slideOne(p, c) }
                case .spider: if free { slideThree(p, c) }
                case .beetle: if free { climb(p, c) }
                case .grasshopper: if free { jump(p, c) }
                case .ant: if free { slideAny(p, c) }
                case .ladybug: if free { ladybug(p, c) }
                case .pillbug:
                    if free { slideOne(p, c) }
                    pillbugPushes(c)
                case .mosquito:
                    if levelOf(p) > 0 {
                        climb(p, c)  // on top of the hive a mosquito is a beetle
                    } else {
                        mosquito(p, c, free: free)
                    }
                }
            }
        }
        return moveCount - start + counted
    }

    /// Empty cells next to the mover's stacks and next to none of the opponent's, listed in
    /// `work`; returns how many.
    private mutating func placementCells() -> Int {
        let mark = nextSeen()
        let me = colour
        var count = 0
        for p in me * HivePieces.perColour ..< (me + 1) * HivePieces.perColour where isOnTop(p) {
            let c = cellOf(p)
            for d in 0..<6 {
                let n = neighbour(c, d)
                if occupied(n) || seen[n] == mark { continue }
                seen[n] = mark
                var ok = true
                for d2 in 0..<6 {
                    let t = top(neighbour(n, d2))
                    if t >= 0 && HivePieces.colour(t) != me { ok = false; break }
                }
                if ok {
                    work[count] = Int16(n)
                    count += 1
                }
            }
        }
        return count
    }

    /// Queen (and pillbug): one slide. The piece is lifted so it is not its own support.
    private mutating func slideOne(_ p: Int, _ c: Int) {
        height[c] = 0
        for d in 0..<6 {
            let n = neighbour(c, d)
            if !occupied(n) && canSlide(c, d) { emit(p, n, 0) }
        }
        height[c] = 1
    }

    /// Spider: exactly three slides, never straight back nor through the start.
    private mutating func slideThree(_ p: Int, _ c: Int) {
        height[c] = 0
        for d1 in 0..<6 {
            let a = neighbour(c, d1)
            if occupied(a) || !canSlide(c, d1) { continue }
            for d2 in 0..<6 {
                let b = neighbour(a, d2)
                if b == c || occupied(b) || !canSlide(a, d2) { continue }
                for d3 in 0..<6 {
                    let e = neighbour(b, d3)
                    if e == a || e == c || occupied(e) || !canSlide(b, d3) { continue }
                    emit(p, e, 0)
                }
            }
        }
        height[c] = 1
    }

    /// Soldier ant: any number of slides (a flood fill of the slide graph).
    private mutating func slideAny(_ p: Int, _ c: Int) {
        height[c] = 0
        let mark = nextSeen()
        seen[c] = mark
        work[0] = Int16(c)
        var todo = 1
        while todo > 0 {
            todo -= 1
            let cur = Int(work[todo])
            for d in 0..<6 {
                let n = neighbour(cur, d)
                if seen[n] == mark || occupied(n) || !canSlide(cur, d) { continue }
                seen[n] = mark
                emit(p, n, 0)
                work[todo] = Int16(n)
                todo += 1
            }
        }
        height[c] = 1
    }

    /// Beetle: one step in any direction, onto or off the hive, gates judged by heights.
    private mutating func climb(_ p: Int, _ c: Int) {
        height[c] &-= 1
        let from = Int(height[c])
        for d in 0..<6 {
            let n = neighbour(c, d)
            let to = Int(height[n])
            if canClimb(c, d, from: from, to: to) { emit(p, n, to) }
        }
        height[c] &+= 1
    }

    /// Grasshopper: jumps in a straight line over at least one piece.
    private mutating func jump(_ p: Int, _ c: Int) {
        for d in 0..<6 {
            var n = neighbour(c, d)
            if !occupied(n) { continue }
            repeat { n = neighbour(n, d) } while occupied(n)
            emit(p, n, 0)
        }
    }

    /// Ladybug: two steps on top of the hive, then one step down to an empty hex.
    private mutating func ladybug(_ p: Int, _ c: Int) {
        height[c] = 0
        for d1 in 0..<6 {
            let a = neighbour(c, d1)
            let ha = Int(height[a])
            if ha == 0 || !canClimb(c, d1, from: 0, to: ha) { continue }
            for d2 in 0..<6 {
                let b = neighbour(a, d2)
                let hb = Int(height[b])
                if hb == 0 || !canClimb(a, d2, from: ha, to: hb) { continue }
                for d3 in 0..<6 {
                    let e = neighbour(b, d3)
                    if e == c || occupied(e) || !canClimb(b, d3, from: hb, to: 0) { continue }
                    emit(p, e, 0)
                }
            }
        }
        height[c] = 1
    }

    /// Pillbug ability from the ground piece at `c`: lift an adjacent lone piece over itself
    /// to an empty hex next to it. Not the piece moved last, not one pinned by the hive,
    /// and not through a gate of two stacks on either the way up or the way down.
    private mutating func pillbugPushes(_ c: Int) {
        for d in 0..<6 {
            let n = neighbour(c, d)
            guard height[n] == 1 else { continue }
            let q = Int(stack[n &* 8])
            if q == lastMoved || isPinned(q) { continue }
            // Up onto the pillbug: blocked only between two stacks of two or more.
            if height[neighbour(c, d &+ 5)] >= 2 && height[neighbour(c, d &+ 1)] >= 2 { continue }
            height[n] = 0
            for d2 in 0..<6 {
                let e = neighbour(c, d2)
                if e == n || occupied(e) { continue }
                if height[neighbour(c, d2 &+ 5)] >= 2 && height[neighbour(c, d2 &+ 1)] >= 2 { continue }
                emit(q, e, 0)
            }
            height[n] = 1
        }
    }

    /// Mosquito on the ground: moves as any bug it touches (a touching mosquito gives
    /// nothing); when pinned, only a touching pillbug's ability is left.
    private mutating func mosquito(_ p: Int, _ c: Int, free: Bool) {
        var done = 0
        for d in 0..<6 {
            let t = top(neighbour(c, d))
            if t < 0 { continue }
            let bug = HivePieces.bug(t)
            let bit = 1 << bug.rawValue
            if done & bit != 0 { continue }
            done |= bit
            if !free {
                if bug == .pillbug { pillbugPushes(c) }
                continue
            }
            switch bug {
            case .queen: slideOne(p, c)
            case .spider: slideThree(p, c)
            case .beetle: climb(p, c)
            case .grasshopper: jump(p, c)
            case .ant: slideAny(p, c)
            case .ladybug: ladybug(p, c)
            case .pillbug:
                slideOne(p, c)
                pillbugPushes(c)
            case .mosquito: break
            }
        }
    }

    // MARK: Perft

    /// Leaves of the legal-move tree; the last ply is counted, not played.
    mutating func perft(_ depth: Int) -> Int {
        if depth == 0 { return 1 }
        let base = moveCount
        let n = generate(placements: depth > 1)
        if n == 0 {
            if isOver { return 1 }  // a finished game is a leaf
            if depth == 1 { return 1 }
            let undo = make(Self.passMove)
            let total = perft(depth - 1)
            unmake(Self.passMove, undo)
            return total
        }
        if depth == 1 {
            truncateMoves(to: base)
            return n
        }
        let end = moveCount
        var total = 0
        var i = base
        while i < end {
            let m = moves[i]
            let undo = make(m)
            total += perft(depth - 1)
            unmake(m, undo)
            i += 1
        }
        truncateMoves(to: base)
        return total
    }
}
