import ExprunCore

/// AdaBelief (Zhuang et al. 2020; pytorch_optimizer): Adam whose second moment tracks (g - m)^2; state 2d (3d ams_bound).
public enum AdaBelief {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "adabelief", doc: "AdaBelief (Zhuang et al. 2020; pytorch_optimizer): Adam whose second moment tracks (g - m)^2; state 2d (3d ams_bound).",
                      params: [Preset.lr(1e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + Preset.kozistrDecay() + [
                          .bool("rectify", false, "RAdam-style rectification (threshold rho_t >= 5)."),
                          .bool("degenerated_to_sgd", true, "With rectify, take SGD-with-momentum steps below the threshold."),
                          .bool("ams_bound", false, "Use the running max of s (AMSGrad-style)."),
                          Preset.eps(1e-16),
                      ])
    ) { p, ctx in
        let decay = Preset.kozistrDecay(p)
        return Preset.descent([ScaleByBelief(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                             eps: p.double("eps"), rectify: p.bool("rectify"),
                                             degeneratedToSGD: p.bool("degenerated_to_sgd"), amsBound: p.bool("ams_bound"))],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
