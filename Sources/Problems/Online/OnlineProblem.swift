import ExprunCore
import ExprunLoop
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

/// Metrics of online runs, each with its evaluator, read from the game after t rounds at log
/// points: the only list of them.
let onlineMetricDefinitions: [LoopMetric<OnlineKernel>] = [
    .state("loss", "instantaneous loss f_t(x_t) of the last round (NaN at step 0)") { k, t in
        t == 0 ? .nan : k.game.lastLoss
    },
    .state("cumulative_loss", "Σ_{s<=t} f_s(x_s)") { k, _ in k.game.cumulativeLoss },
    .state("regret",
           "Σ f_s(x_s) - min_X Σ f_s: best fixed point in hindsight, closed form or certified offline solve") { k, t in
        k.game.cumulativeLoss - k.bestFixed(rounds: t)
    },
    .state("best_fixed_loss", "min_X Σ_{s<=t} f_s(x)") { k, t in k.bestFixed(rounds: t) },
    .state("expected_regret",
           "Σ F_s(x_s) - min_X Σ F_s against the expected losses F_s (SEA squared loss only)") { k, t in
        t == 0 ? 0 : k.game.cumulativeExpected - (k.game.env.bestFixedExpectedLoss() ?? .nan)
    },
    .state("sigma2", "cumulative stochastic variance σ²_{1:t}") { k, _ in k.game.sigma2 },
    .state("variation2", "cumulative adversarial variation Σ²_{2:t}") { k, _ in k.game.variation2 },
    .state("bound",
           "the paper's regret bound on the realised σ², Σ² (order expression with unit constants)") { k, t in
        k.game.bound(rounds: t)
    },
    .state("lr", "step size η_t of the last round (NaN at step 0)") { k, t in
        t == 0 ? .nan : k.game.learner.stepSize
    },
    .state("hint_error", "Σ_{s<=t} ||g_s - M_s||² (||g_s||² without a hint)") { k, _ in k.game.learner.hintError },
]

/// The declarations alone (the problem kind's metric list).
let onlineMetrics: [MetricDecl] = onlineMetricDefinitions.map(\.decl)
