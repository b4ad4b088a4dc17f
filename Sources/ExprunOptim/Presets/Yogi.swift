import ExprunCore

/// Yogi (Zaheer et al. 2018; pytorch_optimizer): Adam with an additive, sign-controlled second moment; state 2d.
public enum Yogi {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "yogi", doc: "Yogi (Zaheer et al. 2018; pytorch_optimizer): Adam with an additive, sign-controlled second moment; state 2d.",
                      params: [Preset.lr(1e-2), Preset.schedule] + Preset.betas(0.9, 0.999) + Preset.kozistrDecay() + [
                          .double("initial_accumulator", 1e-6, .nonNegative, "Starting value of both moments."),
                          Preset.eps(1e-3),
                      ])
    ) { p, ctx in
        let decay = Preset.kozistrDecay(p)
        return Preset.descent([ScaleByYogi(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                           eps: p.double("eps"), initialAccumulator: p.double("initial_accumulator"))],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
