// The two components `exprun init` writes into a new package (Scaffold.files): they are
// what a researcher copies from, so they show the whole pattern (declaration, factory, hand-
// written gradient, counters, no allocation per step). tests/python/test_kit_scaffold.py
// builds them and checks both against numpy re-implementations.
enum ScaffoldComponents {
    static let optimizer = #"""
import ExprunKit

/// Normalized SGD with momentum (Cutkosky & Mehta, "Momentum improves normalized SGD", ICML 2020):
///   m_t = beta m_{t-1} + (1 - beta) g_t,   x_{t+1} = x_t - lr_t m_t / ||m_t||,   m_0 = 0,
/// so every step has length lr_t whatever the gradient's scale (no step while m_t = 0).
public final class NormalizedMomentum: Optimizer {
    /// The declaration. `lr` and `schedule` are the names exprun's own optimizers use: the
    /// run builds the schedule with `lr` as its base, and `sweep: {optimizer.lr: ...}` and
    /// `--best-over optimizer.lr` work as for them. `counters` are metrics the method keeps
    /// (`run.metrics: [momentum_norm]` records this one).
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "normalized_momentum",
                      doc: "normalized SGD with momentum (Cutkosky & Mehta 2020): m = beta m + (1 - beta) g, x -= lr m / ||m||",
                      params: [
                          .double("lr", 0.1, .nonNegative, "step length (the base of the schedule)"),
                          .reference("schedule", .schedule, required: false, "name of a schedule for the lr (constant when absent)"),
                          .double("beta", 0.9, .unitOpen, "momentum factor"),
                      ],
                      counters: counters),
        needs: [.gradient]
    ) { params, context in NormalizedMomentum(params: params, context: context) }

    public static let counters = [CounterDecl("momentum_norm", "||m_t|| of normalized_momentum after its last step")]

    let schedule: any Schedule
    let beta: Double
    /// The momentum buffer, allocated once (the step allocates nothing).
    let m: UnsafeMutableBufferPointer<Double>
    var momentumNorm = Double.nan
    public private(set) var currentLR = 0.0
    public var stateSize: Int { m.count }

    init(params: Params, context: OptimizerContext) {
        schedule = context.schedule
        beta = params.double("beta")
        m = .allocate(capacity: context.dimension)
        m.initialize(repeating: 0)
    }
    deinit { m.deallocate() }

    public func step(_ x: UnsafeMutableBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>, t: Int) {
        let lr = schedule.lr(at: t)
        currentLR = lr
        var norm2 = 0.0
        for i in 0..<m.count {
            m[i] = beta * m[i] + (1 - beta) * g[i]
            norm2 += m[i] * m[i]
        }
        momentumNorm = norm2.squareRoot()
        guard norm2 > 0 else { return }
        let s = lr / momentumNorm
        for i in 0..<m.count { x[i] -= s * m[i] }
    }

    public func counter(_ index: Int) -> Double { momentumNorm }
}
"""#

    static let model = #"""
import ExprunKit

/// Linear regression with the pseudo-Huber loss (Charbonnier), robust to outliers in y:
///   f(x) = (1/n) sum_i delta^2 (sqrt(1 + (r_i / delta)^2) - 1) + (l2 / 2) ||x||^2,   r_i = a_i . x - y_i,
/// quadratic (r^2 / 2) for |r| << delta and linear (delta |r|) for |r| >> delta. Its gradient is
/// written by hand (exprun's models never use automatic differentiation):
///   grad f(x) = (1/n) sum_i psi(r_i) a_i + l2 x,   psi(r) = r / sqrt(1 + (r / delta)^2),
/// and checked against finite differences in Tests/.
public final class PseudoHuberRegression: Objective {
    /// The declaration: kind, doc and parameters drive parsing, validation, `list` and the schema;
    /// `provides` tells the Spec which oracles the model offers (optimizers need `.gradient`).
    public static let entry = ModelEntry(
        ComponentDecl(.model, "pseudo_huber",
                      doc: "linear regression with the pseudo-Huber loss delta^2 (sqrt(1 + (r/delta)^2) - 1), hand-written gradient",
                      params: [
                          .reference("dataset", .dataset, "name of the data set (regression targets)"),
                          .double("delta", 1.0, .positive, "transition between the quadratic and the linear regime"),
                          .double("l2", 0.0, .nonNegative, "ridge penalty (l2 / 2) ||x||^2"),
                      ]),
        provides: [.gradient]
    ) { params, dataset in try PseudoHuberRegression(params: params, dataset: dataset) }

    let train: DataSplit
    let test: DataSplit?
    let delta: Double
    let l2: Double
    public let cacheKey: String

    public init(params: Params, dataset: Dataset) throws {
        // A failure here is the run's message (status failed), not a crash.
        guard dataset.task == .regression else {
            throw ComponentError("pseudo_huber: the data set's targets are class labels; it fits real-valued targets")
        }
        train = dataset.train; test = dataset.test
        delta = params.double("delta"); l2 = params.double("l2")
        cacheKey = "pseudo_huber delta=\(delta) l2=\(l2)"
    }

    public var dimension: Int { train.dimension }
    public var layout: [ParamBlock] { [ParamBlock(name: "w", offset: 0, rows: dimension, cols: 1)] }
    public var sampleCount: Int { train.count }
    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { x.update(repeating: 0) }

    // The loss of a residual and its derivative psi.
    @inline(__always) func loss(_ r: Double) -> Double {
        let u = r / delta
        return delta * delta * ((1 + u * u).squareRoot() - 1)
    }
    @inline(__always) func psi(_ r: Double) -> Double { r / (1 + (r / delta) * (r / delta)).squareRoot() }

    /// Mean loss over `rows` plus the penalty; its gradient into `gradient`. Called once per
    /// step: it allocates nothing.
    public func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                     gradient g: UnsafeMutableBufferPointer<Double>) -> Double {
        let d = dimension
        for j in 0..<d { g[j] = l2 * x[j] }
        var sum = 0.0
        let scale = 1 / Double(rows.count)
        for i in rows {
            let r = Rows.dot(train.features, i, x) - train.targets[i]
            sum += loss(r)
            Rows.addScaled(train.features, i, scale * psi(r), g)
        }
        return sum * scale + penalty(x)
    }

    public func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>) -> Double {
        let d = dimension
        for j in 0..<d { g[j] = l2 * x[j] }
        let n = train.count
        var sum = 0.0
        for i in 0..<n {
            let r = Rows.dot(train.features, i, x) - train.targets[i]
            sum += loss(r)
            Rows.addScaled(train.features, i, psi(r) / Double(n), g)
        }
        return sum / Double(n) + penalty(x)
    }

    public func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double {
        meanLoss(train, x) + penalty(x)
    }

    /// Mean loss on the test split (no penalty); no accuracy for regression.
    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? {
        test.map { (meanLoss($0, x), nil) }
    }

    /// No closed form: f* is unknown, so `suboptimality` is not recorded for this model.
    public func computeOptimalValue() -> Double? { nil }

    func penalty(_ x: UnsafeBufferPointer<Double>) -> Double {
        var s = 0.0
        for v in x { s += v * v }
        return 0.5 * l2 * s
    }

    func meanLoss(_ split: DataSplit, _ x: UnsafeBufferPointer<Double>) -> Double {
        var sum = 0.0
        for i in 0..<split.count { sum += loss(Rows.dot(split.features, i, x) - split.targets[i]) }
        return sum / Double(split.count)
    }
}

/// Row i of a feature matrix (dense row-major or sparse CSR) against a vector.
enum Rows {
    @inline(__always) static func dot(_ a: FeatureMatrix, _ i: Int, _ x: UnsafeBufferPointer<Double>) -> Double {
        var s = 0.0
        switch a {
        case .dense(let m):
            let base = i * m.cols
            for j in 0..<m.cols { s += m.values[base + j] * x[j] }
        case .sparse(let m):
            for k in m.rowStart[i]..<m.rowStart[i + 1] { s += m.values[k] * x[Int(m.columns[k])] }
        }
        return s
    }

    /// g += c * a_i.
    @inline(__always) static func addScaled(_ a: FeatureMatrix, _ i: Int, _ c: Double, _ g: UnsafeMutableBufferPointer<Double>) {
        switch a {
        case .dense(let m):
            let base = i * m.cols
            for j in 0..<m.cols { g[j] += c * m.values[base + j] }
        case .sparse(let m):
            for k in m.rowStart[i]..<m.rowStart[i + 1] { g[Int(m.columns[k])] += c * m.values[k] }
        }
    }
}
"""#
}
