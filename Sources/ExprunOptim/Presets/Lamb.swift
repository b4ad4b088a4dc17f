import ExprunCore

/// LAMB (You et al. 2020; pytorch_optimizer): Adam direction times a per-tensor trust ratio; state 2d.
public enum Lamb {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "lamb", doc: "LAMB (You et al. 2020; pytorch_optimizer): Adam direction times a per-tensor trust ratio; state 2d.",
                      params: [Preset.lr(1e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + [
                          .double("weight_decay", 0, .nonNegative, "Decoupled weight decay x *= 1 - lr*wd."),
                          .bool("fixed_decay", false, "Decoupled decay factor 1 - wd, independent of lr."),
                          .bool("grad_averaging", true, "Scale the gradient by 1 - beta1 in the first moment."),
                          .bool("adam", false, "Trust ratio fixed to 1 (plain Adam-style direction)."),
                          Preset.eps(1e-6),
                      ])
    ) { p, ctx in
        // Decay is always decoupled here: the reference applies it after the moments, and x after
        // decay is what the trust ratio measures.
        let wd = p.double("weight_decay")
        let decay = wd != 0 ? AddDecoupledWeightDecay(wd, fixed: p.bool("fixed_decay")) : nil
        var core: [any GradientTransform] = [
            ScaleByLambMoments(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"), eps: p.double("eps"),
                               gradAveraging: p.bool("grad_averaging")),
        ]
        if !p.bool("adam") { core.append(ScaleByTrustRatio(clamp: 10, eps: p.double("eps"), decay: decay)) }
        core.append(ScaleByBiasCorrection(beta: p.double("beta1")))
        return Preset.descent(core, p, ctx, decoupled: decay)
    }
}
