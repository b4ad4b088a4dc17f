/// Target space: the view of a model as a map from parameters x to per-example outputs
/// ("targets") f_i(x) in R^k, with a loss l_i(f_i) convex and beta-smooth in the target
/// (Lavington, Vaswani, Babanezhad, Schmidt, Le Roux, "Target-based Surrogates for Stochastic
/// Optimization", ICML 2023). For a linear model the targets are the predictions (least
/// squares, k = 1) or the logits (logistic, k = 1; softmax, k = K).
///
/// The objective is f(x) = (1/n) sum_i l_i(f_i(x)) + (ridge/2)||x||^2: the regulariser lives
/// outside target space (it is cheap and known), so surrogate methods keep it exact.
///
/// Every conformer here has targets LINEAR in the parameters, f_i(x) = J_i x with a constant
/// Jacobian J_i (k x dimension). Surrogate methods rely on it: f_i(x - s d) = f_i(x) - s J_i d.
///
/// Buffers of per-example target quantities are row-major b x k, row r belonging to `rows[r]`.
public protocol TargetModel: Objective {
    /// k: the number of targets per example.
    var targetDimension: Int { get }
    /// beta: the smoothness of every l_i in the target (1 for 0.5 (f - y)^2, 1/4 for the
    /// logistic loss on the logit, 1/2 for softmax cross-entropy on the logits).
    var targetSmoothness: Double { get }
    /// The ridge coefficient of the regulariser (ridge/2)||x||^2 (0 when none).
    var ridge: Double { get }
    /// f[r*k ..< (r+1)*k] = f_{rows[r]}(x).
    func targets(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                 into f: UnsafeMutableBufferPointer<Double>)
    /// The expensive call: given the targets f of `rows` (b x k), writes the per-example
    /// target gradients g_r = grad l_{rows[r]}(f_r) (b x k, NOT divided by b) and returns the
    /// mean loss (1/b) sum_r l_{rows[r]}(f_r) (no regulariser).
    func targetLossGradient(_ f: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                            into g: UnsafeMutableBufferPointer<Double>) -> Double
    /// Vector-Jacobian product averaged over the batch: grad = (1/b) sum_r J_{rows[r]}^T v_r
    /// (overwrites `grad`, length `dimension`; no regulariser).
    func pullback(_ v: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                  into grad: UnsafeMutableBufferPointer<Double>)
    /// Jacobian-vector product: out_r = J_{rows[r]} u (b x k).
    func pushforward(_ u: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                     into out: UnsafeMutableBufferPointer<Double>)
}

/// What one step of a target-space optimizer did (the driver records it).
public struct TargetStepReport: Sendable, Equatable {
    /// The minibatch objective at x_t (mean loss over the batch plus the regulariser):
    /// the value a gradient optimizer's `batchLossAndGradient` would have returned.
    public var batchLoss: Double
    /// Cheap inner steps taken in this outer step.
    public var innerSteps: Int
    /// Parameter-space vector-Jacobian products (pullbacks) taken, each over the whole batch.
    public var pullbacks: Int
    /// The surrogate at x_t and at x_{t+1} (in units of the batch objective; see the optimizer).
    public var surrogateBefore: Double
    public var surrogateAfter: Double
    /// Cumulative count of violated monotone decreases (full-batch majorization-minimization).
    public var mmViolations: Int
    public init(batchLoss: Double, innerSteps: Int, pullbacks: Int, surrogateBefore: Double,
                surrogateAfter: Double, mmViolations: Int) {
        self.batchLoss = batchLoss; self.innerSteps = innerSteps; self.pullbacks = pullbacks
        self.surrogateBefore = surrogateBefore; self.surrogateAfter = surrogateAfter
        self.mmViolations = mmViolations
    }
}

/// An optimizer that needs the model's target space rather than a gradient (its entry
/// declares `needs: [.targetSpace]`): the driver hands it the objective and the batch, and it
/// makes its own expensive call. It has no gradient step. The driver decides once, when the
/// run is built, which path a run takes.
public protocol TargetSpaceOptimizer: Method {
    /// One outer step from x_t (updated in place to x_{t+1}) on the batch `rows`.
    func step(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
              model: any TargetModel, t: Int) -> TargetStepReport
}
