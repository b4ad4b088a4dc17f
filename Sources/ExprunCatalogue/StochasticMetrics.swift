import ExprunCore

/// Metrics of stochastic (finite-sum) runs, recorded at log points.
public let stochasticMetrics: [MetricDecl] = [
    MetricDecl("train_loss", .stochastic, perView: true, "full training objective f(x), regulariser included"),
    MetricDecl("suboptimality", .stochastic, perView: true, "f(x) - f*, with f* in closed form or certified to 1e-10"),
    MetricDecl("grad_norm", .stochastic, perView: true, "norm of the full-batch (sub)gradient"),
    MetricDecl("test_loss", .stochastic, perView: true, "mean loss on the test split (no regulariser)"),
    MetricDecl("test_accuracy", .stochastic, perView: true, "accuracy on the test split (classification)"),
    MetricDecl("train_accuracy", .stochastic, perView: true, "accuracy on the training split (classification)"),
    MetricDecl("dist_to_opt", .stochastic, perView: true, "||x - x_true|| to the generating weights (synthetic data)"),
    MetricDecl("batch_loss", .stochastic, perView: false, "minibatch loss at the current iterate, before the step"),
    MetricDecl("lr", .stochastic, perView: false, "learning rate of the last step"),
    MetricDecl("grad_evals", .stochastic, perView: false, "cumulative per-example gradient evaluations"),
]
