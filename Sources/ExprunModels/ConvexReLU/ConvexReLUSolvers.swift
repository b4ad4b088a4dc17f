import ExprunCore

/// The two solvers of the convex two-layer ReLU program as methods of the optimizer family
/// (`convex_admm`, `convex_fista`): each binds to a `relu2` model (capability
/// `convex_relu_program`), takes one solver iteration per step on the whole data set (the
/// batch is ignored: both are deterministic full-batch methods), and writes the network it
/// recovers into the run's iterate, so `train_loss`, `suboptimality`, `test_loss` and
/// `wall_time` are those of an actual ReLU network, comparable with SGD/Adam training the
/// same model. Their counters follow the program itself. FISTA's gated solution becomes a ReLU
/// network by a cone decomposition (`ConeDecomposition`), made at log points only (a
/// post-processing, as in scnn, too costly for every step; between log points the iterate
/// holds the last network recovered).
public let convexReLUSolverCatalogue: [OptimizerEntry] = [ConvexReLUSolverMethod.admmEntry, ConvexReLUSolverMethod.fistaEntry]

public final class ConvexReLUSolverMethod: ModelBoundOptimizer {
    public static let counters: [CounterDecl] = [
        CounterDecl("convex_objective", "convex_admm / convex_fista: the convex program's objective at the solver's iterate (ADMM: at z; FISTA: the gated program's)"),
        CounterDecl("primal_residual", "convex_admm: max(‖u - z‖, ‖G u - s‖) of the last iteration"),
        CounterDecl("dual_residual", "convex_admm: rho ‖(z - z_prev) + G^T (s - s_prev)‖ of the last iteration"),
        CounterDecl("active_neurons", "convex_admm / convex_fista: nonzero groups of the solution, i.e. neurons of the recovered network", finalAttribute: true),
        CounterDecl("cone_violation", "convex_admm / convex_fista: largest violation of (2D_i - I) X u_i >= 0 of the neurons of the recovered network (ADMM: of z; FISTA: of the cone decomposition's v_i, w_i)"),
        CounterDecl("solver_iterations", "convex_admm / convex_fista: iterations taken (ADMM stops once every residual is below tol)", finalAttribute: true),
        CounterDecl("recovery_residual", "convex_admm / convex_fista: largest abs(recovered ReLU network's output - the convex model's prediction) over the training rows (ADMM: sum_i D_i X (v_i - w_i) at z; FISTA: the gated model; 0 up to rounding when the recovery is exact)"),
        CounterDecl("undecomposed_neurons", "convex_fista: gated neurons the cone decomposition could not write exactly (exact method: generator on its cone's boundary; approximate: any neuron left violating its cone)", finalAttribute: true),
        CounterDecl("decomposition_norm_ratio", "convex_fista: sum_i (‖v_i‖ + ‖w_i‖) / sum_i ‖u_i‖, the weight decay the decomposed ReLU network pays over the gated model's (>= 1)"),
    ]

    static let admmEntry = OptimizerEntry(
        ComponentDecl(.optimizer, "convex_admm",
                      doc: "ADMM on the constrained convex program of a two-layer ReLU network (Bai, Gautam, Sojoudi 2022): one iteration per step, the recovered network as iterate; needs relu2",
                      params: [
                          .double("rho", 0.1, .positive, "ADMM penalty rho (mean-loss scale; 0.1 here converges ~5x faster than 1 on the 2-D examples)"),
                          .double("gamma", 1, ValueRange(min: 0, max: 2, minOpen: true, maxOpen: true), "dual step gamma_a (scaled duals)"),
                          .double("tol", 1e-6, .positive, "stop once ‖u - z‖, ‖G u - s‖ and the dual residual are all below tol"),
                      ],
                      counters: counters),
        needs: [.convexReLUProgram]
    ) { p, _ in ConvexReLUSolverMethod(admm: (p.double("rho"), p.double("gamma"), p.double("tol"))) }

    static let fistaEntry = OptimizerEntry(
        ComponentDecl(.optimizer, "convex_fista",
                      doc: "FISTA on the unconstrained gated convex program (one group per pattern, step 1/L): one iteration per step; at log points the gated solution's cone decomposition (Mishkin, Sahiner & Pilanci 2022) as iterate; needs relu2",
                      params: [
                          .choice("decomposition", ConeDecomposition.Method.allCases.map(\.rawValue), "exact",
                                  "exact: min sum ‖v_i‖ + ‖w_i‖ over exact decompositions (the paper's program, barrier method per neuron); approximate: scnn's ApproximateConeDecomposition (one-sided quadratic penalty by FISTA)"),
                          .double("decomposition_tol", 1e-10, .positive, "exact: duality gap relative to ‖u_i‖; approximate: minimum-norm subgradient norm (scnn's d_tol)"),
                          .double("decomposition_rho", 1e-10, .nonNegative, "approximate: the penalty rho on sum ‖w_i‖ (scnn's default)"),
                          .int("decomposition_iterations", 10_000, .atLeastOne, "approximate: FISTA iterations at most (scnn's d_max_iters)"),
                      ], counters: counters),
        needs: [.convexReLUProgram]
    ) { p, _ in
        ConvexReLUSolverMethod(admm: nil, decomposition: (ConeDecomposition.Method(rawValue: p.string("decomposition"))!, p.double("decomposition_tol"),
                                                          p.double("decomposition_rho"), p.int("decomposition_iterations")))
    }

    let admmSettings: (rho: Double, gamma: Double, tol: Double)?
    let decompositionSettings: (method: ConeDecomposition.Method, tol: Double, rho: Double, iterations: Int)?
    private var admm: ConvexReLUADMM?
    private var fista: ConvexReLUFISTA?
    private var decomposition: ConeDecomposition?
    private var recoveryResidual = Double.nan
    private var model: TwoLayerReLUObjective?
    private var lastObjective = Double.nan, lastViolation = Double.nan

    init(admm: (Double, Double, Double)?, decomposition: (ConeDecomposition.Method, Double, Double, Int)? = nil) {
        admmSettings = admm; decompositionSettings = decomposition
    }

    public var currentLR: Double { .nan }
    public var stateSize: Int {
        guard let model else { return 0 }
        let g = model.program.patterns * model.program.p, n = model.program.n
        // ADMM: u, z, lambda, rhs, z_prev, F^T y (2P x p each) and s, nu, G u, s_prev (n x 2P each); FISTA: 4 P x p.
        return admm != nil ? 6 * 2 * g + 4 * n * 2 * model.program.patterns + n * n : 4 * g + (decomposition?.stateSize ?? 0)
    }

    public func bind(to objective: any Objective, batchSize: Int) throws {
        guard let m = objective as? TwoLayerReLUObjective else {
            throw ComponentError("needs the relu2 model (its convex program)")
        }
        // Both write 2P neurons: ADMM's v_i and w_i, the decomposition's v_i and w_i.
        let groups = 2 * m.program.patterns
        guard m.width >= groups else {
            throw ComponentError("the network must have at least \(groups) neurons to hold the convex solution (\(m.program.patterns) patterns); set width: 0 or at least \(groups)")
        }
        model = m
        if let s = admmSettings { admm = ConvexReLUADMM(program: m.program, rho: s.rho, gamma: s.gamma, tol: s.tol) }
        else if let d = decompositionSettings {
            fista = ConvexReLUFISTA(program: m.program)
            decomposition = ConeDecomposition(program: m.program, method: d.method, tol: d.tol, rho: d.rho, maxIterations: d.iterations)
        }
    }

    public func step(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>, t: Int) -> Double {
        let model = self.model.unsafelyUnwrapped
        if let admm {
            admm.iterate()
            admm.writeNetwork(into: x.baseAddress!, width: model.width)
            (lastObjective, lastViolation) = admm.objectiveAndViolation()
        } else if let fista {
            fista.iterate()
            lastObjective = fista.objective
        }
        return lastObjective
    }

    /// ADMM: the recovered network's mismatch with the convex model at z. FISTA: the cone
    /// decomposition of u_k, written into x as the network.
    public func prepareEvaluation(_ x: UnsafeMutableBufferPointer<Double>) {
        let model = self.model.unsafelyUnwrapped
        if let admm {
            recoveryResidual = model.program.reluMismatch(admm.z, reference: nil)
        } else if let fista, let decomposition {
            decomposition.decompose(fista.u)
            decomposition.writeNetwork(into: x.baseAddress!, width: model.width)
            lastViolation = decomposition.violation
            recoveryResidual = decomposition.residual
        }
    }

    public func counter(_ index: Int) -> Double {
        switch index {
        case 0: return lastObjective
        case 1: return admm.map { max($0.primalResidual, $0.slackResidual) } ?? .nan
        case 2: return admm?.dualResidual ?? .nan
        case 3: return Double(admm?.activeGroups ?? fista?.activeGroups ?? 0)
        case 4: return lastViolation
        case 5: return Double(admm?.iterations ?? fista?.iterations ?? 0)
        case 6: return recoveryResidual
        case 7: return decomposition.map { Double($0.undecomposed) } ?? .nan
        case 8: return decomposition.map { $0.pairNorms / $0.gatedNorms } ?? .nan
        default: return .nan
        }
    }
}
