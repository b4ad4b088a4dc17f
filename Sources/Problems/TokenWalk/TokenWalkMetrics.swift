import ExprunCore
import ExprunLoop

/// Metrics of token-walk runs, each with its evaluator: the only list of them. Point metrics
/// apply to every iterate view of θ (Polyak averages of the SA iterate); step metrics read the
/// walk's state at log points.
let tokenWalkMetricDefinitions: [LoopMetric<TokenWalkKernel>] = [
    .point("theta_error", "‖θ - θ*‖², θ* the minimiser of the nodes' average loss (closed form)",
           needs: [], divergence: .nonFinite) { q, _ in q.error },
    .point("objective_gap", "F(θ) - F(θ*), F the average of the nodes' losses",
           needs: .objective, divergence: .nonFiniteOrAboveThreshold) { q, k in q.objective - k.losses.optimalValue },
    .state("scaled_error", "‖θ_n - θ*‖² / β_n: its mean over seeds estimates the trace of the CLT covariance") { k, t in
        t == 0 ? .nan : k.currentError / k.beta
    },
    .state("visit_tv", "total variation ½ ‖x_n - μ‖₁ of the SA visit measure to the chain's target") { k, _ in
        k.visits.totalVariation(to: k.kernel.chain.target)
    },
    .state("visit_error", "‖x_n - μ‖²") { k, _ in k.visits.squaredDistance(to: k.kernel.chain.target) },
    .state("scaled_visit_error", "‖x_n - μ‖² / γ_n: its mean over seeds estimates the trace of x's CLT covariance") { k, t in
        t == 0 ? .nan : k.visits.squaredDistance(to: k.kernel.chain.target) / k.gamma
    },
    .state("local_loss", "f_{X_n}(θ_{n-1}): the loss of the node the token just reached (NaN at step 0)") { k, _ in k.localLoss },
    .state("node", "X_n, the token's node") { k, _ in Double(k.node) },
    .state("visited_nodes", "distinct nodes visited so far (X_0 included)") { k, _ in Double(k.visitedCount) },
    .state("self_transitions", "moves that stayed at the same node so far") { k, _ in Double(k.selfTransitions) },
    .state("gamma", "γ_n, the visit measure's step (NaN at step 0)") { k, _ in k.gamma },
    .state("lr", "β_n, the model's step (NaN at step 0)") { k, _ in k.beta },
    .wallTime,
]

let tokenWalkMetrics: [MetricDecl] = tokenWalkMetricDefinitions.map(\.decl)
