import PlyJSON

/// Turns one line of text into a `Request`. Pure and total: every input gives a
/// command or a `PlyError`, never a crash.
public enum CommandParser {
    /// The verbs, as `HELP` lists them.
    public static let verbs: [String] = [
        "PING", "HELP", "QUIT", "AUTH", "LINK", "CONFIRM", "LOGOUT", "PROFILE", "NAME", "GAMES", "CHALLENGE", "OPEN",
        "ACCEPT", "DECLINE", "QUEUE", "UNQUEUE", "MATCHES", "MATCH", "MOVE", "LEGAL", "RESIGN", "DRAW",
        "CONDITIONAL", "TAKEBACK",
        "WATCH", "UNWATCH", "SAY", "TOP", "NOTIFICATIONS", "SEEN", "STATS", "BLOCK", "UNBLOCK", "BLOCKS",
        "REPORT", "EXPORT", "DELETE", "ADMIN", "RECORD", "VACATION",
    ]

    public static func parse(_ line: Substring) -> Request {
        var rest = line.drop(while: { $0 == " " })
        var tag: String?
        if rest.first == "#" {
            let word = rest.prefix(while: { $0 != " " })
            tag = String(word)
            rest = rest.dropFirst(word.count).drop(while: { $0 == " " })
            guard word.count <= 64 else {
                return Request(tag: nil, command: .failure(.badRequest("tag longer than 64 characters")))
            }
            // Echoed at the start of the reply: nothing in it may break or disguise that line.
            guard word.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                return Request(tag: nil, command: .failure(.badRequest("a tag is printable ASCII without spaces")))
            }
        }
        return Request(tag: tag, command: Result { () throws(PlyError) in try command(rest) })
    }

    public static func parse(_ line: String) -> Request { parse(line[...]) }

    static func command(_ text: Substring) throws(PlyError) -> Command {
        var words = Words(text)
        guard let verbWord = words.next() else { throw .badRequest("empty request") }
        let verb = verbWord.asciiUppercased
        switch verb {
        case "PING": try words.end(verb); return .ping
        case "HELP": try words.end(verb); return .help
        case "QUIT": try words.end(verb); return .quit
        case "CONFIRM":
            let usage = "CONFIRM EMAIL [<code>]"
            guard try words.required(usage).asciiUppercased == "EMAIL" else { throw .badRequest("usage: \(usage)") }
            guard let code = words.next() else { return .confirmEmail(code: nil) }
            try words.end(usage)
            guard code.utf8.count == ProtocolLimits.confirmationCodeDigits, code.utf8.allSatisfy({ (48...57).contains($0) }) else {
                throw .badRequest("a confirmation code is \(ProtocolLimits.confirmationCodeDigits) digits")
            }
            return .confirmEmail(code: String(code))
        case "LOGOUT":
            guard let w = words.next() else { return .logout }
            guard w.asciiLowercased == "all" else { throw .badRequest("LOGOUT takes nothing or ALL") }
            try words.end("LOGOUT ALL")
            return .logoutAll
        case "GAMES": try words.end(verb); return .games
        case "STATS": try words.end(verb); return .stats
        case "NOTIFICATIONS": try words.end(verb); return .notifications
        case "BLOCKS": try words.end(verb); return .blocks
        case "EXPORT": try words.end(verb); return .export

        case "AUTH":
            let kind = try words.required("AUTH DEVICE|EMAIL|EXTERNAL|SESSION ...").asciiUppercased
            switch kind {
            case "DEVICE":
                let id = try words.required("AUTH DEVICE <device-id>")
                try words.end("AUTH DEVICE")
                guard ProtocolLimits.deviceIDLength.contains(id.utf8.count),
                    id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
                else { throw .badRequest("a device id is 10 to 128 printable ASCII characters without spaces") }
                return .authDevice(deviceID: String(id))
            case "EMAIL":
                let (email, password) = try emailAndPassword(&words, usage: "AUTH EMAIL <email> <password>")
                return .authEmail(email: email, password: password)
            case "EXTERNAL":
                let (provider, token) = try providerAndToken(&words, usage: "AUTH EXTERNAL <provider> <token>")
                return .authExternal(provider: provider, token: token)
            case "SESSION":
                let token = try words.required("AUTH SESSION <session> [<last-seq>]")
                guard token.utf8.count <= ProtocolLimits.tokenMaxLength else { throw .badRequest("session token too long") }
                var lastSeq: Int?
                if let s = words.next() {
                    guard let n = Int(s), n >= 0 else { throw .badRequest("last-seq must be a number of 0 or more") }
                    lastSeq = n
                }
                try words.end("AUTH SESSION")
                return .authSession(token: String(token), lastSeq: lastSeq)
            case "ADMIN":
                let token = try words.required("AUTH ADMIN <token>")
                try words.end("AUTH ADMIN <token>")
                guard token.utf8.count <= ProtocolLimits.tokenMaxLength else { throw .badRequest("token too long") }
                return .authAdmin(token: String(token))
            default:
                throw .badRequest("AUTH takes DEVICE, EMAIL, EXTERNAL, SESSION or ADMIN")
            }

        case "LINK":
            let kind = try words.required("LINK EMAIL|EXTERNAL ...").asciiUppercased
            switch kind {
            case "EMAIL":
                let (email, password) = try emailAndPassword(&words, usage: "LINK EMAIL <email> <password>")
                return .linkEmail(email: email, password: password)
            case "EXTERNAL":
                let (provider, token) = try providerAndToken(&words, usage: "LINK EXTERNAL <provider> <token>")
                return .linkExternal(provider: provider, token: token)
            default:
                throw .badRequest("LINK takes EMAIL or EXTERNAL")
            }

        case "PROFILE":
            guard let first = words.next() else { return .profile(player: nil) }
            if first.asciiUppercased == "SET" {
                let json = words.rest
                guard json.utf8.count <= ProtocolLimits.profileDataMaxBytes else {
                    throw .badRequest("profile data is limited to \(ProtocolLimits.profileDataMaxBytes) bytes")
                }
                return .profileSet(try object(json, what: "PROFILE SET <JSON object>"))
            }
            let id = try checkedID(first, what: "player")
            try words.end("PROFILE [<player>]")
            return .profile(player: id)

        case "NAME":
            let name = words.rest
            guard !name.isEmpty else { throw .badRequest("usage: NAME <name>") }
            try DisplayName.check(name)
            return .name(String(name))

        case "BLOCK", "UNBLOCK":
            let id = try checkedID(try words.required("\(verb) <player>"), what: "player")
            try words.end("\(verb) <player>")
            return verb == "BLOCK" ? .block(player: id) : .unblock(player: id)

        case "REPORT":
            let (id, text) = try idAndText(&words, what: "player", usage: "REPORT <player> <text>")
            return .report(player: id, text: text)

        case "DELETE":
            let usage = "DELETE ACCOUNT <your player id>"
            guard try words.required(usage).asciiUppercased == "ACCOUNT" else { throw .badRequest("usage: \(usage)") }
            let id = try checkedID(try words.required(usage), what: "player")
            try words.end(usage)
            return .deleteAccount(player: id)

        case "ADMIN":
            return .admin(try admin(&words))

        case "CHALLENGE":
            let who = try words.required("CHALLENGE <player>|open <game> [<JSON settings>]")
            let game = try checkedID(try words.required("CHALLENGE <player>|open <game> [<JSON settings>]"), what: "game")
            let settings = try optionalObject(words.rest)
            let opponent: String? = who.asciiLowercased == "open" ? nil : try checkedID(who, what: "player")
            return .challenge(opponent: opponent, game: game, settings: settings)

        case "OPEN":
            let game = try words.next().map { (w) throws(PlyError) in try checkedID(w, what: "game") }
            try words.end("OPEN [<game>]")
            return .open(game: game)

        case "QUEUE":
            let game = try checkedID(try words.required("QUEUE <game> [<JSON settings>]"), what: "game")
            return .queue(game: game, settings: try optionalObject(words.rest))
        case "UNQUEUE":
            let game = try checkedID(try words.required("UNQUEUE <game>"), what: "game")
            try words.end("UNQUEUE <game>")
            return .unqueue(game: game)

        case "MATCHES":
            var filter = MatchFilter.active
            if let f = words.next() {
                guard let m = MatchFilter(rawValue: f.asciiLowercased) else {
                    throw .badRequest("MATCHES takes active, finished or all")
                }
                filter = m
            }
            try words.end("MATCHES [active|finished|all]")
            return .matches(filter)

        case "ACCEPT", "DECLINE", "MATCH", "LEGAL", "RECORD", "RESIGN", "WATCH", "UNWATCH":
            let id = try checkedID(try words.required("\(verb) <match>"), what: "match")
            try words.end("\(verb) <match>")
            switch verb {
            case "ACCEPT": return .accept(match: id)
            case "DECLINE": return .decline(match: id)
            case "MATCH": return .match(id)
            case "LEGAL": return .legal(match: id)
            case "RECORD": return .record(match: id)
            case "RESIGN": return .resign(match: id)
            case "WATCH": return .watch(match: id)
            default: return .unwatch(match: id)
            }

        case "MOVE":
            let usage = "MOVE <match> <ply> <move>"
            let id = try checkedID(try words.required(usage), what: "match")
            guard let ply = Int(try words.required(usage)), ply >= 1 else { throw .badRequest("the ply number must be 1 or more") }
            let move = words.rest
            guard !move.isEmpty else { throw .badRequest("usage: \(usage)") }
            guard move.count <= 64 else { throw .badRequest("a move is at most 64 characters") }
            return .move(match: id, ply: ply, move: String(move))

        case "DRAW":
            let usage = "DRAW <match> offer|accept|decline"
            let id = try checkedID(try words.required(usage), what: "match")
            guard let action = DrawAction(rawValue: try words.required(usage).asciiLowercased) else { throw .badRequest("usage: \(usage)") }
            try words.end(usage)
            return .draw(match: id, action: action)

        case "CONDITIONAL":
            return try conditional(&words)

        case "TAKEBACK":
            let usage = "TAKEBACK <match> offer|accept|decline"
            let id = try checkedID(try words.required(usage), what: "match")
            guard let action = DrawAction(rawValue: try words.required(usage).asciiLowercased) else { throw .badRequest("usage: \(usage)") }
            try words.end(usage)
            return .takeback(match: id, action: action)
        case "VACATION":
            let usage = "VACATION <days>|off"
            let word = try words.required(usage)
            try words.end(usage)
            if word.asciiLowercased == "off" { return .vacation(days: nil) }
            guard let days = Int(word), (1...366).contains(days) else { throw .badRequest("usage: \(usage) (days: 1 to 366)") }
            return .vacation(days: days)

        case "SAY":
            let id = try checkedID(try words.required("SAY <match> <text>"), what: "match")
            let text = words.rest
            guard !text.isEmpty else { throw .badRequest("usage: SAY <match> <text>") }
            try ChatText.check(text)
            return .say(match: id, text: String(text))

        case "TOP":
            let game = try checkedID(try words.required("TOP <game> [<n>]"), what: "game")
            var n = 10
            if let w = words.next() {
                guard let v = Int(w), (1...100).contains(v) else { throw .badRequest("n must be 1 to 100") }
                n = v
            }
            try words.end("TOP <game> [<n>]")
            return .top(game: game, count: n)

        case "SEEN":
            let id = try checkedID(try words.required("SEEN <id>"), what: "notification")
            try words.end("SEEN <id>")
            return .seen(id: id)

        default:
            throw PlyError(.unknownCommand, "no such command \"\(verbWord.prefix(32))\"; try HELP")
        }
    }

    /// `CONDITIONAL <match>` lists, `CONDITIONAL <match> clear` drops, and
    /// `CONDITIONAL <match> <ply> <their>; <yours>; ...` stores a line: moves split on `;`
    /// (a move such as `bG1 -wS1` has spaces), in pairs, each at most 64 characters.
    static func conditional(_ words: inout Words) throws(PlyError) -> Command {
        let usage = "CONDITIONAL <match> [<ply> <their move>; <your reply>; ... | clear]"
        let id = try checkedID(try words.required(usage), what: "match")
        guard let first = words.next() else { return .conditional(match: id, .list) }
        if first.asciiLowercased == "clear" {
            try words.end(usage)
            return .conditional(match: id, .clear)
        }
        guard let ply = Int(first), ply >= 1 else { throw .badRequest("the ply number must be 1 or more; usage: \(usage)") }
        let moves = words.rest.split(separator: ";").map { $0.drop(while: { $0 == " " }) }.map { m in
            var t = m
            while t.last == " " { t = t.dropLast() }
            return String(t)
        }.filter { !$0.isEmpty }
        guard !moves.isEmpty else { throw .badRequest("usage: \(usage)") }
        guard moves.allSatisfy({ $0.count <= ProtocolLimits.moveMaxLength }) else {
            throw .badRequest("a move is at most \(ProtocolLimits.moveMaxLength) characters")
        }
        let range = ProtocolLimits.conditionalMoves
        guard moves.count.isMultiple(of: 2), range.contains(moves.count) else {
            throw .badRequest(
                "a line is \(range.lowerBound / 2) to \(range.upperBound / 2) pairs of their move and your reply, split by ;")
        }
        return .conditional(match: id, .store(ply: ply, moves: moves))
    }

    /// `ADMIN <verb> ...`, the operators' requests.
    static func admin(_ words: inout Words) throws(PlyError) -> AdminCommand {
        let verbs = "PLAYER, BAN, UNBAN, MUTE, UNMUTE, REPORTS, RESOLVE, ABORT, DELETE, BOT or UNLINK"
        let verb = try words.required("ADMIN <verb> ...; the verbs are \(verbs)").asciiUppercased
        switch verb {
        case "PLAYER":
            let who = try playerOrEmail(try words.required("ADMIN PLAYER <player|email>"))
            try words.end("ADMIN PLAYER <player|email>")
            return .player(who)
        case "UNLINK":
            let usage = "ADMIN UNLINK <player|email> <reason>"
            let who = try playerOrEmail(try words.required(usage))
            return .unlinkEmail(player: who, reason: try reason(words.rest, usage: usage))
        case "BAN":
            let usage = "ADMIN BAN <player> <seconds|forever> <reason>"
            let id = try checkedID(try words.required(usage), what: "player")
            let length = try words.required(usage)
            let seconds: Int?
            if length.asciiLowercased == "forever" {
                seconds = nil
            } else {
                guard let n = Int(length), ProtocolLimits.sanctionSeconds.contains(n) else {
                    throw .badRequest("a ban lasts 1 to 3153600000 seconds, or forever")
                }
                seconds = n
            }
            return .ban(player: id, seconds: seconds, reason: try reason(words.rest, usage: usage))
        case "MUTE":
            let usage = "ADMIN MUTE <player> <seconds> <reason>"
            let id = try checkedID(try words.required(usage), what: "player")
            guard let n = Int(try words.required(usage)), ProtocolLimits.sanctionSeconds.contains(n) else {
                throw .badRequest("a mute lasts 1 to 3153600000 seconds")
            }
            return .mute(player: id, seconds: n, reason: try reason(words.rest, usage: usage))
        case "UNBAN", "UNMUTE", "DELETE":
            let usage = "ADMIN \(verb) <player>"
            let id = try checkedID(try words.required(usage), what: "player")
            try words.end(usage)
            switch verb {
            case "UNBAN": return .unban(player: id)
            case "UNMUTE": return .unmute(player: id)
            default: return .delete(player: id)
            }
        case "REPORTS":
            let usage = "ADMIN REPORTS [open|all] [after <report>]"
            var openOnly = true
            var word = words.next()
            switch word?.asciiLowercased {
            case "open"?: word = words.next()
            case "all"?: openOnly = false; word = words.next()
            default: break
            }
            var after: String?
            if let w = word {
                guard w.asciiLowercased == "after" else { throw .badRequest("usage: \(usage)") }
                after = try checkedID(try words.required(usage), what: "report")
            }
            try words.end(usage)
            return .reports(openOnly: openOnly, after: after)
        case "RESOLVE":
            let (id, text) = try idAndText(&words, what: "report", usage: "ADMIN RESOLVE <report> <text>")
            return .resolve(report: id, text: text)
        case "ABORT":
            let (id, text) = try idAndText(&words, what: "match", usage: "ADMIN ABORT <match> <reason>")
            return .abort(match: id, reason: text)
        case "BOT":
            let usage = "ADMIN BOT <player> on|off"
            let id = try checkedID(try words.required(usage), what: "player")
            let setting = try words.required(usage).asciiLowercased
            try words.end(usage)
            guard setting == "on" || setting == "off" else { throw .badRequest("usage: \(usage)") }
            return .bot(player: id, on: setting == "on")
        default:
            throw .badRequest("no operator verb \"\(verb.prefix(32))\"; the verbs are \(verbs)")
        }
    }

    /// A player id, or an email address (lower-cased) naming the account that linked it.
    static func playerOrEmail(_ who: Substring) throws(PlyError) -> String {
        guard who.contains("@") else { return try checkedID(who, what: "player") }
        guard who.utf8.count <= ProtocolLimits.emailMaxLength, isPlausibleEmail(who) else {
            throw .badRequest("that is not an email address")
        }
        return who.lowercased()
    }

    /// An id, then free text to the end of the line.
    static func idAndText(_ words: inout Words, what: String, usage: String) throws(PlyError) -> (String, String) {
        let id = try checkedID(try words.required(usage), what: what)
        return (id, try reason(words.rest, usage: usage))
    }

    /// A free-text reason or report: required, at most `chatMaxLength` characters.
    static func reason(_ text: Substring, usage: String) throws(PlyError) -> String {
        guard !text.isEmpty else { throw .badRequest("usage: \(usage)") }
        guard text.count <= ProtocolLimits.chatMaxLength, text.utf8.count <= ProtocolLimits.reasonMaxBytes else {
            throw .badRequest("the text is at most \(ProtocolLimits.chatMaxLength) characters")
        }
        return String(text)
    }

    static func emailAndPassword(_ words: inout Words, usage: String) throws(PlyError) -> (String, String) {
        let email = try words.required(usage)
        let password = try words.required(usage)
        try words.end(usage)
        // The limit holds for the address as stored: lowercasing can lengthen it ("İ" is
        // two bytes, its lowercase "i̇" three).
        let lowercased = email.lowercased()
        guard lowercased.utf8.count <= ProtocolLimits.emailMaxLength, isPlausibleEmail(email) else {
            throw .badRequest("that is not an email address")
        }
        guard ProtocolLimits.passwordLength.contains(password.utf8.count) else {
            throw .badRequest("a password is 8 to 128 bytes without spaces")
        }
        return (lowercased, String(password))
    }

    static func providerAndToken(_ words: inout Words, usage: String) throws(PlyError) -> (String, String) {
        let provider = try checkedID(try words.required(usage), what: "provider")
        let token = try words.required(usage)
        try words.end(usage)
        guard token.utf8.count <= ProtocolLimits.tokenMaxLength else { throw .badRequest("token too long") }
        return (provider.lowercased(), String(token))
    }

    /// One `@`, something on both sides, a dot in the domain, no control characters.
    static func isPlausibleEmail(_ s: Substring) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else { return false }
        return s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F }
    }

    /// Ids are 1 to 32 characters of `[A-Za-z0-9_-]`.
    public static func isValidID(_ s: Substring) -> Bool {
        guard (1...ProtocolLimits.idMaxLength).contains(s.utf8.count) else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
        }
    }

    static func checkedID(_ s: Substring, what: String) throws(PlyError) -> String {
        guard isValidID(s) else { throw .badRequest("a \(what) id is 1 to 32 characters of A-Z a-z 0-9 _ -") }
        return String(s)
    }

    static func object(_ text: Substring, what: String) throws(PlyError) -> JSONObject {
        guard !text.isEmpty else { throw .badRequest("usage: \(what)") }
        do {
            return try JSONValue.parseObject(String(text))
        } catch {
            throw .badRequest("bad JSON: \(error)")
        }
    }

    static func optionalObject(_ text: Substring) throws(PlyError) -> JSONObject {
        text.isEmpty ? JSONObject() : try object(text, what: "a JSON object")
    }
}

extension Substring {
    /// Keywords are case-insensitive in ASCII only: Unicode case mapping makes "pıng" "PING"
    /// and "ſtats" "STATS", which would let look-alike words run commands.
    var asciiUppercased: String { mappingASCII { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 } }

    var asciiLowercased: String { mappingASCII { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 } }

    /// Written straight into the new string: a keyword (15 bytes at most) is then made
    /// without a heap allocation.
    private func mappingASCII(_ map: (UInt8) -> UInt8) -> String {
        let bytes = utf8
        return String(unsafeUninitializedCapacity: bytes.count) { buffer in
            var i = 0
            for b in bytes {
                buffer[i] = map(b)
                i += 1
            }
            return i
        }
    }
}

/// Splits on runs of spaces, keeping what is left for "rest" arguments.
struct Words {
    private var remaining: Substring

    init(_ text: Substring) { remaining = text.drop(while: { $0 == " " }) }

    mutating func next() -> Substring? {
        guard !remaining.isEmpty else { return nil }
        let word = remaining.prefix(while: { $0 != " " })
        remaining = remaining.dropFirst(word.count).drop(while: { $0 == " " })
        return word
    }

    mutating func required(_ usage: String) throws(PlyError) -> Substring {
        guard let w = next() else { throw .badRequest("usage: \(usage)") }
        return w
    }

    func end(_ usage: String) throws(PlyError) {
        guard remaining.isEmpty else { throw .badRequest("too many arguments; usage: \(usage)") }
    }

    /// The rest of the line with surrounding spaces trimmed.
    var rest: Substring {
        var r = remaining
        while r.last == " " { r = r.dropLast() }
        return r
    }
}
