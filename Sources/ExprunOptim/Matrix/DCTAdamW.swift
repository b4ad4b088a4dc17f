import ExprunCore

/// DCT-AdamW (Modoranu et al. 2025, "SVD-Free Low-Rank Adaptive Gradient Optimization"):
/// Adam in the span of the r DCT basis vectors best aligned with each matrix gradient.
public enum DCTAdamW {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "dct_adamw", doc: "DCT-AdamW (Modoranu et al. 2025): fixed orthonormal DCT-II basis per size, the r columns with the largest ||G Q_j|| (smaller side) kept, Adam in the r-dim space, back-projected; Adam on vector blocks; state 2 r*side' + r indices per matrix (the basis is shared, not counted).",
                      params: [Preset.lr(1e-3), Preset.schedule,
                               MatrixPreset.rank(16),
                               MatrixPreset.updateGap(1, "Re-select the indices at 1-based step t == 1 or t mod update_gap == 0 (code default 1; the paper's GaLore-replacement value is [UNVERIFIED], try 200)."),
                               .choice("norm", ["l1", "l2"], "l1", "Score of a basis direction: l1 (code default ell_norm=1) or l2 norm of G Q_j."),
                               .bool("rotate_subspace", false, "On a refresh move the moments onto the new indices (m <- m R, v <- |v R|); false keeps them positionally, as the code default."),
                               .bool("error_feedback", false, "Error feedback: add the last step's projection residual to the gradient (state + m*n per matrix)."),
                               .choice("basis", ScaleByDCTAdam.Basis.allCases.map(\.rawValue), "dct", "Candidate basis: dct (the spec's Q[a, b] = sqrt(2/N) c_a cos(pi a (2b+1)/(2N)), columns as basis vectors, the official default), dct_atoms (its transpose: cosine atoms as columns, = row-wise scipy dct), identity, random (Haar orthogonal, seeded)."),
                               .int("max_shape", 32000, .atLeastOne, "Matrix blocks with a dimension >= max_shape use plain Adam (official default 32000: embeddings and heads)."),
                      ] + Preset.betas(0.9, 0.999) + [Preset.eps(1e-8), MatrixPreset.decoupledDecay(0)])
    ) { p, ctx in
        MatrixPreset.chain(ScaleByDCTAdam(layout: MatrixPreset.layout(ctx), rank: p.int("rank"), updateGap: p.int("update_gap"),
                                          l2Scores: p.string("norm") == "l2", rotate: p.bool("rotate_subspace"),
                                          errorFeedback: p.bool("error_feedback"),
                                          basis: ScaleByDCTAdam.Basis(rawValue: p.string("basis")) ?? .dct,
                                          maxShape: p.int("max_shape"), seed: ctx.seed,
                                          beta1: p.double("beta1"), beta2: p.double("beta2"), eps: p.double("eps")), p, ctx)
    }
}
