import ExprunCore

/// signSGD / Signum (Bernstein et al. 2018; pytorch_optimizer SignSGD): sign of an EMA of g; state d (0 without momentum).
public enum SignSGD {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "signsgd", doc: "signSGD / Signum (Bernstein et al. 2018; pytorch_optimizer SignSGD): sign of an EMA of g; state d (0 without momentum).",
                      params: [
                          Preset.lr(1e-3), Preset.schedule,
                          .double("momentum", 0.9, .unitOpen, "EMA factor of the gradient (0 gives plain signSGD)."),
                      ] + Preset.kozistrDecay(fixed: false))
    ) { p, ctx in
        let decay = Preset.kozistrDecay(p)
        let mu = p.double("momentum")
        var core: [any GradientTransform] = []
        if mu != 0 { core.append(ScaleByEMA(count: ctx.dimension, decay: mu)) }
        core.append(ScaleBySign())
        return Preset.descent(core, p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
