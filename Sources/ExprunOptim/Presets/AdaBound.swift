import ExprunCore

/// AdaBound (Luo et al. 2019; pytorch_optimizer): Adam with step sizes clipped into bounds converging to final_lr; state 2d (3d ams_bound).
public enum AdaBound {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "adabound", doc: "AdaBound (Luo et al. 2019; pytorch_optimizer): Adam with step sizes clipped into bounds converging to final_lr; state 2d (3d ams_bound).",
                      params: [Preset.lr(1e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + [
                          .double("final_lr", 0.1, .positive, "Learning rate both bounds converge to (scaled with lr/base lr)."),
                          .double("gamma", 1e-3, .positive, "Convergence speed of the bounds."),
                          .bool("ams_bound", false, "AMSBound: the running max of v in the denominator (state 3d)."),
                      ] + Preset.kozistrDecay() + [Preset.eps(1e-8)])
    ) { p, ctx in
        let decay = Preset.kozistrDecay(p)
        return Preset.descent([ScaleByAdaBound(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                               eps: p.double("eps"), finalLR: p.double("final_lr"),
                                               baseLR: p.double("lr"), gamma: p.double("gamma"),
                                               amsBound: p.bool("ams_bound"))],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
