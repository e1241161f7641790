import PlyJSON

/// Reads a game's own settings fields with uniform errors, so every game refuses
/// unknown fields and bad values the same way.
public struct SettingsReader {
    public let object: JSONObject
    public let game: String

    /// Refuses any field not in `allowed`.
    public init(_ object: JSONObject, game: String, allowed: Set<String>) throws(SettingsError) {
        for key in object.keys where !allowed.contains(key) {
            throw SettingsError("unknown setting \"\(key)\" for \(game)")
        }
        self.object = object
        self.game = game
    }

    /// A string field that must be one of `choices`; absent gives `default`.
    public func choice(_ key: String, of choices: [String], default value: String) throws(SettingsError) -> String {
        guard let v = object[key] else { return value }
        guard let s = v.stringValue, choices.contains(s) else {
            throw SettingsError("\(key) must be one of \(choices.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return s
    }
}
