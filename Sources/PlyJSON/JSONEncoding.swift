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
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func write(to out: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        write(to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// The same as UTF-8 bytes: a line is built in one buffer and made a string once, not
    /// grown a piece at a time (every reply and event is written this way).
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .int(let i): out += String(i).utf8
        case .double(let d):
            if d.isFinite {
                if JSONValue.isWrittenAsInteger(d) { out += String(Int(d)).utf8 } else { out += String(d).utf8 }
            } else {
                out += "null".utf8  // JSON has no NaN or infinity
            }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            o.write(to: &out)
        }
    }

    public static func writeString(_ s: String, to out: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 2)
        writeString(s, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// `s` quoted, with the escapes JSON needs: the quote, the backslash and every control
    /// character (all ASCII, so the other bytes, multi-byte characters included, go as they are).
    public static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += s.utf8
        } else {
            let hex = Array("0123456789abcdef".utf8)
            for u in s.utf8 {
                switch u {
                case UInt8(ascii: "\""): out += #"\""#.utf8
                case UInt8(ascii: "\\"): out += #"\\"#.utf8
                case UInt8(ascii: "\n"): out += #"\n"#.utf8
                case UInt8(ascii: "\r"): out += #"\r"#.utf8
                case UInt8(ascii: "\t"): out += #"\t"#.utf8
                case ..<0x20: out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(u >> 4)], hex[Int(u & 0xF)]]
                default: out.append(u)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONObject: CustomStringConvertible {
    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func write(to out: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        write(to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// The object as UTF-8 bytes (see `JSONValue.write(to:)`).
    public func write(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, f) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeString(f.key, to: &out)
            out.append(UInt8(ascii: ":"))
            f.value.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
