import ExprunCore
import ExprunLoop

/// Metrics of stochastic (finite-sum) runs, each with its evaluator: the only list of them
/// (the problem kind's declaration takes its `MetricDecl`s from here). Point metrics are
/// evaluated at the last iterate and at every view from one full-batch evaluation per point;
/// step metrics are read from the kernel at log points. The named counters of the methods
/// (SSO's inner steps, backtracks, ...) are metrics too, declared by the methods.
let stochasticMetricDefinitions: [LoopMetric<StochasticKernel>] = finiteSumMetricDefinitions() + [
    LoopMetric(MetricDecl(densityMetric, perView: false, "spectral density of the full-batch Hessian by stochastic Lanczos quadrature (run.curvature: lanczos_steps, lanczos_probes, bins): a histogram per log point, stored as float64 [log points, bins] with its bin edges in hessian_density_edges [log points, bins + 1]",
                          needs: [.hessianVectorProduct]),
               .point(.density, { _, _ in .nan })),
    .state("batch_grad_norm", "||g||_2 of the last step's minibatch gradient, before the step (log every step for a refined schedule)") { k, t in
        t == 0 ? .nan : k.batchGradNorm
    },
    .state("batch_grad_norm_l1", "||g||_1 of the last step's minibatch gradient, before the step (a refined schedule's Adam variant reads it)") { k, t in
        t == 0 ? .nan : k.batchGradNormL1
    },
]

/// The finite-sum metrics for any kernel that provides them: the stochastic kind's, and the
/// same definitions for the black-box kernel (one definition, two kernels). The stochastic
/// kind adds the Hessian density and the minibatch gradient norms, which only its kernel keeps.
public func finiteSumMetricDefinitions<K: FiniteSumKernel>() -> [LoopMetric<K>] { [
    .point("train_loss", "full training objective f(x), regulariser included",
           needs: .loss, divergence: .nonFiniteOrAboveThreshold) { q, _ in q.loss },
    .point("suboptimality", "f(x) - f*, with f* in closed form or certified to 1e-10",
           needs: [.loss, .optimalValue], divergence: .nonFinite) { q, k in q.loss - (k.fStar ?? .nan) },
    .point("grad_norm", "norm of the full-batch (sub)gradient", needs: .gradient, divergence: .nonFinite) { q, _ in
        q.gradNorm
    },
    .point("test_loss", "mean loss on the test split (no regulariser)",
           needs: .test, divergence: .nonFiniteIf { $0.hasTestSplit }) { q, _ in q.testLoss },
    .point("test_accuracy", "accuracy on the test split (classification)", needs: .test) { q, _ in q.testAccuracy },
    .point("train_accuracy", "accuracy on the training split (classification)", needs: .trainAccuracy) { q, _ in
        q.trainAccuracy
    },
    .point("dist_to_opt", "‖x - x_true‖ to the generating weights (synthetic data)",
           needs: .distance, divergence: .nonFiniteIf { $0.reference != nil }) { q, _ in q.distance },
    .point("param_norm", "Euclidean norm ||x|| of the parameters", needs: .paramNorm) { q, _ in q.paramNorm },
    .point("sharpness", "largest eigenvalue of the full-batch Hessian (of largest magnitude: lambda_max near a minimum) by power iteration on exact Hessian-vector products (run.curvature: power_iterations, tolerance)",
           needs: .sharpness, requires: [.hessianVectorProduct]) { q, _ in q.sharpness },
    .point("hessian_trace", "trace of the full-batch Hessian by Hutchinson's estimator with run.curvature.probes Rademacher probes",
           needs: .hutchinson, requires: [.hessianVectorProduct]) { q, _ in q.hessianTrace },
    .point("hessian_frobenius", "Frobenius norm of the full-batch Hessian, sqrt of the mean of ||Hz||^2 over the same probes as hessian_trace",
           needs: .hutchinson, requires: [.hessianVectorProduct]) { q, _ in q.hessianFrobenius },
    .point("batch_sharpness", "sharpness of a minibatch's Hessian: run.curvature.batch_size examples (default the run's batch size) drawn without replacement at each log point from the run's seed",
           needs: .batchSharpness, requires: [.hessianVectorProduct]) { q, _ in q.batchSharpness },
    .point("batch_hessian_trace", "Hutchinson trace of the same minibatch's Hessian as batch_sharpness",
           needs: .batchHutchinson, requires: [.hessianVectorProduct]) { q, _ in q.batchHessianTrace },
    .state("batch_loss", "minibatch loss at the current iterate, before the step") { k, t in
        t == 0 ? .nan : k.batchLoss
    },
    .state("lr", "learning rate of the last step") { k, t in t == 0 ? .nan : k.method.currentLR },
    .state("grad_evals", "cumulative per-example gradient evaluations (for sso: b per Jacobian-transpose product over the batch, one per inner gd/Armijo step, one per CG iteration plus one)") { k, _ in
        Double(k.gradEvals)
    },
    .state("expensive_grad_evals", "cumulative per-example target-space gradients grad_f l_i (b per step for every optimizer; divide by b for the paper's 'gradient evaluations')") { k, t in
        Double(t &* k.evalsPerStep)
    },
    .wallTime,
] }

/// The histogram metric: its 2-D series replaces the recorder's placeholder column after the
/// loop (StochasticDriver), with the bin edges beside it.
let densityMetric = "hessian_density"

/// The declarations alone (the problem kind's metric list, before the methods' counters).
let stochasticMetrics: [MetricDecl] = stochasticMetricDefinitions.map(\.decl)
