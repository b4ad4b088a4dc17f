import ExprunCore

/// FRUGAL (Zmushko et al. 2024): Adam on a density-rho subspace of each matrix gradient,
/// a state-free rule (signSGD by default) on the rest; Adam on vector blocks.
public enum Frugal {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "frugal", doc: "FRUGAL (Zmushko et al. 2024): AdamW on a state-full subspace (blocks | columns | rows | entries | svd, fraction density, re-chosen every update_gap steps) of each matrix block, signSGD/SGD/nothing on the residual; AdamW on vector blocks; state = Adam moments of the state-full part (+ projector for svd).",
                      params: [Preset.lr(1e-3), Preset.schedule,
                               .double("density", 0.25, .unit, "Fraction rho of the state-full part (blocks: of the matrix blocks; columns/rows/entries: of those of each block; svd: rank / smaller side)."),
                               MatrixPreset.updateGap(200, "Steps T between subspace changes (at 0-based t mod T == 0)."),
                               .choice("projection", ScaleByFrugal.Projection.allCases.map(\.rawValue), "blocks", "State-full subspace: whole blocks (BlockOptimizer, the main runs), random columns (CoordOptimizer default), rows, entries (RandK), or top singular vectors (svd, GaLore-like)."),
                               .choice("block_order", ScaleByFrugal.BlockOrder.allCases.map(\.rawValue), "random", "blocks mode: random subset each switch, a cyclic window moving ascending / descending over the layout, or mirror (pairs i, P-1-i from both ends; needs an even number of active blocks), as the official BlockOptimizer."),
                               .choice("inactive_update_rule", ScaleByFrugal.InactiveRule.allCases.map(\.rawValue), "sign_sgd", "State-free rule on the residual: sign_sgd, sgd, or no (GaLore-like)."),
                               .choice("state_handling", ScaleByFrugal.StateHandling.allCases.map(\.rawValue), "reset", "Adam state on a subspace change: reset (code default reset_statistics, local step restarts), keep (numerically, as GaLore), project (proj_new(back_old(state)) [UNVERIFIED as the paper's rule])."),
                               .double("proj_lr_scale", 1, .nonNegative, "Factor on the lr of the projected (matrix) blocks."),
                               .double("inactive_lr_scale", 1, .nonNegative, "Extra factor on the lr of the state-free residual (0.1 for fine-tuning)."),
                      ] + Preset.betas(0.9, 0.999) + [Preset.eps(1e-8), MatrixPreset.decoupledDecay(0)])
    ) { p, ctx in
        if p.string("projection") == "blocks" && p.string("block_order") == "mirror" {
            // The official code asserts an even number of active blocks for the mirror order.
            let blocks = MatrixPreset.layout(ctx).filter(\.isMatrix).count
            let active = min(blocks, Dense.roundHalfEven(p.double("density") * Double(blocks)))
            guard active % 2 == 0 else {
                throw ComponentError("frugal: block_order mirror activates blocks in pairs, but density "
                                     + "\(p.double("density")) of the \(blocks) matrix blocks makes \(active) active "
                                     + "(round(density * blocks) must be even)")
            }
        }
        return MatrixPreset.chain(ScaleByFrugal(
            layout: MatrixPreset.layout(ctx),
            projection: ScaleByFrugal.Projection(rawValue: p.string("projection")) ?? .blocks,
            density: p.double("density"), updateGap: p.int("update_gap"),
            rule: ScaleByFrugal.InactiveRule(rawValue: p.string("inactive_update_rule")) ?? .signSGD,
            stateHandling: ScaleByFrugal.StateHandling(rawValue: p.string("state_handling")) ?? .reset,
            order: ScaleByFrugal.BlockOrder(rawValue: p.string("block_order")) ?? .random,
            projLRScale: p.double("proj_lr_scale"), inactiveLRScale: p.double("inactive_lr_scale"),
            beta1: p.double("beta1"), beta2: p.double("beta2"), eps: p.double("eps"), seed: ctx.seed), p, ctx)
    }
}
