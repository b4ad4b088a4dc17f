import ExprunCore

/// GaLore (Zhao et al. 2024): Adam on the top-r SVD projection of each matrix gradient.
public enum GaLore {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "galore", doc: "GaLore (Zhao et al. 2024): top-r SVD projector of each matrix gradient on its smaller side (refreshed every update_gap steps), Adam in the r-dim space, back-projected times scale; Adam on vector blocks; state 2 r*side' + projector per matrix.",
                      params: [Preset.lr(0.01), Preset.schedule,
                               MatrixPreset.rank(128),
                               MatrixPreset.updateGap(200, "Steps between SVD refreshes of the projector (refresh when t mod update_gap == 0)."),
                               .double("scale", 0.25, .positive, "GaLore's alpha: factor on the back-projected update."),
                      ] + Preset.betas(0.9, 0.999) + [Preset.eps(1e-8), MatrixPreset.decoupledDecay(0)])
    ) { p, ctx in
        MatrixPreset.chain(ScaleByGaLore(layout: MatrixPreset.layout(ctx), rank: p.int("rank"), updateGap: p.int("update_gap"),
                                         scale: p.double("scale"), beta1: p.double("beta1"), beta2: p.double("beta2"),
                                         eps: p.double("eps")), p, ctx)
    }
}
