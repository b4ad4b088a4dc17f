import Foundation

/// CMA-ES's strategy parameters for dimension n and population size λ: recombination
/// weights, learning rates and step-size damping.
///
/// `pycma` (the default) reproduces the `cma` package (pycma 4.x, what CLIPMasterPrints ran):
/// c_σ = min(½, (μ_eff + 2)/(n + μ_eff + 3)); d_σ = 1 + 2 max(0, e sqrt((μ_eff - 1)/(n + 1)) - 1) + c_σ
/// with e = max(1, 3(1 - 2^{-n/9})); c_1 = min(1, λ/6) · 2/((n + 1.3)² + μ_eff);
/// c_μ = min(1 - c_1, 2(¼ + μ_eff + 1/μ_eff - 2)/((n + 2)² + μ_eff)); and, separable, pycma's
/// c_1 = 1/(n + 2√n + μ_eff/n), c_μ = min(1 - c_1, (¼ + μ_eff + 1/μ_eff - 2)/(n + 4√n + μ_eff/2)),
/// c_c = (1 + 1/n + μ_eff/n)/(√n + 1/n + 2μ_eff/n).
/// `tutorial` is Hansen's tutorial (2016) as the spec writes it, with Ros & Hansen's (2008)
/// separable rates c_1' = c_1 (n+2)/3, c_μ' = min(1 - c_1', c_μ (n+2)/3).
/// Both: λ = 4 + ⌊3 ln n⌋, μ = ⌊λ/2⌋, w_i ∝ ln((λ+1)/2) - ln i (positive, summing to one),
/// μ_eff = 1/Σ w_i², c_c = (4 + μ_eff/n)/(n + 4 + 2μ_eff/n) (full covariance),
/// χ_n = √n (1 - 1/(4n) + 1/(21n²)). Negative ("active") weights are not used.
public struct CMAStrategy: Sendable, Equatable {
    public enum Variant: String, Sendable, CaseIterable { case pycma, tutorial }
    public let n: Int
    public let lambda: Int
    public let mu: Int
    public let weights: [Double]
    public let muEff: Double
    public let cc: Double
    public let cSigma: Double
    public let dSigma: Double
    public let c1: Double
    public let cMu: Double
    public let chiN: Double

    /// The default population size 4 + ⌊3 ln n⌋.
    public static func defaultPopulation(_ n: Int) -> Int { 4 + Int((3 * log(Double(n))).rounded(.down)) }

    public init(n: Int, lambda: Int? = nil, separable: Bool = false, variant: Variant = .pycma) {
        let N = Double(n)
        let lam = lambda ?? Self.defaultPopulation(n)
        self.n = n; self.lambda = lam
        mu = lam / 2
        let raw = (1...mu).map { log((Double(lam) + 1) / 2) - log(Double($0)) }
        let total = raw.reduce(0, +)
        weights = raw.map { $0 / total }
        let me = 1 / weights.reduce(0) { $0 + $1 * $1 }
        muEff = me
        chiN = N.squareRoot() * (1 - 1 / (4 * N) + 1 / (21 * N * N))
        switch variant {
        case .pycma:
            cSigma = min(0.5, (me + 2) / (N + me + 3))
            let inner = max(1, 3 * (1 - pow(0.5, N / 9)))
            dSigma = 1 + 2 * max(0, inner * ((me - 1) / (N + 1)).squareRoot() - 1) + cSigma
            if separable {
                let c1s = 1 / (N + 2 * N.squareRoot() + me / N)
                c1 = c1s
                cMu = min(1 - c1s, (0.25 + me + 1 / me - 2) / (N + 4 * N.squareRoot() + me / 2))
                cc = (1 + 1 / N + me / N) / (N.squareRoot() + 1 / N + 2 * me / N)
            } else {
                let c1f = min(1, Double(lam) / 6) * 2 / ((N + 1.3) * (N + 1.3) + me)
                c1 = c1f
                cMu = min(1 - c1f, 2 * (0.25 + me + 1 / me - 2) / ((N + 2) * (N + 2) + me))
                cc = (4 + me / N) / (N + 4 + 2 * me / N)
            }
        case .tutorial:
            cSigma = (me + 2) / (N + me + 5)
            dSigma = 1 + 2 * max(0, ((me - 1) / (N + 1)).squareRoot() - 1) + cSigma
            cc = (4 + me / N) / (N + 4 + 2 * me / N)
            let c1f = 2 / ((N + 1.3) * (N + 1.3) + me)
            let cmuf = min(1 - c1f, 2 * (me - 2 + 1 / me) / ((N + 2) * (N + 2) + me))
            if separable {
                let c1s = c1f * (N + 2) / 3
                c1 = c1s
                cMu = min(1 - c1s, cmuf * (N + 2) / 3)
            } else {
                c1 = c1f; cMu = cmuf
            }
        }
    }

    /// Generations between eigendecompositions: max(1, ⌊1/(10 n (c_1 + c_μ))⌋) (tutorial).
    public var eigenInterval: Int { max(1, Int((1 / (10 * Double(n) * (c1 + cMu))).rounded(.down))) }
}
