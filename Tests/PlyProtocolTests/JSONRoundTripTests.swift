import PlyJSON
import PlyRules
import Testing

/// Random JSON values from a seed, reaching for the awkward corners: escapes, astral
/// characters, Int's extremes, subnormal and huge doubles, empty and deep containers.
struct RandomJSON {
    var random: SeededRandom

    /// Characters a key or string is built from: each needs a different path through
    /// the encoder or parser.
    static let alphabet: [String] = [
        "a", "Z", "0", " ", "_", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1F}", "\u{7F}",
        "é", "ß", "€", "\u{2028}", "\u{FFFF}", "😀", "𝄞", "\u{10FFFF}", "{", "}", "[", ":", ",",
    ]

    mutating func string() -> String {
        let length = random.oneIn(8) ? 0 : Int.random(in: 1...12, using: &random)
        var s = ""
        for _ in 0..<length { s += random.pick(Self.alphabet) }
        return s
    }

    mutating func double() -> Double {
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            // Any finite bit pattern: subnormals, huge magnitudes, negative zero.
            while true {
                let d = Double(bitPattern: random.next())
                if d.isFinite { return d }
            }
        case 1: return Double(Int.random(in: -1000...1000, using: &random)) / 8
        case 2: return Double.random(in: -1e6...1e6, using: &random)
        default: return random.pick([0.1, -0.0, 1e15, 1e16, 9.007199254740993e15, 1e-7, .leastNonzeroMagnitude, .greatestFiniteMagnitude])
        }
    }

    mutating func value(depth: Int = 0) -> JSONValue {
        let kinds = depth >= 6 ? 5 : 7
        switch Int.random(in: 0..<kinds, using: &random) {
        case 0: return .null
        case 1: return .bool(random.oneIn(2))
        case 2:
            return .int(random.oneIn(4) ? random.pick([.min, .max, 0, -1]) : Int.random(in: -100_000...100_000, using: &random))
        case 3: return .double(double())
        case 4: return .string(string())
        case 5:
            let count = Int.random(in: 0...4, using: &random)
            return .array((0..<count).map { _ in value(depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...4, using: &random) { object[string()] = value(depth: depth + 1) }
            return .object(object)
        }
    }
}


@Suite("JSON round trip")
struct JSONRoundTripTests {
    @Test("random values encode and parse back equal", arguments: [1, 2, 3, 4] as [UInt64])
    func randomValuesRoundTrip(seed: UInt64) throws {
        var generator = RandomJSON(random: SeededRandom(seed: seed))
        for _ in 0..<1000 {
            let value = generator.value()
            let text = value.description
            let parsed = try JSONValue(parsing: text)
            #expect(parsed == value.wireForm, "\(text)")
            // Same text again: key order and number forms survive the trip.
            #expect(parsed.description == text)
        }
    }

    @Test("random values survive inside an object at the top level")
    func randomObjectsRoundTripThroughParseObject() throws {
        var generator = RandomJSON(random: SeededRandom(seed: 99))
        for _ in 0..<300 {
            var object = JSONObject()
            object[generator.string()] = generator.value()
            object[generator.string()] = generator.value()
            let parsed = try JSONValue.parseObject(object.description)
            #expect(JSONValue.object(parsed) == JSONValue.object(object).wireForm)
            #expect(parsed.keys == object.keys)
        }
    }
}
