import ExprunCore

/// torch Adamax (Kingma & Ba 2015): Adam with an infinity-norm second moment; state 2d.
public enum Adamax {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "adamax", doc: "torch Adamax (Kingma & Ba 2015): Adam with an infinity-norm second moment; state 2d.",
                      params: [Preset.lr(2e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + [
                          Preset.eps(1e-8), Preset.weightDecay(0), Preset.maximize,
                      ])
    ) { p, ctx in
        return Preset.descent([ScaleByAdamax(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                             eps: p.double("eps"))],
                              p, ctx, coupledDecay: p.double("weight_decay"))
    }
}
