import PlyJSON
import PlyProtocol
import Testing

extension Request {
    /// The command, or nil when the line earned an error.
    var parsed: Command? { try? command.get() }

    /// The error the line earned, or nil when it parsed.
    var failure: PlyError? {
        if case .failure(let e) = command { e } else { nil }
    }
}

@Suite("Command parser: the protocol's request forms")
struct CommandParserTests {
    static let id32 = String(repeating: "a", count: 32)

    /// Each request form of PROTOCOL.md, with the spacing and case variations it allows.
    static let requests: [(String, Command)] = [
        // Sessions and accounts
        ("PING", .ping),
        ("ping", .ping),
        ("PiNg", .ping),
        ("   PING   ", .ping),
        ("HELP", .help),
        ("QUIT", .quit),
        ("AUTH DEVICE laptop-of-ann-01", .authDevice(deviceID: "laptop-of-ann-01")),
        ("auth device laptop-of-ann-01", .authDevice(deviceID: "laptop-of-ann-01")),
        ("AUTH  DEVICE   0123456789", .authDevice(deviceID: "0123456789")),
        ("AUTH DEVICE !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", .authDevice(deviceID: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")),
        ("AUTH EMAIL ann@example.com hunter2!", .authEmail(email: "ann@example.com", password: "hunter2!")),
        // Addresses are compared without case; passwords keep theirs.
        ("AUTH EMAIL Ann@Example.COM PassWord", .authEmail(email: "ann@example.com", password: "PassWord")),
        ("AUTH EXTERNAL steam ticket-abc.123", .authExternal(provider: "steam", token: "ticket-abc.123")),
        ("Auth External Steam T0KEN", .authExternal(provider: "steam", token: "T0KEN")),
        ("AUTH SESSION s3ss10n", .authSession(token: "s3ss10n", lastSeq: nil)),
        ("AUTH SESSION s3ss10n 0", .authSession(token: "s3ss10n", lastSeq: 0)),
        ("AUTH SESSION s3ss10n 1234", .authSession(token: "s3ss10n", lastSeq: 1234)),
        ("LINK EMAIL bo@mail.example.org longpassword", .linkEmail(email: "bo@mail.example.org", password: "longpassword")),
        ("link external Steam tok", .linkExternal(provider: "steam", token: "tok")),
        ("LOGOUT", .logout),
        ("LOGOUT ALL", .logoutAll),
        ("CONFIRM EMAIL", .confirmEmail(code: nil)),
        ("confirm email 01234567", .confirmEmail(code: "01234567")),
        ("logout all", .logoutAll),
        // Profiles
        ("PROFILE", .profile(player: nil)),
        ("PROFILE p1", .profile(player: "p1")),
        ("PROFILE Player_7-x", .profile(player: "Player_7-x")),
        ("PROFILE \(id32)", .profile(player: id32)),
        ("NAME Ann", .name("Ann")),
        ("NAME   Ann  van   Lee  ", .name("Ann  van   Lee")),
        ("NAME Zoë 🎲", .name("Zoë 🎲")),
        ("NAME " + String(repeating: "é", count: 32), .name(String(repeating: "é", count: 32))),
        ("PROFILE SET {}", .profileSet([:])),
        ("PROFILE SET {\"email_turn_alerts\":true}", .profileSet(["email_turn_alerts": true])),
        ("profile set   { \"theme\" : \"dark\", \"n\": [1, 2.5] }  ", .profileSet(["theme": "dark", "n": [1, 2.5]])),
        // Games and matches
        ("GAMES", .games),
        ("CHALLENGE p2 reversi", .challenge(opponent: "p2", game: "reversi", settings: [:])),
        ("CHALLENGE p2 reversi {\"side\":\"first\"}", .challenge(opponent: "p2", game: "reversi", settings: ["side": "first"])),
        ("CHALLENGE p2 hive { \"expansions\": \"MLP\", \"turn_seconds\": 60 }",
         .challenge(opponent: "p2", game: "hive", settings: ["expansions": "MLP", "turn_seconds": 60])),
        ("CHALLENGE open reversi", .challenge(opponent: nil, game: "reversi", settings: [:])),
        ("CHALLENGE OPEN khet {\"layout\":\"classic\"}", .challenge(opponent: nil, game: "khet", settings: ["layout": "classic"])),
        ("OPEN", .open(game: nil)),
        ("OPEN reversi", .open(game: "reversi")),
        ("ACCEPT m1", .accept(match: "m1")),
        ("DECLINE m1", .decline(match: "m1")),
        ("QUEUE reversi", .queue(game: "reversi", settings: [:])),
        ("QUEUE hive {\"expansions\":\"M\"}", .queue(game: "hive", settings: ["expansions": "M"])),
        ("UNQUEUE reversi", .unqueue(game: "reversi")),
        ("MATCHES", .matches(.active)),
        ("MATCHES active", .matches(.active)),
        ("MATCHES finished", .matches(.finished)),
        ("MATCHES all", .matches(.all)),
        ("matches ALL", .matches(.all)),
        ("MATCH m7", .match("m7")),
        ("MOVE m3 4 f5", .move(match: "m3", ply: 4, move: "f5")),
        ("move m3 1 F5", .move(match: "m3", ply: 1, move: "F5")),
        ("MOVE m3 4 wG1 bP1\\", .move(match: "m3", ply: 4, move: "wG1 bP1\\")),
        ("MOVE m3 4   bG1 -wS1   ", .move(match: "m3", ply: 4, move: "bG1 -wS1")),
        ("MOVE m3 2 wB1 wS1/", .move(match: "m3", ply: 2, move: "wB1 wS1/")),
        ("MOVE m3 9 pass", .move(match: "m3", ply: 9, move: "pass")),
        ("MOVE m3 12 e6-d6", .move(match: "m3", ply: 12, move: "e6-d6")),
        ("MOVE m3 13 ccw g5", .move(match: "m3", ply: 13, move: "ccw g5")),
        ("MOVE m3 9223372036854775807 f5", .move(match: "m3", ply: .max, move: "f5")),
        ("LEGAL m1", .legal(match: "m1")),
        ("RESIGN m1", .resign(match: "m1")),
        ("DRAW m1 offer", .draw(match: "m1", action: .offer)),
        ("DRAW m1 accept", .draw(match: "m1", action: .accept)),
        ("draw m1 DECLINE", .draw(match: "m1", action: .decline)),
        ("WATCH m1", .watch(match: "m1")),
        ("UNWATCH m1", .unwatch(match: "m1")),
        ("SAY m1 good game!", .say(match: "m1", text: "good game!")),
        ("SAY m1    well   played   ", .say(match: "m1", text: "well   played")),
        ("SAY m1 {\"not\":\"json\"} #tag", .say(match: "m1", text: "{\"not\":\"json\"} #tag")),
        // Notifications and operations
        ("NOTIFICATIONS", .notifications),
        ("SEEN n42", .seen(id: "n42")),
        ("STATS", .stats),
        // Beyond PROTOCOL.md, which lets the server add commands.
        ("TOP reversi", .top(game: "reversi", count: 10)),
        ("TOP hive 1", .top(game: "hive", count: 1)),
        ("TOP hive 100", .top(game: "hive", count: 100)),
    ]

    @Test("each request form parses to its command", arguments: requests)
    func parses(line: String, expected: Command) throws {
        let request = CommandParser.parse(line)
        #expect(request.tag == nil)
        #expect(try request.command.get() == expected)
    }

    @Test("the Substring and String entry points agree", arguments: requests)
    func substringAgrees(line: String, expected: Command) throws {
        let padded = "xx" + line + "yy"
        let slice = padded.dropFirst(2).dropLast(2)
        #expect(try CommandParser.parse(slice).command.get() == expected)
    }

    /// HELP advertises these verbs; each must reach a command of its own, in any case.
    @Test("every verb HELP lists is known, in any case", arguments: CommandParser.verbs)
    func listedVerbIsKnown(verb: String) {
        for spelling in [verb, verb.lowercased(), verb.prefix(1) + verb.dropFirst().lowercased()] {
            let request = CommandParser.parse(spelling)
            #expect(request.failure?.code != .unknownCommand, "\(spelling)")
        }
    }

    @Test("CONFIRM takes EMAIL and an 8-digit code or none", arguments: [
        "CONFIRM", "CONFIRM PHONE 01234567", "CONFIRM EMAIL 0123456", "CONFIRM EMAIL 012345678", "CONFIRM EMAIL 0123456x",
        "CONFIRM EMAIL 01234567 more", "CONFIRM EMAIL ０１２３４５６７",
    ])
    func confirmForms(line: String) {
        #expect(CommandParser.parse(line).failure?.code == .badRequest, "\(line)")
    }

    @Test("LOGOUT takes nothing or ALL", arguments: ["LOGOUT me", "LOGOUT ALL now", "LOGOUT everywhere"])
    func logoutForms(line: String) {
        #expect(CommandParser.parse(line).failure?.code == .badRequest, "\(line)")
    }

    // MARK: Limits at their edges

    @Test("device ids of 10 and 128 characters are accepted, 9 and 129 refused")
    func deviceIDLength() throws {
        let bounds = ProtocolLimits.deviceIDLength
        for length in [bounds.lowerBound, bounds.upperBound] {
            let id = String(repeating: "d", count: length)
            #expect(try CommandParser.parse("AUTH DEVICE \(id)").command.get() == .authDevice(deviceID: id))
        }
        for length in [bounds.lowerBound - 1, bounds.upperBound + 1] {
            let id = String(repeating: "d", count: length)
            #expect(CommandParser.parse("AUTH DEVICE \(id)").failure?.code == .badRequest)
        }
    }

    @Test("ids of 1 and 32 characters are accepted, 33 refused")
    func idLength() throws {
        #expect(try CommandParser.parse("MATCH m").command.get() == .match("m"))
        #expect(try CommandParser.parse("MATCH \(Self.id32)").command.get() == .match(Self.id32))
        #expect(CommandParser.parse("MATCH \(Self.id32)b").failure?.code == .badRequest)
    }

    /// Every ASCII character outside `[A-Za-z0-9_-]` makes an id invalid.
    @Test("ids allow exactly A-Z a-z 0-9 _ -")
    func idAlphabet() throws {
        for code in 0x21..<0x7F {
            let c = Character(try #require(Unicode.Scalar(code)))
            let allowed = c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-")
            #expect(CommandParser.isValidID("m\(c)1") == allowed, "\(c)")
            #expect((CommandParser.parse("ACCEPT m\(c)1").failure == nil) == allowed, "\(c)")
        }
        #expect(!CommandParser.isValidID(""))
        #expect(!CommandParser.isValidID("mé"))
        #expect(!CommandParser.isValidID("m\u{0}"))
    }

    @Test("names of 32 characters are accepted, 33 refused")
    func nameLength() throws {
        let name = String(repeating: "n", count: ProtocolLimits.nameLength.upperBound)
        #expect(try CommandParser.parse("NAME \(name)").command.get() == .name(name))
        #expect(CommandParser.parse("NAME \(name)n").failure?.code == .badRequest)
        // At most 128 bytes too: 16 flags (8 bytes each) fit, 17 do not.
        let flags = String(repeating: "🇳🇴", count: 16)
        #expect(try CommandParser.parse("NAME \(flags)").command.get() == .name(flags))
        #expect(CommandParser.parse("NAME \(flags)🇳🇴").failure?.code == .badRequest)
    }

    @Test("a name needs a visible character and no stack of combining marks", arguments: [
        ("Ann", true), ("Nguyễn Văn", true), ("Zoe\u{0308}", true), ("a\u{0301}\u{0302}\u{0303}", true),
        ("a\u{0301}\u{0302}\u{0303}\u{0304}", false), ("\u{3164}", false), ("A\u{3164}B", false),
        ("\u{115F}\u{1160}", false), ("\u{FFA0}", false), ("\u{2800}", false), ("\u{2003}", false),
        ("\u{200B}x", false), ("\u{0301}", false), ("👍🏽", true), ("❤\u{FE0F}", true),
    ])
    func nameVisibility(name: String, accepted: Bool) {
        #expect((CommandParser.parse("NAME \(name)").failure == nil) == accepted, "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test("a name of one letter and 3,000 combining marks is refused for its bytes")
    func zalgo() {
        let name = "a" + String(repeating: "\u{0301}", count: 3000)
        #expect(name.count == 1)
        #expect(CommandParser.parse("NAME \(name)").failure?.message.contains("128 bytes") == true)
    }

    @Test("PROFILE SET takes 16 KiB of JSON, not a byte more")
    func profileDataLimit() throws {
        let limit = ProtocolLimits.profileDataMaxBytes
        let wrapper = #"{"d":""}"#.utf8.count
        let fits = #"{"d":""# + String(repeating: "x", count: limit - wrapper) + #""}"#
        #expect(fits.utf8.count == limit)
        let object = try #require(CommandParser.parse("PROFILE SET \(fits)").parsed)
        #expect(object == .profileSet(try JSONValue.parseObject(fits)))
        let over = #"{"d":""# + String(repeating: "x", count: limit - wrapper + 1) + #""}"#
        let failure = try #require(CommandParser.parse("PROFILE SET \(over)").failure)
        #expect(failure.code == .badRequest)
        #expect(failure.message.contains("\(limit)"))
    }

    @Test("SAY takes 500 characters, not one more")
    func chatLimit() throws {
        let text = String(repeating: "ab ", count: 166) + "ab"
        #expect(text.count == ProtocolLimits.chatMaxLength)
        #expect(try CommandParser.parse("SAY m1 \(text)").command.get() == .say(match: "m1", text: text))
        #expect(CommandParser.parse("SAY m1 \(text)!").failure?.code == .badRequest)
    }

    @Test("SAY keeps what people write: accents, scripts that stack marks, emoji sequences")
    func chatText() throws {
        let lines = [
            String(repeating: "\u{E9}", count: 500),  // 500 é, 1,000 bytes
            "Tiếng Việt: được, những",  // two marks on one letter
            "Thaana ހުރިހާ and Devanagari नमस्ते",
            "👨‍👩‍👧 👍🏽 1️⃣ 🇫🇷 ❤️",  // joiners, a skin tone, a keycap, a flag, a variation selector
            "a" + String(repeating: "\u{301}", count: ProtocolLimits.chatMaxCombiningMarks),
            "tab\tseparated",
            "مرحبا and עברית, drawn right to left without any control",
        ]
        for text in lines {
            #expect(try CommandParser.parse("SAY m1 \(text)").command.get() == .say(match: "m1", text: text), "\(text)")
        }
        // 300 flags are 2,400 bytes and 300 characters: within the limit.
        let flags = String(repeating: "🇫🇷", count: 300)
        #expect(try CommandParser.parse("SAY m1 \(flags)").command.get() == .say(match: "m1", text: flags))
        // Marks joined by zero-width joiners are still one character: refused.
        let joined = "a" + String(repeating: String(repeating: "\u{301}", count: 8) + "\u{200D}", count: 20)
        #expect(joined.count == 1)
        #expect(CommandParser.parse("SAY m1 \(joined)").failure?.code == .badRequest)
    }

    // MARK: Tags

    static let taggedRequests: [(String, String?, Command?)] = [
        ("#17 MOVE m3 4 f5", "#17", .move(match: "m3", ply: 4, move: "f5")),
        ("   #a    PING  ", "#a", .ping),
        ("#x-y.z:1 AUTH DEVICE laptop-of-ann-01", "#x-y.z:1", .authDevice(deviceID: "laptop-of-ann-01")),
        ("#17 #18 PING", "#17", nil),
        ("#17", "#17", nil),
        ("#", "#", nil),
        ("#   ", "#", nil),
        ("PING #17", nil, nil),
        ("#\(String(repeating: "t", count: 63)) PING", "#" + String(repeating: "t", count: 63), .ping),
    ]

    @Test("a leading #word is the tag; the rest is the request", arguments: taggedRequests)
    func tags(line: String, tag: String?, command: Command?) {
        let request = CommandParser.parse(line)
        #expect(request.tag == tag)
        #expect(request.parsed == command)
    }

    @Test("a tag's failure keeps the tag, so the reply can carry it")
    func tagKeptOnFailure() throws {
        let unknown = CommandParser.parse("#9 FROB x")
        #expect(unknown.tag == "#9")
        #expect(unknown.failure?.code == .unknownCommand)
        let bad = CommandParser.parse("#10 MOVE m3 zero f5")
        #expect(bad.tag == "#10")
        #expect(bad.failure?.code == .badRequest)
    }

    /// An unbounded tag would be echoed into every reply; past 64 characters it is refused.
    @Test("a tag over 64 characters is refused")
    func overlongTag() throws {
        let request = CommandParser.parse("#" + String(repeating: "t", count: 64) + " PING")
        #expect(request.failure?.code == .badRequest)
    }

    /// A tag is echoed at the start of the reply line: a control character (a carriage
    /// return splits the line for some clients) or anything outside printable ASCII is refused,
    /// and the refusal carries no tag.
    @Test("a tag outside printable ASCII is refused", arguments: ["#a\rb", "#a\u{7F}", "#t\u{2028}", "#é", "#a\tb"])
    func unprintableTag(tag: String) throws {
        let request = CommandParser.parse(tag + " PING")
        #expect(request.failure?.code == .badRequest)
        #expect(request.tag == nil)
        #expect(CommandParser.parse("#a-b_c.9!~ PING").tag == "#a-b_c.9!~", "printable ASCII is fine")
    }

    // MARK: Before AUTH

    /// The commands PROTOCOL.md lists before "Every command below needs an authenticated
    /// connection", less LINK and LOGOUT, which act on the current account.
    @Test("only session commands run before AUTH")
    func allowedBeforeAuth() throws {
        let open = ["PING", "HELP", "QUIT", "AUTH DEVICE laptop-of-ann-01", "AUTH EMAIL a@b.co password",
                    "AUTH EXTERNAL steam t", "AUTH SESSION s"]
        for line in open {
            #expect(try CommandParser.parse(line).command.get().allowedBeforeAuth, "\(line)")
        }
        let closed = ["LINK EMAIL a@b.co password", "LINK EXTERNAL steam t", "LOGOUT", "PROFILE", "NAME Ann",
                      "PROFILE SET {}", "CHALLENGE open reversi", "OPEN", "ACCEPT m1", "DECLINE m1", "QUEUE reversi",
                      "UNQUEUE reversi", "MATCHES", "MATCH m1", "MOVE m1 1 f5", "LEGAL m1", "RESIGN m1",
                      "DRAW m1 offer", "WATCH m1", "UNWATCH m1", "SAY m1 hi", "NOTIFICATIONS", "SEEN n1", "GAMES", "STATS"]
        for line in closed {
            #expect(try !CommandParser.parse(line).command.get().allowedBeforeAuth, "\(line)")
        }
    }

    // MARK: Safety and operators

    @Test("the safety verbs parse into their commands", arguments: [
        ("BLOCK p7", Command.block(player: "p7")), ("unblock p7", .unblock(player: "p7")), ("BLOCKS", .blocks),
        ("REPORT p7   cheats  ", .report(player: "p7", text: "cheats")), ("EXPORT", .export),
        ("DELETE ACCOUNT p1", .deleteAccount(player: "p1")), ("AUTH ADMIN t0ken", .authAdmin(token: "t0ken")),
        ("ADMIN PLAYER p3", .admin(.player("p3"))), ("ADMIN PLAYER Ann@Example.com", .admin(.player("ann@example.com"))),
        ("ADMIN BAN p3 forever spam", .admin(.ban(player: "p3", seconds: nil, reason: "spam"))),
        ("ADMIN BAN p3 3600 rude words", .admin(.ban(player: "p3", seconds: 3600, reason: "rude words"))),
        ("ADMIN UNBAN p3", .admin(.unban(player: "p3"))),
        ("ADMIN MUTE p3 60 spam", .admin(.mute(player: "p3", seconds: 60, reason: "spam"))),
        ("ADMIN UNMUTE p3", .admin(.unmute(player: "p3"))), ("ADMIN REPORTS", .admin(.reports(openOnly: true))),
        ("ADMIN REPORTS all", .admin(.reports(openOnly: false))),
        ("ADMIN REPORTS after r12", .admin(.reports(openOnly: true, after: "r12"))),
        ("ADMIN UNLINK p3 not theirs", .admin(.unlinkEmail(player: "p3", reason: "not theirs"))),
        ("ADMIN UNLINK Ann@Example.com not hers", .admin(.unlinkEmail(player: "ann@example.com", reason: "not hers"))),
        ("ADMIN REPORTS all AFTER r12", .admin(.reports(openOnly: false, after: "r12"))),
        ("ADMIN RESOLVE r1 warned", .admin(.resolve(report: "r1", text: "warned"))),
        ("ADMIN ABORT m9 bug", .admin(.abort(match: "m9", reason: "bug"))), ("ADMIN DELETE p3", .admin(.delete(player: "p3"))),
        ("ADMIN BOT p3 on", .admin(.bot(player: "p3", on: true))), ("admin bot p3 OFF", .admin(.bot(player: "p3", on: false))),
    ])
    func safetyVerbs(line: String, command: Command) throws {
        #expect(try CommandParser.parse(line).command.get() == command)
    }

    @Test("malformed safety and operator requests are bad_request", arguments: [
        "BLOCK", "BLOCK p7 p8", "BLOCK p.7", "REPORT p7", "DELETE p1", "DELETE ACCOUNT", "DELETE ACCOUNT p1 p2",
        "AUTH ADMIN", "ADMIN", "ADMIN NUKE p1", "ADMIN BAN p3 forever", "ADMIN BAN p3 0 spam", "ADMIN BAN p3 -5 spam",
        "ADMIN BAN p3 soon spam", "ADMIN MUTE p3 forever spam", "ADMIN REPORTS some", "ADMIN REPORTS after",
        "ADMIN REPORTS open before r1", "ADMIN REPORTS after r1 r2", "ADMIN REPORTS after r.1", "ADMIN UNLINK p3", "ADMIN UNLINK not@an x", "ADMIN BOT p3 maybe",
        "ADMIN PLAYER not@an", "ADMIN RESOLVE r1",
    ])
    func malformedSafety(line: String) {
        #expect(CommandParser.parse(line).failure?.code == .badRequest, "\(line)")
    }

    @Test("only AUTH ADMIN of the new verbs runs before AUTH")
    func adminBeforeAuth() throws {
        #expect(try CommandParser.parse("AUTH ADMIN x").command.get().allowedBeforeAuth)
        for line in ["ADMIN REPORTS", "BLOCK p1", "EXPORT", "DELETE ACCOUNT p1", "REPORT p1 x"] {
            #expect(try !CommandParser.parse(line).command.get().allowedBeforeAuth, "\(line)")
        }
    }
}
