extension JSONValue {
    /// Whole doubles below 1e15 are written without a fraction (`3.0` as `3`).
    static func isWrittenAsInteger(_ d: Double) -> Bool { abs(d) < 1e15 && Double(Int(d)) == d }

    /// The value as it reads back after a trip through the wire: doubles written as
    /// integers come back as `.int`. Round-trip checks compare against this.
    public var wireForm: JSONValue {
        switch self {
        case .double(let d) where d.isFinite && Self.isWrittenAsInteger(d): .int(Int(d))
        case .array(let items): .array(items.map(\.wireForm))
        case .object(let object): .object(JSONObject(object.map { ($0.key, $0.value.wireForm) }))
        default: self
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text, the form that goes on the wire.
    public var description: String {
        var out = ""
        out.reserveCapacity(64)
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite {
                if JSONValue.isWrittenAsInteger(d) { out += String(Int(d)) } else { out += String(d) }
            } else {
                out += "null"  // JSON has no NaN or infinity
            }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out)
            }
            out += "]"
        case .object(let o):
            o.write(to: &out)
        }
    }

    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        var needsEscape = false
        for u in s.utf8 where u < 0x20 || u == 0x22 || u == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

extension JSONObject: CustomStringConvertible {
    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        out += "{"
        for (i, f) in fields.enumerated() {
            if i > 0 { out += "," }
            JSONValue.writeString(f.key, to: &out)
            out += ":"
            f.value.write(to: &out)
        }
        out += "}"
    }
}
