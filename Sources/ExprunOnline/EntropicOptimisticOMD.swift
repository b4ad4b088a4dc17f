import Foundation
import ExprunCore

/// Optimistic OMD with the negative-entropy regulariser on the probability simplex
/// (optimistic Hedge; Rakhlin & Sridharan 2013, Chen et al. 2023's mirror-map form):
///   x_t ∝ x̂_t ⊙ exp(-η_t M_t),  x̂_{t+1} ∝ x̂_t ⊙ exp(-η_t g_t),  M_{t+1} = g_t.
/// Both normalisations are the entropic (KL) projection onto the simplex. The entropy is
/// 1-strongly convex in ||·||_1, so the dual norm in the adaptive rule is ||·||_∞ and the
/// diameter analogue is √(log d).
public final class EntropicOptimisticOMD: OnlineLearner {
    let domain: Domain
    let rule: StepRule
    let hint: HintKind
    let d: Int
    let logHat: UnsafeMutablePointer<Double>   // log x̂_t up to a constant
    let x: UnsafeMutablePointer<Double>
    let m: UnsafeMutablePointer<Double>
    @exclusivity(unchecked) public private(set) var stepSize = 0.0
    @exclusivity(unchecked) public private(set) var hintError = 0.0

    public init(domain: Domain, rule: StepRule, hint: HintKind) {
        precondition(domain.shape == .simplex)
        self.domain = domain; self.rule = rule; self.hint = hint; d = domain.dimension
        logHat = .allocate(capacity: 3 * d)
        x = logHat + d; m = logHat + 2 * d
        for i in 0..<d { logHat[i] = 0; m[i] = 0 }
        domain.writeCentre(x)
    }
    deinit { logHat.deallocate() }

    public func play(round t: Int) -> UnsafePointer<Double> {
        let eta = rule.eta(round: t, accumulated: hintError)
        stepSize = eta
        for i in 0..<d { x[i] = logHat[i] - eta * m[i] }
        domain.projectEntropic(logWeights: UnsafePointer(x), into: x)
        return UnsafePointer(x)
    }

    public func update(round t: Int, gradient g: UnsafePointer<Double>) {
        let eta = stepSize
        var worst = 0.0, top = -Double.infinity
        for i in 0..<d {
            worst = max(worst, abs(g[i] - m[i]))
            logHat[i] -= eta * g[i]
            top = max(top, logHat[i])
        }
        // Shift so the largest log-weight is 0: the same point, no drift towards -inf.
        for i in 0..<d { logHat[i] -= top }
        hintError += worst * worst
        if hint == .lastGradient { for i in 0..<d { m[i] = g[i] } }
    }

    public static let entry = LearnerEntry(
        ComponentDecl(.learner, "oomd_entropic",
                      doc: "optimistic OMD with negative entropy on the simplex (optimistic Hedge)",
                      params: [
                          .choice("step", ["adaptive", "fixed", "constant", "inv_sqrt"], "adaptive",
                                  "adaptive: min{√(log d)/√(δ+Σ||g-M||²_∞), 1/(4L)}; fixed: √(log d)/(G√T); constant: lr itself; inv_sqrt: √(log d)/(G√t)"),
                          .choice("hint", HintKind.allCases.map(\.rawValue), "last_gradient",
                                  "the optimistic hint M_t (zero gives exponentiated gradient)"),
                          .double("lr", 1, .positive, "multiplier on the step-size rule").logScale(),
                          .double("delta", 1e-2, .positive, "δ of the adaptive rule"),
                      ]),
        needs: { _ in [.simplexDomain] },
        make: { p, ctx in
            guard ctx.domain.shape == .simplex else { throw ComponentError("oomd_entropic needs domain: simplex") }
            let rule = StepRule(kind: StepRule.Kind(rawValue: p.string("step"))!, lr: p.double("lr"),
                                D: max(Foundation.log(Double(ctx.dimension)), 1e-12).squareRoot(),
                                G: ctx.constants.G, lambda: ctx.constants.lambda, strongNumerator: 2,
                                cap: StepRule.smoothnessCap(ctx.constants.L), delta: p.double("delta"),
                                horizon: ctx.horizon)
            return EntropicOptimisticOMD(domain: ctx.domain, rule: rule, hint: HintKind(rawValue: p.string("hint"))!)
        })
}
