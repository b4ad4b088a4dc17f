import ExprunCore

/// torch AdamW (Loshchilov & Hutter 2019): Adam with decoupled decay x *= 1 - lr*wd; state 2d (3d AMSGrad).
public enum AdamW {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "adamw", doc: "torch AdamW (Loshchilov & Hutter 2019): Adam with decoupled decay x *= 1 - lr*wd; state 2d (3d AMSGrad).",
                      params: [Preset.lr(1e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + [
                          Preset.eps(1e-8),
                          Preset.weightDecay(0.01, "Weight decay: coupled L2, or x *= 1 - lr*wd when decoupled."),
                          .bool("decoupled_weight_decay", true, "Decouple the weight decay (AdamW)."),
                          .bool("amsgrad", false, "AMSGrad: use the running max of the second moment."),
                          Preset.maximize,
                      ])
    ) { p, ctx in
        let decay = Preset.torchDecay(p)
        return Preset.descent([ScaleByAdam(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                           eps: p.double("eps"), amsgrad: p.bool("amsgrad"))],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
