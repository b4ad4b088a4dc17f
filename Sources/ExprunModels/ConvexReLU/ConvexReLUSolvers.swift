import ExprunCore

/// The two solvers of the convex two-layer ReLU program as methods of the optimizer family
/// (`convex_admm`, `convex_fista`): each binds to a `relu2` model (capability
/// `convex_relu_program`), takes one solver iteration per step on the whole data set (the
/// batch is ignored: both are deterministic full-batch methods), and writes the network it
/// recovers into the run's iterate, so `train_loss`, `suboptimality`, `test_loss` and
/// `wall_time` are those of an actual ReLU network, comparable with SGD/Adam training the
/// same model. Their counters follow the program itself.
public let convexReLUSolverCatalogue: [OptimizerEntry] = [ConvexReLUSolverMethod.admmEntry, ConvexReLUSolverMethod.fistaEntry]

public final class ConvexReLUSolverMethod: ModelBoundOptimizer {
    public static let counters: [CounterDecl] = [
        CounterDecl("convex_objective", "convex_admm / convex_fista: the convex program's objective at the solver's iterate (ADMM: at z; FISTA: the gated program's)"),
        CounterDecl("primal_residual", "convex_admm: max(||u - z||, ||G u - s||) of the last iteration"),
        CounterDecl("dual_residual", "convex_admm: rho ||(z - z_prev) + G^T (s - s_prev)|| of the last iteration"),
        CounterDecl("active_neurons", "convex_admm / convex_fista: nonzero groups of the solution, i.e. neurons of the recovered network", finalAttribute: true),
        CounterDecl("cone_violation", "convex_admm / convex_fista: largest violation of (2D_i - I) X u_i >= 0 of the solution (0: the recovered network reproduces the convex model exactly)"),
        CounterDecl("solver_iterations", "convex_admm / convex_fista: iterations taken (ADMM stops once every residual is below tol)", finalAttribute: true),
    ]

    static let admmEntry = OptimizerEntry(
        ComponentDecl(.optimizer, "convex_admm",
                      doc: "ADMM on the constrained convex program of a two-layer ReLU network (Bai, Gautam, Sojoudi 2022): one iteration per step, the recovered network as iterate; needs relu2",
                      params: [
                          .double("rho", 0.1, .positive, "ADMM penalty rho (mean-loss scale; 0.1 here converges ~5x faster than 1 on the 2-D examples)"),
                          .double("gamma", 1, ValueRange(min: 0, max: 2, minOpen: true, maxOpen: true), "dual step gamma_a (scaled duals)"),
                          .double("tol", 1e-6, .positive, "stop once ||u - z||, ||G u - s|| and the dual residual are all below tol"),
                      ],
                      counters: counters),
        needs: [.convexReLUProgram]
    ) { p, _ in ConvexReLUSolverMethod(admm: (p.double("rho"), p.double("gamma"), p.double("tol"))) }

    static let fistaEntry = OptimizerEntry(
        ComponentDecl(.optimizer, "convex_fista",
                      doc: "FISTA on the unconstrained gated convex program (one group per pattern, step 1/L): one iteration per step, the network read off the gated solution as iterate; needs relu2",
                      params: [], counters: counters),
        needs: [.convexReLUProgram]
    ) { _, _ in ConvexReLUSolverMethod(admm: nil) }

    let admmSettings: (rho: Double, gamma: Double, tol: Double)?
    private var admm: ConvexReLUADMM?
    private var fista: ConvexReLUFISTA?
    private var model: TwoLayerReLUObjective?
    private var lastObjective = Double.nan, lastViolation = Double.nan

    init(admm: (Double, Double, Double)?) { admmSettings = admm }

    public var currentLR: Double { .nan }
    public var stateSize: Int {
        guard let model else { return 0 }
        let g = model.program.patterns * model.program.p, n = model.program.n
        // ADMM: u, z, lambda, rhs, z_prev, F^T y (2P x p each) and s, nu, G u, s_prev (n x 2P each); FISTA: 4 P x p.
        return admm != nil ? 6 * 2 * g + 4 * n * 2 * model.program.patterns + n * n : 4 * g
    }

    public func bind(to objective: any Objective, batchSize: Int) throws {
        guard let m = objective as? TwoLayerReLUObjective else {
            throw ComponentError("needs the relu2 model (its convex program)")
        }
        let groups = admmSettings != nil ? 2 * m.program.patterns : m.program.patterns
        guard m.width >= groups else {
            throw ComponentError("the network must have at least \(groups) neurons to hold the convex solution (\(m.program.patterns) patterns); set width: 0 or at least \(groups)")
        }
        model = m
        if let s = admmSettings { admm = ConvexReLUADMM(program: m.program, rho: s.rho, gamma: s.gamma, tol: s.tol) }
        else { fista = ConvexReLUFISTA(program: m.program) }
    }

    public func step(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>, t: Int) -> Double {
        let model = self.model.unsafelyUnwrapped
        if let admm {
            admm.iterate()
            admm.writeNetwork(into: x.baseAddress!, width: model.width)
            (lastObjective, lastViolation) = admm.objectiveAndViolation()
        } else if let fista {
            fista.iterate()
            fista.writeNetwork(into: x.baseAddress!, width: model.width)
            (lastObjective, lastViolation) = fista.objectiveAndViolation()
        }
        return lastObjective
    }

    public func counter(_ index: Int) -> Double {
        switch index {
        case 0: return lastObjective
        case 1: return admm.map { max($0.primalResidual, $0.slackResidual) } ?? .nan
        case 2: return admm?.dualResidual ?? .nan
        case 3: return Double(admm?.activeGroups ?? fista?.activeGroups ?? 0)
        case 4: return lastViolation
        case 5: return Double(admm?.iterations ?? fista?.iterations ?? 0)
        default: return .nan
        }
    }
}
