import PlyJSON
import PlyProtocol
import PlyRules

/// A match's settings: the fields every game takes (`side`, `turn_seconds`) and the
/// game's own, checked by its rules.
public struct MatchSettings: Sendable, Hashable {
    public enum Side: String, Sendable, Hashable { case first, second, random }

    public var side: Side
    public var turnSeconds: Int
    /// Whether anyone may watch: nil until the match is made, when it defaults to false for
    /// invitations and true for open challenges and automatch.
    public var isPublic: Bool?
    /// Whether the ending changes ratings (it also needs a move from each player).
    public var rated = true
    /// An open challenge that bots (`ply bot`) may take; only shown when given.
    public var bots = false
    /// The game's own fields, as the client sent them (the rules fill in defaults).
    public var game: JSONObject
    /// A correspondence clock instead of a fixed time per turn; `turnSeconds` is then its
    /// `initial` bank (the first turn's time).
    public var clock: ClockSettings?

    public static let defaultTurnSeconds = 3 * 24 * 3600

    /// Reads settings for `rules`; unknown fields and bad values are `bad_request`.
    public init(_ json: JSONObject, rules: any GameRules) throws(PlyError) {
        var own = json
        side = .random
        turnSeconds = Self.defaultTurnSeconds
        if let v = own["side"] {
            guard let s = v.stringValue, let side = Side(rawValue: s) else {
                throw .badRequest("side must be \"first\", \"second\" or \"random\"")
            }
            self.side = side
            own["side"] = nil
        }
        let fixedTurn = own["turn_seconds"] != nil
        if let v = own["turn_seconds"] {
            guard let n = v.intValue, ProtocolLimits.turnSeconds.contains(n) else {
                throw .badRequest("turn_seconds must be a whole number from 1 to 31536000")
            }
            turnSeconds = n
            own["turn_seconds"] = nil
        }
        if let v = own["clock"] {
            guard !fixedTurn else { throw .badRequest("give clock or turn_seconds, not both") }
            let c = try ClockSettings(v)
            clock = c
            turnSeconds = c.initial
            own["clock"] = nil
        }
        if let v = own["public"] {
            guard let b = v.boolValue else { throw .badRequest("public must be true or false") }
            isPublic = b
            own["public"] = nil
        }
        if let v = own["rated"] {
            guard let b = v.boolValue else { throw .badRequest("rated must be true or false") }
            rated = b
            own["rated"] = nil
        }
        if let v = own["bots"] {
            guard let b = v.boolValue else { throw .badRequest("bots must be true or false") }
            bots = b
            own["bots"] = nil
        }
        do {
            _ = try GameState(game: rules, settings: own)
        } catch {
            throw .badRequest("bad settings for \(rules.id): \(error.message)")
        }
        game = own
    }

    /// The whole object as stored and shown: common fields, then the game's defaults
    /// overlaid with what was given.
    public func json(rules: any GameRules) -> JSONObject {
        var o: JSONObject = ["side": .string(side.rawValue), "turn_seconds": .int(turnSeconds), "rated": .bool(rated)]
        if let clock {
            o["turn_seconds"] = nil
            o["clock"] = .object(clock.json)
        }
        if let isPublic { o["public"] = .bool(isPublic) }
        if bots { o["bots"] = true }
        for f in rules.defaultSettingsJSON { o[f.key] = f.value }
        for f in game { o[f.key] = f.value }
        return o
    }

    /// Automatch pairs players with the same game-specific settings, the same time per turn
    /// and the same clock (so nobody is paired into a clock they did not ask for) and the same choice of a rated
    /// match. The side and `public` are not in it: automatch seats are random.
    public func pairingKey(rules: any GameRules) -> String {
        var o: JSONObject = ["turn_seconds": .int(turnSeconds), "rated": .bool(rated)]
        // Only identical clocks pair (a fixed time per turn keeps the key it always had).
        if let clock { o["clock"] = .object(clock.json) }
        for f in rules.defaultSettingsJSON { o[f.key] = f.value }
        for f in game { o[f.key] = f.value }
        let sorted = o.fields.sorted { $0.key < $1.key }
        return rules.id + " " + JSONValue.object(JSONObject(sorted.map { ($0.key, $0.value) })).description
    }
}
