/// The bugs of Hive and its three expansions, in Mzinga's order.
public enum HiveBug: Int, Sendable, CaseIterable {
    case queen, spider, beetle, grasshopper, ant, mosquito, ladybug, pillbug

    /// The letter UHP uses for the bug.
    var letter: Character {
        switch self {
        case .queen: "Q"
        case .spider: "S"
        case .beetle: "B"
        case .grasshopper: "G"
        case .ant: "A"
        case .mosquito: "M"
        case .ladybug: "L"
        case .pillbug: "P"
        }
    }
}

/// The expansion bugs in play: a set of Mosquito, Ladybug and Pillbug.
public struct HiveExpansions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let mosquito = HiveExpansions(rawValue: 1)
    public static let ladybug = HiveExpansions(rawValue: 2)
    public static let pillbug = HiveExpansions(rawValue: 4)

    /// The settings spelling: `""`, `"M"`, ..., `"MLP"`.
    public var letters: String {
        (contains(.mosquito) ? "M" : "") + (contains(.ladybug) ? "L" : "") + (contains(.pillbug) ? "P" : "")
    }

    /// Reads `""`, `"M"`, `"LP"`, ... (letters in the order M, L, P, each at most once).
    public init?(letters: String) {
        let all: [(Character, HiveExpansions)] = [("M", .mosquito), ("L", .ladybug), ("P", .pillbug)]
        var set: HiveExpansions = []
        var next = 0
        for ch in letters {
            guard let i = all[next...].firstIndex(where: { $0.0 == ch }) else { return nil }
            set.insert(all[i].1)
            next = i + 1
        }
        self = set
    }

    /// The UHP game type: `Base` or `Base+` and the letters.
    public var gameType: String { isEmpty ? "Base" : "Base+" + letters }

    /// Reads a UHP game type such as `Base+MLP`.
    public init?(gameType: String) {
        if gameType == "Base" { self = []; return }
        guard gameType.hasPrefix("Base+"), gameType.count > 5,
              let e = HiveExpansions(letters: String(gameType.dropFirst(5))) else { return nil }
        self = e
    }

    func enables(_ bug: HiveBug) -> Bool {
        switch bug {
        case .mosquito: contains(.mosquito)
        case .ladybug: contains(.ladybug)
        case .pillbug: contains(.pillbug)
        default: true
        }
    }
}

/// The 28 pieces, numbered as Mzinga numbers them: white `wQ` ... `wP` are 0 ... 13, black
/// `bQ` ... `bP` are 14 ... 27. Within a colour the index says the bug and its number.
enum HivePieces {
    static let count = 28
    static let perColour = 14

    private static let bugs: [HiveBug] = [
        .queen, .spider, .spider, .beetle, .beetle, .grasshopper, .grasshopper, .grasshopper,
        .ant, .ant, .ant, .mosquito, .ladybug, .pillbug,
    ]
    private static let numbers: [Int] = [0, 1, 2, 1, 2, 1, 2, 3, 1, 2, 3, 0, 0, 0]

    static func bug(_ piece: Int) -> HiveBug { bugs[piece % perColour] }
    /// 0 for white, 1 for black.
    static func colour(_ piece: Int) -> Int { piece < perColour ? 0 : 1 }
    /// 1, 2, 3 for numbered bugs; 0 for the queen and the expansion bugs (one of each).
    static func number(_ piece: Int) -> Int { numbers[piece % perColour] }

    static func name(_ piece: Int) -> String {
        let n = number(piece)
        return (colour(piece) == 0 ? "w" : "b") + String(bug(piece).letter) + (n > 0 ? String(n) : "")
    }

    /// Reads a piece name such as `wS1`, case-insensitively as Mzinga does.
    static func parse<S: StringProtocol>(_ text: S) -> Int? { byName[text.lowercased()] }

    private static let byName: [String: Int] = {
        var d: [String: Int] = [:]
        for p in 0..<count { d[name(p).lowercased()] = p }
        return d
    }()
}
