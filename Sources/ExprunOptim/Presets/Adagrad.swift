import ExprunCore

/// torch Adagrad (Duchi et al. 2011): lr / (sqrt(sum g^2) + eps), optional lr decay; state d.
public enum Adagrad {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "adagrad", doc: "torch Adagrad (Duchi et al. 2011): lr / (sqrt(sum g^2) + eps), optional lr decay; state d.",
                      params: [
                          Preset.lr(1e-2), Preset.schedule,
                          .double("lr_decay", 0, .nonNegative, "lr_t = lr / (1 + (t-1) lr_decay)."),
                          .double("initial_accumulator_value", 0, .nonNegative, "Starting value of the sum of squares."),
                          Preset.eps(1e-10), Preset.weightDecay(0), Preset.maximize,
                      ])
    ) { p, ctx in
        return Preset.descent([ScaleByAdagrad(count: ctx.dimension, lrDecay: p.double("lr_decay"),
                                              initialAccumulator: p.double("initial_accumulator_value"),
                                              eps: p.double("eps"))],
                              p, ctx, coupledDecay: p.double("weight_decay"))
    }
}
