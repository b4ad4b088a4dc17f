import ExprunCore
import Foundation

/// scnn's approximate cone decomposition (`ApproximateConeDecomposition` with its
/// `QuadraticDecomposition` model, combined form): for the gated solution u (P x p) and
/// X~_i = (2 D_i - I) X,
///
///     min_W  1/2 sum_i ||(T_i - X~_i w_i)_+||^2 + rho sum_i ||w_i||,   T_i = max(0, -X~_i u_i),
///
/// a one-sided quadratic that is zero exactly when w_i and v_i = u_i + w_i lie in K_i; rho
/// (scnn's default 1e-10) trades feasibility for small weights. Solved as scnn does: from W = 0,
/// FISTA with a line search through the prox (start step 1, backtracking by 0.8 on the
/// quadratic bound 2 eta (f1 - f0 - <s, g>) < ||s||^2, at most 50 tries, then a 1e-8 step),
/// Lassplore step growth (x 1.25 when ||s||^2 > 5 * 2 eta (f1 - f0 - <s, g>)), scnn's momentum
/// sequence t+ = 1 + sqrt(1 + 4 t^2) / 2 (as written there), restart when
/// <w+ - w, v - w+> > 0, and termination once the minimum-norm subgradient's norm is at most
/// `tol` (scnn's d_tol: 1e-10) or after `maxIterations` (d_max_iters: 10,000). The result is
/// feasible only in the limit; what remains is reported as the decomposition's violation.
final class ConeDecompositionQuadratic {
    let program: ConvexReLUProgram
    let rho: Double, tol: Double, maxIterations: Int
    let k: Int, p: Int, n: Int
    /// P x p: the iterate W, the extrapolated point, the previous iterate, the trial point, the gradient.
    let w, v, previous, trial, gradient: UnsafeMutablePointer<Double>
    /// n x 2P (the program's stride, first P columns): T, then the positive parts of the residual.
    let target, positive: UnsafeMutablePointer<Double>
    private(set) var iterations = 0
    private let all: [UnsafeMutablePointer<Double>]
    static let maxAttempts = 50, failureStep = 1e-8, backtrack = 0.8, growth = 1.25, growthThreshold = 5.0

    init(program: ConvexReLUProgram, rho: Double, tol: Double, maxIterations: Int) {
        self.program = program; self.rho = rho; self.tol = tol; self.maxIterations = maxIterations
        n = program.n; p = program.p; k = program.patterns
        w = Kernels.zeroedBuffer(k * p); v = Kernels.zeroedBuffer(k * p); previous = Kernels.zeroedBuffer(k * p)
        trial = Kernels.zeroedBuffer(k * p); gradient = Kernels.zeroedBuffer(k * p)
        target = Kernels.zeroedBuffer(n * program.columns); positive = Kernels.zeroedBuffer(n * program.columns)
        all = [w, v, previous, trial, gradient, target, positive]
    }
    deinit { for b in all { b.deallocate() } }

    var stateSize: Int { 5 * k * p + 2 * n * program.columns }

    /// 1/2 sum ||(T - X~ W)_+||^2 at W; leaves (T - X~ W)_+ in `positive`.
    private func smooth(_ x: UnsafePointer<Double>) -> Double {
        program.products(x, groups: k)
        let c = program.columns
        var total = 0.0
        for r in 0..<n {
            for j in 0..<k {
                let e = max(0, target[r * c + j] - program.gsign[r * c + j] * program.xu[r * c + j])
                positive[r * c + j] = e
                total += e * e
            }
        }
        return 0.5 * total
    }

    /// The smooth part's gradient -X~_i^T (T_i - X~_i w_i)_+ into `gradient`, after `smooth`.
    private func smoothGradient() {
        program.transposeProduct(program.gsign, vector: nil, matrix: positive, groups: k, alpha: -1, into: gradient, accumulate: false)
    }

    /// The minimum-norm subgradient's norm at W, after `smooth(w)` and `smoothGradient()`.
    private func subgradientNorm() -> Double {
        var total = 0.0
        for i in 0..<k {
            let wi = w + i * p, gi = gradient + i * p
            let wn = Kernels.dot(wi, wi, p).squareRoot()
            if wn > 0 {
                for j in 0..<p { let e = gi[j] + rho * wi[j] / wn; total += e * e }
            } else {
                let gn = Kernels.dot(gi, gi, p).squareRoot()
                total += max(0, gn - rho) * max(0, gn - rho)
            }
        }
        return total.squareRoot()
    }

    /// Solves from W = 0 for the gated solution u (P x p); the result is in `w`.
    func solve(_ u: UnsafePointer<Double>) {
        let kp = k * p, c = program.columns
        program.products(u, groups: k)
        for r in 0..<n { for j in 0..<k { target[r * c + j] = max(0, -program.gsign[r * c + j] * program.xu[r * c + j]) } }
        w.update(repeating: 0, count: kp); v.update(repeating: 0, count: kp)
        var t = 1.0, step = 1.0, first = true
        iterations = 0
        while iterations < maxIterations {
            _ = smooth(w); smoothGradient()
            if subgradientNorm() <= tol { break }
            // Gradient at the extrapolated point, and the line search through the prox.
            let fv = smooth(v); smoothGradient()
            var f1 = 0.0, attempts = 0
            while true {
                for j in 0..<kp { trial[j] = v[j] - step * gradient[j] }
                ConvexReLUProgram.groupSoftThreshold(trial, groups: k, width: p, threshold: step * rho)
                f1 = smooth(trial)
                attempts += 1
                var sg = 0.0, ss = 0.0
                for j in 0..<kp { let s = trial[j] - v[j]; sg += s * gradient[j]; ss += s * s }
                if 2 * step * (f1 - fv - sg) < ss { break }
                if attempts >= Self.maxAttempts {
                    step = Self.failureStep
                    for j in 0..<kp { trial[j] = v[j] - step * gradient[j] }
                    ConvexReLUProgram.groupSoftThreshold(trial, groups: k, width: p, threshold: step * rho)
                    f1 = smooth(trial)
                    break
                }
                step *= Self.backtrack
            }
            // Lassplore growth, with s = w+ - v and the gradient at v.
            var sg = 0.0, ss = 0.0, restart = 0.0
            for j in 0..<kp { let s = trial[j] - v[j]; sg += s * gradient[j]; ss += s * s }
            let grownStep = ss > Self.growthThreshold * (f1 - (fv + sg)) * 2 * step ? step * Self.growth : step
            // Momentum (scnn's sequence), then the gradient-mapping restart test.
            let tNext = 1 + (1 + 4 * t * t).squareRoot() / 2
            let beta = (t - 1) / tNext
            for j in 0..<kp { restart += (trial[j] - w[j]) * (v[j] - trial[j]) }
            previous.update(from: w, count: kp)
            w.update(from: trial, count: kp)
            for j in 0..<kp { v[j] = w[j] + beta * (w[j] - previous[j]) }
            t = tNext; step = grownStep
            if !first && restart > 0 { t = 1; v.update(from: w, count: kp) }
            first = false
            iterations += 1
        }
    }
}
