import Foundation
import ExprunCore
import ExprunConfig

/// The law one searched parameter is drawn from, written in `search.space`:
/// `{loguniform: [a, b]}`, `{uniform: [a, b]}`, `{int: [a, b]}` (both ends included),
/// `{choice: [v, ...]}`, or just `[a, b]`: the law the parameter's declaration implies (`int`
/// for an integer, log-uniform for a step size, declared `.logScale()`, uniform otherwise).
enum SearchRange {
    case uniform(Double, Double)
    case logUniform(Double, Double)
    case integer(Int, Int)
    case choice([ConfigNode])

    static let laws = ["uniform", "loguniform", "int", "choice"]

    /// The value at u in [0, 1) (a random draw or a Sobol coordinate), as a node at `location`
    /// so that a later check points at the range. Continuous values are rounded to 15
    /// significant digits (as sweep helpers are), clamped into [a, b].
    func value(_ u: Double, at location: SourceLocation) -> ConfigNode {
        switch self {
        case .uniform(let a, let b):
            return .scalar(.double(min(max(SweepValues.roundTrip(a + u * (b - a)), a), b)), location)
        case .logUniform(let a, let b):
            return .scalar(.double(min(max(SweepValues.roundTrip(exp(log(a) + u * (log(b) - log(a)))), a), b)), location)
        case .integer(let a, let b):
            // Through Double: b - a + 1 up to 2^53 is exact, and the spec bounds the range below that.
            let span = Double(b - a) + 1
            return .scalar(.int(a + min(Int(u * span), b - a)), location)
        case .choice(let options):
            return options[min(Int(u * Double(options.count)), options.count - 1)]
        }
    }
}

extension Builder {
    /// Parses the range of `path`, checked against every declaration of the parameter that
    /// can receive it (`owner` names the component in messages): the law must suit the
    /// parameter's type and both ends must lie in its declared interval.
    mutating func searchRange(_ node: ConfigNode, path: String, decls: [(owner: String, decl: ParamDecl)]) -> SearchRange? {
        func fail(_ at: SourceLocation, _ msg: String, suggestion: String? = nil) -> SearchRange? {
            report(Diagnostic(at, "search.space '\(path)': \(msg)", suggestion: suggestion)); return nil
        }
        var law: String, args: ConfigNode
        if let e = node.entries {
            guard e.count == 1, SearchRange.laws.contains(e[0].key) else {
                return fail(e.first?.keyLocation ?? node.location, "a range is [low, high] or one of {uniform|loguniform|int|choice: [...]}",
                            suggestion: closestMatch(e.first?.key ?? "", in: SearchRange.laws))
            }
            (law, args) = (e[0].key, e[0].value)
        } else if node.items != nil {
            (law, args) = ("", node)
        } else {
            return fail(node.location, "a range is [low, high] or one of {uniform|loguniform|int|choice: [...]}, not a single value (a fixed value belongs in the component)")
        }
        guard let items = args.items, !items.isEmpty else { return fail(args.location, "\(law.isEmpty ? "the range" : law) takes a list") }
        if law == "choice" { return .choice(items) }
        guard items.count == 2, let lo = items[0].scalar.flatMap(RunSection.numeric), let hi = items[1].scalar.flatMap(RunSection.numeric) else {
            return fail(args.location, "\(law.isEmpty ? "a range" : law) takes two numbers [low, high]")
        }
        func isInteger(_ t: ParamType) -> Bool {
            switch t { case .int, .intOr: return true; default: return false }
        }
        let decl = decls.first?.decl
        if law.isEmpty {
            law = decl.map { isInteger($0.type) } == true ? "int" : decl?.scale == .log ? "loguniform" : "uniform"
        }
        for (owner, d) in decls {
            switch (law, d.type) {
            case ("uniform", .double), ("loguniform", .double): break
            case ("int", .double): break   // integers are valid values of a real parameter
            case ("int", _) where isInteger(d.type): break
            default:
                return fail(node.location, "\(owner)'s \(d.name) is \(isInteger(d.type) ? "an integer: use {int: [a, b]}" : "a \(d.type.name), not a number: use {choice: [...]}")")
            }
            if !d.range.contains(lo) || !d.range.contains(hi) {
                return fail(args.location, "[\(items[0].scalar!.text), \(items[1].scalar!.text)] is outside the interval \(d.range.text) that \(owner) declares for \(d.name)")
            }
        }
        switch law {
        case "int":
            guard case .int(let a)? = items[0].scalar, case .int(let b)? = items[1].scalar else { return fail(args.location, "int takes two integers [low, high]") }
            guard a <= b else { return fail(args.location, "int needs low <= high, got [\(a), \(b)]") }
            let (span, overflow) = b.subtractingReportingOverflow(a)
            guard !overflow, span < 1 << 52 else { return fail(args.location, "int range [\(a), \(b)] is wider than 2^52") }
            return .integer(a, b)
        case "loguniform":
            guard lo > 0 else { return fail(args.location, "loguniform needs low > 0, got \(items[0].scalar!.text)") }
            guard lo < hi, hi.isFinite else { return fail(args.location, "loguniform needs low < high (finite), got [\(items[0].scalar!.text), \(items[1].scalar!.text)]") }
            return .logUniform(lo, hi)
        default:
            guard lo < hi, (hi - lo).isFinite else { return fail(args.location, "uniform needs low < high (finite), got [\(items[0].scalar!.text), \(items[1].scalar!.text)]") }
            return .uniform(lo, hi)
        }
    }
}
