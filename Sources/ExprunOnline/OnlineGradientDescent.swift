import ExprunCore

/// Projected online gradient descent x_{t+1} = Π_X(x_t - η_t g_t) (Zinkevich 2003), with the
/// fixed, 1/√t, 1/(λt) and adaptive (AdaGrad-norm) step sizes of specs-a §2's baselines.
public final class OnlineGradientDescent: OnlineLearner {
    let domain: Domain
    let rule: StepRule
    let x: UnsafeMutablePointer<Double>
    let d: Int
    @exclusivity(unchecked) public private(set) var stepSize = 0.0
    @exclusivity(unchecked) public private(set) var hintError = 0.0

    public init(domain: Domain, rule: StepRule) {
        self.domain = domain; self.rule = rule; d = domain.dimension
        x = .allocate(capacity: d)
        domain.writeCentre(x)
    }
    deinit { x.deallocate() }

    public func play(round t: Int) -> UnsafePointer<Double> {
        stepSize = rule.eta(round: t, accumulated: hintError)
        return UnsafePointer(x)
    }

    public func update(round t: Int, gradient g: UnsafePointer<Double>) {
        let eta = stepSize
        var s = 0.0
        for i in 0..<d { s += g[i] * g[i]; x[i] -= eta * g[i] }
        hintError += s
        domain.projectEuclidean(x)
    }

    /// Every rule but OOMD's oracle step (its V is the variation a hint pays; OGD has no hint).
    static let steps = StepRule.Kind.allCases.filter { $0 != .oracle }.map(\.rawValue)

    public static let entry = LearnerEntry(
        ComponentDecl(.learner, "ogd",
                      doc: "projected online gradient descent (baselines of Chen et al. 2023)",
                      params: [
                          .choice("step", steps, "adaptive",
                                  "fixed: D/(G√T); constant: lr itself; inv_sqrt: D/(G√t); strongly_convex: 1/(λt); adaptive: min{D/√(δ+Σ||g||²), 1/(4L)}"),
                          .double("lr", 1, .positive, "multiplier on the step-size rule").logScale(),
                          .double("delta", 1e-2, .positive, "δ of the adaptive rule"),
                      ]),
        needs: { learner in learner.string("step") == "strongly_convex" ? [.stronglyConvex] : [] },
        make: { p, ctx in
            let rule = StepRule(kind: StepRule.Kind(rawValue: p.string("step"))!, lr: p.double("lr"),
                                D: ctx.constants.D, G: ctx.constants.G, lambda: ctx.constants.lambda,
                                strongNumerator: 1, cap: StepRule.smoothnessCap(ctx.constants.L),
                                delta: p.double("delta"), horizon: ctx.horizon)
            // Specs-a §2: OGD-sc uses η_t = 1/(λt) without the smoothness cap.
            var r = rule
            if r.kind == .stronglyConvex { r.cap = .infinity }
            return OnlineGradientDescent(domain: ctx.domain, rule: r)
        })
}
