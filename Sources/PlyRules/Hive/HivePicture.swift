/// A text picture of a Hive position: hex rows with the top piece of each stack, then what
/// lies beneath the stacks and what is still in hand.
struct HivePicture {
    let text: String

    /// Axial steps (q, r) of the six directions.
    private static let deltas = [(0, -1), (1, -1), (1, 0), (0, 1), (-1, 1), (-1, 0)]

    init(_ position: HivePosition) {
        let side = position.ply & 1 == 0 ? "white" : "black"
        var lines = ["\(position.expansions.gameType), \(side) to move (turn \(position.turn))"]
        // Coordinates by walking the hive from one piece (the torus has no fixed frame).
        var coords: [Int: (Int, Int)] = [:]
        if let first = position.locations.first(where: { $0 >= 0 }) {
            let start = Int(first & 1023)
            coords[start] = (0, 0)
            var todo = [start]
            while let c = todo.popLast() {
                let (q, r) = coords[c]!
                for d in 0..<6 {
                    let n = HiveBoard.step(c, d)
                    if coords[n] == nil && position.isOccupied(n) {
                        coords[n] = (q + Self.deltas[d].0, r + Self.deltas[d].1)
                        todo.append(n)
                    }
                }
            }
        }
        if !coords.isEmpty {
            var byPlace: [Int: [Int: Int]] = [:]  // row -> x -> cell
            for (c, (q, r)) in coords { byPlace[r, default: [:]][2 * q + r] = c }
            let xs = coords.values.map { 2 * $0.0 + $0.1 }
            let minX = xs.min()!, maxX = xs.max()!
            for r in byPlace.keys.sorted() {
                var line = ""
                for x in stride(from: minX, through: maxX, by: 1) where (x - r) % 2 == 0 {
                    let pad = String(repeating: " ", count: max(0, (x - minX) * 2 - line.count))
                    let label = byPlace[r]?[x].flatMap { position.top($0) }.map(HivePieces.name) ?? "."
                    line += pad + label
                }
                lines.append(line)
            }
        }
        var beneath: [String] = []
        for p in 0..<HivePieces.count where position.locations[p] >= 0 && position.locations[p] >> 10 > 0 {
            let below = position.locations.firstIndex(of: position.locations[p] - (1 << 10))
            beneath.append("\(HivePieces.name(p)) on \(below.map(HivePieces.name) ?? "?")")
        }
        if !beneath.isEmpty { lines.append("stacked: " + beneath.joined(separator: ", ")) }
        for colour in 0..<2 {
            let hand = (colour * HivePieces.perColour ..< (colour + 1) * HivePieces.perColour).filter {
                position.locations[$0] < 0 && position.expansions.enables(HivePieces.bug($0))
            }
            lines.append("\(colour == 0 ? "white" : "black") in hand: " + hand.map(HivePieces.name).joined(separator: " "))
        }
        text = lines.joined(separator: "\n")
    }
}
