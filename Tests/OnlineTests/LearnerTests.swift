import Foundation
import Testing
import ExprunCore
@testable import ExprunOnline
@testable import ProblemOnline

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

    /// `step: constant` uses lr itself: x_{t+1} = x_t - 0.01 g_t for OGD (the iterates stay well
    /// inside the domain, so the projection is inactive), whatever D and G the data give.
    @Test func constantStepIsTheGivenLearningRate() throws {
        let env = try makeEnv(params(.environment, "sea", ["sigma": .double(0.3)]), seed: 2)
        let learner = try makeLearner(params(.learner, "ogd", ["step": .string("constant"), "lr": .double(0.01)]), env,
                                      horizon: 50)
        let d = env.domain.dimension
        var g = [Double](repeating: 0, count: d)
        var previous: [Double]? = nil, previousGradient: [Double] = []
        for t in 1...20 {
            let x = Array(UnsafeBufferPointer(start: learner.play(round: t), count: d))
            if let p = previous {
                for i in 0..<d { #expect(abs(x[i] - (p[i] - 0.01 * previousGradient[i])) < 1e-15, "round \(t)") }
            }
            _ = g.withUnsafeMutableBufferPointer { env.reveal(round: t, at: x, gradient: $0.baseAddress!) }
            g.withUnsafeBufferPointer { learner.update(round: t, gradient: $0.baseAddress!) }
            previous = x; previousGradient = g
        }
        #expect(previous!.map { $0 * $0 }.reduce(0, +).squareRoot() < 0.9 * env.domain.radius)
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

    /// Entropic OOMD with the last-gradient hint, against the hand recursion with η = 0.1:
    /// x_t ∝ ŵ_t e^{-η g_{t-1}} (M_t = g_{t-1}, M_1 = 0), ŵ_{t+1} ∝ ŵ_t e^{-η g_t}.
    @Test func entropicLastGradientHintIsOptimisticHedge() throws {
        let envP = params(.environment, "sea", ["domain": .string("simplex"), "dim": .int(5), "loss": .string("logistic")])
        let env = try makeEnv(envP, seed: 4)
        let rule = StepRule(kind: .constant, lr: 0.1, D: 1, G: 1, lambda: 0, strongNumerator: 2, cap: .infinity,
                            delta: 0.01, horizon: 100)
        let learner = EntropicOptimisticOMD(domain: env.domain, rule: rule, hint: .lastGradient)
        var hat = [Double](repeating: 0.2, count: 5), previous = [Double](repeating: 0, count: 5)
        var g = [Double](repeating: 0, count: 5)
        var moved = 0.0
        for t in 1...40 {
            let x = learner.play(round: t)
            var want = (0..<5).map { hat[$0] * Foundation.exp(-0.1 * previous[$0]) }
            let z = want.reduce(0, +)
            want = want.map { $0 / z }
            for i in 0..<5 { #expect(abs(x[i] - want[i]) < 1e-13, "round \(t)") }
            moved = max(moved, (0..<5).map { abs(want[$0] - hat[$0]) }.max()!)
            g.withUnsafeMutableBufferPointer { _ = env.reveal(round: t, at: x, gradient: $0.baseAddress!) }
            g.withUnsafeBufferPointer { learner.update(round: t, gradient: $0.baseAddress!) }
            for i in 0..<5 { hat[i] *= Foundation.exp(-0.1 * g[i]) }
            let s = hat.reduce(0, +)
            hat = hat.map { $0 / s }
            previous = g
        }
        #expect(moved > 1e-4)   // the hint really moved the play away from ŵ_t
    }

    /// OFTRL on the unit disc, worked out by hand: x_t = Π(x_1 - η_t(Σ_{s<t} g_s + g_{t-1})) from
    /// x_1 = 0, for a constant η = 0.25 and for the adaptive η_t = 1/√(1 + Σ_{s<t}||g_s - M_s||²).
    @Test func oftrlMatchesHandComputedIterates() {
        let dom = Domain(shape: .ball, dimension: 2, radius: 1)
        let grads: [[Double]] = [[1, 0], [0, 2], [-1, 1]]
        func disc(_ v: [Double]) -> [Double] { let n = (v[0] * v[0] + v[1] * v[1]).squareRoot(); return n > 1 ? v.map { $0 / n } : v }
        let r17 = 17.0.squareRoot()
        let cases: [(StepRule.Kind, [[Double]])] = [
            // η = 0.25: x_2 = -0.25 (2, 0); x_3 = Π(-0.25 (1, 4)); x_4 = Π(-0.25 (-1, 4)).
            (.constant, [[0, 0], [-0.5, 0], [-1 / r17, -4 / r17], [1 / r17, -4 / r17]]),
            // Σ||g_s - M_s||² = 1, 1 + 5, 1 + 5 + 2, so η_2 = 1/√2, η_3 = 1/√7, η_4 = 1/3:
            // x_2 = Π(-(2, 0)/√2), x_3 = Π(-(1, 4)/√7), x_4 = Π(-(-1, 4)/3), all beyond the disc.
            (.adaptive, [[0, 0], disc([-2 / 2.0.squareRoot(), 0]), disc([-1 / 7.0.squareRoot(), -4 / 7.0.squareRoot()]),
                         disc([1.0 / 3, -4.0 / 3])]),
        ]
        for (kind, expected) in cases {
            let rule = StepRule(kind: kind, lr: kind == .constant ? 0.25 : 1, D: 1, G: 1, lambda: 0, strongNumerator: 1,
                                cap: .infinity, delta: 1, horizon: 4)
            let learner = OptimisticFTRL(domain: dom, rule: rule, hint: .lastGradient)
            for t in 1...4 {
                let x = learner.play(round: t)
                #expect(abs(x[0] - expected[t - 1][0]) < 1e-15 && abs(x[1] - expected[t - 1][1]) < 1e-15, "\(kind) round \(t)")
                if t <= 3 { grads[t - 1].withUnsafeBufferPointer { learner.update(round: t, gradient: $0.baseAddress!) } }
            }
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

/// OOMD's oracle step (specs-a §2): η = min{D/√(2V), 1/(4L)} with V known before the run.
struct OracleStepTests {
    /// The environment's V = E Σ_t ||∇f_t - ∇f_{t-1}||² (∇f_0 = 0) against a Monte Carlo of the
    /// game itself: for the squared loss the difference is c_{t-1} - c_t at every x, so the
    /// gradients revealed at x = 0 measure it. Within 4 standard errors over seeds.
    @Test(arguments: [("alternating", 10), ("drift", 50), ("fixed", 0), ("random", 10)])
    func environmentVariationMatchesMonteCarlo(pattern: String, period: Int) throws {
        let T = 200, seeds = 300, d = 10
        let p = params(.environment, "sea", ["sigma": .double(0.4), "variation": .double(0.5),
                                              "pattern": .string(pattern), "period": .int(period)])
        let v = try #require(try makeEnv(p, seed: 0, horizon: T).constants.variation)
        let zero = [Double](repeating: 0, count: d)
        var totals: [Double] = []
        for seed in 0..<seeds {
            let env = try makeEnv(p, seed: UInt64(seed), horizon: T)
            var previous = zero, g = zero, total = 0.0
            for t in 1...T {
                _ = zero.withUnsafeBufferPointer { z in g.withUnsafeMutableBufferPointer { env.reveal(round: t, at: z.baseAddress!, gradient: $0.baseAddress!) } }
                for i in 0..<d { total += (g[i] - previous[i]) * (g[i] - previous[i]) }
                previous = g
            }
            totals.append(total)
        }
        let mean = totals.reduce(0, +) / Double(seeds)
        let sd = (totals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(seeds - 1)).squareRoot()
        #expect(abs(mean - v) <= 4 * sd / Double(seeds).squareRoot(), "\(pattern): MC \(mean) vs closed form \(v)")
    }

    @Test func oracleStepIsTheCappedSpecFormula() throws {
        let env = try makeEnv(params(.environment, "sea", ["sigma": .double(1), "variation": .double(0.5),
                                                            "pattern": .string("alternating"), "period": .int(10)]),
                              horizon: 500)
        let V = try #require(env.constants.variation)
        #expect(V > 100)
        // Unit ball in R^10: D = 2; the squared loss has L = 1.
        for (given, expectedV) in [(nil, V), (8.0, 8.0), (1e-4, 1e-4)] as [(Double?, Double)] {
            var values: [String: Value] = ["step": .string("oracle")]
            if let given { values["variation"] = .double(given) }
            let learner = try makeLearner(params(.learner, "oomd", values), env, horizon: 500)
            _ = learner.play(round: 1)
            #expect(learner.stepSize == min(2 / (2 * expectedV).squareRoot(), 0.25))
        }
        let logistic = try makeEnv(params(.environment, "sea", ["loss": .string("logistic")]), horizon: 500)
        #expect(logistic.constants.variation == nil)
        #expect(throws: ComponentError.self) {
            _ = try makeLearner(params(.learner, "oomd", ["step": .string("oracle")]), logistic, horizon: 500)
        }
    }
}
