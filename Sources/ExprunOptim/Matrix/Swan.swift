import ExprunCore

/// SWAN (Ma et al. 2024): stateless GradNorm + GradWhitening on matrix blocks, Adam on the rest.
public enum Swan {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "swan", doc: "SWAN (Ma et al. 2024): stateless row standardization + Newton-Schulz whitening (GG^T)^(-1/2)G, unit-RMS update on matrix blocks; Adam on vector blocks; state = Adam moments of the vector blocks only.",
                      params: [Preset.lr(1e-3), Preset.schedule,
                               .int("ns_steps", 100, .atLeastOne, "Most coupled Newton-Schulz iterations for (GG^T)^(-1/2) (exactly this many when ns_tolerance = 0)."),
                               .double("ns_tolerance", 1e-10, .nonNegative, "Stop when the relative change of Y is below this (0: fixed ns_steps, the paper's fixed-K form; K = 10 is 12-24% off on square blocks)."),
                               .double("eps", 1e-8, .nonNegative, "GradNorm stabilizer: (G - mu) / (s + eps)."),
                               .bool("grad_norm", true, "Apply GradNorm (false: the whitening-only ablation)."),
                               .bool("whitening", true, "Apply GradWhitening (false: the GradNorm-only ablation)."),
                               .double("scale", 1, .positive, "Extra factor on the unit-RMS matrix update (reimplementations use 0.05 or 0.2 [UNVERIFIED])."),
                      ] + Preset.betas(0.9, 0.999) + [
                          .double("adam_eps", 1e-8, .nonNegative, "Adam's eps on the vector blocks."),
                          MatrixPreset.decoupledDecay(0),
                      ])
    ) { p, ctx in
        MatrixPreset.chain(ScaleBySwan(layout: MatrixPreset.layout(ctx), nsSteps: p.int("ns_steps"), nsTolerance: p.double("ns_tolerance"), eps: p.double("eps"),
                                       gradNorm: p.bool("grad_norm"), whitening: p.bool("whitening"),
                                       scale: p.double("scale"), beta1: p.double("beta1"), beta2: p.double("beta2"),
                                       adamEps: p.double("adam_eps")), p, ctx)
    }
}
