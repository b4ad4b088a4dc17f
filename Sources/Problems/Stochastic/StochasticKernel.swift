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
    /// A constrained model's domain: every iterate is projected onto it (projected SGD).
    let domain: (any ConstrainedObjective)?
    let iterate: UnsafeMutableBufferPointer<Double>
    let gradient: UnsafeMutableBufferPointer<Double>
    let scratchGradient: UnsafeMutableBufferPointer<Double>
    var sampler: MinibatchSampler
    let fullBatch: Bool
    /// Per-example gradients per step: b, or n in full batch.
    let evalsPerStep: Int
    /// Full-batch rows 0..<n for a target-space optimizer (it takes rows, not a gradient).
    let allRows: [Int]
    /// f*, when a metric needs it (set before the loop).
    var fStar: Double?
    let reference: [Double]?
    let hasTestSplit: Bool

    /// The oracle's value at the last step: the minibatch objective at x_t.
    private(set) var batchLoss = Double.nan
    private(set) var gradEvals = 0
    private var pullbacks = 0

    init(objective: any Objective, method: any Method, data: Dataset, settings: RunSettings, seed: Int) {
        self.objective = objective; self.method = method
        domain = objective as? any ConstrainedObjective
        gradientOptimizer = method as? any Optimizer
        if let o = method as? any TargetSpaceOptimizer, let m = objective as? any TargetModel {
            targetOptimizer = o; targetModel = m
        } else {
            targetOptimizer = nil; targetModel = nil
        }
        let n = objective.sampleCount, d = objective.dimension
        fullBatch = settings.batchSize == nil
        let batchSize = settings.batchSize ?? n
        evalsPerStep = fullBatch ? n : batchSize
        allRows = targetOptimizer != nil && fullBatch ? Array(0..<n) : []
        sampler = MinibatchSampler(sampleCount: n, batchSize: max(1, batchSize), sampling: settings.sampling, seed: seed)
        reference = data.trueWeights.flatMap { $0.count == d ? $0 : nil }
        hasTestSplit = data.test != nil
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
        } else if fullBatch {
            batchLoss = objective.fullLossAndGradient(UnsafeBufferPointer(iterate), gradient: gradient)
        } else {
            batchLoss = objective.batchLossAndGradient(UnsafeBufferPointer(iterate), rows: sampler.next(),
                                                       gradient: gradient)
        }
        return batchLoss
    }

    @inline(__always)
    func step(_ t: Int) -> Double {
        if targetOptimizer != nil {
            gradEvals &+= evalsPerStep &* pullbacks
        } else {
            gradientOptimizer.unsafelyUnwrapped.step(iterate, gradient: gradient, t: t)
            gradEvals &+= evalsPerStep
        }
        if let domain { domain.project(iterate) }
        return 0
    }

    /// Full-batch quantities at `point`.
    func evaluate(_ p: UnsafeBufferPointer<Double>, needs: PointNeeds) -> PointValues { evaluatePoint(p, needs: needs) }
}
