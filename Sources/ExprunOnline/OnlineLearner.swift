import Foundation

/// An online learner: plays x_t, then observes ∇f_t(x_t). Dispatch through this protocol
/// happens twice per round; the work inside is a few O(d) loops over owned buffers.
/// Learners and environments mark the state they write every round `@exclusivity(unchecked)`,
/// as the loop's kernels do (why: LoopKernel.swift in ExprunLoop).
public protocol OnlineLearner: AnyObject {
    /// The point x_t of round t (1-based). Valid until the next call.
    func play(round t: Int) -> UnsafePointer<Double>
    /// Observes g_t = ∇f_t(x_t) of round t.
    func update(round t: Int, gradient g: UnsafePointer<Double>)
    /// η_t of the last played round.
    var stepSize: Double { get }
    /// Σ_{s<=t} ||g_s - M_s||² in the learner's dual norm (||g_s||² for learners without hint).
    var hintError: Double { get }
}

/// Step-size rules (Chen et al. 2023, specs-a §2): fixed η = D/(G√T), η_t = D/(G√t),
/// strongly convex k/(λt), and the adaptive min{D/√(δ + Σ_{s<t}||g_s - M_s||²), 1/(4L)};
/// every rule is multiplied by the learner's `lr`.
public struct StepRule: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// η = lr·D/(G√T): the tuned constant step of the regret bounds (G from the data).
        case fixed
        /// η = lr: a constant step given directly.
        case constant
        case invSqrt = "inv_sqrt"
        case stronglyConvex = "strongly_convex"
        case adaptive
        /// η = lr·min{D/√(2V), 1/(4L)}: OOMD's fixed oracle step, V known in advance.
        case oracle
    }
    public var kind: Kind
    public var lr: Double
    /// Diameter (or its analogue for the regulariser in use) and gradient bound.
    public var D: Double
    public var G: Double
    public var lambda: Double
    /// Numerator k of k/(λt): 1 for OGD, 2 for OOMD (the strong-convexity term sits at x_t).
    public var strongNumerator: Double
    /// The smoothness cap 1/(4L); infinity when L is infinite (non-smooth) or not used.
    public var cap: Double
    public var delta: Double
    public var horizon: Int
    /// V of the oracle rule (unused by the others).
    public var variation: Double

    public init(kind: Kind, lr: Double, D: Double, G: Double, lambda: Double, strongNumerator: Double,
                cap: Double, delta: Double, horizon: Int, variation: Double = 0) {
        self.kind = kind; self.lr = lr; self.D = D; self.G = G; self.lambda = lambda
        self.strongNumerator = strongNumerator; self.cap = cap; self.delta = delta; self.horizon = horizon
        self.variation = variation
    }

    /// 1/(4L) when L is a finite positive number, infinity otherwise.
    public static func smoothnessCap(_ L: Double) -> Double { L.isFinite && L > 0 ? 1 / (4 * L) : .infinity }

    /// η_t given the accumulated V = Σ_{s<t} ||g_s - M_s||².
    @inline(__always)
    public func eta(round t: Int, accumulated V: Double) -> Double {
        switch kind {
        case .fixed: return lr * D / (G * Double(max(horizon, 1)).squareRoot())
        case .constant: return lr
        case .invSqrt: return lr * D / (G * Double(t).squareRoot())
        case .stronglyConvex: return lr * min(strongNumerator / (lambda * Double(t)), cap)
        case .adaptive: return lr * min(D / (delta + V).squareRoot(), cap)
        case .oracle: return lr * min(D / (2 * variation).squareRoot(), cap)
        }
    }
}

/// Learner-side hint M_t of optimistic methods.
public enum HintKind: String, Sendable, CaseIterable {
    /// M_{t+1} = g_t (Chen et al.'s choice; M_1 = 0).
    case lastGradient = "last_gradient"
    /// M_t = 0: the optimistic method reduces to its plain counterpart.
    case zero
}
