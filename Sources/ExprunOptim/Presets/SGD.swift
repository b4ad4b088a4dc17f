import ExprunCore

/// torch.optim.SGD: d = g (+ wd x); momentum b_1 = d, b_t = mu b + (1 - dampening) d;
/// Nesterov uses d + mu b; x -= lr * (b or d). State: d floats with momentum, else 0.
public enum SGD {
    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "sgd", doc: "Stochastic gradient descent with optional (Nesterov) momentum (torch SGD).",
                      params: [
                          Preset.lr(1e-3), Preset.schedule,
                          .double("momentum", 0, .unitOpen, "Heavy-ball momentum factor mu."),
                          .double("dampening", 0, .unit, "Dampening of the gradient in the momentum buffer."),
                          .bool("nesterov", false, "Nesterov momentum (needs momentum > 0, dampening = 0)."),
                          Preset.weightDecay(0), Preset.maximize,
                      ],
                      check: { p in
                          guard p["nesterov"]?.asBool == true else { return [] }
                          var out: [ParamProblem] = []
                          if (p["momentum"]?.asDouble ?? 0) <= 0 {
                              out.append(ParamProblem("nesterov", "Nesterov momentum requires momentum > 0"))
                          }
                          if (p["dampening"]?.asDouble ?? 0) != 0 {
                              out.append(ParamProblem("nesterov", "Nesterov momentum requires dampening = 0"))
                          }
                          return out
                      },
                      provides: { _ in [.cycledMomentum] })   // a onecycle schedule may set the momentum
    ) { p, ctx in
        let mu = p.double("momentum")
        var core: [any GradientTransform] = []
        // torch's OneCycleLR overwrites group['momentum'] even when it was 0, so a cycling
        // schedule always gets a momentum buffer.
        if mu != 0 || (p.has("schedule") && ctx.schedule.cycledMomentum != nil) {
            core.append(TraceMomentum(count: ctx.dimension, momentum: mu, dampening: p.double("dampening"),
                                      nesterov: p.bool("nesterov")))
        }
        return Preset.descent(core, p, ctx, coupledDecay: p.double("weight_decay"))
    }
}
