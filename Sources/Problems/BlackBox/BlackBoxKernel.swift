import ExprunBlackBox
import ExprunCore
import ExprunLoop
import ProblemStochastic

/// The black-box extension's step and oracle for the generic loop, for the three kinds of
/// method that run on function values (or on a data-free model):
/// - a population method (CMA-ES, CBO, consensus hopping): `oracle` asks the points and
///   evaluates each (the value checked is the best), `step` tells the values;
/// - a zeroth-order method (SPSA, MeZO, one-byte SPSA) perturbs x in place and asks
///   minibatch losses; its whole step is one call, made in `oracle` (the value checked is
///   the mean of the losses asked);
/// - a first-order optimizer on a data-free model (a test function, a master input): the whole
///   function's gradient in `oracle` (the step's minibatch gradient for a model that holds its
///   own examples, an external model, when the run has a batch_size), the optimizer's step in `step` (then the projection onto
///   a constrained model's domain, as the stochastic kind does: projected gradient methods).
/// Which path a run takes is fixed when the kernel is built (one predictable switch per step).
final class BlackBoxKernel: FiniteSumKernel {
    typealias Needs = PointNeeds
    typealias Quantities = PointValues

    enum Path {
        case population(any PopulationMethod)
        case zerothOrder(any ZerothOrderMethod)
        case gradient(any Optimizer)
    }

    let objective: any Objective
    let method: any Method
    let path: Path
    /// A constrained model's domain: the first-order path projects every iterate onto it.
    let domain: (any ConstrainedObjective)?
    let oracle: FunctionOracle
    let iterate: UnsafeMutableBufferPointer<Double>
    /// The gradient of the first-order path (at x_t, between `oracle` and `step`).
    let gradient: UnsafeMutableBufferPointer<Double>
    let scratchGradient: UnsafeMutableBufferPointer<Double>
    /// A population's points (row-major, `maxPopulation` x d) and values.
    let points: UnsafeMutableBufferPointer<Double>
    let values: UnsafeMutableBufferPointer<Double>
    @exclusivity(unchecked) var asked = 0
    var fStar: Double?
    let reference: [Double]?
    let hasTestSplit: Bool
    /// Per-example gradients per step: the first-order path's full batch, 0 for the others.
    let evalsPerStep: Int
    @exclusivity(unchecked) private(set) var batchLoss = Double.nan
    @exclusivity(unchecked) private(set) var gradEvals = 0
    /// Gradient-oracle calls (the first-order path's function evaluations).
    @exclusivity(unchecked) private(set) var gradientCalls = 0

    init(objective: any Objective, method: any Method, oracle: FunctionOracle, reference: [Double]?,
         hasTestSplit: Bool) throws {
        self.objective = objective; self.method = method; self.oracle = oracle
        domain = objective as? any ConstrainedObjective
        self.hasTestSplit = hasTestSplit
        let d = objective.dimension
        self.reference = reference.flatMap { $0.count == d ? $0 : nil }
        var population = 0
        if let m = method as? any PopulationMethod {
            guard !m.maxPopulation.multipliedReportingOverflow(by: d).overflow, m.maxPopulation * d <= 200_000_000 else {
                throw ComponentError("the population (\(m.maxPopulation) points of dimension \(d)) exceeds 2e8 floats")
            }
            path = .population(m); population = m.maxPopulation
        } else if let m = method as? any ZerothOrderMethod {
            path = .zerothOrder(m)
        } else if let m = method as? any Optimizer {
            path = .gradient(m)
        } else {
            throw ComponentError("the method calls no oracle a black-box run provides")
        }
        if case .gradient = path { evalsPerStep = oracle.batchSize ?? objective.sampleCount } else { evalsPerStep = 0 }
        func vector(_ count: Int) -> UnsafeMutableBufferPointer<Double> {
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
            b.initialize(repeating: 0)
            return b
        }
        iterate = vector(d); gradient = vector(d); scratchGradient = vector(d)
        points = vector(population * d); values = vector(population)
    }

    deinit {
        iterate.deallocate(); gradient.deallocate(); scratchGradient.deallocate()
        points.deallocate(); values.deallocate()
    }

    /// Every function-value call, plus the first-order path's gradient-oracle calls.
    var functionEvals: Int { oracle.evaluations + gradientCalls }
    var stepSize: Double { method.currentLR }

    func start() {
        objective.initialPoint(iterate)
        if case .population(let m) = path { m.start(UnsafeBufferPointer(iterate)) }
        batchLoss = .nan; gradEvals = 0; gradientCalls = 0
    }

    @inline(__always)
    func oracle(_ t: Int) -> Double {
        oracle.beginStep()
        switch path {
        case .population(let m):
            asked = m.ask(points, t: t)
            let d = objective.dimension
            var best = Double.infinity
            for k in 0..<asked {
                let v = oracle.value(UnsafeBufferPointer(rebasing: points[(k * d)..<((k + 1) * d)]), batch: 0)
                values[k] = v
                if !(v >= best) { best = v }
            }
            batchLoss = best
        case .zerothOrder(let m):
            let o = oracle
            m.step(iterate, t: t) { p, batch in o.value(UnsafeBufferPointer(p), batch: batch) }
            batchLoss = o.stepCount > 0 ? o.stepSum / Double(o.stepCount) : .nan
        case .gradient:
            gradientCalls += 1
            if oracle.batchSize != nil {
                // A data-free model with examples of its own (an external model): the step's minibatch.
                batchLoss = objective.batchLossAndGradient(UnsafeBufferPointer(iterate), rows: oracle.stepRows, gradient: gradient)
            } else {
                batchLoss = objective.fullLossAndGradient(UnsafeBufferPointer(iterate), gradient: gradient)
            }
        }
        return batchLoss
    }

    @inline(__always)
    func step(_ t: Int) -> Double {
        switch path {
        case .population(let m):
            m.tell(UnsafeBufferPointer(rebasing: values[0..<asked]), x: iterate, t: t)
        case .zerothOrder:
            break
        case .gradient(let o):
            o.step(iterate, gradient: gradient, t: t)
            if let domain { domain.project(iterate) }
            gradEvals &+= evalsPerStep
        }
        return 0
    }

    func evaluate(_ p: UnsafeBufferPointer<Double>, needs: PointNeeds) -> PointValues { evaluatePoint(p, needs: needs) }
}
