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

/// Metrics of online runs, recorded at log points (after t rounds).
let onlineMetrics: [MetricDecl] = [
    MetricDecl("loss", perView: false, "instantaneous loss f_t(x_t) of the last round (NaN at step 0)"),
    MetricDecl("cumulative_loss", perView: false, "Σ_{s<=t} f_s(x_s)"),
    MetricDecl("regret", perView: false,
               "Σ f_s(x_s) - min_X Σ f_s: best fixed point in hindsight, closed form or certified offline solve"),
    MetricDecl("best_fixed_loss", perView: false, "min_X Σ_{s<=t} f_s(x)"),
    MetricDecl("expected_regret", perView: false,
               "Σ F_s(x_s) - min_X Σ F_s against the expected losses F_s (SEA squared loss only)"),
    MetricDecl("sigma2", perView: false, "cumulative stochastic variance σ²_{1:t}"),
    MetricDecl("variation2", perView: false, "cumulative adversarial variation Σ²_{2:t}"),
    MetricDecl("bound", perView: false,
               "the paper's regret bound on the realised σ², Σ² (order expression with unit constants)"),
    MetricDecl("lr", perView: false, "step size η_t of the last round (NaN at step 0)"),
    MetricDecl("hint_error", perView: false, "Σ_{s<=t} ||g_s - M_s||² (||g_s||² without a hint)"),
]
