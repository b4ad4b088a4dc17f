import ExprunCore

/// diffGrad (Dubey et al. 2019): Adam damped by sigmoid(|g_prev - g|). Defaults follow the
/// official diffGrad_v2.py: coupled L2 decay (weight_decouple false) and nothing added inside
/// the square root; `convention: pytorch_optimizer` with `weight_decouple: true` reproduces
/// pytorch_optimizer 4.1 (sqrt(v + 1e-15)). State 3d.
public enum DiffGrad {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "diffgrad", doc: "diffGrad (Dubey et al. 2019; official diffGrad_v2): Adam damped by sigmoid(|g_prev - g|); state 3d.",
                      params: [Preset.lr(1e-3), Preset.schedule] + Preset.betas(0.9, 0.999)
                          + Preset.kozistrDecay(decouple: false) + [
                          Preset.eps(1e-8),
                          .choice("convention", ["official", "pytorch_optimizer"], "official",
                                  "official (diffGrad_v2.py: sqrt(v) + eps) or pytorch_optimizer (4.1: sqrt(v + 1e-15) + eps)."),
                          .bool("legacy_alias", false, "Original diffGrad.py aliasing bug: xi = 0.5 from step 2 on."),
                      ])
    ) { p, ctx in
        let decay = Preset.kozistrDecay(p)
        return Preset.descent([ScaleByDiffGrad(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                               eps: p.double("eps"), legacyAlias: p.bool("legacy_alias"),
                                               sqrtEps: p.string("convention") == "pytorch_optimizer" ? 1e-15 : 0)],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
