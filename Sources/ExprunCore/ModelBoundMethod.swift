/// An optimizer that works on the structure of the model rather than on its gradient: layer-local
/// training of an MLP (tpSGD, DRTP: `LayerwiseTargetModel`), or a solver of the convex program
/// of a two-layer ReLU network (ADMM, FISTA: `ConvexReLUProgramModel`). Its entry declares the
/// capability it needs (`.layerwiseTargets`, `.convexReLUProgram`) and the Spec checks the
/// model provides it; the driver then binds the method to the built model once, before the
/// first step (the method checks the model's type and allocates its buffers there), and each
/// step hands it the batch. It has no gradient step.
public protocol ModelBoundOptimizer: Method {
    /// Binds the method to the run's model (called once, before the loop), for steps of
    /// `batchSize` rows; throws when the model does not offer what the method needs.
    func bind(to model: any Objective, batchSize: Int) throws
    /// One step from x_t (updated in place to x_{t+1}) on the batch `rows` (all rows in full
    /// batch). Returns the minibatch objective the method saw at this step (the value the
    /// loop checks for divergence).
    func step(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>, t: Int) -> Double
    /// Called at each log point before the iterate and the counters are read. A method whose
    /// iterate is an expensive post-processing of its own state (the ReLU network a cone
    /// decomposition makes of a gated solution) writes x here instead of at every step; the
    /// time it takes is not part of `wall_time` (metric evaluation is excluded). Default: nothing.
    func prepareEvaluation(_ x: UnsafeMutableBufferPointer<Double>)
}

public extension ModelBoundOptimizer {
    func prepareEvaluation(_ x: UnsafeMutableBufferPointer<Double>) {}
}

/// The signal a hidden layer of a layer-locally trained network is trained on (specs-b
/// section 5). With h = sigma(z) the layer's output, t = P y* the fixed random projection
/// of the one-hot label and e the gradient of the local loss with respect to h:
/// `mse` e = h - t (J = 1/2 ||h - t||^2), `l1` e = sign(h - t) (J = ||h - t||_1), `drtp`
/// e = P y* (DRTP: the mse rule with the h term dropped), `frozen`: the layer is not trained.
public enum LocalSignal: String, Sendable, CaseIterable {
    case mse, l1, drtp, frozen
}

/// A network whose layers can be trained each on its own local loss, forward only: no
/// activation is kept beyond the layer being trained (tpSGD, DRTP, specs-b section 5).
public protocol LayerwiseTargetModel: Objective {
    /// Widths [d, h_1, ..., h_L, K] of the layers, input first.
    var layerWidths: [Int] { get }
    /// C: the length of the label vector y* the targets project (classes, or 1 for a regression target).
    var labelWidth: Int { get }
    /// Rows a local step takes at most (its buffers are sized for them).
    var localBatchLimit: Int { get }
    /// Floats of the buffers one local step on `batch` rows holds (inputs, the current
    /// layer's activations and deltas, labels, one layer's gradient).
    func localStepFloats(batch: Int) -> Int
    /// Floats of the buffers one backpropagation step on `batch` rows holds (every layer's
    /// activations, the deltas, the whole gradient), as the model's gradient oracle allocates them.
    func backpropStepFloats(batch: Int) -> Int
    /// Allocates the local step's buffers (once, before the first step).
    func prepareLocalSteps() throws
    /// One forward-only pass over `rows` that trains every layer on its local loss: hidden
    /// layer i (1-based) on `signals[i - 1]` against the targets `projections[i - 1]` (h_i x C,
    /// row-major) times y*, the output layer on the model's own loss. With `lr > 0` each
    /// layer is updated right after its delta (and, with `recompute`, its output is computed
    /// again with the updated weights before the next layer reads it); with a
    /// `pseudoGradient`, each layer's local gradient is written into its blocks. `localLosses`
    /// receives the mean local loss of each hidden layer (NaN for drtp and frozen layers).
    /// Returns the output layer's minibatch objective (mean loss plus the l2 term at x_t).
    func localStep(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                   projections: [UnsafePointer<Double>], signals: [LocalSignal], lr: Double, recompute: Bool,
                   pseudoGradient: UnsafeMutableBufferPointer<Double>?, localLosses: UnsafeMutablePointer<Double>) -> Double
}
