import ExprunCore

/// torch Adadelta (Zeiler 2012): unit-corrected RMS step, lr default 1; state 2d.
public enum Adadelta {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "adadelta", doc: "torch Adadelta (Zeiler 2012): unit-corrected RMS step, lr default 1; state 2d.",
                      params: [
                          Preset.lr(1.0), Preset.schedule,
                          .double("rho", 0.9, .unitOpen, "Decay of both running averages."),
                          Preset.eps(1e-6), Preset.weightDecay(0), Preset.maximize,
                      ])
    ) { p, ctx in
        return Preset.descent([ScaleByAdadelta(count: ctx.dimension, rho: p.double("rho"), eps: p.double("eps"))],
                              p, ctx, coupledDecay: p.double("weight_decay"))
    }
}
