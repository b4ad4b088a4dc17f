import ExprunCore

/// torch NAdam (Dozat 2016): Adam with Nesterov momentum and a momentum warm-up schedule; state 2d.
public enum NAdam {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "nadam", doc: "torch NAdam (Dozat 2016): Adam with Nesterov momentum and a momentum warm-up schedule; state 2d.",
                      params: [Preset.lr(2e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + [
                          Preset.eps(1e-8),
                          Preset.weightDecay(0, "Weight decay: coupled L2, or x *= 1 - lr*wd when decoupled."),
                          .double("momentum_decay", 4e-3, .nonNegative, "psi in mu_t = b1 (1 - 0.5 * 0.96^(t psi))."),
                          .bool("decoupled_weight_decay", false, "Decouple the weight decay (NAdamW)."),
                          Preset.maximize,
                      ])
    ) { p, ctx in
        let decay = Preset.torchDecay(p)
        return Preset.descent([ScaleByNAdam(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                            eps: p.double("eps"), momentumDecay: p.double("momentum_decay"))],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
