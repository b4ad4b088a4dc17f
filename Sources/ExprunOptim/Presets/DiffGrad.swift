import ExprunCore

/// diffGrad (Dubey et al. 2019; pytorch_optimizer): Adam damped by sigmoid(|g_prev - g|); state 3d.
public enum DiffGrad {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "diffgrad", doc: "diffGrad (Dubey et al. 2019; pytorch_optimizer): Adam damped by sigmoid(|g_prev - g|); state 3d.",
                      params: [Preset.lr(1e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + Preset.kozistrDecay() + [
                          Preset.eps(1e-8),
                          .bool("legacy_alias", false, "Original diffGrad.py aliasing bug: xi = 0.5 from step 2 on."),
                      ])
    ) { p, ctx in
        let decay = Preset.kozistrDecay(p)
        return Preset.descent([ScaleByDiffGrad(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                               eps: p.double("eps"), legacyAlias: p.bool("legacy_alias"))],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
