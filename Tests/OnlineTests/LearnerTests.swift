import Foundation
import Testing
import ExprunCore
@testable import ExprunOnline

struct LearnerTests {
    /// f_t(x) = ½||x - c_t||² on the unit disc with η = 0.5: the two-step OOMD iterates worked
    /// out by hand (see the comments) from x̂_1 = 0, M_1 = 0.
    @Test func euclideanOOMDMatchesHandComputedIterates() {
        let dom = Domain(shape: .ball, dimension: 2, radius: 1)
        // D = G = 1, T = 4: fixed η = 1/(1·√4) = 0.5.
        let rule = StepRule(kind: .fixed, lr: 1, D: 1, G: 1, lambda: 0, strongNumerator: 2, cap: .infinity,
                            delta: 0.01, horizon: 4)
        let learner = OptimisticOMD(domain: dom, rule: rule, hint: .lastGradient)
        let centres: [[Double]] = [[1, 0], [0, 1], [2, 0]]
        let s5 = 1.25.squareRoot()
        let expected: [[Double]] = [
            [0, 0],                       // x_1 = Π(0 - 0.5·0); g_1 = (-1, 0); x̂_2 = (0.5, 0)
            [1, 0],                       // x_2 = Π((0.5,0) - 0.5(-1,0)) = (1, 0); g_2 = (1,-1); x̂_3 = (0, 0.5)
            [-0.5 / s5, 1 / s5],          // x_3 = Π((0,0.5) - 0.5(1,-1)) = Π((-0.5, 1))
        ]
        var g = [0.0, 0.0]
        for t in 1...3 {
            let x = learner.play(round: t)
            #expect(abs(x[0] - expected[t - 1][0]) < 1e-15 && abs(x[1] - expected[t - 1][1]) < 1e-15)
            g = [x[0] - centres[t - 1][0], x[1] - centres[t - 1][1]]
            g.withUnsafeBufferPointer { learner.update(round: t, gradient: $0.baseAddress!) }
        }
        // x̂_4 = Π((0, 0.5) - 0.5 g_3) with g_3 = x_3 - (2, 0).
        let y = [0 - 0.5 * (expected[2][0] - 2), 0.5 - 0.5 * expected[2][1]]
        let n = (y[0] * y[0] + y[1] * y[1]).squareRoot()
        let hat = [y[0] / n, y[1] / n]
        #expect(abs(learner.xHat[0] - hat[0]) < 1e-15 && abs(learner.xHat[1] - hat[1]) < 1e-15)
    }

    /// OOMD with M ≡ 0 is plain OMD (= projected OGD) with the same η_t, step for step.
    @Test(arguments: ["adaptive", "fixed", "strongly_convex"])
    func zeroHintOOMDEqualsOGD(step: String) throws {
        let envP = params(.environment, "sea", ["sigma": .double(0.3), "period": .int(7)])
        let e1 = try makeEnv(envP, seed: 3), e2 = try makeEnv(envP, seed: 3)
        let oomd = try makeLearner(params(.learner, "oomd", ["hint": .string("zero"), "step": .string(step)]), e1, horizon: 300)
        // OGD-sc is uncapped by default; give OOMD's numerator 2 and cap to OGD through lr and a direct rule.
        let ogd: any OnlineLearner
        if step == "strongly_convex" {
            let c = e2.constants
            ogd = OnlineGradientDescent(domain: e2.domain, rule: StepRule(kind: .stronglyConvex, lr: 1, D: c.D, G: c.G,
                lambda: c.lambda, strongNumerator: 2, cap: StepRule.smoothnessCap(c.L), delta: 0.01, horizon: 300))
        } else {
            ogd = try makeLearner(params(.learner, "ogd", ["step": .string(step)]), e2, horizon: 300)
        }
        let a = play(e1, oomd, rounds: 300), b = play(e2, ogd, rounds: 300)
        #expect(a.plays == b.plays)
        #expect(a.losses == b.losses)
    }

    /// Entropic OOMD with a zero hint is exponentiated gradient: x_{t+1,i} ∝ x_{t,i} e^{-η g_{t,i}}.
    @Test func entropicZeroHintIsExponentiatedGradient() throws {
        let envP = params(.environment, "sea", ["domain": .string("simplex"), "dim": .int(5), "loss": .string("logistic")])
        let env = try makeEnv(envP, seed: 1)
        let rule = StepRule(kind: .fixed, lr: 1, D: 1, G: 1, lambda: 0, strongNumerator: 2, cap: .infinity,
                            delta: 0.01, horizon: 100)  // η = 0.1
        let learner = EntropicOptimisticOMD(domain: env.domain, rule: rule, hint: .zero)
        var w = [Double](repeating: 0.2, count: 5)
        var g = [Double](repeating: 0, count: 5)
        for t in 1...50 {
            let x = learner.play(round: t)
            for i in 0..<5 { #expect(abs(x[i] - w[i]) < 1e-13) }
            g.withUnsafeMutableBufferPointer { _ = env.reveal(round: t, at: x, gradient: $0.baseAddress!) }
            g.withUnsafeBufferPointer { learner.update(round: t, gradient: $0.baseAddress!) }
            for i in 0..<5 { w[i] *= Foundation.exp(-0.1 * g[i]) }
            let s = w.reduce(0, +)
            for i in 0..<5 { w[i] /= s }
        }
    }

    @Test func incompatiblePairsAreReported() {
        let ball = params(.environment, "sea")
        let simplex = params(.environment, "sea", ["domain": .string("simplex")])
        let logistic = params(.environment, "sea", ["loss": .string("logistic")])
        #expect(onlineIncompatibility(environment: ball, learner: params(.learner, "oomd_entropic")) != nil)
        #expect(onlineIncompatibility(environment: simplex, learner: params(.learner, "oomd_entropic")) == nil)
        #expect(onlineIncompatibility(environment: logistic, learner: params(.learner, "ogd", ["step": .string("strongly_convex")])) != nil)
        #expect(onlineIncompatibility(environment: ball, learner: params(.learner, "oomd", ["step": .string("strongly_convex")])) == nil)
        #expect(onlineIncompatibility(environment: ball, learner: params(.learner, "oftrl")) == nil)
    }
}
