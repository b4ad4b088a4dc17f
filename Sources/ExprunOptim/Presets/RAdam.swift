import ExprunCore

/// torch RAdam (Liu et al. 2020): Adam with a variance rectification, SGD-with-momentum while rho_t <= 5; state 2d.
public enum RAdam {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "radam", doc: "torch RAdam (Liu et al. 2020): Adam with a variance rectification, SGD-with-momentum while rho_t <= 5; state 2d.",
                      params: [Preset.lr(1e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + [
                          Preset.eps(1e-8),
                          Preset.weightDecay(0, "Weight decay: coupled L2, or x *= 1 - lr*wd when decoupled."),
                          .bool("decoupled_weight_decay", false, "Decouple the weight decay."),
                          Preset.maximize,
                      ])
    ) { p, ctx in
        let decay = Preset.torchDecay(p)
        return Preset.descent([ScaleByRAdam(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                            eps: p.double("eps"))],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
