import ExprunCore
import ExprunOnline

/// The online-learning problem kind: a learner plays an environment's loss sequence for T
/// rounds (the environment may replay a data set).
public let onlineProblem = ProblemEntry(
    ProblemDecl(
        "online", doc: "online learning: environment x learner for T rounds, regret against the best fixed point",
        roles: [
            RoleDecl("environment", .environment),
            RoleDecl("learner", .learner),
            RoleDecl("dataset", .dataset, via: ("environment", "dataset")),
        ],
        metrics: onlineMetrics, defaultMetrics: ["regret"], views: false),
    run: { spec, context in
        let started = RunControl.now()
        var data: Dataset?
        if let instance = spec.component("dataset") { data = try context.dataset(instance, for: spec).dataset }
        var record = try runOnline(spec, dataset: data, control: context.control)
        var attributes = spec.parameters
        if !attributes.contains(where: { $0.0 == "seed" }) { attributes.append(("seed", .int(spec.seed))) }
        record.runId = spec.runId
        record.attributes = attributes + record.attributes
        if record.wallSeconds <= 0 { record.wallSeconds = RunControl.now() - started }
        return record
    })

/// An online metric: its declaration and its evaluator, read from the game after t rounds
/// (the third argument gives the best fixed loss in hindsight, solved once per log point).
struct OnlineMetric: Sendable {
    typealias Evaluator = @Sendable (OnlineGame, Int, () -> Double) -> Double
    let decl: MetricDecl
    let value: Evaluator
    init(_ name: String, _ doc: String, _ value: @escaping Evaluator) {
        decl = MetricDecl(name, perView: false, doc); self.value = value
    }
}

/// Metrics of online runs, recorded at log points: the only list of them.
let onlineMetricDeclarations: [OnlineMetric] = [
    OnlineMetric("loss", "instantaneous loss f_t(x_t) of the last round (NaN at step 0)") { g, t, _ in
        t == 0 ? .nan : g.lastLoss
    },
    OnlineMetric("cumulative_loss", "Σ_{s<=t} f_s(x_s)") { g, _, _ in g.cumulativeLoss },
    OnlineMetric("regret",
                 "Σ f_s(x_s) - min_X Σ f_s: best fixed point in hindsight, closed form or certified offline solve") {
        g, _, best in g.cumulativeLoss - best()
    },
    OnlineMetric("best_fixed_loss", "min_X Σ_{s<=t} f_s(x)") { _, _, best in best() },
    OnlineMetric("expected_regret",
                 "Σ F_s(x_s) - min_X Σ F_s against the expected losses F_s (SEA squared loss only)") { g, t, _ in
        t == 0 ? 0 : g.cumulativeExpected - (g.env.bestFixedExpectedLoss() ?? .nan)
    },
    OnlineMetric("sigma2", "cumulative stochastic variance σ²_{1:t}") { g, _, _ in g.sigma2 },
    OnlineMetric("variation2", "cumulative adversarial variation Σ²_{2:t}") { g, _, _ in g.variation2 },
    OnlineMetric("bound",
                 "the paper's regret bound on the realised σ², Σ² (order expression with unit constants)") { g, t, _ in
        g.bound(rounds: t)
    },
    OnlineMetric("lr", "step size η_t of the last round (NaN at step 0)") { g, t, _ in
        t == 0 ? .nan : g.learner.stepSize
    },
    OnlineMetric("hint_error", "Σ_{s<=t} ||g_s - M_s||² (||g_s||² without a hint)") { g, _, _ in g.learner.hintError },
]

/// The declarations alone (the problem kind's metric list).
let onlineMetrics: [MetricDecl] = onlineMetricDeclarations.map(\.decl)
