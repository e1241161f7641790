import PlyJSON
import Testing

/// The error a text earns, or nil when it parses.
func jsonRefusal(_ text: String) -> JSONParseError? {
    do {
        _ = try JSONValue(parsing: text)
        return nil
    } catch {
        return error
    }
}

@Suite("JSON parsing (RFC 8259)")
struct JSONParsingTests {
    /// Every kind of value, in the compact form the encoder also writes.
    static let everyKind: [(String, JSONValue)] = [
        ("null", .null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .int(0)),
        ("-17", .int(-17)),
        ("3.25", .double(3.25)),
        ("\"f5\"", .string("f5")),
        ("\"\"", .string("")),
        ("[]", .array([])),
        ("{}", .object([:])),
        ("[1,\"a\",null,false,[],{}]", [1, "a", nil, false, [], [:]]),
        ("{\"match\":\"m7\",\"players\":[{\"player\":\"p1\",\"side\":\"black\"}],\"result\":null}",
         ["match": "m7", "players": [["player": "p1", "side": "black"]], "result": nil]),
    ]

    @Test("every kind of value parses and encodes back to the same text", arguments: everyKind)
    func everyKindRoundTrips(text: String, value: JSONValue) throws {
        #expect(try JSONValue(parsing: text) == value)
        #expect(value.description == text)
    }

    // MARK: Strings and escapes

    static let escapes: [(String, String)] = [
        (#""\"\\\/""#, "\"\\/"),
        (#""\b\f\n\r\t""#, "\u{8}\u{C}\n\r\t"),
        (#""\u0041\u00e9\u00C9\u20AC""#, "AéÉ€"),
        (#""\u0000""#, "\u{0}"),
        (#""\uD83D\uDE00""#, "😀"),
        (#""\ud834\udd1e clef""#, "𝄞 clef"),
        (#""before \uDBFF\uDFFF after""#, "before \u{10FFFF} after"),
        (#""plain then \n escape""#, "plain then \n escape"),
        ("\"raw é 😀 ∑\"", "raw é 😀 ∑"),
        ("\"del \u{7F} is allowed raw\"", "del \u{7F} is allowed raw"),
    ]

    @Test("escapes decode, including surrogate pairs", arguments: escapes)
    func escapeDecodes(text: String, expected: String) throws {
        #expect(try JSONValue(parsing: text) == .string(expected))
    }

    /// A lone surrogate has no Unicode scalar; accepting one would mean inventing a character.
    @Test("unpaired surrogates and malformed escapes are refused", arguments: [
        #""\uD83D""#, #""\uDE00""#, #""\uD83Dx""#, #""\uD83D\u0041""#, #""\uD83D\uD83D""#,
        #""\uDE00\uD83D""#, #""\uD83D\n""#, #""\uD83D\""#,
        #""\u12""#, #""\u12G4""#, #""\u""#, #""\x41""#, #""\U0041""#, #""\'""#, #""\""#, "\"abc",
        "\"", "\"\\",
    ])
    func badEscapeRefused(text: String) {
        #expect(jsonRefusal(text) != nil)
    }

    /// RFC 8259 section 7: U+0000 to U+001F must be escaped inside strings.
    @Test("raw control characters are refused in strings", arguments: 0..<0x20)
    func rawControlCharacterRefused(code: Int) throws {
        let control = String(try #require(Unicode.Scalar(code)))
        #expect(jsonRefusal("\"a\(control)b\"") != nil)
        // Also after an escape, where the parser has left its fast path.
        #expect(jsonRefusal("\"\\n\(control)\"") != nil)
        #expect(jsonRefusal("{\"k\(control)\":1}") != nil)
    }

    // MARK: Numbers

    static let numbers: [(String, JSONValue)] = [
        ("0", .int(0)),
        ("-0", .int(0)),
        ("7", .int(7)),
        ("-42", .int(-42)),
        ("9223372036854775807", .int(.max)),
        ("-9223372036854775808", .int(.min)),
        // One past Int's range: not an error, a double.
        ("9223372036854775808", .double(9_223_372_036_854_775_808.0)),
        ("-9223372036854775809", .double(-9_223_372_036_854_775_808.0)),
        ("123456789012345678901234567890", .double(1.2345678901234568e29)),
        ("1.5", .double(1.5)),
        ("-0.25", .double(-0.25)),
        ("0.1", .double(0.1)),
        ("1e3", .double(1000)),
        ("1E3", .double(1000)),
        ("1e+3", .double(1000)),
        ("25e-1", .double(2.5)),
        ("-2.5E-3", .double(-0.0025)),
        ("1e007", .double(1e7)),
        ("1.7976931348623157e308", .double(.greatestFiniteMagnitude)),
        ("5e-324", .double(.leastNonzeroMagnitude)),
        ("1e-400", .double(0)),
    ]

    @Test("numbers parse to ints where they fit, doubles otherwise", arguments: numbers)
    func numberParses(text: String, expected: JSONValue) throws {
        #expect(try JSONValue(parsing: text) == expected)
        #expect(try JSONValue(parsing: "[\(text)]") == [expected])
    }

    @Test("negative zero keeps its sign as a double")
    func negativeZeroDouble() throws {
        guard case .double(let d) = try JSONValue(parsing: "-0.0") else {
            Issue.record("-0.0 should parse as a double")
            return
        }
        #expect(d == 0 && d.sign == .minus)
    }

    /// JSON has no infinities: a number too large for a double is refused, not rounded to one.
    @Test("malformed and non-finite numbers are refused", arguments: [
        "01", "-01", "00", "1.", "-1.", ".5", "-.5", "-", "+1", "1e", "1e+", "1E-", "1.e3", "--1", "0x10",
        "1_000", "1,5", "Infinity", "-Infinity", "NaN", "nan", "inf", "1e400", "-1e400", "1e99999",
        "1" + String(repeating: "0", count: 400), "[01]", "[1.]", "{\"a\":.5}", "- 1",
    ])
    func badNumberRefused(text: String) {
        #expect(jsonRefusal(text) != nil)
    }

    // MARK: Structure

    @Test("duplicate keys are refused, at any depth", arguments: [
        #"{"a":1,"a":2}"#, #"{"a":1,"a":1}"#, #"{"a":null,"a":null}"#, #"{"a":1,"b":2,"a":3}"#,
        #"{"o":{"k":[],"k":{}}}"#, #"[{"x":1},{"x":1,"x":1}]"#, #"{"a":1,"\u0061":2}"#,
    ])
    func duplicateKeyRefused(text: String) throws {
        let error = try #require(jsonRefusal(text))
        #expect(error.message.contains("duplicate"))
    }

    @Test("text after the value is refused", arguments: [
        "{}x", "[1] [2]", "1 2", "truex", "nullnull", "\"a\"\"b\"", "{}}", "[1]]", "1,", "0 0", "{} {}",
        "true false", "[]\u{0}",
    ])
    func trailingGarbageRefused(text: String) {
        #expect(jsonRefusal(text) != nil)
    }

    @Test("malformed structure is refused", arguments: [
        "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "{'a':1}", "{\"a\" 1}",
        "{,}", "{1:2}", "{\"a\":1 \"b\":2}", "tru", "nul", "fals", "TRUE", "True", "Null", "[", "{", "]", "}",
        "[1", "{\"a\":1", "{\"a\"", "{\"a\":", "[[]", "undefined", "'a'",
    ])
    func malformedRefused(text: String) {
        #expect(jsonRefusal(text) != nil)
    }

    @Test("the error points at the offending byte")
    func errorOffsets() throws {
        #expect(try #require(jsonRefusal("[1,x]")).offset == 3)
        #expect(try #require(jsonRefusal("{}x")).offset == 2)
        #expect(try #require(jsonRefusal("  ")).offset == 2)
        #expect(try #require(jsonRefusal("\"ab\u{1}\"")).offset == 3)
    }

    // MARK: Whitespace and emptiness

    @Test("the four JSON whitespace characters are skipped everywhere")
    func whitespaceSkipped() throws {
        let spaced = " \t\r\n{ \"a\" :\t[ 1 ,\n2\r] , \"b\"\n:\r\n\"x y\" }\n\t "
        #expect(try JSONValue(parsing: spaced) == ["a": [1, 2], "b": "x y"])
    }

    /// Only space, tab, CR and LF are JSON whitespace; anything else would be read
    /// differently by other parsers.
    @Test("other white space is refused", arguments: [
        "\u{C}1", "1\u{C}", "\u{B}1", "\u{A0}1", "[1,\u{A0}2]", "\u{FEFF}{}", "\u{2028}1", "\u{3000}1",
    ])
    func otherWhitespaceRefused(text: String) {
        #expect(jsonRefusal(text) != nil)
    }

    @Test("empty and blank texts are refused", arguments: ["", " ", "\n", " \t\r\n "])
    func emptyRefused(text: String) {
        #expect(jsonRefusal(text) != nil)
    }

    // MARK: Nesting depth

    func nestedArrays(_ depth: Int, inner: String = "") -> String {
        String(repeating: "[", count: depth) + inner + String(repeating: "]", count: depth)
    }

    func nestedObjects(_ depth: Int, inner: String = "1") -> String {
        String(repeating: "{\"a\":", count: depth) + inner + String(repeating: "}", count: depth)
    }

    /// `maximumDepth` is the number of arrays and objects that may enclose one another,
    /// whatever sits innermost.
    @Test("nesting up to maximumDepth is accepted, one more is refused", arguments: ["", "1", "{}", "[]"])
    func depthLimit(inner: String) throws {
        let limit = JSONValue.maximumDepth
        // `inner` counts as one level when it is itself a container.
        let innerLevels = inner.hasPrefix("[") || inner.hasPrefix("{") ? 1 : 0
        #expect(jsonRefusal(nestedArrays(limit - innerLevels, inner: inner)) == nil)
        #expect(jsonRefusal(nestedArrays(limit + 1 - innerLevels, inner: inner)) != nil)
        #expect(jsonRefusal(nestedObjects(limit - innerLevels, inner: inner.isEmpty ? "1" : inner)) == nil)
        #expect(jsonRefusal(nestedObjects(limit + 1 - innerLevels, inner: inner.isEmpty ? "1" : inner)) != nil)
    }

    @Test("mixed arrays and objects count toward the same depth")
    func mixedDepth() {
        let limit = JSONValue.maximumDepth
        func mixed(_ depth: Int) -> String {
            var open = "", close = ""
            for level in 0..<depth {
                if level.isMultiple(of: 2) {
                    open += "["
                    close = "]" + close
                } else {
                    open += "{\"k\":"
                    close = "}" + close
                }
            }
            return open + "0" + close
        }
        #expect(jsonRefusal(mixed(limit)) == nil)
        #expect(jsonRefusal(mixed(limit + 1)) != nil)
    }

    /// Hostile text must be refused by the depth check, not by the stack running out.
    @Test("100,000 open brackets are refused without overflowing the stack")
    func hostileDepth() throws {
        let error = try #require(jsonRefusal(String(repeating: "[", count: 100_000)))
        #expect(error.message.contains("deep"))
        #expect(jsonRefusal(nestedArrays(100_000)) != nil)
        #expect(jsonRefusal(String(repeating: "{\"a\":", count: 100_000)) != nil)
        #expect(jsonRefusal(String(repeating: "[{\"a\":", count: 50_000)) != nil)
    }

    // MARK: parseObject

    @Test("parseObject accepts only objects", arguments: ["[1]", "1", "\"x\"", "null", "true", "[]", "[{}]"])
    func parseObjectRefusesNonObjects(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parseObject(text) }
    }

    @Test func parseObjectReturnsTheObject() throws {
        let object = try JSONValue.parseObject(#" {"side":"first","turn_seconds":60} "#)
        #expect(object.keys == ["side", "turn_seconds"])
        #expect(object["turn_seconds"] == 60)
    }
}
