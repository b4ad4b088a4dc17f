import ExprunCore


/// The metrics a stochastic run records (declared in StochasticProblem.swift; this is the
/// driver's own switch over them).
public enum StochasticMetric: String, CaseIterable, Sendable {
    case trainLoss = "train_loss"
    case suboptimality
    case gradNorm = "grad_norm"
    case testLoss = "test_loss"
    case testAccuracy = "test_accuracy"
    case trainAccuracy = "train_accuracy"
    case distToOpt = "dist_to_opt"
    case batchLoss = "batch_loss"
    case lr
    case gradEvals = "grad_evals"
    case expensiveGradEvals = "expensive_grad_evals"
    case innerSteps = "inner_steps"
    case surrogateBefore = "surrogate_before"
    case surrogateAfter = "surrogate_after"
    case mmViolations = "mm_violations"
    case wallTime = "wall_time"

    /// Evaluated at every iterate view (the others describe the step, not a point), as the
    /// metric's declaration in the catalogue says.
    public var perView: Bool { stochasticProblem.decl.metric(rawValue)?.perView ?? false }

    /// What evaluating this metric at a point costs.
    var needs: PointNeeds {
        switch self {
        case .trainLoss, .suboptimality: return .loss
        case .gradNorm: return .gradient
        case .testLoss, .testAccuracy: return .test
        case .trainAccuracy: return .trainAccuracy
        case .distToOpt: return .distance
        case .batchLoss, .lr, .gradEvals: return []
        case .expensiveGradEvals, .innerSteps, .surrogateBefore, .surrogateAfter, .mmViolations, .wallTime: return []
        }
    }
}

/// Step metrics recorded at log points only (never per step): the target-space optimizer's
/// report and the wall clock. NaN where an optimizer does not produce one.
struct StepExtras {
    /// Per-example target-space gradients grad_f l_i computed so far (b per step for every
    /// optimizer: SGD's minibatch gradient is one such call too).
    var expensiveGradEvals = 0.0
    var innerSteps = Double.nan
    var surrogateBefore = Double.nan
    var surrogateAfter = Double.nan
    var mmViolations = Double.nan
    var wallTime = 0.0

    func value(_ m: StochasticMetric) -> Double {
        switch m {
        case .expensiveGradEvals: return expensiveGradEvals
        case .innerSteps: return innerSteps
        case .surrogateBefore: return surrogateBefore
        case .surrogateAfter: return surrogateAfter
        case .mmViolations: return mmViolations
        case .wallTime: return wallTime
        default: return .nan
        }
    }

    static let metrics: [StochasticMetric] = [.expensiveGradEvals, .innerSteps, .surrogateBefore, .surrogateAfter,
                                              .mmViolations, .wallTime]
}

/// Full-batch quantities needed at a log point, per view.
struct PointNeeds: OptionSet {
    let rawValue: Int
    static let loss = PointNeeds(rawValue: 1)
    static let gradient = PointNeeds(rawValue: 2)
    static let test = PointNeeds(rawValue: 4)
    static let trainAccuracy = PointNeeds(rawValue: 8)
    static let distance = PointNeeds(rawValue: 16)
}

/// Full-batch quantities at one point; NaN where not computed or not applicable.
struct PointValues {
    var loss = Double.nan
    var gradNorm = Double.nan
    var testLoss = Double.nan
    var testAccuracy = Double.nan
    var trainAccuracy = Double.nan
    var distance = Double.nan
}
