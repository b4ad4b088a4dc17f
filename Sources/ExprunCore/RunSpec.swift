import Foundation

/// A named, validated component instance of a run: its name in the config and its params.
public struct ComponentInstance: Sendable, Hashable {
    public var name: String
    public var params: Params
    /// Components this one names through list references (a sequential schedule's parts),
    /// resolved transitively, by name.
    public var related: [String: Params]
    public init(name: String, params: Params, related: [String: Params] = [:]) {
        self.name = name; self.params = params; self.related = related
    }
}

/// How minibatch indices are drawn.
public enum Sampling: String, Sendable, CaseIterable {
    /// i.i.d. uniform indices, with replacement.
    case withReplacement = "with_replacement"
    /// A fresh permutation each epoch, consumed in order.
    case shuffle
    /// A fresh permutation each epoch cut into full batches; the last n mod b indices of the
    /// epoch are dropped (torch DataLoader drop_last, as the SSO reference code samples).
    case shuffleDropLast = "shuffle_drop_last"
    /// Fixed cyclic order 0, 1, ..., n-1, 0, 1, ...: replayable by any independent script.
    case cyclic
}

/// When metrics are recorded.
public enum LogPolicy: Sendable, Equatable {
    /// Steps 0, k, 2k, ... and the final step.
    case every(Int)
    /// About `count` points, evenly spaced (linear) or log-spaced, always including 0 and the end.
    case points(Int, logScale: Bool)

    /// The sorted, distinct step indices (0...steps) at which to log.
    public func logSteps(total steps: Int) -> [Int] {
        var out: [Int] = []
        switch self {
        case .every(let k):
            var s = 0
            while s < steps { out.append(s); s += max(1, k) }
            out.append(steps)
        case .points(let n, let logScale):
            let n = max(2, n)
            out.append(0)
            for i in 1..<n {
                let f = Double(i) / Double(n - 1)
                let s = logScale ? Int(pow(Double(steps), f).rounded()) : Int((f * Double(steps)).rounded())
                out.append(min(max(s, 1), steps))
            }
        }
        var seen = Set<Int>()
        return out.filter { seen.insert($0).inserted }.sorted()
    }
}


/// The iterate views a run can record: the same trajectory seen through different averages.
public enum ViewKind: String, Sendable, CaseIterable {
    /// The current iterate x_t.
    case last
    /// Uniform (Polyak-Ruppert) average of x_1..x_t.
    case avg
    /// Average of the iterates in the last `suffix_fraction` of the run's steps (equal to the
    /// last iterate until that window opens).
    case suffixAvg = "suffix_avg"
    /// Exponential moving average with decay `ema_decay`, started at x_0.
    case ema
    /// Weights t: sum t x_t / sum t (A3 of the last-iterate paper).
    case weightedAvg = "weighted_avg"
    /// Weights eta_t, the step size that produced x_t (A4).
    case stepAvg = "step_avg"
}

/// A rule that ends a run early when a metric reaches a target.
public struct StopRule: Sendable, Equatable {
    public var metric: String
    public var below: Double?
    public var above: Double?
    public init(metric: String, below: Double?, above: Double?) { self.metric = metric; self.below = below; self.above = above }
    public func reached(_ v: Double) -> Bool {
        if let b = below, v <= b { return true }
        if let a = above, v >= a { return true }
        return false
    }
}

/// The `run:` section, resolved.
public struct RunSettings: Sendable, Equatable {
    public var steps: Int
    /// nil means full batch (deterministic gradient descent).
    public var batchSize: Int?
    public var sampling: Sampling
    public var log: LogPolicy
    public var views: [ViewKind]
    public var suffixFraction: Double
    public var emaDecay: Double
    public var metrics: [String]
    /// Hard cap on a run's wall time in seconds (status `timeout`, curve so far kept).
    public var timeLimit: Double?
    public var stop: StopRule?
    /// |loss| above this counts as divergence, like a NaN or Inf.
    public var divergenceThreshold: Double
    /// The simulated-time horizon of an event-driven kind (nil on the step clock): the run
    /// ends when its clock reaches it, and `log` spreads the log points over [0, horizon].
    public var horizon: Double?
    /// How the curvature metrics are estimated (`run.curvature`).
    public var curvature: CurvatureSettings
    public init(steps: Int, batchSize: Int?, sampling: Sampling, log: LogPolicy, views: [ViewKind],
                suffixFraction: Double, emaDecay: Double, metrics: [String], timeLimit: Double?,
                stop: StopRule?, divergenceThreshold: Double, horizon: Double? = nil,
                curvature: CurvatureSettings = CurvatureSettings()) {
        self.curvature = curvature
        self.steps = steps; self.batchSize = batchSize; self.sampling = sampling; self.log = log
        self.views = views; self.suffixFraction = suffixFraction; self.emaDecay = emaDecay
        self.metrics = metrics; self.timeLimit = timeLimit; self.stop = stop
        self.divergenceThreshold = divergenceThreshold; self.horizon = horizon
    }
}

/// The component filling one role of a run.
public struct RoleInstance: Sendable {
    public var role: String
    public var family: Family
    public var instance: ComponentInstance
    public init(role: String, family: Family, instance: ComponentInstance) {
        self.role = role; self.family = family; self.instance = instance
    }
}

/// What every run of one grid cell shares: all of a run but its id, seed and upstream runs.
public struct RunCell: Sendable {
    /// Every resolved parameter by dotted path, in a stable order (stored as attributes).
    public var parameters: [(String, Value)]
    /// The values of the swept axes (the index table's columns), by dotted path.
    public var swept: [(String, Value)]
    /// The registered problem kind that runs it (`ProblemDecl.name`).
    public var problem: String
    /// The components of its roles, in the kind's role order (empty roles left out).
    public var components: [RoleInstance]
    public var run: RunSettings
    /// Folder of the config (relative data paths) and of exported bundled data sets.
    public var baseDirectory: String
    public var dataDirectory: String
}

/// One immutable RunCell on the heap, shared by every run of its cell: a sweep of 100,000
/// seeds of one cell holds one of them, not 100,000 copies of ~400 bytes. Never mutated:
/// RunSpec's setters put a changed copy in a new box (copy-on-write by hand).
final class SharedRunCell: Sendable {
    let value: RunCell
    init(_ value: RunCell) { self.value = value }
}

/// One fully resolved run of the grid: its own id, seed and upstream runs, and one reference
/// to what its grid cell shares (copying a RunSpec shares it; setting a shared field through
/// it gives this run its own changed copy; `[RunSpec].updateCells` changes it once per cell).
public struct RunSpec: Sendable {
    /// Stable id: hash of the canonical resolved parameters.
    public var runId: String
    public var seed: Int
    /// The runs this one takes input from, by the name of the selection a component's
    /// `selection` parameter names (`schedule: {kind: ..., from: first_pass}`), each list in
    /// grid order. Empty for a run without dependencies. The run id hashes these ids.
    public var upstream: [String: [String]]
    fileprivate var shared: SharedRunCell

    /// What the run shares with the other runs of its cell.
    public var cell: RunCell {
        get { shared.value }
        set { shared = SharedRunCell(newValue) }
    }
    /// Every resolved parameter by dotted path, in a stable order (stored as attributes).
    public var parameters: [(String, Value)] { get { shared.value.parameters } set { cell.parameters = newValue } }
    /// The values of the swept axes for this run (the index table's columns), by dotted path.
    public var swept: [(String, Value)] { get { shared.value.swept } set { cell.swept = newValue } }
    /// The registered problem kind that runs it (`ProblemDecl.name`).
    public var problem: String { get { shared.value.problem } set { cell.problem = newValue } }
    /// The components of its roles, in the kind's role order (empty roles left out).
    public var components: [RoleInstance] { get { shared.value.components } set { cell.components = newValue } }
    public var run: RunSettings { get { shared.value.run } set { cell.run = newValue } }
    /// Folder of the config (relative data paths) and of exported bundled data sets.
    public var baseDirectory: String { get { shared.value.baseDirectory } set { cell.baseDirectory = newValue } }
    public var dataDirectory: String { get { shared.value.dataDirectory } set { cell.dataDirectory = newValue } }

    public init(runId: String, seed: Int, parameters: [(String, Value)], swept: [(String, Value)],
                problem: String, components: [RoleInstance], run: RunSettings, baseDirectory: String,
                dataDirectory: String, upstream: [String: [String]] = [:]) {
        self.runId = runId; self.seed = seed; self.upstream = upstream
        shared = SharedRunCell(RunCell(parameters: parameters, swept: swept, problem: problem, components: components,
                                       run: run, baseDirectory: baseDirectory, dataDirectory: dataDirectory))
    }

    /// Whether two runs share one cell (not merely equal ones).
    public func sharesCell(with other: RunSpec) -> Bool { shared === other.shared }

    /// Every upstream run id, once, selections in name order (the `inputs` attribute).
    public var inputs: [String] {
        var seen = Set<String>()
        return upstream.keys.sorted().flatMap { upstream[$0]! }.filter { seen.insert($0).inserted }
    }

    /// The component of a role, nil when the role is empty in this run.
    public func component(_ role: String) -> ComponentInstance? {
        components.first { $0.role == role }?.instance
    }
    /// The component of a role the problem kind always fills (a developer error otherwise).
    public func required(_ role: String) throws -> ComponentInstance {
        guard let c = component(role) else { throw ComponentError("run \(runId): no \(role) (problem \(problem))") }
        return c
    }
}

extension Array where Element == RunSpec {
    /// Applies `change` once to each distinct shared cell, so that runs which shared a cell
    /// before still share one after (halving's `rung` attribute, one per cell, not per run).
    public mutating func updateCells(_ change: (inout RunCell) -> Void) {
        // Keyed by the old box's identity; the old box is kept alive so that no new box can
        // take its address while the loop runs.
        var replaced: [ObjectIdentifier: (old: RunSpec, new: RunSpec)] = [:]
        for i in indices {
            let key = ObjectIdentifier(self[i].shared)
            if let r = replaced[key] { self[i].shared = r.new.shared; continue }
            let old = self[i]
            change(&self[i].cell)
            replaced[key] = (old, self[i])
        }
    }
}

