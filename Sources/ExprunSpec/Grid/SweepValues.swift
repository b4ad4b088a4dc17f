import Foundation
import ExprunCore
import ExprunConfig

/// One axis of the grid: a dotted path and its values (nodes, so later checks can point at
/// the exact value), or a group of paths zipped together (values paired by position).
struct Axis {
    var paths: [String]
    var pathLocations: [SourceLocation]
    /// values[i][k] is the value of paths[k] at position i.
    var values: [[ConfigNode]]
    /// typed[i][k]: values[i][k] converted, when the sweep is parsed, for each component a
    /// `role.param` path can set, by component name (a name missing is a component that lacks
    /// the parameter or rejected the value, reported then). Empty for role and `run.` paths,
    /// whose values are names and run settings.
    var typed: [[[String: TypedSetting]]] = []
    /// absent[i][k]: paths[k] sets nothing at position i (a per-component grid's row whose
    /// component has no values for that parameter: it keeps its own). Empty: none absent.
    var absent: [[Bool]] = []

    func isAbsent(_ i: Int, _ k: Int) -> Bool { !absent.isEmpty && absent[i][k] }
}

/// A sweep value as the parameter it sets declares it.
enum TypedSetting: Hashable {
    case set(Value)
    /// Written as null for a parameter without a default: it has no value, as `key:` in the
    /// component itself (null for one with a default is that default).
    case unset
}

/// What one axis path sets in one cell: the node (for locations) and its typed values.
struct AxisSetting {
    var path: String
    var node: ConfigNode
    var typed: [String: TypedSetting]
}

/// Expands the sweep helpers researchers actually write: a list, a single value,
/// `{logspace: [a, b, n]}` (10^a .. 10^b), `{linspace: [a, b, n]}`, `{geomspace: [a, b, n]}`
/// and `{range: [start, stop, step]}` (integers, stop excluded, like Python).
enum SweepValues {
    static let helpers = ["logspace", "linspace", "geomspace", "range"]

    static func expand(_ node: ConfigNode, path: String, limit: Int = SweepLimits().maxRuns,
                       problems: inout [Diagnostic]) -> [ConfigNode]? {
        switch node {
        case .list(let items, let loc):
            if items.isEmpty {
                problems.append(Diagnostic(loc, "sweep axis '\(path)' has no values (empty sweep)"))
                return nil
            }
            return items
        case .scalar:
            return [node]
        case .map(let entries, let loc):
            guard entries.count == 1, let e = entries.first, helpers.contains(e.key) else {
                let key = entries.first?.key ?? ""
                problems.append(Diagnostic(entries.first?.keyLocation ?? loc,
                                           "sweep axis '\(path)': expected a list of values or one of {logspace|linspace|geomspace|range: [...]}",
                                           suggestion: closestMatch(key, in: helpers)))
                return nil
            }
            let args = (e.value.items ?? []).compactMap { $0.scalar.flatMap(RunSection.numeric) }
            let n = args.count
            func fail(_ msg: String) -> [ConfigNode]? { problems.append(Diagnostic(e.value.location, "sweep axis '\(path)': \(msg)")); return nil }
            if e.value.items?.count != n { return fail("\(e.key) takes numbers") }
            switch e.key {
            case "logspace", "linspace", "geomspace":
                guard n == 3, let count = Int(exactly: args[2]) else { return fail("\(e.key) takes [start, stop, count]") }
                if count < 1 { return fail("\(e.key) count must be >= 1, got \(count) (empty sweep)") }
                if count > limit { return fail("\(e.key) count \(count) is more than limits.max_runs = \(limit) (raise it in `limits:` if you mean it)") }
                if e.key == "geomspace" && (args[0] <= 0 || args[1] <= 0) { return fail("geomspace bounds must be > 0") }
                var out: [ConfigNode] = []
                for i in 0..<count {
                    let f = count == 1 ? 0 : Double(i) / Double(count - 1)
                    let v: Double
                    switch e.key {
                    case "logspace": v = pow(10, args[0] + f * (args[1] - args[0]))
                    case "geomspace": v = exp(log(args[0]) + f * (log(args[1]) - log(args[0])))
                    default: v = args[0] + f * (args[1] - args[0])
                    }
                    // Exact endpoints: 10^-3 should be 0.001, not 0.0010000000000000002.
                    let exact = (i == 0 ? (e.key == "logspace" ? pow(10, args[0]) : args[0])
                                 : i == count - 1 ? (e.key == "logspace" ? pow(10, args[1]) : args[1]) : v)
                    out.append(.scalar(.double(roundTrip(exact)), e.value.location))
                }
                return out
            case "range":
                // Integers straight from the scalars: through Double, 2^63-8 would round up and trap.
                switch IntegerRange.values((e.value.items ?? []).compactMap(\.scalar), limit: limit) {
                case .failure(let problem): return fail(problem.message)
                case .success(let values): return values.map { .scalar(.int($0), e.value.location) }
                }
            default: return nil
            }
        }
    }

    /// Rounds to 15 significant digits so that logspace values print as users expect
    /// (1e-3 rather than 0.0010000000000000002) and hash the same on every machine.
    static func roundTrip(_ x: Double) -> Double {
        guard x != 0, x.isFinite else { return x }
        return Double(String(format: "%.15g", x)) ?? x
    }
}

/// The seed axis: `seeds: 5` (0..4), `seeds: [0, 7, 42]`, or `seeds: {range: [10, 20]}`.
enum SeedAxis {
    static func parse(_ node: ConfigNode?, limit: Int = SweepLimits().maxRuns, problems: inout [Diagnostic]) -> [Int] {
        guard let node else { return [0] }
        if case .int(let n)? = node.scalar {
            if n < 1 { problems.append(Diagnostic(node.location, "seeds must be >= 1 (the number of seeds), got \(n)")); return [] }
            if n > limit { problems.append(Diagnostic(node.location, "seeds: \(n) is more than limits.max_runs = \(limit)")); return [] }
            return Array(0..<n)
        }
        guard let values = SweepValues.expand(node, path: "seeds", limit: limit, problems: &problems) else { return [] }
        var seeds: [Int] = []
        for v in values {
            guard case .int(let s)? = v.scalar, s >= 0 else {
                problems.append(Diagnostic(v.location, "seeds must be a count, or a list of integers >= 0; got \(v.scalar?.text ?? v.kindName)"))
                continue
            }
            if seeds.contains(s) { problems.append(Diagnostic(v.location, "seed \(s) is listed twice")) }
            seeds.append(s)
        }
        return seeds
    }
}
