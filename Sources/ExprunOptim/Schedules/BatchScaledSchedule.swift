import ExprunCore

/// A batch-size rule applied to a schedule: lr_t = kappa(B) * shape(t), with
/// kappa(B) = (B / B_0)^p, B the run's batch size (the training set's size in full batch), B_0
/// the batch size the step size was tuned at, and p = 1 (`linear`, the rule for SGD),
/// 1/2 (`sqrt`, the rule for Adam) or 0 (`none`). Granziol, Zohren and Roberts (JMLR 2022,
/// arXiv 2006.09092) section 6's transform eta_B(k) = kappa(B) eta_0(k / K_B): the shape is
/// built over the run's own steps, so a sweep that zips `run.batch_size` with
/// `run.steps = epochs * n / B` keeps it a function of the fraction of training.
/// Momentum and betas are left as they are, as in the paper.
///
/// It is a schedule of its own (not a parameter of every schedule) because the rule is a
/// transform of whatever shape it is given: one declaration composes with every schedule kind,
/// `sequential` and `refined` included, and a sweep switches the rule on and off by naming the
/// wrapped or the plain schedule (or sweeps `schedule.rule`).
public struct BatchScaledSchedule: Schedule {
    public let shape: any Schedule
    public let factor: Double
    public init(shape: any Schedule, factor: Double) { self.shape = shape; self.factor = factor }
    public func lr(at t: Int) -> Double { factor * shape.lr(at: t) }

    public enum Rule: String, CaseIterable, Sendable {
        case linear, sqrt, none
        /// The exponent p of kappa(B) = (B / B_0)^p.
        public var exponent: Double {
            switch self {
            case .linear: return 1
            case .sqrt: return 0.5
            case .none: return 0
            }
        }
    }

    /// kappa(B) = (B / B_0)^p, exact for the linear rule (one division) and the identity at B = B_0.
    public static func factor(rule: Rule, batchSize: Int, base: Int) -> Double {
        let ratio = Double(batchSize) / Double(base)
        switch rule {
        case .linear: return ratio
        case .sqrt: return ratio.squareRoot()
        case .none: return 1
        }
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "batch_scaled",
                      doc: "Batch-size rule: lr_t = (B/base_batch_size)^p * the named schedule's lr_t, p = 1 (linear, SGD), 1/2 (sqrt, Adam) or 0 (none); B is the run's batch size (n in full batch).",
                      params: [
                          .choice("rule", Rule.allCases.map(\.rawValue), "linear",
                                  "linear: lr scales with B (SGD's rule); sqrt: with sqrt(B) (Adam's rule); none: unchanged"),
                          ParamDecl("base_batch_size", .int, required: true, range: .atLeastOne,
                                    doc: "batch size B_0 at which the optimizer's lr (and the schedule) was tuned: the factor is 1 there"),
                          .reference("schedule", .schedule, required: false,
                                     "the schedule whose step sizes are scaled (constant when absent)"),
                      ])
    ) { p, ctx in
        let rule = Rule(rawValue: p.string("rule"))!
        guard let batch = ctx.batchSize else {
            throw ComponentError("batch_scaled: this run has no batch size (the problem kind takes no minibatches)")
        }
        let shape: any Schedule = try p.optionalString("schedule").map {
            try ctx.buildNamed($0, totalSteps: ctx.totalSteps, owner: "batch_scaled")
        } ?? ConstantSchedule(base: ctx.baseLR)
        return BatchScaledSchedule(shape: shape, factor: factor(rule: rule, batchSize: batch, base: p.int("base_batch_size")))
    }
}
