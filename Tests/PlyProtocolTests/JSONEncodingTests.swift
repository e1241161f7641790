import PlyJSON
import Testing

@Suite("JSON encoding")
struct JSONEncodingTests {
    static let strings: [(String, String)] = [
        ("f5", #""f5""#),
        ("", #""""#),
        ("say \"hi\"", #""say \"hi\"""#),
        (#"wG1 bP1\"#, #""wG1 bP1\\""#),
        ("a/b", #""a/b""#),
        ("line\nbreak", #""line\nbreak""#),
        ("cr\rtab\t", #""cr\rtab\t""#),
        ("\u{0}", #""\u0000""#),
        ("\u{8}\u{C}", #""\u0008\u000c""#),
        ("\u{1B}[31m", #""\u001b[31m""#),
        ("\u{1F}", #""\u001f""#),
        ("é😀∑", "\"é😀∑\""),
        ("\u{7F}", "\"\u{7F}\""),
    ]

    @Test("strings are quoted with the escapes JSON needs", arguments: strings)
    func stringEncoding(text: String, expected: String) throws {
        let encoded = JSONValue.string(text).description
        #expect(encoded == expected)
        #expect(try JSONValue(parsing: encoded) == .string(text))
    }

    /// A raw control character would break the one-line framing or confuse a terminal.
    @Test("every control character leaves escaped", arguments: 0..<0x20)
    func controlCharacterEscaped(code: Int) throws {
        let text = "x" + String(try #require(Unicode.Scalar(code))) + "y"
        let encoded = JSONValue.string(text).description
        #expect(!encoded.utf8.contains(where: { $0 < 0x20 }))
        #expect(try JSONValue(parsing: encoded) == .string(text))
        // Keys go through the same escaping.
        let object = JSONValue.object(JSONObject([(text, .int(code))]))
        #expect(!object.description.utf8.contains(where: { $0 < 0x20 }))
        #expect(try JSONValue(parsing: object.description) == object)
    }

    static let numbers: [(JSONValue, String)] = [
        (.int(0), "0"),
        (.int(-5), "-5"),
        (.int(.max), "9223372036854775807"),
        (.int(.min), "-9223372036854775808"),
        (.double(0.5), "0.5"),
        (.double(-2.25), "-2.25"),
        // Integral doubles go out as integers, as most JSON writers do.
        (.double(3), "3"),
        (.double(-0.0), "0"),
        (.double(123_456_789_012_345), "123456789012345"),
        (.double(1e20), "1e+20"),
        (.double(1e-7), "1e-07"),
    ]

    @Test("numbers are written compactly and read back equal", arguments: numbers)
    func numberEncoding(value: JSONValue, expected: String) throws {
        #expect(value.description == expected)
        let back = try JSONValue(parsing: expected)
        switch (value, back) {
        case (.int(let a), .int(let b)): #expect(a == b)
        case (.double(let a), .double(let b)): #expect(a == b)
        case (.double(let a), .int(let b)): #expect(a == Double(b))
        default: Issue.record("\(value) came back as \(back)")
        }
    }

    /// JSON cannot express them; `null` keeps the output valid instead of emitting `nan`.
    @Test("non-finite doubles are written as null", arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteIsNull(value: Double) throws {
        #expect(JSONValue.double(value).description == "null")
        #expect(JSONValue.array([.double(value)]).description == "[null]")
    }

    @Test("object keys leave in insertion order")
    func keyOrderPreserved() throws {
        var object = JSONObject()
        object["zeta"] = 1
        object["alpha"] = 2
        object["mid"] = ["nested": true, "array": [3, 2, 1]]
        #expect(JSONValue.object(object).description == #"{"zeta":1,"alpha":2,"mid":{"nested":true,"array":[3,2,1]}}"#)

        let text = #"{"ply":12,"match":"m7","to_move":"p1","deadline":null}"#
        #expect(try JSONValue(parsing: text).description == text)
    }

    @Test("write(to:) appends to what is already there")
    func writeAppends() {
        var out = "OK "
        JSONValue.array([1, "a"]).write(to: &out)
        #expect(out == #"OK [1,"a"]"#)
        var objectOut = "EVENT x "
        (["a": nil] as JSONObject).write(to: &objectOut)
        #expect(objectOut == #"EVENT x {"a":null}"#)
    }

    @Test("JSONObject and JSONValue describe an object the same way")
    func objectDescription() {
        let object: JSONObject = ["b": 1, "a": [true, nil]]
        #expect(object.description == #"{"b":1,"a":[true,null]}"#)
        #expect(JSONValue.object(object).description == object.description)
    }
}
