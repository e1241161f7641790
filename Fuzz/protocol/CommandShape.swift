import PlyProtocol

/// What the engine may assume about a command that parsed (ids, lengths, no stray spaces):
/// the oracle of both the libFuzzer target and `CommandParserFuzzTests`, kept in this one
/// file (the test target reads it through a symbolic link).
func shapeProblem(_ command: Command) -> String? {
    func id(_ s: String) -> Bool { CommandParser.isValidID(s[...]) }
    func trimmedText(_ s: String) -> Bool { !s.isEmpty && s.first != " " && s.last != " " }
    switch command {
    case .authDevice(let device):
        return ProtocolLimits.deviceIDLength.contains(device.utf8.count)
            && device.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) ? nil : "device id"
    case .authEmail(let email, let password), .linkEmail(let email, let password):
        return email.contains("@") && !email.contains(" ") && email.utf8.count <= ProtocolLimits.emailMaxLength
            && ProtocolLimits.passwordLength.contains(password.utf8.count) && !password.contains(" ")
            ? nil : "email or password"
    case .authExternal(let provider, let token), .linkExternal(let provider, let token):
        return id(provider) && !token.isEmpty && !token.contains(" ")
            && token.utf8.count <= ProtocolLimits.tokenMaxLength ? nil : "provider or token"
    case .authSession(let token, let lastSeq):
        return !token.isEmpty && !token.contains(" ") && (lastSeq ?? 0) >= 0 ? nil : "session"
    case .profile(let player):
        return player.map(id) ?? true ? nil : "player id"
    case .name(let name):
        return ProtocolLimits.nameLength.contains(name.count) && trimmedText(name)
            && !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) ? nil : "name"
    case .challenge(let opponent, let game, _):
        return (opponent.map(id) ?? true) && id(game) ? nil : "challenge ids"
    case .open(let game):
        return game.map(id) ?? true ? nil : "game id"
    case .top(let game, let count):
        return id(game) && (1...100).contains(count) ? nil : "top"
    case .queue(let game, _), .unqueue(let game):
        return id(game) ? nil : "game id"
    case .accept(let match), .decline(let match), .match(let match), .legal(let match), .resign(let match),
        .watch(let match), .unwatch(let match), .draw(let match, _):
        return id(match) ? nil : "match id"
    case .move(let match, let ply, let move):
        return id(match) && ply >= 1 && trimmedText(move) && move.count <= 64 ? nil : "move"
    case .say(let match, let text):
        return id(match) && trimmedText(text) && text.count <= ProtocolLimits.chatMaxLength ? nil : "chat"
    case .seen(let notification):
        return id(notification) ? nil : "notification id"
    case .ping, .help, .quit, .logout, .profileSet, .games, .matches, .notifications, .stats:
        return nil
    }
}
