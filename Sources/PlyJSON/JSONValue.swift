/// A JSON value that keeps the order of object keys, so replies read the way the
/// protocol documents them and a client's blob comes back as it was sent.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// An insertion-ordered JSON object. Objects in this protocol are small, so lookups are
/// linear scans; that is cheaper than hashing for a handful of keys.
public struct JSONObject: Hashable, Sendable, ExpressibleByDictionaryLiteral, Sequence {
    public private(set) var fields: [Field]

    public struct Field: Hashable, Sendable {
        public var key: String
        public var value: JSONValue
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public init() { fields = [] }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        fields = []
        fields.reserveCapacity(elements.count)
        for (k, v) in elements { self[k] = v }
    }

    public init(_ pairs: [(String, JSONValue)]) {
        fields = []
        fields.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    /// Makes room for `count` fields in all, so building an object of known size does not
    /// grow its storage field by field.
    public mutating func reserveCapacity(_ count: Int) { fields.reserveCapacity(count) }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public var keys: [String] { fields.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get { fields.first(where: { $0.key == key })?.value }
        set {
            if let i = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[i].value = newValue } else { fields.remove(at: i) }
            } else if let newValue {
                fields.append(Field(key, newValue))
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Objects compare equal regardless of key order, as JSON defines.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.fields.count == rhs.fields.count else { return false }
        for f in lhs.fields where rhs[f.key] != f.value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine per-field hashes commutatively.
        var acc = 0
        for f in fields {
            var h = Hasher()
            h.combine(f.key)
            h.combine(f.value)
            acc ^= h.finalize()
        }
        hasher.combine(fields.count)
        hasher.combine(acc)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var isNull: Bool { if case .null = self { true } else { false } }

    /// An integer, also from a double with no fractional part (`3.0`).
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where abs(d) < 9.0e15 && Double(Int(d)) == d: return Int(d)
        default: return nil
        }
    }

    /// Any number, as a double (`3` is 3.0).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// A string value, or null when nil.
    public static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
}
