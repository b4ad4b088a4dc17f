/// A resolved configuration value: what a parameter holds after parsing and validation.
///
/// Values are the currency between Spec, Grid, the factories and the Store: every resolved
/// parameter of a run is a `Value`, and its canonical text (`canonical`) feeds the run id.
public enum Value: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case list([Value])

    public var asDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var asInt: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return d == d.rounded() && abs(d) < 9.0e15 ? Int(d) : nil
        default: return nil
        }
    }
    public var asBool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var asString: String? { if case .string(let s) = self { return s } else { return nil } }
    public var asList: [Value]? { if case .list(let l) = self { return l } else { return nil } }

    /// Stable text used for hashing run ids and for attributes: doubles in shortest
    /// round-trip form, so the same number always gives the same id.
    public var canonical: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d): return d.description
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        case .list(let l): return "[" + l.map(\.canonical).joined(separator: ",") + "]"
        }
    }
    public var description: String { canonical }
}
