// libFuzzer target for PlyRules: every game's settings reader and move parser, and the
// rules behind them, driven through `GameState` the way the match engine drives them.
//
// Built by Scripts/fuzz. The input is lines split on `\n`:
//   1. the game: the first byte picks one of `GameCatalog.all` (so "0", "1", "2" work);
//   2. settings as JSON text; empty means `{}`, and text that is not a JSON object or
//      that the game refuses falls back to `{}` after the attempt;
//   3. then one move per line: `@` plus bytes plays the legal move with that index (mod
//      the count); anything else is move text for `GameState.applying` (lines that are
//      not UTF-8 are skipped, as the server refuses them before parsing).
// What it holds the rules to, in every position reached:
// - the side to move is a seat; the game is over exactly when there are no legal moves;
// - legal moves are distinct; the one picked applies and prints as the same text, and so
//   does every legal move of the last position;
// - text the rules accept names a legal move, and its printed form plays the same move;
// - a game's settings printed as JSON read back as the same settings.
import PlyJSON
import PlyRules

/// Plies per input: enough for any Reversi game and long Hive and Khet games, few enough
/// to keep executions fast.
let maximumPlies = 300

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRules(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)[...]
    guard let selector = lines.popFirst() else { return 0 }
    let game = GameCatalog.all[Int(selector.first ?? 0) % GameCatalog.all.count]

    var settings = JSONObject()
    if let line = lines.popFirst(), let text = String(validating: line, as: UTF8.self), !text.isEmpty,
        let object = try? JSONValue.parseObject(text)
    {
        settings = object
    }
    checkSettingsRoundTrip(game, settings)
    var state: GameState
    do {
        state = try GameState(game: game, settings: settings)
    } catch {
        do {
            state = try GameState(game: game, settings: [:])
        } catch {
            fatalError("\(game.id) refuses its default settings: \(error)")
        }
    }

    var history: [String] = []
    var legal = checkPosition(state, history)
    for line in lines.prefix(maximumPlies) {
        if line.first == UInt8(ascii: "@") {
            guard !legal.isEmpty else { continue }
            let index = line.dropFirst().reduce(0) { ($0 &* 256 &+ Int($1)) & 0xFFFF } % legal.count
            let move = legal[index]
            let (next, printed): (GameState, String)
            do {
                (next, printed) = try state.applying(move)
            } catch {
                fail("the legal move \(move.debugDescription) does not apply: \(error)", state, history)
            }
            guard printed == move else {
                fail("the legal move \(move.debugDescription) prints as \(printed.debugDescription)", state, history)
            }
            state = next
            history.append(move)
        } else {
            guard let text = String(validating: line, as: UTF8.self) else { continue }
            guard let (next, printed) = try? state.applying(text) else { continue }
            guard legal.contains(printed) else {
                fail("\(text.debugDescription) was accepted as \(printed.debugDescription), which is not a legal move \(legal)", state, history)
            }
            guard let (replayed, _) = try? state.applying(printed), replayed == next else {
                fail("\(text.debugDescription) and its printed form \(printed.debugDescription) play differently", state, history)
            }
            state = next
            history.append(printed)
        }
        legal = checkPosition(state, history)
    }
    checkLastPosition(state, legal, history)
    return 0
}

/// Checks one position and returns its legal moves.
func checkPosition(_ state: GameState, _ history: [String]) -> [String] {
    let legal = state.legalMoves()
    guard state.seatNames.indices.contains(state.sideToMove) else {
        fail("side to move \(state.sideToMove) is not a seat", state, history)
    }
    guard state.outcome.isOver == legal.isEmpty else {
        fail("outcome \(state.outcome) with \(legal.count) legal moves \(legal.prefix(8))", state, history)
    }
    guard Set(legal).count == legal.count else {
        fail("legal moves repeat: \(legal)", state, history)
    }
    guard state == state, state.hashValue == state.hashValue else {
        fail("a state is not equal to itself", state, history)
    }
    return legal
}

/// The checks that cost more than a move, once per input on the last position: every
/// legal move applies and prints as itself, and the read-only views the engine and the
/// command line print are well formed.
func checkLastPosition(_ state: GameState, _ legal: [String], _ history: [String]) {
    for move in legal {
        guard let (_, printed) = try? state.applying(move), printed == move else {
            fail("the legal move \(move.debugDescription) does not apply as itself", state, history)
        }
    }
    _ = state.describe()
    for object in [state.score(), state.extras()] {
        guard (try? JSONValue.parseObject(object.description)) != nil else {
            fail("score or extras is not a JSON object: \(object)", state, history)
        }
    }
}

/// A game's settings, printed as JSON, read back as the same settings; so do the defaults.
func checkSettingsRoundTrip<R: GameRules>(_ rules: R, _ json: JSONObject) {
    func roundTrip(_ settings: R.Settings) {
        let printed = rules.json(settings)
        guard let again = try? rules.settings(from: printed), again == settings else {
            fatalError("\(rules.id) settings \(settings) print as \(printed), which reads back differently")
        }
    }
    roundTrip(rules.defaultSettings)
    if let settings = try? rules.settings(from: json) { roundTrip(settings) }
}

func fail(_ message: String, _ state: GameState, _ history: [String]) -> Never {
    fatalError("\(state.gameID): \(message)\n  after: \(history.joined(separator: ";"))\n\(state.describe())")
}
