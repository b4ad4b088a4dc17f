import ExprunCore

/// One gradient-transformation kind a `chain` optimizer can list: an ordinary declaration of
/// the `transform` family (verb-first kind, declared parameters, checked by the Spec's one
/// validator like any component's), where it sits relative to the lr scaling, and a factory
/// building the transform class that does the arithmetic.
public struct TransformEntry: Sendable {
    /// Where the transform sits relative to the lr scaling (see `ChainOptimizer`).
    public enum Stage: Sendable {
        /// Rewrites the update before the lr scaling (moments, clipping, coupled decay, ...).
        case update
        /// `scale_by_learning_rate` itself: u *= -lr_t.
        case learningRate
        /// Acts on the parameter increment after the lr scaling (decoupled decay).
        case increment
    }
    public var decl: ComponentDecl
    public var stage: Stage
    public var make: @Sendable (Params, OptimizerContext) -> any GradientTransform

    public init(_ decl: ComponentDecl, stage: Stage = .update,
                make: @escaping @Sendable (Params, OptimizerContext) -> any GradientTransform) {
        precondition(decl.family == .transform, "\(decl.kind) is declared as a \(decl.family.rawValue), not a transform")
        self.decl = decl; self.stage = stage; self.make = make
    }

    /// The declaration table's shorthand: kind, doc, parameters, cross-parameter check.
    init(_ kind: String, _ doc: String, params: [ParamDecl] = [], stage: Stage = .update,
         check: (@Sendable (Params) -> [ParamProblem])? = nil,
         make: @escaping @Sendable (Params, OptimizerContext) -> any GradientTransform) {
        self.init(ComponentDecl(.transform, kind, doc: doc, params: params, check: check), stage: stage, make: make)
    }
}

private func betas(_ b1: Double, _ b2: Double) -> [ParamDecl] {
    [.double("beta1", b1, .unitOpen, "Decay rate of the first moment."),
     .double("beta2", b2, .unitOpen, "Decay rate of the second moment.")]
}
private func eps(_ def: Double) -> ParamDecl { .double("eps", def, .nonNegative, "Numerical stabilizer.") }
private func required(_ name: String, _ range: ValueRange, _ doc: String) -> ParamDecl {
    ParamDecl(name, .double, required: true, range: range, doc: doc)
}

/// Every transform a `chain` optimizer can list, in the order `exprun list` shows them.
/// Each factory builds the same class the presets use, so a chain of one core transform is
/// the preset's arithmetic exactly.
public let transformCatalogue: [TransformEntry] = [
    TransformEntry("negate", "u = -u (first in the list: maximize instead of minimize).") { _, _ in NegateGradient() },
    TransformEntry("add_weight_decay", "Coupled L2 decay u += weight_decay * x (torch weight_decay; before the moments).",
                  params: [required("weight_decay", .nonNegative, "L2 strength.")]) { p, _ in
        AddWeightDecay(p.double("weight_decay"))
    },
    TransformEntry("add_decoupled_weight_decay",
                  "Decoupled decay x *= 1 - lr_t*weight_decay (AdamW), or 1 - weight_decay when fixed; acts after the lr scaling, so list it last.",
                  params: [required("weight_decay", .nonNegative, "Decay strength."),
                           .bool("fixed", false, "Factor 1 - weight_decay, independent of the lr (pytorch_optimizer fixed_decay).")],
                  stage: .increment) { p, _ in
        AddDecoupledWeightDecay(p.double("weight_decay"), fixed: p.bool("fixed"))
    },
    TransformEntry("clip_by_value", "u_i = clamp(u_i, -limit, limit).",
                  params: [required("limit", .positive, "Largest allowed |u_i|.")]) { p, _ in ClipByValue(p.double("limit")) },
    TransformEntry("clip_by_norm", "Rescales each block of the layout (each tensor) to norm at most max_norm.",
                  params: [required("max_norm", .positive, "Largest allowed norm per block.")]) { p, _ in
        ClipByBlockNorm(p.double("max_norm"))
    },
    TransformEntry("clip_by_global_norm", "Rescales the whole update to norm at most max_norm (optax clip_by_global_norm, torch clip_grad_norm_).",
                  params: [required("max_norm", .positive, "Largest allowed global norm.")]) { p, _ in
        ClipByGlobalNorm(p.double("max_norm"))
    },
    TransformEntry("trace", "torch SGD momentum: b = u on step 1, then b = momentum b + (1 - dampening) u; output b, or u + momentum b (Nesterov). State d.",
                  params: [.double("momentum", 0.9, .unitOpen, "Momentum factor mu."),
                           .double("dampening", 0, .unit, "Dampening of u in the buffer."),
                           .bool("nesterov", false, "Nesterov momentum (needs momentum > 0, dampening = 0).")],
                  check: { p in
                      guard p.bool("nesterov") else { return [] }
                      if p.double("momentum") <= 0 { return [ParamProblem("momentum", "nesterov = true requires momentum > 0")] }
                      if p.double("dampening") != 0 { return [ParamProblem("dampening", "nesterov = true requires dampening = 0")] }
                      return []
                  }) { p, ctx in
        TraceMomentum(count: ctx.dimension, momentum: p.double("momentum"), dampening: p.double("dampening"),
                      nesterov: p.bool("nesterov"))
    },
    TransformEntry("scale_by_ema", "b = decay b + (1 - decay) u from 0, output b (no bias correction; Signum's momentum). State d.",
                  params: [.double("decay", 0.9, .unitOpen, "EMA decay.")]) { p, ctx in
        ScaleByEMA(count: ctx.dimension, decay: p.double("decay"))
    },
    TransformEntry("scale_by_adam", "torch Adam: bias-corrected moments, u = m_hat / (sqrt(v_hat) + eps); AMSGrad option. State 2d (3d amsgrad).",
                  params: betas(0.9, 0.999) + [eps(1e-8), .bool("amsgrad", false, "Use the running max of v.")]) { p, ctx in
        ScaleByAdam(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"), eps: p.double("eps"),
                    amsgrad: p.bool("amsgrad"))
    },
    TransformEntry("scale_by_adamax", "torch Adamax: u = m_hat / max(beta2 r, |u| + eps). State 2d.",
                  params: betas(0.9, 0.999) + [eps(1e-8)]) { p, ctx in
        ScaleByAdamax(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"), eps: p.double("eps"))
    },
    TransformEntry("scale_by_radam", "torch RAdam: rectified Adam, un-preconditioned m_hat while rho_t <= 5. State 2d.",
                  params: betas(0.9, 0.999) + [eps(1e-8)]) { p, ctx in
        ScaleByRAdam(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"), eps: p.double("eps"))
    },
    TransformEntry("scale_by_yogi", "Yogi (pytorch_optimizer): additive second-moment update v -= (1-beta2) sign(v - u^2) u^2. State 2d.",
                  params: betas(0.9, 0.999) + [eps(1e-3),
                                               .double("initial_accumulator", 1e-6, .nonNegative, "Starting value of both moments.")]) { p, ctx in
        ScaleByYogi(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"), eps: p.double("eps"),
                    initialAccumulator: p.double("initial_accumulator"))
    },
    TransformEntry("scale_by_rms", "torch RMSprop's preconditioner: u / (sqrt(EMA of u^2 [- mean^2]) + eps). State d (2d centered).",
                  params: [.double("alpha", 0.99, .unitOpen, "Decay of the running mean of u^2."), eps(1e-8),
                           .bool("centered", false, "Subtract the squared running mean of u.")]) { p, ctx in
        ScaleByRMS(count: ctx.dimension, alpha: p.double("alpha"), eps: p.double("eps"), centered: p.bool("centered"))
    },
    TransformEntry("scale_by_adagrad", "torch Adagrad: u / (sqrt(sum of u^2) + eps) / (1 + (t-1) lr_decay). State d.",
                  params: [.double("lr_decay", 0, .nonNegative, "Step-size decay 1 / (1 + (t-1) lr_decay)."),
                           .double("initial_accumulator_value", 0, .nonNegative, "Starting value of the sum of squares."),
                           eps(1e-10)]) { p, ctx in
        ScaleByAdagrad(count: ctx.dimension, lrDecay: p.double("lr_decay"),
                       initialAccumulator: p.double("initial_accumulator_value"), eps: p.double("eps"))
    },
    TransformEntry("scale_by_adadelta", "torch Adadelta: sqrt(a + eps)/sqrt(v + eps) u with running averages of u^2 and of the steps. State 2d.",
                  params: [.double("rho", 0.9, .unitOpen, "Decay of both running averages."), eps(1e-6)]) { p, ctx in
        ScaleByAdadelta(count: ctx.dimension, rho: p.double("rho"), eps: p.double("eps"))
    },
    TransformEntry("scale_by_belief", "AdaBelief (official adabelief-pytorch 0.2.0 by default): second moment of (u - m); rectify, ams_bound, convention options. State 2d (3d ams_bound).",
                  params: betas(0.9, 0.999) + [eps(1e-16)] + ScaleByBelief.options) { p, ctx in
        ScaleByBelief.make(p, count: ctx.dimension)
    },
    TransformEntry("scale_by_lion", "Lion: u = sign(beta1 m + (1-beta1) u), then m = beta2 m + (1-beta2) u. State d.",
                  params: betas(0.9, 0.99)) { p, ctx in
        ScaleByLion(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"))
    },
    TransformEntry("scale_by_sign", "u = sign(u), sign(0) = 0 (signSGD).") { _, _ in ScaleBySign() },
    TransformEntry("scale_by_swan", "SWAN on matrix blocks (GradNorm + Newton-Schulz whitening, unit RMS), Adam on vector blocks. State 2 x vector coordinates.",
                  params: [.int("ns_steps", 100, .atLeastOne, "Most coupled Newton-Schulz iterations (exactly this many when ns_tolerance = 0)."),
                           .double("ns_tolerance", 1e-10, .nonNegative, "Stop when the relative change of Y is below this."),
                           .double("eps", 1e-8, .nonNegative, "GradNorm stabilizer."),
                           .bool("grad_norm", true, "Apply GradNorm."), .bool("whitening", true, "Apply GradWhitening."),
                           .double("scale", 1, .positive, "Factor on the unit-RMS matrix update.")]
                      + betas(0.9, 0.999) + [.double("adam_eps", 1e-8, .nonNegative, "Adam's eps on the vector blocks.")]) { p, ctx in
        ScaleBySwan(layout: MatrixPreset.layout(ctx), nsSteps: p.int("ns_steps"), nsTolerance: p.double("ns_tolerance"), eps: p.double("eps"),
                    gradNorm: p.bool("grad_norm"), whitening: p.bool("whitening"), scale: p.double("scale"),
                    beta1: p.double("beta1"), beta2: p.double("beta2"), adamEps: p.double("adam_eps"))
    },
    TransformEntry("scale_by_learning_rate", "u = -lr_t u with lr_t from the schedule (appended automatically when not listed).",
                  stage: .learningRate) { _, _ in ScaleByLearningRate() },
]
