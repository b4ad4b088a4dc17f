import ExprunCore

/// Constants of an environment's loss class, handed to learners to set their step sizes
/// (Chen et al. 2023, SEA assumptions): gradient bound G, smoothness L of the expected losses
/// (infinity when non-smooth), strong convexity λ (0 when merely convex), exp-concavity α,
/// and the domain's diameter D.
public struct LossConstants: Sendable, Equatable {
    public var G: Double
    public var L: Double
    public var lambda: Double
    public var alpha: Double
    public var D: Double
    /// The oracle V of OOMD's fixed step min{D/sqrt(2V), 1/(4L)}, known before the run:
    /// E sum_{t=1..T} sup_x ||grad f_t(x) - grad f_{t-1}(x)||^2 with grad f_0 = 0, the gradient
    /// variation the last-gradient hint pays (the part L^2 ||x_t - x_{t-1}||^2 of
    /// ||g_t - M_t||^2 is what the 1/(4L) cap absorbs in the analysis). nil when the
    /// environment has no closed form for it.
    public var variation: Double?
    public init(G: Double, L: Double, lambda: Double, alpha: Double, D: Double, variation: Double? = nil) {
        self.G = G; self.L = L; self.lambda = lambda; self.alpha = alpha; self.D = D; self.variation = variation
    }
}

/// What a learner is built from: the decision set, the environment's constants and the
/// horizon T (fixed step sizes such as D/(G√T) need it).
public struct LearnerContext {
    public var domain: Domain
    public var constants: LossConstants
    public var horizon: Int
    public init(domain: Domain, constants: LossConstants, horizon: Int) {
        self.domain = domain; self.constants = constants; self.horizon = horizon
    }
    public var dimension: Int { domain.dimension }
}

/// An online environment: each round the adversary fixes D_t (it may look at past plays),
/// f_t ~ D_t is drawn, and its value and gradient at the played point are revealed.
///
/// Besides the game, an environment keeps what regret analysis needs: the realised
/// σ_t² and Σ_t² (exact where the distribution allows, otherwise unbiased estimates at the
/// played point), the sufficient statistics or history for the best fixed point in
/// hindsight, and the expected losses where they are known in closed form.
public protocol OnlineEnvironment: AnyObject {
    var domain: Domain { get }
    var constants: LossConstants { get }
    /// Plays round `t` (1-based) at `x`: writes ∇f_t(x) to `gradient` and returns f_t(x).
    func reveal(round t: Int, at x: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>) -> Double
    /// Realised σ_t² and Σ_t² of the last revealed round.
    var lastSigma2: Double { get }
    var lastVariation2: Double { get }
    /// min_{x in X} Σ_{s<=t} f_s(x) over the rounds played so far, and a certified bound on
    /// how far the returned value may lie above the true minimum (0 when exact).
    func bestFixedLoss() -> (value: Double, gap: Double)
    /// F_t(x_t) of the last revealed round, nil when the expected loss has no closed form.
    var lastExpectedLoss: Double? { get }
    /// min_{x in X} Σ_{s<=t} F_s(x), nil when not available.
    func bestFixedExpectedLoss() -> Double?
    /// Whether σ_t², Σ_t² are exact (true) or unbiased estimates at the played point.
    var exactVariance: Bool { get }
}
