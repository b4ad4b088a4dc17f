import ExprunCore

/// What a walk component fixes for a run: the token's chain, its self-repellence and the
/// stochastic-approximation step sizes of SA-SRRW (specs-b section 10):
/// γ_n = (n + 1)^(-a) for the visit measure x, β_n = c (n + 1)^(-b) for the model θ.
public struct WalkSettings: Sendable, Equatable {
    public var chain: BaseChainKind
    public var alpha: Double
    public var gammaExponent: Double
    public var betaExponent: Double
    public var betaScale: Double
    /// λ of the ridge term (λ/2)||θ||² each node adds to its loss.
    public var l2: Double
    /// Node rows spread over the graph: strided (row r on node r mod N) or in contiguous blocks.
    public var partition: NodePartition
    /// The token's first node; nil: uniform from the run's seed.
    public var start: Int?

    /// The paper's three regimes: (i) b > a, θ on the slower time scale (the favourable case,
    /// covariance O(1/α²)); (ii) a = b; (iii) a > b, x slower (essentially no gain).
    public var regime: String { betaExponent > gammaExponent ? "i" : betaExponent == gammaExponent ? "ii" : "iii" }
}

public enum NodePartition: String, Sendable, CaseIterable {
    case strided, blocks
}

/// A walk kind's declaration and what its parameters mean.
public struct WalkEntry: Sendable {
    public var decl: ComponentDecl
    public var make: @Sendable (Params) -> WalkSettings
    public init(_ decl: ComponentDecl, make: @escaping @Sendable (Params) -> WalkSettings) {
        self.decl = decl; self.make = make
    }
}

/// The parameters every walk kind shares (declared once: the data at the nodes and the SA
/// step sizes), after the kind's own.
let stochasticApproximationParams: [ParamDecl] = [
    .reference("dataset", .dataset, "the rows spread over the nodes: node i's loss is ½‖A_i θ - b_i‖² on its rows (A_i, b_i)"),
    .choice("partition", NodePartition.allCases.map(\.rawValue), "strided",
            "rows to nodes: strided (row r on node r mod N) or contiguous blocks"),
    .double("gamma_exponent", 0.8, ValueRange(min: 0.5, max: 1, minOpen: true), "a in γ_n = (n+1)^-a, the visit measure's step"),
    .double("beta_exponent", 0.9, ValueRange(min: 0.5, max: 1, minOpen: true), "b in β_n = c (n+1)^-b, the model's step (b > a: regime i)"),
    .double("beta_scale", 1, .positive, "c in β_n = c (n+1)^-b"),
    .double("l2", 0, .nonNegative, "λ of the ridge term (λ/2)||θ||² in every node's loss"),
    ParamDecl("start", .int, range: .nonNegative, doc: "the token's first node (absent: uniform from the run seed)"),
]

extension WalkSettings {
    /// The shared parameters of a walk kind's validated `Params`.
    init(_ p: Params, chain: BaseChainKind, alpha: Double) {
        self.init(chain: chain, alpha: alpha, gammaExponent: p.double("gamma_exponent"),
                  betaExponent: p.double("beta_exponent"), betaScale: p.double("beta_scale"), l2: p.double("l2"),
                  partition: NodePartition(rawValue: p.string("partition"))!, start: p.optionalInt("start"))
    }
}

/// Every walk kind, in catalogue order.
public let walkCatalogue: [WalkEntry] = [MetropolisHastingsWalk.entry, SimpleRandomWalk.entry, SelfRepellentWalk.entry]

/// The settings of a walk component's parameters.
public func walkSettings(_ params: Params) throws -> WalkSettings {
    guard let entry = (walkCatalogue + AddedComponents.entries(WalkEntry.self)).first(where: { $0.decl.kind == params.kind }) else {
        throw ComponentError("unknown walk kind \(params.kind)")
    }
    return entry.make(params)
}
