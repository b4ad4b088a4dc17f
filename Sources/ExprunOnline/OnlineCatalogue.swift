import ExprunCore

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

/// An online environment's declaration and factory.
public struct EnvironmentEntry: Sendable {
    public var decl: ComponentDecl
    public var make: @Sendable (Params, EnvironmentBuild) throws -> any OnlineEnvironment
    /// - Parameter provides: the game's properties, read from the parameters alone (before
    ///   building it), so the Spec reports a learner that cannot play it at validation time.
    public init(_ decl: ComponentDecl, provides: @escaping @Sendable (Params) -> Set<Capability>,
                make: @escaping @Sendable (Params, EnvironmentBuild) throws -> any OnlineEnvironment) {
        var decl = decl
        decl.provides = provides
        self.decl = decl; self.make = make
    }
}

/// An online learner's declaration and factory.
public struct LearnerEntry: Sendable {
    public var decl: ComponentDecl
    public var make: @Sendable (Params, LearnerContext) throws -> any OnlineLearner
    /// - Parameter needs: what the learner assumes of the game, given its parameters.
    public init(_ decl: ComponentDecl, needs: @escaping @Sendable (Params) -> [Capability] = { _ in [] },
                make: @escaping @Sendable (Params, LearnerContext) throws -> any OnlineLearner) {
        var decl = decl
        decl.needs = needs
        self.decl = decl; self.make = make
    }
}

/// The capability of a decision set.
public func domainCapability(_ shape: DomainShape) -> Capability {
    switch shape {
    case .ball: return .ballDomain
    case .box: return .boxDomain
    case .simplex: return .simplexDomain
    }
}

/// Every online environment, in catalogue order.
public let environmentCatalogue: [EnvironmentEntry] = [SEAEnvironment.entry, StreamEnvironment.entry]

/// Every online learner, in catalogue order.
public let learnerCatalogue: [LearnerEntry] = [
    OnlineGradientDescent.entry, OptimisticOMD.entry, EntropicOptimisticOMD.entry, OptimisticFTRL.entry,
    ExpConcaveOptimisticOMD.entry,
]
