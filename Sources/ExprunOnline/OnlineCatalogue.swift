import ExprunCore

/// What a learner needs from the game it plays.
public enum LearnerRequirement: Sendable, Equatable {
    case none
    /// The decision set must be the probability simplex (entropic mirror maps).
    case simplex
    /// The losses must be strongly convex (λ > 0): 1/(λt)-type step sizes.
    case stronglyConvex
    /// α-exp-concave losses (α > 0) on a ball: the U_t-norm projection of the exp-concave OOMD.
    case expConcaveOnBall
}

/// What an environment is built from: the run's seed, the horizon T and, for environments
/// that replay data, the built data set.
public struct EnvironmentBuild: Sendable {
    public var seed: UInt64
    public var horizon: Int
    public var dataset: Dataset?
    public init(seed: UInt64, horizon: Int, dataset: Dataset?) {
        self.seed = seed; self.horizon = horizon; self.dataset = dataset
    }
}

/// Facts about an environment's game, read from its parameters alone (before building it),
/// so incompatible pairs are reported at validation time.
public struct EnvironmentTraits: Sendable, Equatable {
    public var domain: DomainShape
    public var stronglyConvex: Bool
    public init(domain: DomainShape, stronglyConvex: Bool) { self.domain = domain; self.stronglyConvex = stronglyConvex }
}

/// An online environment's declaration and factory.
public struct EnvironmentEntry: Sendable {
    public var decl: ComponentDecl
    public var traits: @Sendable (Params) -> EnvironmentTraits
    public var make: @Sendable (Params, EnvironmentBuild) throws -> any OnlineEnvironment
    public init(_ decl: ComponentDecl, traits: @escaping @Sendable (Params) -> EnvironmentTraits,
                make: @escaping @Sendable (Params, EnvironmentBuild) throws -> any OnlineEnvironment) {
        self.decl = decl; self.traits = traits; self.make = make
    }
}

/// An online learner's declaration and factory.
public struct LearnerEntry: Sendable {
    public var decl: ComponentDecl
    /// What the learner needs of the game, given (environment params, learner params).
    public var requirement: @Sendable (Params, Params) -> LearnerRequirement
    public var make: @Sendable (Params, LearnerContext) throws -> any OnlineLearner
    public init(_ decl: ComponentDecl, requirement: @escaping @Sendable (Params, Params) -> LearnerRequirement,
                make: @escaping @Sendable (Params, LearnerContext) throws -> any OnlineLearner) {
        self.decl = decl; self.requirement = requirement; self.make = make
    }
}

/// Every online environment, in catalogue order.
public let environmentCatalogue: [EnvironmentEntry] = [seaEnvironmentEntry, streamEnvironmentEntry]

/// Every online learner, in catalogue order.
public let learnerCatalogue: [LearnerEntry] = [
    OnlineGradientDescent.entry, OptimisticOMD.entry, EntropicOptimisticOMD.entry, OptimisticFTRL.entry,
    ExpConcaveOptimisticOMD.entry,
]

/// Metrics of online runs, recorded at log points (after t rounds).
public let onlineMetricCatalogue: [MetricDecl] = [
    MetricDecl("loss", .online, perView: false, "instantaneous loss f_t(x_t) of the last round (NaN at step 0)"),
    MetricDecl("cumulative_loss", .online, perView: false, "Σ_{s<=t} f_s(x_s)"),
    MetricDecl("regret", .online, perView: false,
               "Σ f_s(x_s) - min_X Σ f_s: best fixed point in hindsight, closed form or certified offline solve"),
    MetricDecl("best_fixed_loss", .online, perView: false, "min_X Σ_{s<=t} f_s(x)"),
    MetricDecl("expected_regret", .online, perView: false,
               "Σ F_s(x_s) - min_X Σ F_s against the expected losses F_s (SEA squared loss only)"),
    MetricDecl("sigma2", .online, perView: false, "cumulative stochastic variance σ²_{1:t}"),
    MetricDecl("variation2", .online, perView: false, "cumulative adversarial variation Σ²_{2:t}"),
    MetricDecl("bound", .online, perView: false,
               "the paper's regret bound on the realised σ², Σ² (order expression with unit constants)"),
    MetricDecl("lr", .online, perView: false, "step size η_t of the last round (NaN at step 0)"),
    MetricDecl("hint_error", .online, perView: false, "Σ_{s<=t} ||g_s - M_s||² (||g_s||² without a hint)"),
]

/// Why this learner cannot play against this environment (e.g. entropic OMD needs the
/// simplex), or nil when they fit. The Spec reports it at the learner's location.
public func onlineIncompatibility(environment: Params, learner: Params) -> String? {
    guard let env = environmentCatalogue.first(where: { $0.decl.kind == environment.kind }),
          let entry = learnerCatalogue.first(where: { $0.decl.kind == learner.kind }) else { return nil }
    let traits = env.traits(environment)
    switch entry.requirement(environment, learner) {
    case .none: return nil
    case .simplex:
        return traits.domain == .simplex ? nil
            : "\(learner.kind) needs domain: simplex, but environment \(environment.kind) plays on a \(traits.domain.rawValue)"
    case .stronglyConvex:
        return traits.stronglyConvex ? nil
            : "\(learner.kind) with step: strongly_convex needs strongly convex losses (sea with loss: squared or strongly_convex)"
    case .expConcaveOnBall:
        if traits.domain != .ball {
            return "\(learner.kind) projects in the U_t-norm onto a ball only, but environment \(environment.kind) plays on a \(traits.domain.rawValue)"
        }
        // The non-exp-concave losses of the catalogue (their environments report α = 0).
        if let loss = environment.optionalString("loss"), ["absolute", "hinge"].contains(loss) {
            return "\(learner.kind) needs exp-concave losses (α > 0), but loss: \(loss) is not exp-concave"
        }
        return nil
    }
}
