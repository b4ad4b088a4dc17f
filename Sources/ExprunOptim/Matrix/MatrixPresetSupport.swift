import ExprunCore

/// Shared declarations of the matrix-aware presets (SWAN, FRUGAL, GaLore, DCT-AdamW).
enum MatrixPreset {
    /// The run's layout, or one vector block over all coordinates when the model gave none.
    static func layout(_ ctx: OptimizerContext) -> [ParamBlock] {
        ctx.layout.isEmpty ? [ParamBlock(name: "x", offset: 0, rows: ctx.dimension, cols: 1)] : ctx.layout
    }
    static func decoupledDecay(_ def: Double) -> ParamDecl {
        .double("weight_decay", def, .nonNegative, "Decoupled weight decay on every block: x *= 1 - lr*wd.")
    }
    static func rank(_ def: Int) -> ParamDecl {
        .int("rank", def, .atLeastOne, "Rank r of the projection (clamped to min(rows, cols) of each matrix block).")
    }
    static func updateGap(_ def: Int, _ doc: String) -> ParamDecl { .int("update_gap", def, .atLeastOne, doc) }

    /// [core] + scale by -lr_t + [decoupled decay x *= 1 - lr wd].
    static func chain(_ core: any GradientTransform, _ p: Params, _ ctx: OptimizerContext) -> Chain {
        var ts: [any GradientTransform] = [core, ScaleByLearningRate()]
        let wd = p.double("weight_decay")
        if wd != 0 { ts.append(AddDecoupledWeightDecay(wd)) }
        return Chain(ts, schedule: Preset.schedule(p, ctx), layout: ctx.layout)
    }
}
