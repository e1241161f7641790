import PlyJSON
import PlyProtocol
import PlyRules
import Testing

/// Hostile and random lines: the parser must answer every one, and what it accepts must
/// still have the shape the engine relies on.
@Suite("Command parser: hostile input")
struct CommandParserFuzzTests {
    /// Fragments that steer random lines into the parser's branches.
    static let soup: [String] = [
        "m1", "p2", "reversi", "hive", "4", "0", "-1", "+3", "007", "99999999999999999999", "f5", "wG1", "bP1\\",
        "open", "OPEN", "active", "all", "offer", "accept", "SET", "set", "DEVICE", "EMAIL", "EXTERNAL", "SESSION",
        "laptop-of-ann-01", "ann@example.com", "password1", "steam", "{", "}", "[", "]", "{}", "[1]", "{\"a\":1}",
        "{\"side\":\"first\"}", "{\"a\":1,\"a\":2}", "\"", "\\", "\\u", "\\uD83D", "#", "#17", "##", "null", "1e400",
        "é", "😀", "🇳🇴", "\u{0}", "\u{1}", "\u{7F}", "\t", "\r", "\u{85}", "\u{2028}", "\u{301}", "\u{200B}",
        "\u{FEFF}", "ı", "ſ", "ﬆ", "\u{212A}", "ＰＩＮＧ", String(repeating: "x", count: 33),
    ]

    /// A random line as a client or an attacker might send it; never contains `\n`, which
    /// the framing layer has already split on.
    static func randomLine(_ random: inout SeededRandom) -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0, 1, 2:
            // Random bytes, decoded the way the server decodes a line, replacement and all.
            let count = Int.random(in: 0...120, using: &random)
            let bytes = (0..<count).map { _ -> UInt8 in
                switch Int.random(in: 0..<4, using: &random) {
                case 0: return random.pick([0x20, 0x23, 0x7B, 0x7D, 0x22, 0x5C])
                case 1: return UInt8.random(in: 0x80...0xFF, using: &random)
                case 2: return UInt8.random(in: 0x00...0x1F, using: &random)
                default: return UInt8.random(in: 0x21...0x7E, using: &random)
                }
            }
            return String(decoding: bytes.filter { $0 != 0x0A }, as: UTF8.self)
        case 3:
            let specials = ["#", " ", "#  ", "  #", "# #", "##", String(repeating: " ", count: 1000),
                            String(repeating: "#", count: 100), "\r", "\t", "\u{0}", ""]
            return random.pick(specials)
        default:
            var line = random.oneIn(5) ? random.pick(["#1", "#", "#tag-\(random.next() % 100)"]) + " " : ""
            var verb = random.pick(CommandParser.verbs)
            if random.oneIn(3) { verb = verb.lowercased() }
            if random.oneIn(20) { verb = random.pick(soup) }
            line += verb
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                line += random.pick([" ", " ", "   ", "", "\t"])
                line += random.oneIn(50)
                    ? String(repeating: random.pick(["a", "{", "[", "é", "9"]), count: Int.random(in: 1_000...20_000, using: &random))
                    : random.pick(soup)
            }
            if random.oneIn(10) { line += String(repeating: " ", count: Int.random(in: 1...10, using: &random)) }
            return line
        }
    }

    @Test("20,000 random lines each get a request, and a well-formed one-line reply")
    func randomLines() {
        var random = SeededRandom(seed: 0x504C_59)
        var accepted = 0, refused = 0
        for _ in 0..<20_000 {
            let line = Self.randomLine(&random)
            let request = CommandParser.parse(line)
            if let tag = request.tag {
                #expect(tag.hasPrefix("#") && !tag.contains(" ") && tag.count <= 64, "\(line.debugDescription)")
            }
            let reply: Reply
            switch request.command {
            case .success(let command):
                accepted += 1
                if let problem = shapeProblem(command) {
                    Issue.record("\(line.debugDescription) gave a bad \(problem): \(command)")
                }
                reply = .ok(nil)
            case .failure(let error):
                refused += 1
                #expect(!error.message.isEmpty, "\(line.debugDescription)")
                reply = .error(error)
            }
            let wire = reply.line(tag: request.tag)
            #expect(wire.utf8.filter { $0 == 0x0A }.count == 1 && wire.utf8.last == 0x0A, "\(line.debugDescription)")
            // Pure: the same line gives the same request.
            let again = CommandParser.parse(line)
            #expect(again.tag == request.tag && again.command == request.command)
        }
        // The generator must reach both sides, or the loop proves little.
        #expect(accepted > 500)
        #expect(refused > 1_000)
    }

    @Test("very long words in every position are answered", arguments: [1_000, 100_000])
    func longWords(length: Int) throws {
        let word = String(repeating: "w", count: length)
        // Each line with the length past which the parser refuses it (0: at any length here).
        let lines: [(String, Int)] = [
            (word, 0), ("#" + word, 0), ("#t " + word, 0), ("MATCH " + word, 0), ("MOVE m1 4 " + word, 0),
            ("SAY m1 " + word, 0), ("NAME " + word, 0), ("AUTH DEVICE " + word, 0),
            ("AUTH SESSION " + word, ProtocolLimits.tokenMaxLength),
            ("PROFILE SET {\"a\":\"\(word)\"}", ProtocolLimits.profileDataMaxBytes - 8),
            ("MOVE m1 " + String(repeating: "9", count: length) + " f5", 0),
            ("PROFILE SET " + String(repeating: "[", count: length), 0),
            ("QUEUE reversi " + String(repeating: "{\"a\":", count: length / 5), 0),
        ]
        for (line, limit) in lines {
            let command = CommandParser.parse(line).command
            guard case .failure(let error) = command else {
                #expect(length <= limit, "accepted: \(line.prefix(40))... (\(line.utf8.count) bytes)")
                continue
            }
            #expect(length > limit, "refused within its limit: \(line.prefix(40))...: \(error)")
            #expect(!error.message.isEmpty)
            #expect(error.message.count < 300, "messages quote at most a short prefix")
        }
        // Spaces around a word are no word: the padded PING is a PING.
        let padded = String(repeating: " ", count: length) + "PING" + String(repeating: " ", count: length)
        #expect(try CommandParser.parse(padded).command.get() == .ping)
    }
}
