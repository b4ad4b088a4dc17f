import ExprunCore
import ExprunConfig

/// The `limits:` section: bounds on what a config may make exprun allocate, checked before
/// anything is allocated. Each bound has a default a researcher rarely meets and can be raised
/// in the config when a sweep is meant to be that large.
public struct SweepLimits: Sendable, Equatable {
    /// Runs in the grid (axes times seeds).
    public var maxRuns = 100_000
    /// Log points of one run (every stored series has this length).
    public var maxLogPoints = 10_000_000

    public init() {}

    public static let keys = ["max_runs", "max_log_points"]

    /// Parses `limits: {max_runs: n, max_log_points: n}`; absent keys keep their defaults.
    static func parse(_ node: ConfigNode?, problems: inout [Diagnostic]) -> SweepLimits {
        var limits = SweepLimits()
        guard let node else { return limits }
        guard let entries = node.entries else {
            problems.append(Diagnostic(node.location, "limits must be a mapping: {max_runs: n, max_log_points: n}"))
            return limits
        }
        for e in entries {
            guard keys.contains(e.key) else {
                problems.append(Diagnostic(e.keyLocation, "unknown limit '\(e.key)'", suggestion: closestMatch(e.key, in: keys)))
                continue
            }
            guard case .int(let n)? = e.value.scalar, n >= 1 else {
                problems.append(Diagnostic(e.value.location, "limits.\(e.key) must be an integer >= 1, got \(e.value.scalar?.text ?? e.value.kindName)"))
                continue
            }
            if e.key == "max_runs" { limits.maxRuns = n } else { limits.maxLogPoints = n }
        }
        return limits
    }

    /// The number of runs of a grid (product of the axis lengths and the seed count), or nil
    /// when it exceeds `maxRuns` (checked step by step, so the product never overflows).
    func gridSize(_ factors: [Int]) -> Int? {
        var total = 1
        for f in factors {
            let (p, overflow) = total.multipliedReportingOverflow(by: f)
            if overflow || p > maxRuns { return nil }
            total = p
        }
        return total
    }

    /// An upper bound on the log points of a run of `steps` steps (overflow-safe).
    static func logPoints(steps: Int, log: LogPolicy, horizon: Double? = nil) -> Int {
        if let h = horizon {
            // Simulated time: the log times themselves are allocated, one per `every` units.
            switch log {
            case .every(let k): return h / Double(max(k, 1)) < 1e15 ? Int(h / Double(max(k, 1))) + 2 : Int.max
            case .points(let n, _): return n
            }
        }
        switch log {
        case .every(let k): return steps / max(k, 1) + 2
        case .points(let n, _): return steps < Int.max ? min(n, steps + 1) : n
        }
    }
}

/// Integer ranges of the sweep (`{range: [start, stop, step]}`), counted without overflow.
enum IntegerRange {
    /// The values start, start+step, ... (stop excluded), or a message when the arguments are
    /// not integers of Int64, step is 0, or there are more than `limit` values.
    static func values(_ args: [Scalar], limit: Int) -> Result<[Int], RangeProblem> {
        var ints: [Int] = []
        for a in args {
            switch a {
            case .int(let i): ints.append(i)
            case .double(let d) where d == d.rounded() && abs(d) < 9.007199254740992e15: ints.append(Int(d))
            case .double(let d) where d == d.rounded() && d.isFinite:
                return .failure(.init("range bound \(d) is not an exact integer (write it without a decimal point or exponent)"))
            default: return .failure(.init("range takes integers [start, stop] or [start, stop, step]"))
            }
        }
        guard (2...3).contains(ints.count) else { return .failure(.init("range takes integers [start, stop] or [start, stop, step]")) }
        let start = ints[0], stop = ints[1], step = ints.count == 3 ? ints[2] : 1
        if step == 0 { return .failure(.init("range step must not be 0")) }
        // The count in exact 128-bit-free arithmetic: the distance may overflow Int, its
        // magnitude fits UInt.
        let forward = step > 0 ? stop > start : stop < start
        guard forward else { return .failure(.init("range [\(start), \(stop)) is empty (empty sweep)")) }
        let distance = step > 0 ? UInt(bitPattern: stop &- start) : UInt(bitPattern: start &- stop)
        let magnitude = step.magnitude
        let count = distance / magnitude + (distance % magnitude == 0 ? 0 : 1)
        if count > UInt(limit) {
            return .failure(.init("range [\(start), \(stop), \(step)) has \(count) values, more than limits.max_runs = \(limit)"))
        }
        var out: [Int] = []
        out.reserveCapacity(Int(count))
        var v = start
        for k in 0..<Int(count) {
            out.append(v)
            if k + 1 < Int(count) { v = v &+ step }   // stays within [start, stop): no overflow
        }
        return .success(out)
    }

    struct RangeProblem: Error { let message: String; init(_ m: String) { message = m } }
}

extension SweepLimits {
    /// A run whose stored series would exceed `maxLogPoints` (e.g. `steps: 1.0e12` with
    /// `log: {every: 1}`), located at `run.log` (or `run.steps`, or the sweep value that set it).
    func logPointProblems(_ run: RunSettings, runNode: ConfigNode?, combo: [(String, ConfigNode)]) -> [Diagnostic] {
        let points = SweepLimits.logPoints(steps: run.steps, log: run.log, horizon: run.horizon)
        guard points > maxLogPoints else { return [] }
        if let h = run.horizon {
            let at = combo.first { $0.0 == "log" || $0.0 == "horizon" }?.1.location
                ?? runNode?["log"]?.location ?? runNode?["horizon"]?.location ?? runNode?.location
            return [Diagnostic(at, "run: a horizon of \(h) time units logged \(SweepLimits.describe(run.log)) stores about \(points) points per series, "
                               + "more than limits.max_log_points = \(maxLogPoints); log fewer points (log: {points: n}) or raise the limit")]
        }
        let at = combo.first { $0.0 == "log" || $0.0 == "steps" }?.1.location
            ?? runNode?["log"]?.location ?? runNode?["steps"]?.location ?? runNode?.location
        return [Diagnostic(at, "run: \(run.steps) steps logged \(SweepLimits.describe(run.log)) store about \(points) points per series, "
                           + "more than limits.max_log_points = \(maxLogPoints); log fewer points (log: {points: n}) or raise the limit")]
    }

    static func describe(_ log: LogPolicy) -> String {
        switch log {
        case .every(let k): return "every \(k)"
        case .points(let n, _): return "at \(n) points"
        }
    }
}
