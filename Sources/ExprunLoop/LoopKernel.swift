import ExprunCore

/// What a problem kind plugs into the generic run loop (`RunLoop.run`): its oracle and its
/// step, and how a point is evaluated for the metrics that need full-batch work.
///
/// Step t (0-based) is `oracle(t)` then `step(t)`: the oracle answers what the method asks
/// at x_t (a minibatch gradient, a round's loss and gradient, the values of a population of
/// points, a client's update) and returns the value the loop checks for divergence; `step`
/// moves x_t to x_{t+1} from that answer and returns the simulated time the step took (0 on
/// the step clock). A kind whose method does both in one call (SSO, an online round) does the
/// work in `oracle` and only accounts in `step`.
///
/// The loop is generic over the kernel and inlined into the kind's module, so these calls are
/// direct: a kernel dispatches to its components (objective, optimizer) once per step.
///
/// A kernel, and the method or environment it steps, marks the stored `var`s it writes every
/// step `@exclusivity(unchecked)`: each object belongs to one run on one thread and a step
/// never re-enters it, while Swift checks every access to a class's stored `var` at run time
/// (swift_beginAccess: a thread-local access set, ~20-40 ns), which was ~30% of the CPU of
/// configs/sea_omd.yaml and ~10% of the token-walk, CMA-ES/CBO and small stochastic sweeps.
public protocol LoopKernel: AnyObject {
    /// What a point metric asks to be computed at a point (full loss, gradient, test split...).
    associatedtype Needs: OptionSet
    /// The quantities `evaluate` computes at a point, read by point metrics.
    associatedtype Quantities

    /// The iterate x_t the views average (empty for a kind without views).
    var iterate: UnsafeMutableBufferPointer<Double> { get }
    /// The step size of the last step (the weights of the `step_avg` view).
    var stepSize: Double { get }
    /// Writes x_0 into `iterate` (and resets the kind's per-run state).
    func start()
    /// The oracle of step t at x_t: returns the value checked for divergence (NaN, Inf or
    /// |value| above the threshold ends the run as diverged).
    func oracle(_ t: Int) -> Double
    /// x_t -> x_{t+1}; returns the simulated time the step took (ignored on the step clock).
    func step(_ t: Int) -> Double
    /// The quantities `needs` at `point` (a view of the trajectory, or x_t itself).
    func evaluate(_ point: UnsafeBufferPointer<Double>, needs: Needs) -> Quantities
    /// Called at each log point before its metrics are read (for caches valid one point).
    func beginLogPoint(step: Int)
}

public extension LoopKernel {
    func beginLogPoint(step: Int) {}
}

/// Needs of a kernel without point metrics.
public struct NoNeeds: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
}

/// A kind's conventions for the end of a run, kept from the kinds' own drivers so results
/// and messages stay what they were.
public struct LoopConventions: Sendable {
    /// The oracle's value at step t scores step t + 1 (an online round is played and scored
    /// before the learner's update is over): divergence is reported at t + 1 and that point is
    /// recorded, and a timeout records the point it stops at. Otherwise (stochastic) the value
    /// is the loss at x_t, divergence is reported at t before the step, and nothing more is
    /// recorded after the last log point.
    public var scoresAfterStep: Bool
    /// Whether a stop rule applies at step 0 (online: no, every cumulative metric is 0 there).
    public var stopsAtStepZero: Bool
    /// The message of a divergence on the oracle's value (value, reported step).
    public var divergenceMessage: @Sendable (Double, Int) -> String
    /// The message of a timeout at a step.
    public var timeoutMessage: @Sendable (Int) -> String
    public init(scoresAfterStep: Bool, stopsAtStepZero: Bool,
                divergenceMessage: @escaping @Sendable (Double, Int) -> String,
                timeoutMessage: @escaping @Sendable (Int) -> String) {
        self.scoresAfterStep = scoresAfterStep; self.stopsAtStepZero = stopsAtStepZero
        self.divergenceMessage = divergenceMessage; self.timeoutMessage = timeoutMessage
    }
    /// A finite-sum kind: the loss at x_t, checked before the step.
    public static let steps = LoopConventions(
        scoresAfterStep: false, stopsAtStepZero: true,
        divergenceMessage: { v, t in "minibatch loss \(v) at step \(t)" },
        timeoutMessage: { t in "time limit reached at step \(t)" })
}

/// Where the loop's log points are.
public enum LoopClock: Sendable, Equatable {
    /// At these step indices (sorted, distinct, within 0...steps): `logStepsOf(run.log, total:)`.
    case steps([Int])
    /// On simulated time: the first step whose clock reaches each of these times (sorted,
    /// distinct, >= 0) is a log point, and the run ends at the first step whose clock reaches
    /// the last one (or after `steps` steps). A step that crosses several times logs once.
    /// The clock is stored as the `sim_time` series.
    case simulated([Double])

    /// The most log points this clock records.
    public var capacity: Int {
        switch self {
        case .steps(let s): return s.count
        case .simulated(let times): return times.count
        }
    }
}

/// The log steps of a policy. `.every(k)` is generated directly (it is sorted and distinct
/// by construction): Core's general path deduplicates through a Set, which costs more than
/// the run itself when every one of millions of steps is logged. Same result (tested).
public func logStepsOf(_ policy: LogPolicy, total steps: Int) -> [Int] {
    guard case .every(let k) = policy else { return policy.logSteps(total: steps) }
    let stride = max(1, k)
    var out: [Int] = []
    out.reserveCapacity(steps / stride + 2)
    var s = 0
    while s < steps { out.append(s); s += stride }
    out.append(steps)
    return out
}
