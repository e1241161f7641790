import PlyJSON

/// One request of the protocol, parsed and checked for shape (not for meaning).
public enum Command: Sendable, Hashable {
    case ping
    case help
    case quit

    case authDevice(deviceID: String)
    case authEmail(email: String, password: String)
    case authExternal(provider: String, token: String)
    case authSession(token: String, lastSeq: Int?)
    /// Opens an operator connection (no player) with the server's admin token.
    case authAdmin(token: String)
    case linkEmail(email: String, password: String)
    case linkExternal(provider: String, token: String)
    /// `CONFIRM EMAIL <code>` confirms the linked email with the code mailed to it;
    /// `CONFIRM EMAIL` alone mails a new code (with `ply serve --email-confirmation`).
    case confirmEmail(code: String?)
    case logout
    /// `LOGOUT ALL`: every session token of the player, on every device (a token that leaked:
    /// copied from a log, a proxy, a shared computer). Device ids and passwords still log in.
    case logoutAll

    case profile(player: String?)
    case name(String)
    case profileSet(JSONObject)

    case games
    case challenge(opponent: String?, game: String, settings: JSONObject)
    case open(game: String?)
    case accept(match: String)
    case decline(match: String)
    case queue(game: String, settings: JSONObject)
    case unqueue(game: String)
    case matches(MatchFilter)
    case match(String)
    case move(match: String, ply: Int, move: String)
    case legal(match: String)
    /// `RECORD <match>`: the match as a game record in its game's exchange format.
    case record(match: String)
    case resign(match: String)
    case draw(match: String, action: DrawAction)
    /// `CONDITIONAL <match> [<ply> <their>; <yours>; ... | clear]`: pre-entered replies.
    case conditional(match: String, ConditionalAction)
    /// `TAKEBACK <match> offer|accept|decline`: the same three answers as a draw offer.
    case takeback(match: String, action: DrawAction)
    /// `VACATION <days>` (nil: `VACATION off`).
    case vacation(days: Int?)
    case watch(match: String)
    case unwatch(match: String)
    case say(match: String, text: String)
    case top(game: String, count: Int)

    case notifications
    case seen(id: String)

    case block(player: String)
    case unblock(player: String)
    case blocks
    case report(player: String, text: String)
    case export
    case deleteAccount(player: String)

    case stats

    case admin(AdminCommand)

    /// Whether the command may run before `AUTH`.
    public var allowedBeforeAuth: Bool {
        switch self {
        case .ping, .help, .quit, .authDevice, .authEmail, .authExternal, .authSession, .authAdmin: true
        default: false
        }
    }
}

public enum MatchFilter: String, Sendable, Hashable, CaseIterable {
    case active, finished, all
}

/// An operator's request (`ADMIN <verb> ...`), run only on a connection opened with
/// `AUTH ADMIN`.
public enum AdminCommand: Sendable, Hashable {
    /// A player by id, or the account that linked an email.
    case player(String)
    /// `seconds` nil: forever.
    case ban(player: String, seconds: Int?, reason: String)
    case unban(player: String)
    case mute(player: String, seconds: Int, reason: String)
    case unmute(player: String)
    case reports(openOnly: Bool, after: String? = nil)
    case resolve(report: String, text: String)
    case abort(match: String, reason: String)
    case delete(player: String)
    case bot(player: String, on: Bool)
    /// Takes the email (and its password login) off an account, by player id or by the
    /// email: an address linked by someone who does not own it can then be linked by its
    /// owner, and gets no more alerts.
    case unlinkEmail(player: String, reason: String)
}

public enum DrawAction: String, Sendable, Hashable, CaseIterable {
    case offer, accept, decline
}

/// What `CONDITIONAL` asks: the stored lines, dropping them, or storing one. A line's
/// moves alternate, the opponent's first, so it always holds pairs (their move, the reply).
public enum ConditionalAction: Sendable, Hashable {
    case list
    case clear
    case store(ply: Int, moves: [String])
}

/// A request line: an optional `#tag` and the command, or the error it earned.
public struct Request: Sendable {
    public var tag: String?
    public var command: Result<Command, PlyError>

    public init(tag: String?, command: Result<Command, PlyError>) {
        self.tag = tag
        self.command = command
    }
}
