import PlyJSON
import Testing

@Suite("JSON values and objects")
struct JSONValueTests {
    // MARK: JSONObject

    @Test("replacing a value keeps the key's place; removing drops it")
    func setterKeepsOrder() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = "two"
        #expect(object.keys == ["a", "b", "c"])
        #expect(object["b"] == "two")
        object["a"] = nil
        #expect(object.keys == ["b", "c"])
        #expect(object.count == 2)
        object["a"] = .null
        #expect(object.keys == ["b", "c", "a"])
        #expect(object["a"] == .null)
        #expect(object["missing"] == nil)
    }

    @Test("a literal with a repeated key keeps the first place and the last value")
    func repeatedLiteralKey() {
        let object = JSONObject([("k", 1), ("other", 2), ("k", 3)])
        #expect(object.keys == ["k", "other"])
        #expect(object["k"] == 3)
    }

    @Test("iteration follows insertion order")
    func iteration() {
        let object: JSONObject = ["x": 1, "y": 2, "z": 3]
        #expect(object.map(\.key) == ["x", "y", "z"])
        #expect(object.map(\.value) == [1, 2, 3])
        #expect(JSONObject().isEmpty)
        #expect(!object.isEmpty)
    }

    static let sameObjects: [(JSONObject, JSONObject)] = [
        (["a": 1, "b": 2], ["b": 2, "a": 1]),
        (["a": ["x": 1, "y": [1, 2]], "b": nil], ["b": nil, "a": ["y": [1, 2], "x": 1]]),
        ([:], [:]),
    ]

    /// JSON objects are unordered; two that differ only in key order are the same value.
    @Test("equality and hashing ignore key order", arguments: sameObjects)
    func orderInsensitiveEquality(lhs: JSONObject, rhs: JSONObject) {
        #expect(lhs == rhs)
        #expect(lhs.hashValue == rhs.hashValue)
        #expect(JSONValue.object(lhs) == JSONValue.object(rhs))
        #expect(Set([JSONValue.object(lhs), .object(rhs)]).count == 1)
    }

    static let differentObjects: [(JSONObject, JSONObject)] = [
        (["a": 1], ["a": 2]),
        (["a": 1], ["b": 1]),
        (["a": 1], ["a": 1, "b": 2]),
        (["a": nil], [:]),
        (["a": [1, 2]], ["a": [2, 1]]),
        (["a": 1], ["a": "1"]),
        (["a": ["b": 1]], ["a": ["b": 1, "c": 1]]),
    ]

    @Test("objects with different content differ", arguments: differentObjects)
    func differentContent(lhs: JSONObject, rhs: JSONObject) {
        #expect(lhs != rhs)
        #expect(rhs != lhs)
    }

    // MARK: Accessors

    static let intValues: [(JSONValue, Int?)] = [
        (.int(42), 42),
        (.int(.min), .min),
        (.double(3), 3),
        (.double(-7), -7),
        (.double(-0.0), 0),
        (.double(8.5e15), 8_500_000_000_000_000),
        (.double(3.5), nil),
        (.double(-0.1), nil),
        (.double(1e16), nil),
        (.double(-1e300), nil),
        (.double(.nan), nil),
        (.double(.infinity), nil),
        (.string("3"), nil),
        (.bool(true), nil),
        (.null, nil),
        ([3], nil),
    ]

    @Test("intValue reads ints and whole doubles, nothing else", arguments: intValues)
    func intValue(value: JSONValue, expected: Int?) {
        #expect(value.intValue == expected)
    }

    static let doubleValues: [(JSONValue, Double?)] = [
        (.int(42), 42), (.int(-3), -3), (.double(2.5), 2.5), (.double(-0.125), -0.125),
        (.string("2.5"), nil), (.bool(false), nil), (.null, nil), (["a": 1], nil),
    ]

    @Test("doubleValue reads any number, nothing else", arguments: doubleValues)
    func doubleValue(value: JSONValue, expected: Double?) {
        #expect(value.doubleValue == expected)
    }

    @Test("intValue of parsed text")
    func intValueOfParsedText() throws {
        #expect(try JSONValue(parsing: "60").intValue == 60)
        #expect(try JSONValue(parsing: "6e1").intValue == 60)
        #expect(try JSONValue(parsing: "60.0").intValue == 60)
        #expect(try JSONValue(parsing: "60.5").intValue == nil)
        #expect(try JSONValue(parsing: "9223372036854775808").intValue == nil)
    }

    @Test("typed accessors answer only for their own kind")
    func typedAccessors() {
        let value: JSONValue = ["s": "text", "b": false, "a": [1], "o": ["k": nil], "n": nil]
        #expect(value["s"]?.stringValue == "text")
        #expect(value["b"]?.boolValue == false)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?.objectValue == ["k": nil])
        #expect(value["n"]?.isNull == true)
        #expect(value["s"]?.boolValue == nil)
        #expect(value["b"]?.stringValue == nil)
        #expect(value["a"]?.objectValue == nil)
        #expect(value["o"]?.arrayValue == nil)
        #expect(value["s"]?.isNull == false)
        #expect(value["missing"] == nil)
        #expect(JSONValue.string("x")["k"] == nil)
        #expect(JSONValue.optional("p1") == "p1")
        #expect(JSONValue.optional(nil) == .null)
    }
}
