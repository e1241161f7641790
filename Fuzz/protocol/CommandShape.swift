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
        return ProtocolLimits.nameLength.contains(name.count) && name.utf8.count <= ProtocolLimits.nameMaxBytes
            && trimmedText(name)
            && !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) ? nil : "name"
    case .challenge(let opponent, let game, _):
        return (opponent.map(id) ?? true) && id(game) ? nil : "challenge ids"
    case .open(let game):
        return game.map(id) ?? true ? nil : "game id"
    case .top(let game, let count):
        return id(game) && (1...100).contains(count) ? nil : "top"
    case .queue(let game, _), .unqueue(let game):
        return id(game) ? nil : "game id"
    case .accept(let match), .decline(let match), .match(let match), .legal(let match), .record(let match), .resign(let match),
        .watch(let match), .unwatch(let match), .draw(let match, _), .takeback(let match, _):
        return id(match) ? nil : "match id"
    case .move(let match, let ply, let move):
        return id(match) && ply >= 1 && trimmedText(move) && move.count <= 64 ? nil : "move"
    case .conditional(let match, let action):
        guard id(match) else { return "match id" }
        guard case .store(let ply, let moves) = action else { return nil }
        return ply >= 1 && ProtocolLimits.conditionalMoves.contains(moves.count) && moves.count.isMultiple(of: 2)
            && moves.allSatisfy { trimmedText($0) && $0.count <= ProtocolLimits.moveMaxLength && !$0.contains(";") }
            ? nil : "conditional line"
    case .say(let match, let text):
        return id(match) && trimmedText(text) && text.count <= ProtocolLimits.chatMaxLength ? nil : "chat"
    case .seen(let notification):
        return id(notification) ? nil : "notification id"
    case .authAdmin(let token):
        return !token.isEmpty && !token.contains(" ") && token.utf8.count <= ProtocolLimits.tokenMaxLength ? nil : "admin token"
    case .block(let player), .unblock(let player), .deleteAccount(let player):
        return id(player) ? nil : "player id"
    case .report(let player, let text):
        return id(player) && trimmedText(text) && text.count <= ProtocolLimits.chatMaxLength ? nil : "report"
    case .admin(let request):
        return adminShapeProblem(request)
    case .vacation(let days):
        return days.map { (1...366).contains($0) } ?? true ? nil : "vacation days"
    case .confirmEmail(let code):
        return code.map { $0.count == ProtocolLimits.confirmationCodeDigits && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) } ?? true
            ? nil : "confirmation code"
    case .ping, .help, .quit, .logout, .logoutAll, .profileSet, .games, .matches, .notifications, .stats, .blocks, .export:
        return nil
    }
}

func adminShapeProblem(_ request: AdminCommand) -> String? {
    func id(_ s: String) -> Bool { CommandParser.isValidID(s[...]) }
    func reason(_ s: String) -> Bool {
        !s.isEmpty && s.first != " " && s.last != " " && s.count <= ProtocolLimits.chatMaxLength
    }
    switch request {
    case .player(let who):
        return id(who) || (who.contains("@") && !who.contains(" ")) ? nil : "player or email"
    case .unlinkEmail(let who, let why):
        return (id(who) || (who.contains("@") && !who.contains(" "))) && reason(why) ? nil : "unlink"
    case .ban(let player, let seconds, let why):
        return id(player) && (seconds.map { ProtocolLimits.sanctionSeconds.contains($0) } ?? true) && reason(why) ? nil : "ban"
    case .mute(let player, let seconds, let why):
        return id(player) && ProtocolLimits.sanctionSeconds.contains(seconds) && reason(why) ? nil : "mute"
    case .unban(let player), .unmute(let player), .delete(let player), .bot(let player, _):
        return id(player) ? nil : "player id"
    case .reports(_, let after):
        return after.map(id) ?? true ? nil : "report id"
    case .resolve(let report, let text):
        return id(report) && reason(text) ? nil : "resolve"
    case .abort(let match, let why):
        return id(match) && reason(why) ? nil : "abort"
    }
}
