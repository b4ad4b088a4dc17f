import ExprunCore

/// AdaBelief (Zhuang et al. 2020): Adam whose second moment tracks (g - m)^2. Defaults follow the
/// official adabelief-pytorch 0.2.0 (rectify on, decoupled decay, eps 1e-16); `convention:
/// pytorch_optimizer` with `rectify: false` reproduces pytorch_optimizer 4.1. State 2d (3d ams_bound).
public enum AdaBelief {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "adabelief", doc: "AdaBelief (Zhuang et al. 2020; official adabelief-pytorch 0.2.0): Adam whose second moment tracks (g - m)^2; state 2d (3d ams_bound).",
                      params: [Preset.lr(1e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + Preset.kozistrDecay()
                          + ScaleByBelief.options + [Preset.eps(1e-16)])
    ) { p, ctx in
        let decay = Preset.kozistrDecay(p)
        return Preset.descent([ScaleByBelief.make(p, count: ctx.dimension)],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
