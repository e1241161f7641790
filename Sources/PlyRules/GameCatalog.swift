/// Every game the server offers. Adding a game is one folder of rules and one line here.
public enum GameCatalog {
    public static let all: [any GameRules] = [
        Reversi(),
        HiveRules(),
        Khet(),
    ]

    public static func game(_ id: String) -> (any GameRules)? {
        all.first { $0.id == id }
    }
}
