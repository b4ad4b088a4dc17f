import ExprunCore
import Foundation

/// The exact cone decomposition of one gated neuron (Mishkin, Sahiner & Pilanci 2022): with
/// X~ = (2D - I) X the pattern's signed rows and v = u + w,
///
///     min_w ||u + w|| + ||w||   s.t.   X~ w >= 0,  X~ (u + w) >= 0,
///
/// i.e. X~ w >= t with t = max(0, -X~ u) row by row: v and w in the cone K, v - w = u, and the
/// neuron pair costs as little weight decay as the cone allows (||u|| is the lower bound,
/// reached exactly when u or -u is in K). Solved by the barrier method (Boyd & Vandenberghe
/// 2004, section 11.3) on its second-order-cone form
///
///     min r1 + r2   s.t.   ||u + w|| <= r1,  ||w|| <= r2,  X~ w >= t,
///
/// barrier -sum log(X~ w - t) - log(r1^2 - ||u + w||^2) - log(r2^2 - ||w||^2), of parameter
/// nu = m + 4 (m rows): Newton centering (damped, backtracking), tau multiplied by 10 until the
/// duality gap bound nu / tau is at most tol * ||u||. Every iterate is strictly feasible, so
/// the returned v, w lie in K whatever the iteration budget.
///
/// The problem is solved for u / ||u|| with each row of X~ normalised (the same feasible set),
/// then scaled back. The start is w = c h for the pattern's generator h: X~ h = |X h| > 0, so
/// it is interior unless X h has a (numerically) zero entry; then `solve` reports failure
/// (the caller decides what to write). All scratch is allocated once, for n rows and p features.
struct ConeDecompositionBarrier {
    let n: Int, p: Int
    /// The q = p + 2 variables (w, r1, r2).
    var q: Int { p + 2 }
    let rows, t, slack: UnsafeMutablePointer<Double>
    let unit, w, a, trial, grad, step, hessian, scale: UnsafeMutablePointer<Double>
    private let all: [UnsafeMutablePointer<Double>]
    static let growth = 10.0, newtonTolerance = 1e-10, newtonLimit = 60, totalLimit = 600

    init(n: Int, p: Int) {
        self.n = n; self.p = p
        let q = p + 2
        rows = Kernels.zeroedBuffer(n * p); t = Kernels.zeroedBuffer(n); slack = Kernels.zeroedBuffer(n)
        unit = Kernels.zeroedBuffer(p); w = Kernels.zeroedBuffer(q); a = Kernels.zeroedBuffer(p); trial = Kernels.zeroedBuffer(q)
        grad = Kernels.zeroedBuffer(q); step = Kernels.zeroedBuffer(q); hessian = Kernels.zeroedBuffer(q * q); scale = Kernels.zeroedBuffer(q)
        all = [rows, t, slack, unit, w, a, trial, grad, step, hessian, scale]
    }

    func deallocate() { for b in all { b.deallocate() } }

    enum Outcome { case trivialPositive, trivialNegative, solved(newtonSteps: Int), generatorOnBoundary }

    /// Decomposes u (p) for the pattern `mask` (n entries of 1 or 0, stride `stride`) of the rows
    /// x (n x p) with generator h (p): writes v and w (p each). With `.generatorOnBoundary`
    /// nothing is written.
    func solve(x: UnsafePointer<Double>, mask: UnsafePointer<Double>, stride: Int, u: UnsafePointer<Double>,
               generator h: UnsafePointer<Double>, tol: Double, v vOut: UnsafeMutablePointer<Double>,
               w wOut: UnsafeMutablePointer<Double>) -> Outcome {
        let norm = Kernels.dot(u, u, p).squareRoot()
        for i in 0..<p { unit[i] = u[i] / norm }
        // Normalised signed rows; t = max(0, -X~ u); whether u or -u already lies in K.
        var m = 0, uInK = true, minusUInK = true, hNorm = Kernels.dot(h, h, p).squareRoot(), margin = Double.infinity
        for r in 0..<n {
            let sign = 2 * mask[r * stride] - 1, row = rows + m * p
            var rn = 0.0
            for i in 0..<p { row[i] = sign * x[r * p + i]; rn += row[i] * row[i] }
            guard rn > 0 else { continue }
            rn = rn.squareRoot()
            for i in 0..<p { row[i] /= rn }
            let au = Kernels.dot(row, unit, p)
            if au < 0 { uInK = false }
            if au > 0 { minusUInK = false }
            t[m] = max(0, -au)
            margin = min(margin, Kernels.dot(row, h, p) / hNorm)
            m += 1
        }
        if uInK {
            vOut.update(from: u, count: p); wOut.update(repeating: 0, count: p)
            return .trivialPositive
        }
        if minusUInK {
            vOut.update(repeating: 0, count: p); for i in 0..<p { wOut[i] = -u[i] }
            return .trivialNegative
        }
        guard margin > 1e-12 else { return .generatorOnBoundary }
        // Interior start: w = c h / ||h|| with X~ w >= 2 t; r1, r2 one above the norms.
        var c = 0.0
        for k in 0..<m { c = max(c, 2 * t[k] / (Kernels.dot(rows + k * p, h, p) / hNorm)) }
        for i in 0..<p { w[i] = c * h[i] / hNorm }
        w[p] = radius(shifted: true, w) + 1; w[p + 1] = radius(shifted: false, w) + 1
        let nu = Double(m + 4)
        var tau = nu / (w[p] + w[p + 1]), steps = 0
        while steps < Self.totalLimit {
            steps += center(rows: m, tau: tau, limit: min(Self.newtonLimit, Self.totalLimit - steps))
            if nu / tau <= tol { break }
            tau *= Self.growth
        }
        for i in 0..<p { wOut[i] = norm * w[i]; vOut[i] = u[i] + wOut[i] }
        return .solved(newtonSteps: steps)
    }

    /// ||u/||u|| + w|| (shifted) or ||w|| of the point z = (w, r1, r2).
    private func radius(shifted: Bool, _ z: UnsafePointer<Double>) -> Double {
        var s = 0.0
        for i in 0..<p { let e = z[i] + (shifted ? unit[i] : 0); s += e * e }
        return s.squareRoot()
    }

    /// The barrier objective tau (r1 + r2) + barrier at z; infinity outside the domain. Leaves
    /// the slacks X~ w - t in `slack`.
    private func value(_ z: UnsafePointer<Double>, rows m: Int, tau: Double) -> Double {
        var f = tau * (z[p] + z[p + 1])
        for k in 0..<m {
            let s = Kernels.dot(rows + k * p, z, p) - t[k]
            guard s > 0 else { return .infinity }
            slack[k] = s
            f -= log(s)
        }
        let r1 = z[p], r2 = z[p + 1], n1 = radius(shifted: true, z), n2 = radius(shifted: false, z)
        guard r1 > n1, r2 > n2 else { return .infinity }
        return f - log((r1 - n1) * (r1 + n1)) - log((r2 - n2) * (r2 + n2))
    }

    /// Newton's method on the barrier objective at tau from w (kept strictly feasible); returns
    /// the steps taken.
    private func center(rows m: Int, tau: Double, limit: Int) -> Int {
        let p = self.p, q = self.q
        var f = value(w, rows: m, tau: tau)
        for iteration in 0..<limit {
            // Gradient and Hessian. Linear rows: -sum a_k / s_k, sum a_k a_k^T / s_k^2.
            grad.update(repeating: 0, count: q); hessian.update(repeating: 0, count: q * q)
            for k in 0..<m {
                let row = rows + k * p, inv = 1 / slack[k]
                for i in 0..<p {
                    grad[i] -= row[i] * inv
                    let ri = row[i] * inv * inv
                    for j in i..<p { hessian[i * q + j] += ri * row[j] }
                }
            }
            // Cone terms -log(r^2 - ||e||^2), e = u + w (r1) or w (r2): gradient 2e/g, -2r/g;
            // Hessian 2I/g + 4ee^T/g^2, -4re/g^2, -2/g + 4r^2/g^2, with g = r^2 - ||e||^2.
            for cone in 0..<2 {
                let ri = p + cone, r = w[ri]
                for i in 0..<p { a[i] = w[i] + (cone == 0 ? unit[i] : 0) }
                let g = r * r - Kernels.dot(a, a, p), g2 = g * g
                for i in 0..<p {
                    grad[i] += 2 * a[i] / g
                    hessian[i * q + i] += 2 / g
                    for j in i..<p { hessian[i * q + j] += 4 * a[i] * a[j] / g2 }
                    hessian[i * q + ri] += -4 * r * a[i] / g2
                }
                grad[ri] += tau - 2 * r / g
                hessian[ri * q + ri] += -2 / g + 4 * r * r / g2
            }
            // Solve H step = -grad with H scaled to a unit diagonal (its entries span many orders).
            for i in 0..<q { scale[i] = 1 / hessian[i * q + i].squareRoot() }
            for i in 0..<q { for j in i..<q { hessian[i * q + j] *= scale[i] * scale[j] } }
            OptimalValueSolvers.choleskyUpper(hessian, q)
            for i in 0..<q { trial[i] = -grad[i] * scale[i] }
            OptimalValueSolvers.choleskySolve(hessian, q, trial, step)
            var decrement = 0.0
            for i in 0..<q { step[i] *= scale[i]; decrement -= grad[i] * step[i] }
            if decrement / 2 <= Self.newtonTolerance || !decrement.isFinite { return iteration }
            // Backtracking line search inside the domain.
            var alpha = 1.0, next = Double.infinity
            while alpha > 1e-20 {
                for i in 0..<q { trial[i] = w[i] + alpha * step[i] }
                next = value(trial, rows: m, tau: tau)
                if next <= f - 0.25 * alpha * decrement { break }
                alpha *= 0.5
            }
            guard next.isFinite, next < f else { _ = value(w, rows: m, tau: tau); return iteration + 1 }
            w.update(from: trial, count: q)
            f = next
        }
        return limit
    }
}
