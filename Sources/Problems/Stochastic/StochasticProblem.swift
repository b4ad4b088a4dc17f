import ExprunCore

/// The stochastic finite-sum problem kind: a model over a data set, minimised by an
/// optimizer with a learning-rate schedule, on minibatches (or the full batch).
public let stochasticProblem = ProblemEntry(
    ProblemDecl(
        "stochastic", doc: "finite-sum minimisation: dataset -> model -> optimizer (+ schedule), minibatch steps",
        roles: [
            RoleDecl("model", .model),
            RoleDecl("optimizer", .optimizer),
            RoleDecl("dataset", .dataset, via: ("model", "dataset")),
            RoleDecl("schedule", .schedule, via: ("optimizer", "schedule"), fallbackKind: "constant"),
        ],
        metrics: stochasticMetrics, defaultMetrics: ["train_loss"], views: true),
    run: { spec, context in
        try StochasticDriver.run(spec, control: context.control, factory: context.factory, caches: context.caches)
    })

/// Metrics of stochastic (finite-sum) runs, recorded at log points.
let stochasticMetrics: [MetricDecl] = [
    MetricDecl("train_loss", perView: true, "full training objective f(x), regulariser included"),
    MetricDecl("suboptimality", perView: true, "f(x) - f*, with f* in closed form or certified to 1e-10"),
    MetricDecl("grad_norm", perView: true, "norm of the full-batch (sub)gradient"),
    MetricDecl("test_loss", perView: true, "mean loss on the test split (no regulariser)"),
    MetricDecl("test_accuracy", perView: true, "accuracy on the test split (classification)"),
    MetricDecl("train_accuracy", perView: true, "accuracy on the training split (classification)"),
    MetricDecl("dist_to_opt", perView: true, "||x - x_true|| to the generating weights (synthetic data)"),
    MetricDecl("batch_loss", perView: false, "minibatch loss at the current iterate, before the step"),
    MetricDecl("lr", perView: false, "learning rate of the last step"),
    MetricDecl("grad_evals", perView: false, "cumulative per-example gradient evaluations (for sso: b per Jacobian-transpose product over the batch, one per inner gd/Armijo step, one per CG iteration plus one)"),
    MetricDecl("expensive_grad_evals", perView: false, "cumulative per-example target-space gradients grad_f l_i (b per step for every optimizer; divide by b for the paper's 'gradient evaluations')"),
    MetricDecl("inner_steps", perView: false, "cumulative cheap inner steps on the surrogate (sso; NaN for other optimizers)"),
    MetricDecl("surrogate_before", perView: false, "sso: surrogate at x_t in batch-objective units (= the minibatch objective), last outer step"),
    MetricDecl("surrogate_after", perView: false, "sso: surrogate at x_{t+1} after the inner loop, last outer step"),
    MetricDecl("mm_violations", perView: false, "sso, full batch with eta <= 1/beta: cumulative violations of majorization or monotone decrease (0 expected; NaN on minibatches, where it is not checked)"),
    MetricDecl("wall_time", perView: false, "seconds of optimization since the loop started; metric evaluations at log points excluded (two clock reads per log point)"),
]
