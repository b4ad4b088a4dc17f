import ExprunCore

/// Optimistic follow-the-regularised-leader with the Euclidean regulariser ||x - x_1||²/(2η_t)
/// (Rakhlin & Sridharan 2013; Orabona 2019 §7.11):
///   x_t = argmin_X <Σ_{s<t} g_s + M_t, x> + ||x - x_1||²/(2η_t) = Π_X(x_1 - η_t(Σ_{s<t} g_s + M_t)),
/// with M_t = g_{t-1}. The adaptive η_t = D/√(δ + Σ_{s<t}||g_s - M_s||²) is non-increasing, as
/// FTRL's analysis requires.
public final class OptimisticFTRL: OnlineLearner {
    let domain: Domain
    let rule: StepRule
    let hint: HintKind
    let d: Int
    let start: UnsafeMutablePointer<Double>
    let sum: UnsafeMutablePointer<Double>
    let x: UnsafeMutablePointer<Double>
    let m: UnsafeMutablePointer<Double>
    @exclusivity(unchecked) public private(set) var stepSize = 0.0
    @exclusivity(unchecked) public private(set) var hintError = 0.0

    public init(domain: Domain, rule: StepRule, hint: HintKind) {
        self.domain = domain; self.rule = rule; self.hint = hint; d = domain.dimension
        start = .allocate(capacity: 4 * d)
        sum = start + d; x = start + 2 * d; m = start + 3 * d
        domain.writeCentre(start)
        for i in 0..<d { sum[i] = 0; m[i] = 0 }
    }
    deinit { start.deallocate() }

    public func play(round t: Int) -> UnsafePointer<Double> {
        let eta = rule.eta(round: t, accumulated: hintError)
        stepSize = eta
        for i in 0..<d { x[i] = start[i] - eta * (sum[i] + m[i]) }
        domain.projectEuclidean(x)
        return UnsafePointer(x)
    }

    public func update(round t: Int, gradient g: UnsafePointer<Double>) {
        var s = 0.0
        for i in 0..<d { let r = g[i] - m[i]; s += r * r; sum[i] += g[i] }
        hintError += s
        if hint == .lastGradient { for i in 0..<d { m[i] = g[i] } }
    }

    public static let entry = LearnerEntry(
        ComponentDecl(.learner, "oftrl",
                      doc: "optimistic FTRL, Euclidean regulariser, last-gradient hint",
                      params: [
                          .choice("step", ["adaptive", "fixed", "constant", "inv_sqrt"], "adaptive",
                                  "adaptive: D/√(δ+Σ||g-M||²); fixed: D/(G√T); constant: lr itself; inv_sqrt: D/(G√t)"),
                          .choice("hint", HintKind.allCases.map(\.rawValue), "last_gradient",
                                  "the optimistic hint M_t (zero gives plain FTRL / dual averaging)"),
                          .double("lr", 1, .positive, "multiplier on the step-size rule").logScale(),
                          .double("delta", 1e-2, .positive, "δ of the adaptive rule"),
                      ]),
        make: { p, ctx in
            let rule = StepRule(kind: StepRule.Kind(rawValue: p.string("step"))!, lr: p.double("lr"),
                                D: ctx.constants.D, G: ctx.constants.G, lambda: ctx.constants.lambda,
                                strongNumerator: 1, cap: .infinity, delta: p.double("delta"), horizon: ctx.horizon)
            return OptimisticFTRL(domain: ctx.domain, rule: rule, hint: HintKind(rawValue: p.string("hint"))!)
        })
}
