import ExprunCore

/// The `chain` optimizer kind: the config writes the gradient transformations in order
/// (optax-style), each a component of the `transform` family (`transformCatalogue`): a map
/// `{clip_by_global_norm: {max_norm: 1.0}}`, or the string `name` / `name(key=value, ...)`.
///
/// The lr: unless `scale_by_learning_rate` is listed, it is inserted after the last entry
/// that is not `add_decoupled_weight_decay`, so `scale_by_adam, add_decoupled_weight_decay(
/// weight_decay=0.01)` is torch AdamW: x += -lr_t * adam(g) - lr_t * wd * x. Decoupled decay
/// must close the list (or follow an explicit scale_by_learning_rate), since it acts on the
/// parameter increment; its strength is lr_t * weight_decay (weight_decay alone with fixed=true).
public enum ChainOptimizer {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "chain",
                      doc: "Gradient transformations applied in order (optax-style), then u *= -lr_t (scale_by_learning_rate, appended unless listed), then x += u.",
                      params: [
                          Preset.lr(1e-3), Preset.schedule,
                          ParamDecl("transforms", .componentList(.transform), required: true,
                                    doc: "The chain, in order: each entry a transform, written `{name: {key: value}}`, `name` or `name(key=value, ...)`, e.g. [{clip_by_global_norm: {max_norm: 1.0}}, scale_by_adam, {add_decoupled_weight_decay: {weight_decay: 0.01}}] (see `exprun list transforms`)."),
                      ],
                      check: ChainSpec.checkTransforms)
    ) { p, ctx in
        switch ChainSpec.resolve(p["transforms"] ?? .string("")) {
        case .success(let spec): return Chain(spec.build(ctx), schedule: Preset.schedule(p, ctx), layout: ctx.layout)
        case .failure(let problems): throw ComponentError("chain: transforms: \(problems)")
        }
    }
}
