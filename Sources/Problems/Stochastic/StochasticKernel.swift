import ExprunCore
import ExprunLoop

/// The stochastic kind's step and oracle for the generic loop: sample a batch, ask the
/// oracle the method calls (the minibatch gradient for an `Optimizer`; the model's target
/// space for a `TargetSpaceOptimizer`, which makes its own expensive call), step; and the
/// full-batch evaluations of the point metrics.
///
/// Which path a run takes is fixed when the kernel is built (one predictable branch per
/// step); the objective and the method are called once per step each.
final class StochasticKernel: FiniteSumKernel {
    typealias Needs = PointNeeds
    typealias Quantities = PointValues

    let objective: any Objective
    let method: any Method
    /// Set when the method takes the gradient (every optimizer but a target-space one).
    let gradientOptimizer: (any Optimizer)?
    /// Set when the method works in target space (checked once when the run is built).
    let targetOptimizer: (any TargetSpaceOptimizer)?
    let targetModel: (any TargetModel)?
    /// Set when the method works on the model's structure (layer-local training, convex
    /// solvers: `ModelBoundOptimizer`, bound to the objective by the driver).
    let boundOptimizer: (any ModelBoundOptimizer)?
    /// A constrained model's domain: every iterate is projected onto it (projected SGD).
    let domain: (any ConstrainedObjective)?
    let iterate: UnsafeMutableBufferPointer<Double>
    let gradient: UnsafeMutableBufferPointer<Double>
    let scratchGradient: UnsafeMutableBufferPointer<Double>
    @exclusivity(unchecked) var sampler: MinibatchSampler
    let fullBatch: Bool
    /// Per-example gradients per step: b, or n in full batch.
    let evalsPerStep: Int
    /// Full-batch rows 0..<n for a target-space optimizer (it takes rows, not a gradient).
    let allRows: [Int]
    /// f*, when a metric needs it (set before the loop).
    var fStar: Double?
    let trueWeights: [Double]?
    var reference: [Double]? { trueWeights }
    let hasTestSplit: Bool
    /// The curvature metrics' estimator, when the model has Hessian-vector products.
    let curvature: StochasticCurvature?
    /// The step of the log point being recorded (seeds the curvature probes).
    @exclusivity(unchecked) private(set) var logStep = 0

    /// Whether the oracle also takes the norms of each step's gradient (set once, before the
    /// loop, when `batch_grad_norm` or `batch_grad_norm_l1` is recorded: refined schedules read
    /// them from a first pass).
    var tracksGradientNorms = false
    /// ||g_t||_2 and ||g_t||_1 of the last step's (minibatch) gradient, before the method's
    /// step; NaN for a target-space or model-bound method, which takes no gradient here.
    @exclusivity(unchecked) private(set) var batchGradNorm = Double.nan
    @exclusivity(unchecked) private(set) var batchGradNormL1 = Double.nan
    /// The oracle's value at the last step: the minibatch objective at x_t.
    @exclusivity(unchecked) private(set) var batchLoss = Double.nan
    @exclusivity(unchecked) private(set) var gradEvals = 0
    @exclusivity(unchecked) private var pullbacks = 0

    init(objective: any Objective, method: any Method, data: Dataset, settings: RunSettings, seed: Int) {
        self.objective = objective; self.method = method
        domain = objective as? any ConstrainedObjective
        gradientOptimizer = method as? any Optimizer
        boundOptimizer = method as? any ModelBoundOptimizer
        if let o = method as? any TargetSpaceOptimizer, let m = objective as? any TargetModel {
            targetOptimizer = o; targetModel = m
        } else {
            targetOptimizer = nil; targetModel = nil
        }
        let n = objective.sampleCount, d = objective.dimension
        fullBatch = settings.batchSize == nil
        let batchSize = settings.batchSize ?? n
        evalsPerStep = fullBatch ? n : batchSize
        allRows = (targetOptimizer != nil || boundOptimizer != nil) && fullBatch ? Array(0..<n) : []
        sampler = MinibatchSampler(sampleCount: n, batchSize: max(1, batchSize), sampling: settings.sampling, seed: seed)
        trueWeights = data.trueWeights.flatMap { $0.count == d ? $0 : nil }
        hasTestSplit = data.test != nil
        curvature = (objective as? any HessianObjective).map {
            StochasticCurvature(model: $0, settings: settings.curvature, runBatchSize: settings.batchSize, seed: seed)
        }
        func vector() -> UnsafeMutableBufferPointer<Double> {
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: d)
            b.initialize(repeating: 0)
            return b
        }
        iterate = vector(); gradient = vector(); scratchGradient = vector()
    }

    deinit { iterate.deallocate(); gradient.deallocate(); scratchGradient.deallocate() }

    var stepSize: Double { method.currentLR }

    func start() {
        objective.initialPoint(iterate)
        batchLoss = .nan; gradEvals = 0
        batchGradNorm = .nan; batchGradNormL1 = .nan
    }

    @inline(__always)
    func oracle(_ t: Int) -> Double {
        if let targetOptimizer, let targetModel {
            // SSO takes the batch and makes its own expensive call; the loss it reports is
            // the minibatch objective at x_t, checked after the (already taken) step.
            let report: TargetStepReport
            if fullBatch {
                report = allRows.withUnsafeBufferPointer { targetOptimizer.step(iterate, rows: $0, model: targetModel, t: t) }
            } else {
                report = targetOptimizer.step(iterate, rows: sampler.next(), model: targetModel, t: t)
            }
            pullbacks = report.pullbacks
            batchLoss = report.batchLoss
        } else if let boundOptimizer {
            // The method steps itself (like SSO); its loss is checked after the step.
            if fullBatch {
                batchLoss = allRows.withUnsafeBufferPointer { boundOptimizer.step(iterate, rows: $0, t: t) }
            } else {
                batchLoss = boundOptimizer.step(iterate, rows: sampler.next(), t: t)
            }
        } else if fullBatch {
            batchLoss = objective.fullLossAndGradient(UnsafeBufferPointer(iterate), gradient: gradient)
        } else {
            batchLoss = objective.batchLossAndGradient(UnsafeBufferPointer(iterate), rows: sampler.next(),
                                                       gradient: gradient)
        }
        if tracksGradientNorms && targetOptimizer == nil && boundOptimizer == nil {
            batchGradNorm = norm(UnsafeBufferPointer(gradient))
            batchGradNormL1 = l1Norm(UnsafeBufferPointer(gradient))
        }
        return batchLoss
    }

    @inline(__always)
    func step(_ t: Int) -> Double {
        if targetOptimizer != nil {
            gradEvals &+= evalsPerStep &* pullbacks
        } else if boundOptimizer != nil {
            gradEvals &+= evalsPerStep
        } else {
            gradientOptimizer.unsafelyUnwrapped.step(iterate, gradient: gradient, t: t)
            gradEvals &+= evalsPerStep
        }
        if let domain { domain.project(iterate) }
        return 0
    }

    func beginLogPoint(step: Int) {
        logStep = step
        boundOptimizer?.prepareEvaluation(iterate)
    }

    /// Full-batch quantities at `point`: the finite-sum ones and the curvature.
    func evaluate(_ p: UnsafeBufferPointer<Double>, needs: PointNeeds) -> PointValues {
        var out = evaluatePoint(p, needs: needs)
        if !needs.isDisjoint(with: .curvature), let curvature { curvature.evaluate(p, needs: needs, step: logStep, into: &out) }
        return out
    }
}
