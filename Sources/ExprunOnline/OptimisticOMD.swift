import ExprunCore

/// Optimistic online mirror descent with the Euclidean regulariser, in the two-step form of
/// Chen et al. 2023 (specs-a §2):
///   x_t = Π_X(x̂_t - η_t M_t),  g_t = ∇f_t(x_t),  x̂_{t+1} = Π_X(x̂_t - η_t g_t),  M_{t+1} = g_t,
/// with M_1 = 0 and x̂_1 the domain's centre. Step sizes: adaptive (convex), 2/(λt) capped at
/// 1/(4L) (strongly convex), or the fixed/1/√t rules.
public final class OptimisticOMD: OnlineLearner {
    let domain: Domain
    let rule: StepRule
    let hint: HintKind
    let d: Int
    let xHat: UnsafeMutablePointer<Double>
    let x: UnsafeMutablePointer<Double>
    let m: UnsafeMutablePointer<Double>
    @exclusivity(unchecked) public private(set) var stepSize = 0.0
    @exclusivity(unchecked) public private(set) var hintError = 0.0

    public init(domain: Domain, rule: StepRule, hint: HintKind) {
        self.domain = domain; self.rule = rule; self.hint = hint; d = domain.dimension
        xHat = .allocate(capacity: 3 * d)
        x = xHat + d; m = xHat + 2 * d
        domain.writeCentre(xHat)
        domain.writeCentre(x)
        for i in 0..<d { m[i] = 0 }
    }
    deinit { xHat.deallocate() }

    public func play(round t: Int) -> UnsafePointer<Double> {
        let eta = rule.eta(round: t, accumulated: hintError)
        stepSize = eta
        for i in 0..<d { x[i] = xHat[i] - eta * m[i] }
        domain.projectEuclidean(x)
        return UnsafePointer(x)
    }

    public func update(round t: Int, gradient g: UnsafePointer<Double>) {
        let eta = stepSize
        var s = 0.0
        for i in 0..<d {
            let r = g[i] - m[i]
            s += r * r
            xHat[i] -= eta * g[i]
        }
        hintError += s
        domain.projectEuclidean(xHat)
        if hint == .lastGradient { for i in 0..<d { m[i] = g[i] } }
    }

    public static let entry = LearnerEntry(
        ComponentDecl(.learner, "oomd",
                      doc: "optimistic OMD, Euclidean regulariser, last-gradient hint (Chen et al. 2023)",
                      params: [
                          .choice("step", StepRule.Kind.allCases.map(\.rawValue), "adaptive",
                                  "adaptive: min{D/√(δ+Σ||g-M||²), 1/(4L)}; strongly_convex: min{2/(λt), 1/(4L)}; fixed: D/(G√T); constant: lr itself; inv_sqrt: D/(G√t); oracle: min{D/√(2V), 1/(4L)} with V known in advance"),
                          .choice("hint", HintKind.allCases.map(\.rawValue), "last_gradient",
                                  "the optimistic hint M_t (zero gives plain OMD)"),
                          .double("lr", 1, .positive, "multiplier on the step-size rule").logScale(),
                          .double("delta", 1e-2, .positive, "δ of the adaptive rule"),
                          ParamDecl("variation", .double, default: nil, required: false, range: .nonNegative,
                                    doc: "V of the oracle step; absent: the environment's closed form E Σ_t sup_x ||∇f_t(x) - ∇f_{t-1}(x)||² (sea, squared loss)"),
                      ]),
        needs: { learner in learner.string("step") == "strongly_convex" ? [.stronglyConvex] : [] },
        make: { p, ctx in
            let kind = StepRule.Kind(rawValue: p.string("step"))!
            // The oracle step's V is known before the run: given, or the environment's closed form.
            var variation = 0.0
            if kind == .oracle {
                guard let v = p.optionalDouble("variation") ?? ctx.constants.variation else {
                    throw ComponentError("oomd: step oracle needs V = variation, which this environment has no closed "
                                         + "form for (sea with loss: squared has); give `variation` on the learner")
                }
                guard v > 0 || StepRule.smoothnessCap(ctx.constants.L).isFinite else {
                    throw ComponentError("oomd: step oracle with V = 0 and a non-smooth loss has no finite step")
                }
                variation = v
            }
            let rule = StepRule(kind: kind, lr: p.double("lr"),
                                D: ctx.constants.D, G: ctx.constants.G, lambda: ctx.constants.lambda,
                                strongNumerator: 2, cap: StepRule.smoothnessCap(ctx.constants.L),
                                delta: p.double("delta"), horizon: ctx.horizon, variation: variation)
            return OptimisticOMD(domain: ctx.domain, rule: rule, hint: HintKind(rawValue: p.string("hint"))!)
        })
}
