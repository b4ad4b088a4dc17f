import ExprunCore
import ExprunLoop

/// Metrics of stochastic (finite-sum) runs, each with its evaluator: the only list of them
/// (the problem kind's declaration takes its `MetricDecl`s from here). Point metrics are
/// evaluated at the last iterate and at every view from one full-batch evaluation per point;
/// step metrics are read from the kernel at log points. The named counters of the methods
/// (SSO's inner steps, backtracks, ...) are metrics too, declared by the methods.
let stochasticMetricDefinitions: [LoopMetric<StochasticKernel>] = finiteSumMetricDefinitions()

/// The finite-sum metrics for any kernel that provides them: the stochastic kind's, and the
/// same definitions for the black-box kernel (one definition, two kernels).
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
    .point("dist_to_opt", "||x - x_true|| to the generating weights (synthetic data)",
           needs: .distance, divergence: .nonFiniteIf { $0.reference != nil }) { q, _ in q.distance },
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
    LoopMetric(MetricDecl("wall_time", perView: false, "seconds of optimization since the loop started; metric evaluations at log points excluded (two clock reads per log point)"),
               .wallTime),
] }

/// The declarations alone (the problem kind's metric list, before the methods' counters).
let stochasticMetrics: [MetricDecl] = stochasticMetricDefinitions.map(\.decl)

