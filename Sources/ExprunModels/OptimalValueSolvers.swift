import ExprunCore
import Foundation

/// Deterministic solvers behind `computeOptimalValue()`. They run once per (data, model) pair,
/// so they favour accuracy and certificates over speed; they allocate their own buffers. The
/// Cholesky pair is public: the token-walk kind solves its nodes' normal equations with it.
public enum OptimalValueSolvers {
    /// A smooth objective: writes the gradient at x into g and returns f(x).
    typealias ValueAndGradient = (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Double

    /// Strong-convexity certificate: f(x) - f* <= ||grad f(x)||^2 / (2 mu) for a mu-strongly
    /// convex f (Nesterov 2004, Thm 2.1.10). Solvers stop once this is at most `target`.
    static func certified(_ gradNormSquared: Double, mu: Double, target: Double = 1e-10) -> Bool {
        mu > 0 && gradNormSquared / (2 * mu) <= target
    }

    // MARK: Cholesky

    /// In-place Cholesky H = U^T U of a symmetric positive semidefinite d x d matrix whose
    /// upper triangle (row-major) is filled; U overwrites that upper triangle. Pivots at most
    /// `1e-12 * max diag` are treated as exact zeros (their row of U is zeroed), which keeps a
    /// consistent system H x = b with b in range(H) solvable: the solve then returns one of
    /// its solutions. Returns the number of zero pivots.
    @discardableResult
    public static func choleskyUpper(_ h: UnsafeMutablePointer<Double>, _ d: Int) -> Int {
        var maxDiag = 0.0
        for k in 0..<d { maxDiag = max(maxDiag, h[k * d + k]) }
        let tol = 1e-12 * maxDiag
        var zeros = 0
        for k in 0..<d {
            let row = h + k * d
            let pivot = row[k]
            if !(pivot > tol) {
                for j in k..<d { row[j] = 0 }
                zeros += 1
                continue
            }
            let r = pivot.squareRoot()
            let inv = 1 / r
            row[k] = r
            for j in (k + 1)..<max(k + 1, d) { row[j] *= inv }
            // Right-looking update of the trailing upper triangle, one contiguous row segment at a time.
            for i in (k + 1)..<max(k + 1, d) {
                let s = row[i]
                if s != 0 { Kernels.axpy(-s, row + i, h + i * d + i, d - i) }
            }
        }
        return zeros
    }

    /// Solves U^T U x = b with the factor from `choleskyUpper` (x may alias nothing else).
    public static func choleskySolve(_ u: UnsafePointer<Double>, _ d: Int, _ b: UnsafePointer<Double>,
                              _ x: UnsafeMutablePointer<Double>) {
        x.update(from: b, count: d)
        // Forward: U^T z = b, column by column of U^T (= row by row of U).
        for k in 0..<d {
            let ukk = u[k * d + k]
            if ukk == 0 { x[k] = 0; continue }
            x[k] /= ukk
            let zk = x[k]
            if zk != 0 { Kernels.axpy(-zk, u + k * d + k + 1, x + k + 1, d - k - 1) }
        }
        // Backward: U x = z.
        var k = d - 1
        while k >= 0 {
            let ukk = u[k * d + k]
            if ukk == 0 { x[k] = 0 } else {
                let s = Kernels.dot(u + k * d + k + 1, UnsafePointer(x + k + 1), d - k - 1)
                x[k] = (x[k] - s) / ukk
            }
            k -= 1
        }
    }

    // MARK: Conjugate gradient

    /// Conjugate gradient for H x = b with H symmetric positive definite, from x's content.
    /// Stops when ||H x - b|| <= residualTarget or after maxIterations.
    static func conjugateGradient(_ d: Int, apply: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void,
                                  _ b: UnsafePointer<Double>, _ x: UnsafeMutablePointer<Double>,
                                  residualTarget: Double, maxIterations: Int) {
        var r = [Double](repeating: 0, count: d), p = r, hp = r
        r.withUnsafeMutableBufferPointer { rb in
            p.withUnsafeMutableBufferPointer { pb in
                hp.withUnsafeMutableBufferPointer { hb in
                    let r = rb.baseAddress!, p = pb.baseAddress!, hp = hb.baseAddress!
                    apply(x, hp)
                    for j in 0..<d { r[j] = b[j] - hp[j]; p[j] = r[j] }
                    var rr = Kernels.dot(r, r, d)
                    var it = 0
                    while rr.squareRoot() > residualTarget && it < maxIterations {
                        apply(p, hp)
                        let php = Kernels.dot(p, hp, d)
                        if !(php > 0) { break }
                        let alpha = rr / php
                        Kernels.axpy(alpha, p, x, d)
                        Kernels.axpy(-alpha, hp, r, d)
                        // Recompute the true residual now and then: the recurrence drifts.
                        if it % 50 == 49 {
                            apply(x, hp)
                            for j in 0..<d { r[j] = b[j] - hp[j] }
                        }
                        let rrNew = Kernels.dot(r, r, d)
                        let beta = rrNew / rr
                        for j in 0..<d { p[j] = r[j] + beta * p[j] }
                        rr = rrNew
                        it += 1
                    }
                }
            }
        }
    }

    // MARK: Line search

    /// Backtracking from step 1 along direction dir: accepts Armijo sufficient decrease, or,
    /// once f no longer resolves the decrease (within rounding of f), a step that shrinks the
    /// gradient norm; this lets the solvers drive the gradient down to the certificate.
    /// On success x and g hold the new point and gradient and the new f is returned.
    static func lineSearch(_ d: Int, _ fg: ValueAndGradient, x: UnsafeMutablePointer<Double>,
                           g: UnsafeMutablePointer<Double>, f0: Double, dir: UnsafePointer<Double>,
                           trial: UnsafeMutablePointer<Double>, trialG: UnsafeMutablePointer<Double>,
                           initialStep: Double = 1) -> Double? {
        let slope = Kernels.dot(g, dir, d)
        guard slope < 0 else { return nil }
        let gg = Kernels.dot(g, g, d)
        var step = initialStep
        for _ in 0..<60 {
            for j in 0..<d { trial[j] = x[j] + step * dir[j] }
            let f = fg(trial, trialG)
            let armijo = f <= f0 + 1e-4 * step * slope
            let flat = abs(f - f0) <= 1e-14 * max(1, abs(f0)) && Kernels.dot(trialG, trialG, d) < gg
            if f.isFinite && (armijo || flat) {
                x.update(from: trial, count: d)
                g.update(from: trialG, count: d)
                return f
            }
            step *= 0.5
        }
        return nil
    }

    // MARK: Newton

    /// Damped Newton's method with backtracking, for a mu-strongly convex f whose Hessian
    /// (upper triangle, row-major) `hessian` writes. Returns f at the last point once the
    /// gradient certificate holds, or nil.
    static func newton(_ d: Int, mu: Double, x0: [Double], fg: ValueAndGradient,
                       hessian: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void,
                       maxIterations: Int = 100) -> Double? {
        var x = x0
        var g = [Double](repeating: 0, count: d), dir = g, trial = g, trialG = g
        var h = [Double](repeating: 0, count: d * d)
        return x.withUnsafeMutableBufferPointer { xb -> Double? in
            g.withUnsafeMutableBufferPointer { gb -> Double? in
                dir.withUnsafeMutableBufferPointer { db -> Double? in
                    trial.withUnsafeMutableBufferPointer { tb -> Double? in
                        trialG.withUnsafeMutableBufferPointer { tgb -> Double? in
                            h.withUnsafeMutableBufferPointer { hb -> Double? in
                                let x = xb.baseAddress!, g = gb.baseAddress!, dir = db.baseAddress!
                                let h = hb.baseAddress!
                                var f = fg(x, g)
                                for _ in 0..<maxIterations {
                                    if certified(Kernels.dot(g, g, d), mu: mu) { return f }
                                    h.update(repeating: 0, count: d * d)
                                    hessian(x, h)
                                    choleskyUpper(h, d)
                                    choleskySolve(h, d, g, dir)
                                    for j in 0..<d { dir[j] = -dir[j] }
                                    guard let fNew = lineSearch(d, fg, x: x, g: g, f0: f, dir: dir,
                                                                trial: tb.baseAddress!, trialG: tgb.baseAddress!)
                                    else { break }
                                    f = fNew
                                }
                                return certified(Kernels.dot(g, g, d), mu: mu) ? f : nil
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: L-BFGS

    /// L-BFGS (Nocedal & Wright 2006, Alg. 7.4/7.5) with backtracking, for a mu-strongly convex
    /// f. Returns f at the last point once the gradient certificate holds, or nil.
    static func lbfgs(_ d: Int, mu: Double, x0: [Double], fg: ValueAndGradient,
                      memory m: Int = 20, maxIterations: Int = 20000) -> Double? {
        var buffer = [Double](repeating: 0, count: 5 * d + 2 * m * d)
        var rho = [Double](repeating: 0, count: m), alpha = rho
        return buffer.withUnsafeMutableBufferPointer { bb -> Double? in
            let base = bb.baseAddress!
            let x = base, g = base + d, dir = base + 2 * d, trial = base + 3 * d, trialG = base + 4 * d
            let s = base + 5 * d, y = base + 5 * d + m * d
            for j in 0..<d { x[j] = x0[j] }
            var f = fg(x, g)
            var stored = 0, newest = -1
            for iteration in 0..<maxIterations {
                let gg = Kernels.dot(g, g, d)
                if certified(gg, mu: mu) { return f }
                // Two-loop recursion: dir = -H_k g.
                for j in 0..<d { dir[j] = -g[j] }
                var k = newest
                for _ in 0..<stored {
                    alpha[k] = rho[k] * Kernels.dot(s + k * d, dir, d)
                    Kernels.axpy(-alpha[k], y + k * d, dir, d)
                    k = (k - 1 + m) % m
                }
                if stored > 0 {
                    let sy = 1 / rho[newest], yy = Kernels.dot(y + newest * d, y + newest * d, d)
                    let gamma = sy / yy
                    for j in 0..<d { dir[j] *= gamma }
                }
                k = (newest - stored + 1 + m) % m
                for _ in 0..<stored {
                    let beta = rho[k] * Kernels.dot(y + k * d, dir, d)
                    Kernels.axpy(alpha[k] - beta, s + k * d, dir, d)
                    k = (k + 1) % m
                }
                let slot = (newest + 1) % m
                let sk = s + slot * d, yk = y + slot * d
                for j in 0..<d { sk[j] = x[j]; yk[j] = g[j] }
                let firstStep = iteration == 0 ? min(1, 1 / gg.squareRoot()) : 1
                guard let fNew = lineSearch(d, fg, x: x, g: g, f0: f, dir: dir, trial: trial, trialG: trialG,
                                            initialStep: firstStep) else {
                    // Restart from steepest descent once before giving up (lost curvature pairs).
                    if stored == 0 { break }
                    stored = 0
                    continue
                }
                f = fNew
                for j in 0..<d { sk[j] = x[j] - sk[j]; yk[j] = g[j] - yk[j] }
                let sy = Kernels.dot(sk, yk, d)
                // Keep only pairs with clear positive curvature (rounding can spoil tiny steps).
                if sy > 1e-12 * Kernels.dot(sk, sk, d) * mu && sy > 0 {
                    rho[slot] = 1 / sy
                    newest = slot
                    stored = min(stored + 1, m)
                } else if stored == m {
                    stored -= 1   // the rejected pair overwrote the oldest one's slot
                }
            }
            return certified(Kernels.dot(g, g, d), mu: mu) ? f : nil
        }
    }
}
