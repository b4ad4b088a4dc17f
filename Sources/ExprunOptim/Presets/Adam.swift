import ExprunCore

/// torch Adam (Kingma & Ba 2015): bias-corrected moments, eps after the corrected root; state 2d (3d AMSGrad).
public enum Adam {
    public static let entry = torchAdam(
        kind: "adam", doc: "torch Adam (Kingma & Ba 2015): bias-corrected moments, eps after the corrected root; state 2d (3d AMSGrad).",
        weightDecay: 0, decoupled: false)

    /// torch's Adam and AdamW are one class with two sets of defaults (AdamW: wd 0.01,
    /// decoupled), so both presets are built here.
    static func torchAdam(kind: String, doc: String, weightDecay: Double, decoupled: Bool) -> OptimizerEntry {
        OptimizerEntry(
            ComponentDecl(.optimizer, kind, doc: doc,
                          params: [Preset.lr(1e-3), Preset.schedule] + Preset.betas(0.9, 0.999) + [
                              Preset.eps(1e-8),
                              Preset.weightDecay(weightDecay, "Weight decay: coupled L2, or x *= 1 - lr*wd when decoupled."),
                              .bool("decoupled_weight_decay", decoupled, "Decouple the weight decay (AdamW)."),
                              .bool("amsgrad", false, "AMSGrad: use the running max of the second moment."),
                              Preset.maximize,
                          ],
                          provides: { _ in [.cycledMomentum] })   // a onecycle schedule may set beta1
        ) { p, ctx in
            let decay = Preset.torchDecay(p)
            return Preset.descent([ScaleByAdam(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"),
                                               eps: p.double("eps"), amsgrad: p.bool("amsgrad"))],
                                  p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
        }
    }
}
