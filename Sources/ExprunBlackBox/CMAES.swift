import ExprunCore
import Foundation

/// (μ/μ_w, λ)-CMA-ES, full covariance or separable (diagonal, Ros & Hansen 2008), with
/// optional IPOP restarts (the population doubles at each restart, Auger & Hansen 2005).
/// Non-active (positive weights only); strategy parameters from `CMAStrategy`.
///
/// Per generation (Hansen's tutorial): z_k ~ N(0, I), y_k = B D z_k, x_k = m + σ y_k; sort;
/// m += σ y_w; p_σ, h_σ, p_c; C <- (1 - c_1 - c_μ + (1-h_σ) c_1 c_c (2-c_c)) C + c_1 p_c p_cᵀ
/// + c_μ Σ w_i y_i y_iᵀ; σ <- σ exp((c_σ/d_σ)(||p_σ||/χ_n - 1)); C = B D² Bᵀ every
/// `eigenInterval` generations. With restarts left, pycma's stop rules (`shouldRestart`)
/// restart from x0 with σ0 and λ times `incPopsize`.
public final class CMAES: PopulationMethod {
    public let n: Int
    let separable: Bool
    let variant: CMAStrategy.Variant
    let sigma0: Double
    let maxRestarts: Int
    let incPopsize: Int
    let reportBest: Bool
    public let maxPopulation: Int
    public private(set) var strategy: CMAStrategy
    @exclusivity(unchecked) public private(set) var sigma: Double
    public private(set) var restarts = 0
    @exclusivity(unchecked) public private(set) var generation = 0
    @exclusivity(unchecked) public private(set) var bestValue = Double.infinity
    @exclusivity(unchecked) var rng: RNG
    // State, allocated once for the largest population.
    let m: UnsafeMutablePointer<Double>, x0: UnsafeMutablePointer<Double>, best: UnsafeMutablePointer<Double>
    let ps: UnsafeMutablePointer<Double>, pc: UnsafeMutablePointer<Double>
    /// n x n (full) or n (separable): the covariance, and for full its eigenvectors B (columns).
    public let c: UnsafeMutablePointer<Double>
    let b: UnsafeMutablePointer<Double>, work: UnsafeMutablePointer<Double>
    /// D: square roots of C's eigenvalues (full) or of its diagonal (separable).
    let dv: UnsafeMutablePointer<Double>
    let ys: UnsafeMutablePointer<Double>, zs: UnsafeMutablePointer<Double>
    let yw: UnsafeMutablePointer<Double>, zw: UnsafeMutablePointer<Double>, tmp: UnsafeMutablePointer<Double>
    let order: UnsafeMutablePointer<Int>
    let recent: UnsafeMutablePointer<Double>
    @exclusivity(unchecked) var recentCount = 0, recentNext = 0
    @exclusivity(unchecked) var lastAsked = 0

    public init(n: Int, sigma0: Double, separable: Bool, variant: CMAStrategy.Variant, populationSize: Int?,
                restarts: Int, incPopsize: Int, reportBest: Bool, seed: UInt64) {
        self.n = n; self.sigma0 = sigma0; self.separable = separable; self.variant = variant
        self.maxRestarts = restarts; self.incPopsize = incPopsize; self.reportBest = reportBest
        strategy = CMAStrategy(n: n, lambda: populationSize, separable: separable, variant: variant)
        var maxLambda = strategy.lambda
        for _ in 0..<restarts { maxLambda *= incPopsize }
        maxPopulation = maxLambda
        sigma = sigma0
        rng = RNG(seed: seed, purpose: "cmaes")
        func alloc(_ k: Int) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(k, 1)); p.initialize(repeating: 0, count: max(k, 1)); return p
        }
        let cov = separable ? n : n * n
        m = alloc(n); x0 = alloc(n); best = alloc(n); ps = alloc(n); pc = alloc(n)
        c = alloc(cov); b = alloc(separable ? 1 : n * n); work = alloc(separable ? 1 : n * n); dv = alloc(n)
        ys = alloc(maxLambda * n); zs = alloc(maxLambda * n); yw = alloc(n); zw = alloc(n); tmp = alloc(n)
        order = .allocate(capacity: maxLambda); order.initialize(repeating: 0, count: maxLambda)
        // The longest history is the one of the smallest population (the first).
        recent = alloc(Self.historyLength(n: n, lambda: strategy.lambda))
    }
    deinit {
        for p in [m, x0, best, ps, pc, c, b, work, dv, ys, zs, yw, zw, tmp, recent] { p.deallocate() }
        order.deallocate()
    }

    public var currentLR: Double { sigma }
    /// Floats of state: mean, paths, covariance (and B), the population's y and z.
    public var stateSize: Int { 5 * n + (separable ? 2 * n : 3 * n * n + n) + 2 * maxPopulation * n }
    /// What CMA-ES exposes at log points (metrics of these names).
    public static let counters: [CounterDecl] = [
        CounterDecl("sigma", "CMA-ES: step size σ"),
        CounterDecl("restarts", "CMA-ES: IPOP restarts so far"),
        CounterDecl("population", "CMA-ES: population size λ in effect"),
        CounterDecl("condition", "CMA-ES: condition number of the covariance C"),
        CounterDecl("best_value", "CMA-ES: best function value evaluated so far"),
    ]
    public func counter(_ index: Int) -> Double {
        switch index {
        case 0: return sigma
        case 1: return Double(restarts)
        case 2: return Double(strategy.lambda)
        case 3: return condition
        default: return bestValue
        }
    }
    /// cond(C) = (max D / min D)².
    public var condition: Double {
        var lo = Double.infinity, hi = 0.0
        for i in 0..<n { lo = min(lo, dv[i]); hi = max(hi, dv[i]) }
        return (hi / lo) * (hi / lo)
    }
    static func historyLength(n: Int, lambda: Int) -> Int { 10 + (30 * n + lambda - 1) / lambda }

    public func start(_ start: UnsafeBufferPointer<Double>) {
        for i in 0..<n { x0[i] = start[i]; best[i] = start[i] }
        reset()
    }
    func reset() {
        for i in 0..<n { m[i] = x0[i]; ps[i] = 0; pc[i] = 0; dv[i] = 1 }
        if separable {
            for i in 0..<n { c[i] = 1 }
        } else {
            for i in 0..<(n * n) { c[i] = 0; b[i] = 0 }
            for i in 0..<n { c[i * n + i] = 1; b[i * n + i] = 1 }
        }
        sigma = sigma0; generation = 0; recentCount = 0; recentNext = 0
    }

    public func ask(_ points: UnsafeMutableBufferPointer<Double>, t: Int) -> Int {
        let lam = strategy.lambda
        for k in 0..<lam {
            let z = zs + k * n, y = ys + k * n, x = points.baseAddress! + k * n
            for i in 0..<n { z[i] = rng.normal() }
            if separable {
                for i in 0..<n { y[i] = dv[i] * z[i] }
            } else {
                for j in 0..<n { tmp[j] = dv[j] * z[j] }
                for i in 0..<n { y[i] = VectorKernels.dot(b + i * n, tmp, n) }
            }
            for i in 0..<n { x[i] = m[i] + sigma * y[i] }
        }
        lastAsked = lam
        return lam
    }

    public func tell(_ values: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>, t: Int) {
        let s = strategy, lam = lastAsked, mu = s.mu
        for k in 0..<lam { order[k] = k }
        // NaN sorts last (a point outside the function's domain loses).
        var ranks = UnsafeMutableBufferPointer(start: order, count: lam)
        ranks.sort { a, b in
            let fa = values[a].isNaN ? .infinity : values[a], fb = values[b].isNaN ? .infinity : values[b]
            return fa < fb || (fa == fb && a < b)
        }
        let f0 = values[order[0]]
        if f0 < bestValue {
            bestValue = f0
            for i in 0..<n { best[i] = m[i] + sigma * ys[order[0] * n + i] }
        }
        // Recombination.
        for i in 0..<n { yw[i] = 0; zw[i] = 0 }
        for r in 0..<mu {
            let w = s.weights[r], k = order[r]
            VectorKernels.axpy(w, ys + k * n, yw, n)
            VectorKernels.axpy(w, zs + k * n, zw, n)
        }
        for i in 0..<n { m[i] += sigma * yw[i] }
        // Step-size path: C^{-1/2} y_w = B z_w.
        let csFactor = (s.cSigma * (2 - s.cSigma) * s.muEff).squareRoot()
        if separable {
            for i in 0..<n { ps[i] = (1 - s.cSigma) * ps[i] + csFactor * zw[i] }
        } else {
            for i in 0..<n { ps[i] = (1 - s.cSigma) * ps[i] + csFactor * VectorKernels.dot(b + i * n, zw, n) }
        }
        generation += 1
        let psNorm2 = VectorKernels.dot(ps, ps, n)
        let correction = 1 - pow(1 - s.cSigma, 2 * Double(generation))
        let N = Double(n)
        let hsig: Bool
        switch variant {
        case .pycma: hsig = psNorm2 / correction / N < 2 + 4 / (N + 1)
        case .tutorial: hsig = psNorm2.squareRoot() / correction.squareRoot() < (1.4 + 2 / (N + 1)) * s.chiN
        }
        let ccFactor = (s.cc * (2 - s.cc) * s.muEff).squareRoot()
        for i in 0..<n { pc[i] = (1 - s.cc) * pc[i] + (hsig ? ccFactor * yw[i] : 0) }
        // Covariance.
        let keep = 1 - s.c1 - s.cMu + (hsig ? 0 : s.c1 * s.cc * (2 - s.cc))
        if separable {
            for i in 0..<n {
                var rankMu = 0.0
                for r in 0..<mu { let y = ys[order[r] * n + i]; rankMu += s.weights[r] * y * y }
                c[i] = keep * c[i] + s.c1 * pc[i] * pc[i] + s.cMu * rankMu
                dv[i] = c[i].squareRoot()
            }
        } else {
            for i in 0..<n {
                for j in i..<n {
                    var rankMu = 0.0
                    for r in 0..<mu { let y = ys + order[r] * n; rankMu += s.weights[r] * y[i] * y[j] }
                    let v = keep * c[i * n + j] + s.c1 * pc[i] * pc[j] + s.cMu * rankMu
                    c[i * n + j] = v; c[j * n + i] = v
                }
            }
        }
        var logStep = (s.cSigma / s.dSigma) * (psNorm2.squareRoot() / s.chiN - 1)
        if variant == .pycma { logStep = min(1, logStep) }
        sigma *= exp(logStep)
        if !separable && generation % s.eigenInterval == 0 { decompose() }
        // History of best values for tolfun.
        let h = Self.historyLength(n: n, lambda: lam)
        recent[recentNext % h] = f0; recentNext += 1; recentCount = min(recentCount + 1, h)
        if restarts < maxRestarts && shouldRestart(values, lam, historyLength: h) {
            restarts += 1
            strategy = CMAStrategy(n: n, lambda: s.lambda * incPopsize, separable: separable, variant: variant)
            reset()
        }
        let source = reportBest ? best : m
        for i in 0..<n { x[i] = source[i] }
    }

    /// C = B D² Bᵀ (symmetrised first; eigenvalues clamped at the smallest normal so D > 0).
    func decompose() {
        for i in 0..<(n * n) { work[i] = c[i] }
        SymmetricEigen.decompose(work, n, values: tmp, vectors: b)
        for i in 0..<n { dv[i] = max(tmp[i], .leastNormalMagnitude).squareRoot() }
    }

    /// pycma's default stop rules, each a restart: tolx 1e-11 (σ·sqrt(C_ii) and σ·|p_c,i| for
    /// every i), tolfun 1e-11 (range of the current values and of the last 10 + ⌈30n/λ⌉ best
    /// values), tolconditioncov 1e14.
    func shouldRestart(_ values: UnsafeBufferPointer<Double>, _ lam: Int, historyLength h: Int) -> Bool {
        var small = true
        for i in 0..<n {
            let cii = separable ? c[i] : c[i * n + i]
            if sigma * cii.squareRoot() >= 1e-11 || sigma * abs(pc[i]) >= 1e-11 { small = false; break }
        }
        if small { return true }
        if recentCount >= h {
            var lo = Double.infinity, hi = -Double.infinity
            for k in 0..<h { lo = min(lo, recent[k]); hi = max(hi, recent[k]) }
            for k in 0..<lam where values[k].isFinite { lo = min(lo, values[k]); hi = max(hi, values[k]) }
            if hi - lo < 1e-11 { return true }
        }
        return condition > 1e14
    }
}

public extension CMAES {
    /// Catalogue entry for `cmaes`: a black-box method (function values of a population; no gradient).
    static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "cmaes",
                      doc: "CMA-ES (μ/μ_w, λ), full or separable covariance, pycma's default strategy parameters, optional IPOP restarts; asks the function values of λ points per step (no gradient)",
                      params: [
                          .double("sigma0", 1, .positive, "initial step size σ0 (the mean starts at the model's initial point)"),
                          .int("population_size", nil, ValueRange(min: 2, max: 100_000), "λ; absent: 4 + ⌊3 ln n⌋"),
                          .choice("covariance", ["full", "separable"], "full", "full n x n covariance, or diagonal (sep-CMA-ES, Ros & Hansen 2008) for large n"),
                          .choice("parameters", CMAStrategy.Variant.allCases.map(\.rawValue), "pycma",
                                  "learning rates and damping: pycma (the `cma` package's defaults) or tutorial (Hansen 2016, as the CLIPMasterPrints spec writes them)"),
                          .int("restarts", 0, ValueRange(min: 0, max: 9), "IPOP restarts on pycma's stop rules (tolx, tolfun 1e-11, condition 1e14)"),
                          .int("inc_popsize", 2, ValueRange(min: 1, max: 10), "factor of λ at each restart (IPOP)"),
                          .choice("report", ["best", "mean"], "best", "the iterate the metrics see: the best point evaluated so far (pycma's xbest) or the mean"),
                      ],
                      check: { p in
                          p.optionalInt("population_size") == nil || p.int("restarts") == 0
                              || p.int("population_size") * Int(pow(Double(p.int("inc_popsize")), Double(p.int("restarts")))) <= 1_000_000
                              ? [] : [ParamProblem("restarts", "the last restart's population would exceed 1e6 points")]
                      },
                      counters: CMAES.counters),
        needs: []) { p, ctx in
        CMAES(n: ctx.dimension, sigma0: p.double("sigma0"), separable: p.string("covariance") == "separable",
              variant: CMAStrategy.Variant(rawValue: p.string("parameters"))!, populationSize: p.optionalInt("population_size"),
              restarts: p.int("restarts"), incPopsize: p.int("inc_popsize"), reportBest: p.string("report") == "best",
              seed: ctx.seed)
    }
}
