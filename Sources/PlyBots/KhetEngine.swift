import PlyRules

/// Khet 2.0: alpha-beta over the rules' values with an evaluation of material (pyramids
/// and anubis left) and pharaoh exposure (how close each laser's path comes to the
/// other pharaoh, and how many pieces stand guard around one's own).
public struct KhetEngine: Sendable {
    let rules = Khet()
    public init() {}

    public func bestMove(_ position: Khet.Position, history: [Khet.Position] = [], level: BotLevel, random: inout BotRandom) -> Khet.Move? {
        var search = search(budget: level.budget)
        return search.bestMove(position, history: history, depth: level.depth, random: &random)
    }

    func search(budget: Duration) -> GameSearch<Khet> {
        GameSearch(rules: rules, budget: budget, contempt: 50, key: \.searchKey, evaluate: Self.evaluate)
    }

    static func evaluate(_ position: Khet.Position) -> Int {
        let me = position.sideToMove
        // Material and pharaohs, per seat (0 and 1) without arrays: this runs at every leaf.
        var material = (0, 0)
        var pharaoh: (Khet.Square?, Khet.Square?) = (nil, nil)
        for i in 0..<Khet.Square.count {
            let square = Khet.Square(index: i)
            guard let piece = position[square] else { continue }
            let worth = piece.kind == .pyramid ? 100 : piece.kind == .anubis ? 140 : 0
            if piece.owner == 0 { material.0 += worth } else { material.1 += worth }
            if piece.kind == .pharaoh {
                if piece.owner == 0 { pharaoh.0 = square } else { pharaoh.1 = square }
            }
        }
        var score = me == 0 ? material.0 - material.1 : material.1 - material.0
        for seat in 0..<2 {
            guard let own = seat == 0 ? pharaoh.0 : pharaoh.1 else { continue }
            let sign = seat == me ? 1 : -1
            // Guards: own pieces on the eight squares around the pharaoh.
            var guards = 0
            for dx in -1...1 {
                for dy in -1...1 where dx != 0 || dy != 0 {
                    if let s = own.neighbour(dx, dy), let p = position[s], p.owner == seat { guards += 1 }
                }
            }
            score += sign * 8 * guards
            // Exposure: the enemy beam, were it fired now, passing near the pharaoh.
            var near = 10
            let hit = position.traceBeam(1 - seat) { near = min(near, abs($0.file - own.file) + abs($0.rank - own.rank)) }
            if hit == own {
                score -= sign * 400
            } else {
                score -= sign * max(0, 4 - near) * 10
            }
        }
        return score
    }
}
