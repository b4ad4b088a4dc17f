import ExprunCore

/// torch RMSprop: g / (sqrt(EMA of g^2) + eps), optional centering and momentum; state d (+d centered, +d momentum).
public enum RMSprop {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "rmsprop", doc: "torch RMSprop: g / (sqrt(EMA of g^2) + eps), optional centering and momentum; state d (+d centered, +d momentum).",
                      params: [
                          Preset.lr(1e-2), Preset.schedule,
                          .double("alpha", 0.99, .unitOpen, "Decay of the running mean of g^2."),
                          Preset.eps(1e-8),
                          .bool("centered", false, "Normalize by the estimated variance instead of the second moment."),
                          .double("momentum", 0, .unitOpen, "Momentum on the preconditioned gradient (lr outside)."),
                          Preset.weightDecay(0), Preset.maximize,
                      ])
    ) { p, ctx in
        var core: [any GradientTransform] = [ScaleByRMS(count: ctx.dimension, alpha: p.double("alpha"), eps: p.double("eps"),
                                                        centered: p.bool("centered"))]
        // torch: buf = mu buf + g/avg from buf = 0, x -= lr buf: a dampening-free trace.
        if p.double("momentum") != 0 { core.append(TraceMomentum(count: ctx.dimension, momentum: p.double("momentum"))) }
        return Preset.descent(core, p, ctx, coupledDecay: p.double("weight_decay"))
    }
}
