import PlyRules

/// Khet 2.0: alpha-beta over the rules' values with an evaluation of material (pyramids
/// and anubis left) and pharaoh exposure (how close each laser's path comes to the
/// other pharaoh, and how many pieces stand guard around one's own).
public struct KhetEngine: Sendable {
    let rules = Khet()
    public init() {}

    public func bestMove(_ position: Khet.Position, level: BotLevel, random: inout BotRandom) -> Khet.Move? {
        var search = GameSearch(rules: rules, budget: level.budget, contempt: 50, evaluate: Self.evaluate)
        return search.bestMove(position, depth: level.depth, random: &random)
    }

    static func evaluate(_ position: Khet.Position) -> Int {
        let me = position.sideToMove
        var material = [0, 0]
        var pharaoh: [Khet.Square?] = [nil, nil]
        let pieces = position.pieces
        for (square, piece) in pieces {
            switch piece.kind {
            case .pyramid: material[piece.owner] += 100
            case .anubis: material[piece.owner] += 140
            case .pharaoh: pharaoh[piece.owner] = square
            case .scarab, .sphinx: break
            }
        }
        var score = material[me] - material[1 - me]
        for seat in 0..<2 {
            guard let own = pharaoh[seat] else { continue }
            let sign = seat == me ? 1 : -1
            // Guards: own pieces on the eight squares around the pharaoh.
            var guards = 0
            for dx in -1...1 {
                for dy in -1...1 where dx != 0 || dy != 0 {
                    if let s = own.neighbour(dx, dy), let p = pieces[s], p.owner == seat { guards += 1 }
                }
            }
            score += sign * 8 * guards
            // Exposure: the enemy beam, were it fired now, passing near the pharaoh.
            let beam = position.firing(1 - seat)
            if case .win = Khet().outcome(beam) {
                score -= sign * 400
            } else {
                let near = beam.laser.map { abs($0.file - own.file) + abs($0.rank - own.rank) }.min() ?? 10
                score -= sign * max(0, 4 - near) * 10
            }
        }
        return score
    }
}
