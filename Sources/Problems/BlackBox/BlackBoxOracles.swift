import ExprunBlackBox
import ExprunCore
import ProblemStochastic

/// The function values a black-box run asks for: f at a point on the step's minibatch (the
/// one a first-order method of the same sweep sees: the stochastic kind's sampler on the
/// run's seed), on an extra minibatch of the step (a distributed method's other samples,
/// drawn with replacement from their own stream), or on the whole training set (no
/// batch_size, or a data-free model). Every call is counted.
final class FunctionOracle {
    let objective: any Objective
    let batchSize: Int?
    var sampler: MinibatchSampler?
    var extraRNG: RNG
    /// Rows of the step's batch, and of the extra batch last drawn.
    var stepRows: UnsafeBufferPointer<Int> = UnsafeBufferPointer(start: nil, count: 0)
    let extraRows: UnsafeMutableBufferPointer<Int>
    var extraBatch = -1
    let scratchGradient: UnsafeMutableBufferPointer<Double>
    private(set) var evaluations = 0
    /// Sum and count of the values asked this step (the `batch_loss` of a black-box step).
    var stepSum = 0.0, stepCount = 0

    init(objective: any Objective, batchSize: Int?, sampling: Sampling, seed: Int) {
        self.objective = objective
        let full = batchSize == nil || objective.sampleCount <= 1
        self.batchSize = full ? nil : batchSize
        if let b = self.batchSize {
            sampler = MinibatchSampler(sampleCount: objective.sampleCount, batchSize: b, sampling: sampling, seed: seed)
        }
        extraRNG = RNG(seed: UInt64(bitPattern: Int64(seed)), purpose: "batches:extra")
        extraRows = .allocate(capacity: max(1, self.batchSize ?? 1)); extraRows.initialize(repeating: 0)
        scratchGradient = .allocate(capacity: max(1, objective.dimension)); scratchGradient.initialize(repeating: 0)
    }
    deinit { extraRows.deallocate(); scratchGradient.deallocate() }

    /// Draws the step's minibatch (before the method's first call of the step).
    func beginStep() {
        stepSum = 0; stepCount = 0; extraBatch = -1
        if sampler != nil { stepRows = sampler!.next() }
    }
    /// f at x on batch `batch` of this step.
    func value(_ x: UnsafeBufferPointer<Double>, batch: Int) -> Double {
        evaluations += 1
        let f: Double
        if batchSize == nil {
            f = objective.fullLoss(x)
        } else {
            var rows = stepRows
            if batch > 0 {
                if batch != extraBatch {
                    for i in 0..<extraRows.count { extraRows[i] = extraRNG.below(objective.sampleCount) }
                    extraBatch = batch
                }
                rows = UnsafeBufferPointer(extraRows)
            }
            // Objectives expose the minibatch loss with its gradient; the gradient is discarded.
            f = objective.batchLossAndGradient(x, rows: rows, gradient: scratchGradient)
        }
        stepSum += f; stepCount += 1
        return f
    }
}

/// One black-box run's step, split as the generic loop's kernels are: `oracle(t)` asks the
/// function (or gradient) values and returns the value checked for divergence, `step(t)`
/// moves x. Each kernel calls one method protocol, decided once when the run is built.
protocol BlackBoxKernel: AnyObject {
    func start(_ x: UnsafeMutableBufferPointer<Double>)
    func oracle(_ t: Int, _ x: UnsafeMutableBufferPointer<Double>) -> Double
    func step(_ t: Int, _ x: UnsafeMutableBufferPointer<Double>)
    /// Per-example gradient evaluations so far (0 for methods that see values only).
    var gradientEvaluations: Int { get }
}

/// CMA-ES, CBO, consensus hopping: ask a population, evaluate every point, tell the values.
final class PopulationKernel: BlackBoxKernel {
    let method: any PopulationMethod
    let oracle: FunctionOracle
    let points: UnsafeMutableBufferPointer<Double>
    let values: UnsafeMutableBufferPointer<Double>
    var asked = 0
    let d: Int
    init(_ method: any PopulationMethod, oracle: FunctionOracle, dimension: Int) throws {
        self.method = method; self.oracle = oracle; d = dimension
        guard method.maxPopulation.multipliedReportingOverflow(by: dimension).overflow == false,
              method.maxPopulation * dimension <= 200_000_000 else {
            throw ComponentError("the population (\(method.maxPopulation) points of dimension \(dimension)) exceeds 2e8 floats")
        }
        points = .allocate(capacity: method.maxPopulation * dimension); points.initialize(repeating: 0)
        values = .allocate(capacity: method.maxPopulation); values.initialize(repeating: 0)
    }
    deinit { points.deallocate(); values.deallocate() }
    var gradientEvaluations: Int { 0 }
    func start(_ x: UnsafeMutableBufferPointer<Double>) { method.start(UnsafeBufferPointer(x)) }
    func oracle(_ t: Int, _ x: UnsafeMutableBufferPointer<Double>) -> Double {
        oracle.beginStep()
        asked = method.ask(points, t: t)
        var best = Double.infinity
        for k in 0..<asked {
            let v = oracle.value(UnsafeBufferPointer(rebasing: points[(k * d)..<((k + 1) * d)]), batch: 0)
            values[k] = v
            if !(v >= best) { best = v }
        }
        return best
    }
    func step(_ t: Int, _ x: UnsafeMutableBufferPointer<Double>) {
        method.tell(UnsafeBufferPointer(rebasing: values[0..<asked]), x: x, t: t)
    }
}

/// SPSA, MeZO, one-byte SPSA: the method perturbs x in place and asks minibatch losses; its
/// step is one call, made in `oracle` (the value checked is the mean of the losses asked).
final class ZerothOrderKernel: BlackBoxKernel {
    let method: any ZerothOrderMethod
    let oracle: FunctionOracle
    init(_ method: any ZerothOrderMethod, oracle: FunctionOracle) { self.method = method; self.oracle = oracle }
    var gradientEvaluations: Int { 0 }
    func start(_ x: UnsafeMutableBufferPointer<Double>) {}
    func oracle(_ t: Int, _ x: UnsafeMutableBufferPointer<Double>) -> Double {
        oracle.beginStep()
        let o = oracle
        method.step(x, t: t) { p, batch in o.value(UnsafeBufferPointer(p), batch: batch) }
        return o.stepCount > 0 ? o.stepSum / Double(o.stepCount) : .nan
    }
    func step(_ t: Int, _ x: UnsafeMutableBufferPointer<Double>) {}
}

/// A first-order optimizer on a data-free model (a test function): the gradient of the
/// whole function each step, one function-and-gradient call.
final class GradientKernel: BlackBoxKernel {
    let optimizer: any Optimizer
    let objective: any Objective
    let oracle: FunctionOracle
    let g: UnsafeMutableBufferPointer<Double>
    private(set) var gradientEvaluations = 0
    init(_ optimizer: any Optimizer, objective: any Objective, oracle: FunctionOracle) {
        self.optimizer = optimizer; self.objective = objective; self.oracle = oracle
        g = .allocate(capacity: max(1, objective.dimension)); g.initialize(repeating: 0)
    }
    deinit { g.deallocate() }
    func start(_ x: UnsafeMutableBufferPointer<Double>) {}
    func oracle(_ t: Int, _ x: UnsafeMutableBufferPointer<Double>) -> Double {
        oracle.beginStep()
        gradientEvaluations += 1
        return objective.fullLossAndGradient(UnsafeBufferPointer(x), gradient: g)
    }
    func step(_ t: Int, _ x: UnsafeMutableBufferPointer<Double>) { optimizer.step(x, gradient: g, t: t) }
}
