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
            // The value alone: a model's value-only pass (the gradient is not computed).
            f = objective.batchLoss(x, rows: rows, scratch: scratchGradient)
        }
        stepSum += f; stepCount += 1
        return f
    }
}
