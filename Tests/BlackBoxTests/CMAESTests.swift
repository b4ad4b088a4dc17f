import ExprunBlackBox
import ExprunCore
import ExprunModels
import ExprunTestSupport
import Foundation
import Testing

@Suite struct CMAESTests {
    /// pycma (`pip install cma`, the reference implementation) computes its strategy
    /// parameters for the full and the diagonal (CMA_diagonal) model in several dimensions.
    @Test("default strategy parameters equal pycma's for n = 2, 3, 5, 10, 20, 32, 100 (full and separable)")
    func againstPycma() throws {
        let dims = [2, 3, 5, 10, 20, 32, 100]
        let reference = try pythonNumbers("""
            import warnings; warnings.filterwarnings('ignore')
            import cma
            out = []
            for n in \(dims):
                es = cma.CMAEvolutionStrategy(n * [0.0], 1.0, {'verbose': -9, 'seed': 1})
                sp, a = es.sp, es.adapt_sigma
                w = sp.weights
                out += [sp.popsize, w.mu, w.mueff, sp.cc, sp.c1, sp.cmu, a.cs, a.damps, es.const.chiN]
                out += list(w[:w.mu])
                out += [sp.cc_sep, sp.c1_sep, sp.cmu_sep]
            print(*['%.17g' % v for v in out])
            """)
        var k = 0
        func next() -> Double { defer { k += 1 }; return reference[k] }
        for n in dims {
            let s = CMAStrategy(n: n)
            #expect(Double(s.lambda) == next())
            #expect(Double(s.mu) == next())
            for (name, ours) in [("mu_eff", s.muEff), ("c_c", s.cc), ("c_1", s.c1), ("c_mu", s.cMu),
                                 ("c_sigma", s.cSigma), ("d_sigma", s.dSigma), ("chi_n", s.chiN)] {
                let theirs = next()
                #expect(relativeError(ours, theirs) < 1e-14, "n = \(n) \(name): \(ours) vs pycma \(theirs)")
            }
            for w in s.weights { let theirs = next(); #expect(relativeError(w, theirs) < 1e-14) }
            let sep = CMAStrategy(n: n, separable: true)
            for (name, ours) in [("c_c sep", sep.cc), ("c_1 sep", sep.c1), ("c_mu sep", sep.cMu)] {
                let theirs = next()
                #expect(relativeError(ours, theirs) < 1e-14, "n = \(n) \(name): \(ours) vs pycma \(theirs)")
            }
        }
        #expect(k == reference.count)
    }

    @Test("weights sum to one, decrease, and mu_eff = 1 / Σ w²; n = 10, λ = 10: μ = 5, μ_eff ≈ 3.17")
    func weights() {
        for n in [1, 2, 10, 50] {
            for variant in CMAStrategy.Variant.allCases {
                let s = CMAStrategy(n: n, variant: variant)
                #expect(abs(s.weights.reduce(0, +) - 1) < 1e-15)
                #expect(zip(s.weights, s.weights.dropFirst()).allSatisfy { $0 > $1 })
                // The formula from the unnormalised weights: (Σ w')² / Σ w'².
                let raw = (1...s.mu).map { log((Double(s.lambda) + 1) / 2) - log(Double($0)) }
                let formula = raw.reduce(0, +) * raw.reduce(0, +) / raw.reduce(0) { $0 + $1 * $1 }
                #expect(relativeError(s.muEff, formula) < 1e-14)
            }
        }
        let s = CMAStrategy(n: 10)
        #expect(s.lambda == 10 && s.mu == 5)
        #expect(abs(s.muEff - 3.17) < 0.005)
    }

    @Test("the tutorial variant follows Hansen's formulas as the spec writes them")
    func tutorial() {
        let n = 10.0
        let s = CMAStrategy(n: 10, variant: .tutorial)
        let me = s.muEff
        #expect(relativeError(s.cSigma, (me + 2) / (n + me + 5)) < 1e-15)
        #expect(relativeError(s.c1, 2 / ((n + 1.3) * (n + 1.3) + me)) < 1e-15)
        #expect(relativeError(s.cMu, min(1 - s.c1, 2 * (me - 2 + 1 / me) / ((n + 2) * (n + 2) + me))) < 1e-15)
        let sep = CMAStrategy(n: 10, separable: true, variant: .tutorial)
        #expect(relativeError(sep.c1, s.c1 * (n + 2) / 3) < 1e-15)
    }

    private func cma(_ n: Int, separable: Bool = false, sigma0: Double = 1, seed: UInt64 = 1, restarts: Int = 0,
                     lambda: Int? = nil) -> CMAES {
        CMAES(n: n, sigma0: sigma0, separable: separable, variant: .pycma, populationSize: lambda, restarts: restarts,
              incPopsize: 2, reportBest: false, seed: seed)
    }

    @Test("the sphere in n = 10 reaches 1e-10; the separable variant too")
    func sphere() throws {
        let f = try testFunction(IllConditionedQuadratic.kind, ["dim": 10, "condition": 1.0])
        for separable in [false, true] {
            let r = minimize(cma(10, separable: separable), f, steps: 2000, until: 1e-10)
            #expect(r.value < 1e-10, "separable \(separable): \(r.value) after \(r.evals) evaluations")
        }
    }

    /// On f = ½ xᵀ H x the stationary covariance is proportional to H⁻¹: C H ∝ I, so the
    /// eigenvalues of C H (= of H^{1/2} C H^{1/2}) are all nearly equal, while cond(H) = 1e4.
    @Test("on a rotated ill-conditioned quadratic (κ = 1e4) the learned C approaches the shape of H⁻¹")
    func covarianceLearnsInverseHessian() throws {
        let n = 6
        let f = try testFunction(IllConditionedQuadratic.kind, ["dim": n, "condition": 1e4, "rotate": true, "rotation_seed": 2])
        let method = cma(n)
        let r = minimize(method, f, steps: 3000, until: 1e-14)
        #expect(r.value < 1e-14)
        // H = Rᵀ diag(h) R from finite differences of the exact gradient (it is linear).
        var h = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n); e[j] = 1
            let g = f.full(e).g
            for i in 0..<n { h[i * n + j] = g[i] }
        }
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<(n * n) { c[i] = method.c[i] }
        // eig(C H) via the symmetric H^{1/2} C H^{1/2}: the same spectrum as L C Lᵀ for H = Lᵀ L...
        // here simply the spectrum of the product, computed by numpy.
        let literal = { (m: [Double]) in "np.array([" + m.map { "\($0)" }.joined(separator: ",") + "]).reshape(\(n), \(n))" }
        let ratio = try pythonNumbers("""
            import numpy as np
            C = \(literal(c)); H = \(literal(h))
            ev = np.sort(np.linalg.eigvals(C @ H).real)
            hv = np.linalg.eigvalsh(H)
            print(ev[-1] / ev[0], hv[-1] / hv[0], np.linalg.cond(C))
            """)
        #expect(ratio[1] > 0.99e4 && ratio[1] < 1.01e4)
        #expect(ratio[0] < 3, "cond(C H) = \(ratio[0]) (cond H = \(ratio[1]), cond C = \(ratio[2]))")
        #expect(ratio[2] > 1e3, "cond(C) = \(ratio[2]) should approach cond(H)")
    }

    @Test("Rosenbrock in n = 10 is solved (f < 1e-10, x within 1e-4 of 1)")
    func rosenbrock() throws {
        let f = try testFunction(Rosenbrock.kind, ["dim": 10])
        let r = minimize(cma(10, sigma0: 0.5), f, steps: 20000, until: 1e-10)
        #expect(r.value < 1e-10)
        #expect(r.x.allSatisfy { abs($0 - 1) < 1e-4 }, "\(r.x)")
    }

    @Test("full CMA-ES is invariant to rotation: evaluations to 1e-10 on a rotated and an axis-parallel ellipsoid agree within 30%")
    func rotationInvariance() throws {
        var counts: [[Int]] = [[], []]
        for (k, rotate) in [false, true].enumerated() {
            let f = try testFunction(IllConditionedQuadratic.kind, ["dim": 8, "condition": 1e3, "rotate": rotate])
            for seed in 1...5 as ClosedRange<UInt64> {
                counts[k].append(minimize(cma(8, seed: seed), f, steps: 5000, until: 1e-10).evals)
            }
        }
        let medians = counts.map { $0.sorted()[2] }
        #expect(abs(Double(medians[0] - medians[1])) < 0.3 * Double(medians[0]), "\(counts)")
    }

    @Test("IPOP restarts double the population on a multimodal function and keep the best point")
    func ipop() throws {
        let f = try testFunction(Rastrigin.kind, ["dim": 5])
        let method = cma(5, sigma0: 2, restarts: 4)
        let r = minimize(method, f, steps: 4000)
        #expect(method.restarts >= 1)
        #expect(method.strategy.lambda == CMAStrategy.defaultPopulation(5) << method.restarts)
        #expect(method.bestValue <= r.value + 1e-12 || r.value.isFinite)
    }
}
