/// A named block of the parameter vector: a matrix (rows x cols) or a vector (cols == 1).
/// Matrix-aware optimizers (SWAN, FRUGAL, low-rank projections) read shapes from here.
public struct ParamBlock: Sendable, Equatable {
    public var name: String
    public var offset: Int
    public var rows: Int
    public var cols: Int
    public init(name: String, offset: Int, rows: Int, cols: Int) {
        self.name = name; self.offset = offset; self.rows = rows; self.cols = cols
    }
    public var count: Int { rows * cols }
    public var isMatrix: Bool { rows > 1 && cols > 1 }
}

/// A stochastic finite-sum objective f(x) = (1/n) sum_i loss_i(x) + regulariser(x),
/// with a minibatch gradient oracle and full-batch evaluations for metrics.
///
/// An objective is built per run (it may own scratch buffers, so the hot loop allocates
/// nothing); the data it reads is shared and immutable. All buffers are owned by the caller.
public protocol Objective: AnyObject {
    var dimension: Int { get }
    /// The parameter layout (a single vector block for linear models).
    var layout: [ParamBlock] { get }
    /// Number of training examples n.
    var sampleCount: Int { get }
    /// Writes the starting point (zeros unless the model says otherwise).
    func initialPoint(_ x: UnsafeMutableBufferPointer<Double>)
    /// Mean loss over `rows` plus the regulariser at x; writes its (sub)gradient into `gradient`.
    func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                              gradient: UnsafeMutableBufferPointer<Double>) -> Double
    /// The value of `batchLossAndGradient` without its gradient (function-value oracles:
    /// MeZO, SPSA, CMA-ES on minibatches, which must not pay for a gradient). A model with a
    /// cheaper value-only pass implements it; the default runs the gradient pass into
    /// `scratch` (dimension floats, caller-owned, so nothing is allocated per call).
    func batchLoss(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                   scratch: UnsafeMutableBufferPointer<Double>) -> Double
    /// Full training objective and its (sub)gradient.
    func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double
    /// Full training objective only (cheaper: no gradient).
    func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double
    /// Test loss and accuracy (accuracy nil for regression); nil when there is no test split.
    func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)?
    /// Training accuracy for classification models, nil otherwise.
    func trainAccuracy(_ x: UnsafeBufferPointer<Double>) -> Double?
    /// A stable key for caching f* across runs that share data and model parameters.
    var cacheKey: String { get }
    /// The minimum f* of the full training objective: closed form, or computed to 1e-10
    /// (duality gap or gradient norm certificate). nil when it cannot be certified.
    func computeOptimalValue() -> Double?
}

/// A model whose domain X is a closed convex set smaller than R^d (a ball): the run projects
/// every iterate onto X after the optimizer's step, x_{t+1} = Pi_X(x_t - eta_t g_t), which is
/// projected SGD (the Euclidean form of specs-a section 3). `initialPoint` lies in X.
public protocol ConstrainedObjective: Objective {
    /// Replaces x by its Euclidean projection onto the domain (allocates nothing).
    func project(_ x: UnsafeMutableBufferPointer<Double>)
}

public extension Objective {
    func batchLoss(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                   scratch: UnsafeMutableBufferPointer<Double>) -> Double {
        batchLossAndGradient(x, rows: rows, gradient: scratch)
    }
    func trainAccuracy(_ x: UnsafeBufferPointer<Double>) -> Double? { nil }
}

/// A learning-rate schedule: a plain function of the 0-based step index t, as torch's
/// schedulers are (lr during optimizer step t).
public protocol Schedule: Sendable {
    func lr(at t: Int) -> Double
}

/// Context a schedule is built in.
public struct ScheduleContext: Sendable {
    public var baseLR: Double
    public var totalSteps: Int
    /// Parameters of the schedules this one names (a sequential schedule's parts), by name.
    public var named: [String: Params]
    /// Records of the upstream runs, by selection name, for a schedule with a `selection`
    /// parameter (the runner fills it through `ComponentFactory.feeding`).
    public var upstream: [String: [RunRecord]]
    /// Examples per step of the run (the training set's size in full batch); nil for a problem
    /// kind without minibatches. Batch-size rules (`batch_scaled`) scale the step size by it.
    public var batchSize: Int?
    /// How many schedules enclose this one (a part of a part of a `sequential`...): building a
    /// named child refuses to go deeper than `ScheduleContext.maxNesting`, so a cycle of
    /// schedules that name each other is an error, not a stack overflow.
    public var nesting: Int
    public static let maxNesting = 16
    public init(baseLR: Double, totalSteps: Int, named: [String: Params] = [:], upstream: [String: [RunRecord]] = [:],
                batchSize: Int? = nil, nesting: Int = 0) {
        self.baseLR = baseLR; self.totalSteps = totalSteps; self.named = named; self.upstream = upstream
        self.batchSize = batchSize; self.nesting = nesting
    }
}

/// A method of the optimizer family, whatever oracle it calls: what every such method
/// exposes to the run (its step is in the protocol of its oracle: `Optimizer` for the
/// gradient, `TargetSpaceOptimizer` for the model's target space). Which oracle a kind calls
/// is declared on its catalogue entry (`needs`), and the Spec checks the model provides it.
public protocol Method: AnyObject {
    /// The learning rate in effect at the last step (the `lr` metric).
    var currentLR: Double { get }
    /// Floats of optimizer state held (momentum buffers, moments...), for memory claims.
    var stateSize: Int { get }
    /// The named counters this kind of method keeps, in the order `counter(_:)` reads them
    /// (its catalogue entry passes the same list to `ComponentDecl(counters:)`).
    static var counters: [CounterDecl] { get }
    /// The current value of `Self.counters[index]` (NaN where it does not apply to this run).
    /// Read at log points only.
    func counter(_ index: Int) -> Double
}

public extension Method {
    static var counters: [CounterDecl] { [] }
    func counter(_ index: Int) -> Double { .nan }
    /// The index of the counter `name` in this method's counters.
    func counterIndex(_ name: String) -> Int? { Self.counters.firstIndex { $0.name == name } }
}

/// A first-order optimizer over a flat parameter vector (with its block layout): it calls
/// the gradient oracle. One call per step: implementations dispatch once here, then loop
/// over whole buffers.
public protocol Optimizer: Method {
    /// One update of x in place from the gradient g at x (g may be overwritten as scratch).
    /// `t` is the 0-based step index (schedules read it; bias corrections use t + 1).
    func step(_ x: UnsafeMutableBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>, t: Int)
}

/// Context an optimizer is built in.
public struct OptimizerContext: Sendable {
    public var dimension: Int
    public var layout: [ParamBlock]
    public var schedule: any Schedule
    public var seed: UInt64
    /// Whether every step sees the whole data set (no batch_size): counters that are only
    /// meaningful in full batch (SSO's mm_violations) read NaN otherwise.
    public var fullBatch: Bool
    /// Records of the upstream runs, by selection name (see `ScheduleContext.upstream`).
    public var upstream: [String: [RunRecord]]
    public init(dimension: Int, layout: [ParamBlock], schedule: any Schedule, seed: UInt64, fullBatch: Bool = false,
                upstream: [String: [RunRecord]] = [:]) {
        self.dimension = dimension; self.layout = layout; self.schedule = schedule; self.seed = seed
        self.fullBatch = fullBatch; self.upstream = upstream
    }
}

/// A model whose oracle can fail outside the numerics (the `external` model's child process
/// died or broke the protocol past its restarts): from then on it answers NaN, so the loop
/// stops at once, and the driver records the run as failed with `failure` (not diverged: a
/// crashed process is not a result).
public protocol FallibleObjective: Objective {
    /// Why the oracle failed, or nil.
    var failure: String? { get }
}
