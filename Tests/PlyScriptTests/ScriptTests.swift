import PlyJSON
import PlyProtocol
import PlyScript
import Testing

@Suite struct ScriptParsingTests {
    @Test func readsRequestsExpectationsAndComments() throws {
        let script = try Script(
            parsing: """
                # a comment
                ann> CHALLENGE open reversi {"side":"first"}
                ann< OK {"match":$m}

                  bo> ACCEPT $m
                bo< ERR not_found no such
                bo< EVENT start {"match":$m,"players":[$_,$_]}
                """)
        #expect(script.steps.map(\.line) == [2, 3, 5, 6, 7])
        #expect(script.steps.map(\.player) == ["ann", "ann", "bo", "bo", "bo"])
        #expect(script.steps[0].action == .send(#"CHALLENGE open reversi {"side":"first"}"#))
        #expect(script.steps[3].action == .expectReply(.error(code: "not_found", messagePrefix: "no such")))
        guard case .expectEvent("start", let body?) = script.steps[4].action else {
            Issue.record("expected an event expectation, got \(script.steps[4].action)")
            return
        }
        #expect(JSONPattern.render(body) == #"{"match":$m,"players":[$_,$_]}"#)
        #expect(script.expectationCount == 3)
    }

    @Test(arguments: [
        ("ann MOVE m1 1 f5", 1, "expected NAME> request"),
        ("a b> PING", 1, "a player's name"),
        ("ann> #7 PING", 1, "without a tag"),
        ("ann< OK {}", 1, "without a request"),
        ("ann> PING\nann< OK\nann< OK", 3, "without a request"),
        ("ann> PING\nann< OK {\"a\":", 2, "bad JSON pattern"),
        ("ann< MAYBE", 1, "OK, ERR or EVENT"),
        ("ann< EVENT", 1, "EVENT without a type"),
    ])
    func refusesWhatItCannotRun(text: String, line: Int, says: String) {
        #expect {
            try Script(parsing: text)
        } throws: { error in
            guard let e = error as? ScriptParseError else { return false }
            return e.line == line && e.reason.contains(says)
        }
    }
}

@Suite struct JSONPatternTests {
    func match(_ pattern: String, _ actual: String, _ bindings: inout [String: JSONValue]) throws -> JSONPattern.Mismatch? {
        JSONPattern.match(try JSONPattern.parse(pattern), try JSONValue(parsing: actual), bindings: &bindings)
    }

    @Test(arguments: [
        (#"{"ply":1}"#, #"{"match":"m1","ply":1,"status":"active"}"#),
        (#"{"a":{"b":[1,{"c":true}]}}"#, #"{"a":{"x":0,"b":[1,{"c":true,"d":null}]}}"#),
        (#"{"n":2}"#, #"{"n":2.0}"#),
        (#"{"s":"a$b"}"#, #"{"s":"a$b"}"#),
        ("[]", "[]"),
        (#"{"any":$_}"#, #"{"any":[1,2]}"#),
        (#"[{"m":2}, ...]"#, #"[{"m":1},{"m":2,"x":0},{"m":3}]"#),
        (#"[1, ..., 3]"#, "[0,1,2,3]"),
        (#"{"s":"..."}"#, #"{"s":"..."}"#),
    ])
    func aSubsetMatches(pattern: String, actual: String) throws {
        var bindings: [String: JSONValue] = [:]
        #expect(try match(pattern, actual, &bindings) == nil)
    }

    @Test(arguments: [
        (#"{"ply":2}"#, #"{"ply":1}"#, ".ply"),
        (#"{"to_move":"p2"}"#, #"{"ply":1}"#, ".to_move"),
        (#"{"a":[1,2]}"#, #"{"a":[1]}"#, ".a"),
        (#"{"a":[{"b":1}]}"#, #"{"a":[{"b":"1"}]}"#, ".a[0].b"),
        (#"{"a":{}}"#, #"{"a":[]}"#, ".a"),
        (#"{"a":[3, ..., 1]}"#, #"{"a":[1,2,3]}"#, ".a"),
    ])
    func aDifferenceNamesItsPath(pattern: String, actual: String, path: String) throws {
        var bindings: [String: JSONValue] = [:]
        let mismatch = try #require(try match(pattern, actual, &bindings))
        #expect(mismatch.path == path)
    }

    @Test func capturesBindOnceAndThenMustEqual() throws {
        var bindings: [String: JSONValue] = [:]
        #expect(try match(#"{"match":$m,"ply":$p}"#, #"{"match":"m7","ply":3}"#, &bindings) == nil)
        #expect(bindings == ["m": "m7", "p": 3])
        #expect(try match(#"{"match":$m}"#, #"{"match":"m7"}"#, &bindings) == nil)
        // Inside a string a capture is replaced; an unknown name stays as written.
        #expect(try match(#"{"s":"in $m, $$5 $nope"}"#, #"{"s":"in m7, $5 $nope"}"#, &bindings) == nil)
        #expect(try match(#"{"s":"in $m"}"#, #"{"s":"in m8"}"#, &bindings)?.expected == #""in m7""#)
        let mismatch = try #require(try match(#"{"match":$m,"new":$x}"#, #"{"match":"m8","new":1}"#, &bindings))
        #expect(mismatch.expected == #"$m = "m7""#)
        // A failed match captures nothing.
        #expect(bindings["x"] == nil)
    }
}

@Suite struct ScriptStateTests {
    let step = Script.Step(line: 4, player: "ann", action: .send("x"), text: "ann< x")

    @Test func expandsCapturesIntoRequests() throws {
        var state = ScriptState(run: "r1")
        #expect(state.check(reply: .ok(["match": "m3", "n": 2]), against: .ok(try JSONPattern.parse(#"{"match":$m,"n":$n}"#)), step: step) == nil)
        #expect(try state.expand("MOVE $m $n f5 dev-$run $$5", step: step) == "MOVE m3 2 f5 dev-r1 $5")
        #expect(throws: ScriptFailure.self) { try state.expand("ACCEPT $nope", step: step) }
    }

    @Test func aChangedReplyIsShownWithItsLine() throws {
        var state = ScriptState(run: "r1")
        let failure = try #require(
            state.check(reply: .ok(["ply": 1, "status": "active"]), against: .ok(try JSONPattern.parse(#"{"ply":2}"#)), step: step))
        #expect(failure.description == """
            line 4: ann< x
              expected: OK {"ply":2}
              got:      OK {"ply":1,"status":"active"}
              (at .ply: expected 2, got 1)
            """)
        #expect(state.check(reply: .error(code: "not_your_turn", message: "wait"), against: .ok(nil), step: step)?.got == "ERR not_your_turn wait")
        #expect(state.check(reply: .error(code: "not_your_turn", message: "the match is waiting"), against: .error(code: "not_your_turn", messagePrefix: "the match"), step: step) == nil)
        #expect(state.check(reply: .ok(nil), against: .error(code: "not_found", messagePrefix: nil), step: step) != nil)
    }

    @Test func aMissingEventSaysHowLongItWaited() {
        var state = ScriptState(run: "r1")
        let failure = state.check(event: nil, type: "move", body: nil, step: step, waited: .seconds(5))
        #expect(failure?.got == "no move event within 5.0 seconds")
        let event = PlyEvent(type: "move", body: ["ply": 1, "seq": 2], seq: 2)
        #expect(state.check(event: event, type: "move", body: try? JSONPattern.parse(#"{"ply":$p}"#), step: step, waited: .seconds(5)) == nil)
        #expect(state.bindings["p"] == 1)
    }
}
