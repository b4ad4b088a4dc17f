/// Something a component offers the run, or relies on: an oracle (the gradient, a target
/// space) or a property of the problem (a simplex domain, strongly convex losses).
///
/// A method declares what it needs (`ComponentDecl.needs`); a model or an environment
/// declares what it provides (`ComponentDecl.provides`), computed from its parameters. The
/// Spec checks every cell from the declarations alone, so a new component states its own
/// compatibility and nothing lists kind names. Two capabilities are equal when their names are.
public struct Capability: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    /// What it means, as an error message says it ("needs <doc>").
    public let doc: String
    public init(_ name: String, _ doc: String) { self.name = name; self.doc = doc }
    public static func == (a: Capability, b: Capability) -> Bool { a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(name) }
    public var description: String { name }
}

public extension Capability {
    /// Minibatch and full-batch (sub)gradients of the objective (every model).
    static let gradient = Capability("gradient", "the gradient oracle")
    /// Per-example targets with a constant Jacobian, their loss gradients and Jacobian
    /// products (`TargetModel`: the linear least-squares, logistic and softmax models).
    static let targetSpace = Capability("target_space", "a model with a target space")
    /// Exact Hessian-vector products of the full-batch and minibatch objectives
    /// (`HessianObjective`): a twice differentiable model (almost everywhere, for ReLU
    /// networks). Curvature metrics need it; non-smooth models (hinge, least absolute
    /// deviation) do not provide it.
    static let hessianVectorProduct = Capability("hessian_vector_product", "Hessian-vector products (a twice-differentiable model)")
    /// The decision set is the probability simplex.
    static let simplexDomain = Capability("simplex_domain", "domain: simplex")
    /// The decision set is a Euclidean ball.
    static let ballDomain = Capability("ball_domain", "a ball as decision set")
    /// The decision set is a box.
    static let boxDomain = Capability("box_domain", "a box as decision set")
    /// Losses strongly convex with a known λ > 0.
    static let stronglyConvex = Capability("strongly_convex", "strongly convex losses (λ > 0)")
    /// Losses α-exp-concave with α > 0 on the decision set.
    static let expConcave = Capability("exp_concave", "exp-concave losses (α > 0)")
    /// Layer-local training, forward only (`LayerwiseTargetModel`: the MLP).
    static let layerwiseTargets = Capability("layerwise_targets", "a layered model trainable on layer-local targets")
    /// The convex program of a two-layer ReLU network over sampled activation patterns
    /// (`ConvexReLUProgramModel`: relu2).
    static let convexReLUProgram = Capability("convex_relu_program", "a two-layer ReLU model with its convex program")
}

/// A component of a cell with its declaration, as the compatibility check sees it.
public struct CellComponent: Sendable {
    public var role: String
    public var name: String
    public var decl: ComponentDecl
    public var params: Params
    public init(role: String, name: String, decl: ComponentDecl, params: Params) {
        self.role = role; self.name = name; self.decl = decl; self.params = params
    }
}

/// One need of a component that no other component of its cell provides.
public struct UnmetNeed: Sendable {
    public var component: CellComponent
    public var need: Capability
    /// What the other components of the cell provide, for the message.
    public var provided: [(role: String, name: String, kind: String, provides: [Capability])]

    /// "optimizer 'sso' (sso) needs a model with a target space; model 'mlp' (mlp) provides gradient".
    public var message: String {
        let others = provided.map { p in
            "\(p.role) '\(p.name)' (\(p.kind)) provides " + (p.provides.isEmpty ? "nothing" : p.provides.map(\.name).joined(separator: ", "))
        }
        return "\(component.role) '\(component.name)' (\(component.params.kind)) needs \(need.doc)"
            + (others.isEmpty ? "" : "; " + others.joined(separator: "; "))
    }
}

/// The needs of each component of a cell that the others (or the problem kind itself,
/// `alsoProvided`) do not provide, in role order.
public func unmetNeeds(in cell: [CellComponent], alsoProvided: Set<Capability> = []) -> [UnmetNeed] {
    var out: [UnmetNeed] = []
    for (i, c) in cell.enumerated() {
        let needs = c.decl.needs(c.params)
        guard !needs.isEmpty else { continue }
        let others = cell.enumerated().filter { $0.offset != i }.map(\.element)
        let offered = others.map { o in
            (role: o.role, name: o.name, kind: o.params.kind,
             provides: o.decl.provides(o.params).sorted { $0.name < $1.name })
        }
        let all = Set(offered.flatMap(\.provides)).union(alsoProvided)
        for need in needs where !all.contains(need) {
            out.append(UnmetNeed(component: c, need: need, provided: offered.filter { !$0.provides.isEmpty }))
        }
    }
    return out
}
