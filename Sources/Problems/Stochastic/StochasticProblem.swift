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
