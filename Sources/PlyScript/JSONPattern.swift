import PlyJSON

/// JSON patterns: JSON in which `$name` may stand for a value, and `...` in an array for
/// any other elements. A capture is kept in the parsed `JSONValue` as a string that starts
/// with U+0001 (`...` as U+0002), characters no JSON text can carry unescaped, so the
/// pattern reuses `PlyJSON`'s parser and value type.
public enum JSONPattern {
    static let captureMark: Character = "\u{1}"
    static let more = JSONValue.string("\u{2}...")

    /// Parses a pattern; `$name` outside strings becomes a capture.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var json = ""
        var inString = false
        var escaped = false
        var chars = text[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if inString {
                json.append(c)
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    inString = false
                }
            } else if c == ".", chars.hasPrefix("..") {
                chars = chars.dropFirst(2)
                json += "\"\\u0002...\""
            } else if c == "$" {
                let name = chars.prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
                chars = chars.dropFirst(name.count)
                // An empty name is left for the JSON parser to refuse.
                json += name.isEmpty ? "$" : "\"\\u0001\(name)\""
            } else {
                json.append(c)
                if c == "\"" { inString = true }
            }
        }
        return try JSONValue(parsing: json)
    }

    /// The capture's name, when `value` is one.
    static func captureName(_ value: JSONValue) -> String? {
        guard case .string(let s) = value, s.first == captureMark else { return nil }
        return String(s.dropFirst())
    }

    /// Checks `actual` against `pattern`; on success the captures it made are added to
    /// `bindings`, on failure `bindings` is left as it was.
    public static func match(_ pattern: JSONValue, _ actual: JSONValue, bindings: inout [String: JSONValue]) -> Mismatch? {
        var trial = bindings
        if let mismatch = match(pattern, actual, path: "", bindings: &trial) { return mismatch }
        bindings = trial
        return nil
    }

    private static func match(_ pattern: JSONValue, _ actual: JSONValue, path: String, bindings: inout [String: JSONValue]) -> Mismatch? {
        if let name = captureName(pattern) {
            if name == "_" { return nil }
            if let bound = bindings[name] {
                return bound == actual ? nil : Mismatch(path: path, expected: "$\(name) = \(bound)", got: actual.description)
            }
            bindings[name] = actual
            return nil
        }
        switch (pattern, actual) {
        case (.object(let want), .object(let have)):
            for field in want {
                guard let value = have[field.key] else {
                    return Mismatch(path: path + "." + field.key, expected: render(field.value), got: "no such field")
                }
                if let m = match(field.value, value, path: path + "." + field.key, bindings: &bindings) { return m }
            }
            return nil
        case (.array(let want), .array(let have)) where want.contains(more):
            // The other elements must appear in this order, anything between them.
            var next = have.startIndex
            for w in want where w != more {
                guard let hit = have[next...].firstIndex(where: { h in
                    var trial = bindings
                    return match(w, h, path: path, bindings: &trial) == nil
                }) else {
                    return Mismatch(path: path, expected: "an element \(render(w)) in order", got: actual.description)
                }
                _ = match(w, have[hit], path: path, bindings: &bindings)
                next = hit + 1
            }
            return nil
        case (.array(let want), .array(let have)):
            guard want.count == have.count else {
                return Mismatch(path: path, expected: "\(want.count) elements: \(render(pattern))", got: "\(have.count) elements: \(actual)")
            }
            for (i, (w, h)) in zip(want, have).enumerated() {
                if let m = match(w, h, path: "\(path)[\(i)]", bindings: &bindings) { return m }
            }
            return nil
        case (.string(let written), .string(let have)) where written.contains("$"):
            // A string may hold captures (`"ann-$run@example.com"`); an unknown name stays as written.
            let want = expand(written, bindings: bindings)
            return want == have ? nil : Mismatch(path: path, expected: JSONValue.string(want).description, got: actual.description)
        default:
            // Numbers compare by value: 1 and 1.0 are the same JSON number.
            if let a = pattern.doubleValue, let b = actual.doubleValue, a == b { return nil }
            return pattern == actual ? nil : Mismatch(path: path, expected: render(pattern), got: actual.description)
        }
    }

    /// `text` with each `$name` that `bindings` holds replaced by its value (a string as it
    /// is, anything else as JSON) and `$$` by `$`; unknown names stay as written.
    public static func expand(_ text: String, bindings: [String: JSONValue]) -> String {
        var out = ""
        var chars = text[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            guard c == "$" else {
                out.append(c)
                continue
            }
            if chars.first == "$" {
                chars = chars.dropFirst()
                out.append("$")
                continue
            }
            let name = chars.prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            guard let value = bindings[String(name)] else {
                out.append("$")
                continue
            }
            chars = chars.dropFirst(name.count)
            if case .string(let s) = value { out += s } else { out += value.description }
        }
        return out
    }

    /// The pattern as it was written: captures shown as `$name`.
    public static func render(_ pattern: JSONValue) -> String {
        switch pattern {
        case .string where captureName(pattern) != nil: "$" + captureName(pattern)!
        case more: "..."
        case .array(let items): "[" + items.map(render).joined(separator: ",") + "]"
        case .object(let o):
            "{" + o.map { field in
                var key = ""
                JSONValue.writeString(field.key, to: &key)
                return key + ":" + render(field.value)
            }.joined(separator: ",") + "}"
        default: pattern.description
        }
    }

    /// Where a value differs from its pattern.
    public struct Mismatch: Sendable, Hashable, CustomStringConvertible {
        /// A JSON path from the root (`.players[1].name`); empty for the whole value.
        public var path: String
        public var expected: String
        public var got: String
        public var description: String { "at \(path.isEmpty ? "the top" : path): expected \(expected), got \(got)" }
    }
}
