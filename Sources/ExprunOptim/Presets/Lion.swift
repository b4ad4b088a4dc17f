import ExprunCore

/// Lion (Chen et al. 2023; pytorch_optimizer): sign of an interpolated momentum; state d.
public enum Lion {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "lion", doc: "Lion (Chen et al. 2023; pytorch_optimizer): sign of an interpolated momentum; state d.",
                      params: [Preset.lr(1e-4), Preset.schedule] + Preset.betas(0.9, 0.99) + Preset.kozistrDecay())
    ) { p, ctx in
        let decay = Preset.kozistrDecay(p)
        return Preset.descent([ScaleByLion(count: ctx.dimension, beta1: p.double("beta1"), beta2: p.double("beta2"))],
                              p, ctx, coupledDecay: decay.coupled, decoupled: decay.decoupled)
    }
}
