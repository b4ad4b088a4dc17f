import ExprunCore
import Foundation

/// The JSON text of an attribute value in a mixed column of /tables/attributes, and back.
///
/// Exact both ways: an int is written without a point or exponent, a double always with one
/// (Swift's shortest round-trip text: "1.0", "1e-05"), non-finite doubles as NaN / Infinity /
/// -Infinity (which Python's json module reads), so Python's json.loads and `decode` give back
/// the value and the type h5py reads from the run group.
public enum TableJSON {
    static func encode(_ value: Value) -> String {
        switch value {
        case .int(let v): return String(v)
        case .double(let v):
            if v.isNaN { return "NaN" }
            if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
            return "\(v)"
        case .bool(let v): return v ? "true" : "false"
        case .string(let v): return quote(v)
        case .list(let items): return "[" + items.map(encode).joined(separator: ",") + "]"
        }
    }

    /// A JSON string literal of `s` (quotes, backslashes and control characters escaped).
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Parses what `encode` writes; nil for anything else.
    static func decode(_ text: String) -> Value? {
        var parser = Parser(Array(text.unicodeScalars))
        guard let value = parser.value(), parser.atEnd else { return nil }
        return value
    }

    private struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        init(_ s: [Unicode.Scalar]) { self.s = s }
        var atEnd: Bool { i == s.count }

        mutating func literal(_ word: String) -> Bool {
            let w = Array(word.unicodeScalars)
            guard i + w.count <= s.count, Array(s[i..<(i + w.count)]) == w else { return false }
            i += w.count
            return true
        }

        mutating func value() -> Value? {
            guard i < s.count else { return nil }
            switch s[i] {
            case "[":
                i += 1
                var items: [Value] = []
                if i < s.count, s[i] == "]" { i += 1; return .list(items) }
                while true {
                    guard let item = value() else { return nil }
                    items.append(item)
                    guard i < s.count else { return nil }
                    if s[i] == "]" { i += 1; return .list(items) }
                    guard s[i] == "," else { return nil }
                    i += 1
                }
            case "\"": return string().map { .string($0) }
            case "t": return literal("true") ? .bool(true) : nil
            case "f": return literal("false") ? .bool(false) : nil
            case "N": return literal("NaN") ? .double(.nan) : nil
            case "I": return literal("Infinity") ? .double(.infinity) : nil
            default:
                if literal("-Infinity") { return .double(-.infinity) }
                let start = i
                while i < s.count, "+-0123456789.eE".unicodeScalars.contains(s[i]) { i += 1 }
                let text = String(String.UnicodeScalarView(s[start..<i]))
                if text.contains(where: { ".eE".contains($0) }) { return Double(text).map { .double($0) } }
                return Int(text).map { .int($0) }
            }
        }

        mutating func string() -> String? {
            i += 1
            var out = String.UnicodeScalarView()
            while i < s.count {
                let c = s[i]
                i += 1
                if c == "\"" { return String(out) }
                guard c == "\\" else { out.append(c); continue }
                guard i < s.count else { return nil }
                let e = s[i]
                i += 1
                switch e {
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    guard i + 4 <= s.count, let code = UInt32(String(String.UnicodeScalarView(s[i..<(i + 4)])), radix: 16),
                          let scalar = Unicode.Scalar(code) else { return nil }
                    i += 4
                    out.append(scalar)
                default: out.append(e)
                }
            }
            return nil
        }
    }
}
