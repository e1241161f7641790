import PlyJSON

/// What a scenario prints: a table for people, then every figure as one JSON object on
/// the last line, for scripts (`tail -n 1 | jq`).
public struct BenchReport: Sendable {
    public var title: String
    /// Figures in print order; nil prints as `-` and as JSON null.
    public var figures: [(name: String, value: Double?)]

    public init(title: String, figures: [(name: String, value: Double?)]) {
        self.title = title
        self.figures = figures
    }

    public var table: String {
        let width = figures.map(\.name.count).max() ?? 0
        var out = title + "\n"
        for (name, value) in figures {
            out += "  " + name + String(repeating: " ", count: width - name.count) + "  "
            out += value.map(Self.format) ?? "-"
            out += "\n"
        }
        return out
    }

    public var json: JSONObject {
        var o = JSONObject()
        for (name, value) in figures {
            o[name] = value.map { v in v == v.rounded() && abs(v) < 1e15 ? .int(Int(v)) : .double(Self.round(v)) } ?? .null
        }
        return o
    }

    /// Three decimals: microseconds for latencies, enough for rates.
    static func round(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

    static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
        let r = round(v)
        var s = String(r)
        if s.contains("e") { return s }
        // At most three decimals, without trailing zeros beyond the first.
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals > 3 { s = String(s[...s.index(dot, offsetBy: 3)]) }
        }
        return s
    }
}
