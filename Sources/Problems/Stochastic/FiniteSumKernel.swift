import ExprunCore
import ExprunLoop

/// What the finite-sum metrics read from a kernel. The stochastic kind's kernel and the
/// black-box kernel (function-value oracles on the same models) both provide it, so the
/// metrics they share (`finiteSumMetricDefinitions`), the full-batch evaluation of a point
/// and the method counters are written once, here.
public protocol FiniteSumKernel: LoopKernel where Needs == PointNeeds, Quantities == PointValues {
    var objective: any Objective { get }
    var method: any Method { get }
    /// f*, when a metric needs it (set before the loop).
    var fStar: Double? { get }
    /// The point `dist_to_opt` measures to: a synthetic data set's generating weights, or a
    /// test function's known minimiser (nil without one).
    var reference: [Double]? { get }
    var hasTestSplit: Bool { get }
    /// The oracle's value at the last step (the minibatch loss at x_t, or a population's best).
    var batchLoss: Double { get }
    /// Cumulative per-example gradient evaluations.
    var gradEvals: Int { get }
    /// Per-example target-space (or plain) gradients per step (0 for a method that sees values only).
    var evalsPerStep: Int { get }
    /// Dimension floats for full-batch gradients at log points.
    var scratchGradient: UnsafeMutableBufferPointer<Double> { get }
}

public extension FiniteSumKernel {
    /// Full-batch quantities at `p`: what the point metrics of `needs` read.
    func evaluatePoint(_ p: UnsafeBufferPointer<Double>, needs: PointNeeds) -> PointValues {
        var out = PointValues()
        if needs.contains(.gradient) {
            out.loss = objective.fullLossAndGradient(p, gradient: scratchGradient)
            out.gradNorm = norm(UnsafeBufferPointer(scratchGradient))
        } else if needs.contains(.loss) {
            out.loss = objective.fullLoss(p)
        }
        if needs.contains(.test), let test = objective.testMetrics(p) {
            out.testLoss = test.loss
            out.testAccuracy = test.accuracy ?? .nan
        }
        if needs.contains(.trainAccuracy) { out.trainAccuracy = objective.trainAccuracy(p) ?? .nan }
        if needs.contains(.paramNorm) { out.paramNorm = norm(p) }
        if needs.contains(.distance) || needs.contains(.maxDistance), let w = reference {
            var acc = 0.0, largest = 0.0
            for i in 0..<p.count {
                let e = p[i] - w[i]
                acc += e * e
                largest = max(largest, abs(e))
            }
            out.distance = acc.squareRoot()
            out.maxDistance = largest
        }
        return out
    }
}

/// Full-batch quantities a point metric needs.
public struct PointNeeds: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let loss = PointNeeds(rawValue: 1)
    public static let gradient = PointNeeds(rawValue: 2)
    public static let test = PointNeeds(rawValue: 4)
    public static let trainAccuracy = PointNeeds(rawValue: 8)
    /// ||x - reference||.
    public static let distance = PointNeeds(rawValue: 16)
    /// f*, computed (or certified) once per data set and model before the run.
    public static let optimalValue = PointNeeds(rawValue: 32)
    public static let paramNorm = PointNeeds(rawValue: 64)
    /// Curvature of the full-batch Hessian (StochasticCurvature.swift).
    public static let sharpness = PointNeeds(rawValue: 128)
    public static let hutchinson = PointNeeds(rawValue: 256)
    /// Curvature of a minibatch's Hessian.
    public static let batchSharpness = PointNeeds(rawValue: 512)
    public static let batchHutchinson = PointNeeds(rawValue: 1024)
    /// The spectral density (recorded by the kernel's curvature estimator, one row per log point).
    public static let density = PointNeeds(rawValue: 2048)
    public static let curvature: PointNeeds = [.sharpness, .hutchinson, .batchSharpness, .batchHutchinson, .density]
    /// ||x - reference||_∞.
    public static let maxDistance = PointNeeds(rawValue: 4096)
}

/// Full-batch quantities at one point; NaN where not computed or not applicable.
public struct PointValues {
    public var loss = Double.nan
    public var gradNorm = Double.nan
    public var testLoss = Double.nan
    public var testAccuracy = Double.nan
    public var trainAccuracy = Double.nan
    public var distance = Double.nan
    public var maxDistance = Double.nan
    public var paramNorm = Double.nan
    public var sharpness = Double.nan
    public var hessianTrace = Double.nan
    public var hessianFrobenius = Double.nan
    public var batchSharpness = Double.nan
    public var batchHessianTrace = Double.nan
    public init() {}
}

/// Whether any of `names` (metrics and the stop metric) is a point metric of `metrics` that
/// needs `flag` (f*: `.optimalValue`): decided from the declarations, not from names.
public func metricsNeed<K: FiniteSumKernel>(_ flag: PointNeeds, _ names: [String], in metrics: [LoopMetric<K>]) -> Bool {
    names.contains { name in
        guard let m = metrics.first(where: { $0.decl.name == name }), case .point(let needs, _) = m.evaluator
        else { return false }
        return needs.contains(flag)
    }
}

/// The metric plan of a finite-sum run: `metrics` of the kind, then the counters of the run's
/// method (`counters`) and the diagnostics of its model (`PointDiagnostics`), then a counter
/// some other component keeps, or a metric of another kind's (`unrecorded`): NaN here.
public func finiteSumPlan<K: FiniteSumKernel>(_ settings: RunSettings, kind: String, metrics: [LoopMetric<K>],
                                              counters: [CounterDecl], objective: any Objective,
                                              factory: ComponentFactory, unrecorded: Set<String> = []) throws -> MetricPlan<K> {
    let diagnostics = (objective as? any PointDiagnostics).map { type(of: $0).diagnostics } ?? []
    return try MetricPlan<K>(names: settings.metrics, stop: settings.stop, views: settings.views, kind: kind,
                             metrics: metrics, extra: { name in
        if let index = diagnostics.firstIndex(where: { $0.name == name }) {
            return .state(name, diagnostics[index].metric.doc) { k, _ in
                (k.objective as? any PointDiagnostics)?.diagnostic(index, at: UnsafeBufferPointer(k.iterate)) ?? .nan
            }
        }
        if unrecorded.contains(name) { return .state(name, "") { _, _ in .nan } }
        guard factory.counterNames.contains(name) || counters.contains(where: { $0.name == name }) else { return nil }
        return methodCounter(name, counters)
    })
}

/// A model's description attributes (`PointDiagnostics.modelInfo`), as `model_info.<name>`.
public func modelInfoAttributes(_ objective: any Objective) -> [(String, Value)] {
    ((objective as? any PointDiagnostics)?.modelInfo ?? []).map { ("model_info.\($0.0)", $0.1) }
}

/// The metric reading counter `name` of the run's method at log points (NaN when the method
/// does not keep it).
public func methodCounter<K: FiniteSumKernel>(_ name: String, _ counters: [CounterDecl]) -> LoopMetric<K> {
    let doc = counters.first { $0.name == name }?.metric.doc ?? ""
    guard let index = counters.firstIndex(where: { $0.name == name }) else {
        return .state(name, doc) { _, _ in .nan }
    }
    return .state(name, doc) { k, _ in k.method.counter(index) }
}

/// The run attributes of a method's counters marked `finalAttribute` (finite final values).
public func finalCounterAttributes(_ method: any Method) -> [(String, Value)] {
    type(of: method).counters.enumerated().compactMap { i, c in
        guard c.finalAttribute else { return nil }
        let v = method.counter(i)
        return v.isFinite ? (c.name, .int(Int(v))) : nil
    }
}

/// Sum of term(v_i) with four independent accumulators (the order of the additions fixed, so
/// results are the same on every run).
@inline(__always)
func accumulate(_ v: UnsafeBufferPointer<Double>, _ term: (Double) -> Double) -> Double {
    var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    let n = v.count
    var i = 0
    while i + 4 <= n {
        a0 += term(v[i]); a1 += term(v[i + 1]); a2 += term(v[i + 2]); a3 += term(v[i + 3])
        i += 4
    }
    while i < n { a0 += term(v[i]); i += 1 }
    return (a0 + a1) + (a2 + a3)
}

/// Euclidean norm.
@inline(__always)
func norm(_ v: UnsafeBufferPointer<Double>) -> Double { accumulate(v) { $0 * $0 }.squareRoot() }

/// Sum of absolute values.
@inline(__always)
func l1Norm(_ v: UnsafeBufferPointer<Double>) -> Double { accumulate(v) { abs($0) } }
