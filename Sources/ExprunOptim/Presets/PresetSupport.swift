import ExprunCore

/// Shared declarations and the common chain shape of the presets:
/// [negate if maximize] + [coupled L2 decay] + core + [scale by -lr_t] + [decoupled decay].
enum Preset {
    static func lr(_ def: Double) -> ParamDecl {
        .double("lr", def, .nonNegative, "Learning rate (the base of the schedule).").logScale()
    }
    static let schedule = ParamDecl.reference("schedule", .schedule, required: false,
                                              "Name of a schedule for the lr (constant lr when absent).")
    static let maximize = ParamDecl.bool("maximize", false, "Maximize the objective (negate the gradient first).")
    static func betas(_ b1: Double, _ b2: Double) -> [ParamDecl] {
        [.double("beta1", b1, .unitOpen, "Decay rate of the first moment (betas[0])."),
         .double("beta2", b2, .unitOpen, "Decay rate of the second moment (betas[1]).")]
    }
    static func eps(_ def: Double) -> ParamDecl { .double("eps", def, .nonNegative, "Numerical stabilizer.") }
    static func weightDecay(_ def: Double, _ doc: String = "Coupled L2 weight decay: g += weight_decay * x.") -> ParamDecl {
        .double("weight_decay", def, .nonNegative, doc)
    }
    /// pytorch_optimizer's decay options (BaseOptimizer.apply_weight_decay).
    static func kozistrDecay(fixed: Bool = true, decouple: Bool = true) -> [ParamDecl] {
        var out: [ParamDecl] = [
            .double("weight_decay", 0, .nonNegative, "Weight decay strength."),
            .bool("weight_decouple", decouple, "Decoupled decay x *= 1 - lr*wd (else coupled g += wd*x)."),
        ]
        if fixed { out.append(.bool("fixed_decay", false, "Decoupled decay factor 1 - wd, independent of lr.")) }
        return out
    }

    /// The lr schedule: the named one the runner built (base = this optimizer's lr), else constant lr.
    static func schedule(_ p: Params, _ ctx: OptimizerContext) -> any Schedule {
        p.has("schedule") ? ctx.schedule : ConstantSchedule(base: p.double("lr"))
    }

    /// Weight decay as the pytorch_optimizer classes apply it: decoupled (p *= 1 - lr wd, or
    /// 1 - wd when fixed) or coupled (g += wd p). Returns (before core, after scale-by-lr).
    static func kozistrDecay(_ p: Params) -> (coupled: Double, decoupled: AddDecoupledWeightDecay?) {
        let wd = p.double("weight_decay")
        guard wd != 0 else { return (0, nil) }
        if p.bool("weight_decouple") {
            return (0, AddDecoupledWeightDecay(wd, fixed: p.has("fixed_decay") && p.bool("fixed_decay")))
        }
        return (wd, nil)
    }

    /// torch's decay: coupled g += wd x, or x *= 1 - lr wd with `decoupled_weight_decay`.
    static func torchDecay(_ p: Params) -> (coupled: Double, decoupled: AddDecoupledWeightDecay?) {
        let wd = p.double("weight_decay")
        guard wd != 0 else { return (0, nil) }
        return p.has("decoupled_weight_decay") && p.bool("decoupled_weight_decay") ? (0, AddDecoupledWeightDecay(wd)) : (wd, nil)
    }

    /// Assembles the usual chain around `core`.
    static func descent(_ core: [any GradientTransform], _ p: Params, _ ctx: OptimizerContext,
                        coupledDecay: Double = 0, decoupled: AddDecoupledWeightDecay? = nil) -> Chain {
        var ts: [any GradientTransform] = []
        if p.has("maximize") && p.bool("maximize") { ts.append(NegateGradient()) }
        if coupledDecay != 0 { ts.append(AddWeightDecay(coupledDecay)) }
        ts += core
        ts.append(ScaleByLearningRate())
        if let d = decoupled { ts.append(d) }
        return Chain(ts, schedule: schedule(p, ctx), layout: ctx.layout)
    }
}
