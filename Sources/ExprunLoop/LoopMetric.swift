import ExprunCore

/// A metric of a problem kind: its declaration together with its evaluator and what that
/// needs. A kind's list of these is the only list of its metric names (its `ProblemDecl`
/// takes the declarations from it); the loop resolves the requested names once at run start,
/// so log points call evaluators and never look at a name.
public struct LoopMetric<K: LoopKernel> {
    public enum Evaluator {
        /// Read from the run's state at a log point: (kernel, step) -> value. Step metrics
        /// (batch loss, lr, counts) and method counters.
        case state(@Sendable (K, Int) -> Double)
        /// Evaluated at a point, the last iterate and (when `decl.perView`) each view, from
        /// the quantities `needs` computed once per point for every metric there.
        case point(K.Needs, @Sendable (K.Quantities, K) -> Double)
        /// Seconds spent in the loop, metric evaluations at log points excluded.
        case wallTime
    }
    /// When a value at a point means divergence.
    public enum Divergence {
        case never
        /// A non-finite value (a NaN or an infinity).
        case nonFinite
        /// A non-finite value, when the run's kernel says the metric applies (a test loss
        /// without a test split is NaN, not a divergence).
        case nonFiniteIf(@Sendable (K) -> Bool)
        /// A non-finite value, or at the last iterate one above the divergence threshold.
        case nonFiniteOrAboveThreshold
    }
    public let decl: MetricDecl
    public let evaluator: Evaluator
    public let divergence: Divergence

    public init(_ decl: MetricDecl, _ evaluator: Evaluator, divergence: Divergence = .never) {
        self.decl = decl; self.evaluator = evaluator; self.divergence = divergence
    }
    /// A step metric read from the kernel at log points.
    public static func state(_ name: String, _ doc: String, _ value: @escaping @Sendable (K, Int) -> Double) -> LoopMetric {
        LoopMetric(MetricDecl(name, perView: false, doc), .state(value))
    }
    /// `wall_time`, the loop's clock: one declaration for every kind that records it.
    public static var wallTime: LoopMetric {
        LoopMetric(MetricDecl("wall_time", perView: false, "seconds of optimization since the loop started; metric evaluations at log points excluded (two clock reads per log point)"),
                   .wallTime)
    }
    /// A metric of a point, at every view.
    /// `requires`: what the model must provide (`MetricDecl.needs`), checked by the Spec.
    public static func point(_ name: String, _ doc: String, needs: K.Needs, divergence: Divergence = .never,
                             requires: Set<Capability> = [],
                             _ value: @escaping @Sendable (K.Quantities, K) -> Double) -> LoopMetric {
        LoopMetric(MetricDecl(name, perView: true, doc, needs: requires), .point(needs, value), divergence: divergence)
    }
}

/// The metrics of one run, resolved from the requested names: the columns the loop fills.
public struct MetricPlan<K: LoopKernel> {
    /// One recorded series: a metric at the last iterate or at a view.
    public struct Column {
        public var name: String
        public var view: ViewKind
        public var evaluator: LoopMetric<K>.Evaluator
        /// When a value here means divergence (the threshold is checked at the last iterate only).
        public var divergence: LoopMetric<K>.Divergence
    }
    /// The last iterate's series in the requested order (step metrics included), then each
    /// other view's.
    public var columns: [Column] = []
    /// Per point evaluated at log points: its view, the union of its columns' needs (and the
    /// stop metric's at the last iterate) and the indices of its columns.
    public var points: [(view: ViewKind, needs: K.Needs, columns: [Int])] = []
    /// Indices of the state and wall-time columns (read once per log point).
    public var stateColumns: [Int] = []
    /// The stop rule's metric, evaluated at the last iterate even when not recorded there.
    public var stop: (rule: StopRule, metric: LoopMetric<K>)?
    /// The views requested (deduplicated; `.last` alone when none).
    public var views: [ViewKind]
    public var recordsWallTime = false

    /// Resolves `names` (a metric may be requested once; repeats are dropped) against the
    /// kind's `metrics`, then `extra` (a method's counters), and `stop`. Throws a
    /// `ComponentError` naming an unknown metric.
    public init(names: [String], stop: StopRule?, views requested: [ViewKind], kind: String,
                metrics: [LoopMetric<K>], extra: (String) -> LoopMetric<K>? = { _ in nil }) throws {
        func resolve(_ name: String, _ role: String) throws -> LoopMetric<K> {
            if let m = metrics.first(where: { $0.decl.name == name }) ?? extra(name) { return m }
            throw Self.unknown(name, role, kind: kind, metrics)
        }
        var resolved: [LoopMetric<K>] = []
        for name in names where !resolved.contains(where: { $0.decl.name == name }) {
            resolved.append(try resolve(name, "metric "))
        }
        if let rule = stop { self.stop = (rule, try resolve(rule.metric, "stop rule: metric ")) }
        var views: [ViewKind] = []
        for v in requested where !views.contains(v) { views.append(v) }
        if views.isEmpty { views = [.last] }
        self.views = views

        var lastPoint: [Int] = []
        var lastNeeds: K.Needs = []
        if let stop = self.stop, case .point(let needs, _) = stop.metric.evaluator { lastNeeds.formUnion(needs) }
        for m in resolved {
            switch m.evaluator {
            case .state, .wallTime:
                stateColumns.append(columns.count)
                if case .wallTime = m.evaluator { recordsWallTime = true }
                columns.append(Column(name: m.decl.name, view: .last, evaluator: m.evaluator, divergence: .never))
            case .point(let needs, _):
                guard views.contains(.last) else { continue }
                lastPoint.append(columns.count)
                lastNeeds.formUnion(needs)
                columns.append(Column(name: m.decl.name, view: .last, evaluator: m.evaluator, divergence: m.divergence))
            }
        }
        if !lastPoint.isEmpty || !lastNeeds.isEmpty { points.append((.last, lastNeeds, lastPoint)) }
        for v in views where v != .last {
            var indices: [Int] = []
            var needs: K.Needs = []
            for m in resolved where m.decl.perView {
                guard case .point(let n, _) = m.evaluator else { continue }
                indices.append(columns.count)
                needs.formUnion(n)
                columns.append(Column(name: m.decl.name, view: v, evaluator: m.evaluator, divergence: m.divergence))
            }
            if !indices.isEmpty { points.append((v, needs, indices)) }
        }
    }
}

public extension MetricPlan {
    /// Throws for a requested metric (or stop metric) that is neither one of `metrics` nor
    /// an `extra` name: the check a kind makes before building anything.
    static func checkNames(_ names: [String], stop: StopRule?, kind: String, metrics: [LoopMetric<K>],
                           extra: (String) -> Bool) throws {
        for name in names where !extra(name) && !metrics.contains(where: { $0.decl.name == name }) {
            throw unknown(name, "metric ", kind: kind, metrics)
        }
        if let m = stop?.metric, !extra(m), !metrics.contains(where: { $0.decl.name == m }) {
            throw unknown(m, "stop rule: metric ", kind: kind, metrics)
        }
    }
    internal static func unknown(_ name: String, _ role: String, kind: String, _ metrics: [LoopMetric<K>]) -> ComponentError {
        ComponentError("\(role)\(name) is not recorded by \(kind) runs "
                       + "(known: \(metrics.map(\.decl.name).joined(separator: ", ")))")
    }
}

extension LoopMetric: Sendable where K.Needs: Sendable {}
extension LoopMetric.Evaluator: Sendable where K.Needs: Sendable {}
extension LoopMetric.Divergence: Sendable {}

public extension LoopMetric.Divergence {
    /// (checks non-finite values, checks the threshold) for one run, at a view or the last iterate.
    func resolved(for kernel: K, atLast: Bool) -> (finite: Bool, threshold: Bool) {
        switch self {
        case .never: return (false, false)
        case .nonFinite: return (true, false)
        case .nonFiniteIf(let applies): return (applies(kernel), false)
        case .nonFiniteOrAboveThreshold: return (true, atLast)
        }
    }
}
