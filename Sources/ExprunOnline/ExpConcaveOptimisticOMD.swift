import Foundation
import ExprunCore

/// Optimistic OMD for α-exp-concave losses (Chen et al. 2023, specs-a §2 "α-exp-concave"): the
/// Euclidean regulariser is replaced by the time-varying ½||x||²_{U_t},
///   U_t = δI + (β/2) Σ_{s<t} (g_s − M_s)(g_s − M_s)ᵀ,   β = ½·min{1/(4GD), α},
/// and both steps of round t use U_t:
///   x_t     = argmin_{x∈X} ||x − (x̂_t − U_t⁻¹ M_t)||_{U_t},
///   x̂_{t+1} = argmin_{x∈X} ||x − (x̂_t − U_t⁻¹ g_t)||_{U_t},   M_{t+1} = g_t.
/// With the zero hint (M ≡ 0) it is Online Newton Step (Hazan, Agarwal, Kale 2007) in the
/// same parametrisation: U_t then sums g_s g_sᵀ.
///
/// Cost per round, d = dimension: U_t⁻¹ is kept by Sherman–Morrison rank-one updates and U_t
/// itself by rank-one additions (O(d²) each); the unconstrained points x̂ − U⁻¹v are O(d²).
/// The U-norm projection onto the ball {||x|| <= R} is exact: when ||y|| > R the minimiser is
/// x(ν) = (U + νI)⁻¹ U y with ν > 0 the root of ||x(ν)|| = R, found by the safeguarded Newton
/// iteration on 1/||x(ν)|| − 1/R of Moré & Sorensen (1983) (monotone from ν = 0, bracketed by
/// [0, ||Uy||/R], bisection fallback), with one Cholesky factorisation of U + νI (O(d³/6)) per
/// iteration, typically 3–6 iterations. We chose Cholesky inside the iteration over keeping an
/// eigendecomposition: for d ≤ 20 it is cheaper than re-diagonalising U every round, and it
/// needs no rank-one eigen-update. Only the ball is supported (its entry needs `.ballDomain`).
public final class ExpConcaveOptimisticOMD: OnlineLearner {
    let domain: Domain
    let d: Int
    let hint: HintKind
    /// β/2, the weight of each rank-one term of U_t.
    let weight: Double
    public let beta: Double
    public let delta: Double
    // Vectors (d each): x̂, x, M, y (unconstrained point), b = U y, w = U⁻¹ r, p, q.
    let xHat, x, m, y, b, w, p, q: UnsafeMutablePointer<Double>
    // Matrices (d×d, row-major): U, U⁻¹ and the Cholesky factor of U + νI (lower triangle).
    let U, Uinv, chol: UnsafeMutablePointer<Double>
    let storage: UnsafeMutablePointer<Double>
    @exclusivity(unchecked) var traceU: Double
    /// Newton iterations spent by the last projection (0 when the point was inside the ball).
    @exclusivity(unchecked) public private(set) var lastProjectionIterations = 0
    /// The multiplier ν of the last projection (0 when the point was inside the ball).
    @exclusivity(unchecked) public private(set) var lastMultiplier = 0.0
    @exclusivity(unchecked) public private(set) var stepSize = 0.0
    @exclusivity(unchecked) public private(set) var hintError = 0.0

    /// - Parameters:
    ///   - beta: β of U_t (0 keeps U_t = δI: Euclidean OOMD with η = 1/δ).
    ///   - delta: δ > 0 of U_1 = δI.
    public init(domain: Domain, beta: Double, delta: Double, hint: HintKind) {
        precondition(domain.shape == .ball, "the U-norm projection is implemented for the ball only")
        precondition(delta > 0 && beta >= 0)
        self.domain = domain; self.beta = beta; self.delta = delta; self.hint = hint
        d = domain.dimension
        weight = beta / 2
        storage = .allocate(capacity: 8 * d + 3 * d * d)
        storage.initialize(repeating: 0, count: 8 * d + 3 * d * d)
        xHat = storage; x = storage + d; m = storage + 2 * d; y = storage + 3 * d
        b = storage + 4 * d; w = storage + 5 * d; p = storage + 6 * d; q = storage + 7 * d
        U = storage + 8 * d; Uinv = U + d * d; chol = Uinv + d * d
        for i in 0..<d { U[i * d + i] = delta; Uinv[i * d + i] = 1 / delta }
        traceU = delta * Double(d)
        domain.writeCentre(xHat)
        domain.writeCentre(x)
    }
    deinit { storage.deallocate() }

    /// U_t (row-major d×d), for tests.
    public var matrix: [Double] { Array(UnsafeBufferPointer(start: U, count: d * d)) }
    /// The maintained U_t⁻¹ (row-major d×d), for tests.
    public var inverse: [Double] { Array(UnsafeBufferPointer(start: Uinv, count: d * d)) }

    public func play(round t: Int) -> UnsafePointer<Double> {
        // The "step size" of a matrix step: d / tr(U_t), the harmonic mean of U_t⁻¹'s eigenvalues
        // only when U_t ∝ I, but monotone in U_t and equal to η for U_t = I/η.
        stepSize = Double(d) / traceU
        unconstrainedStep(m)
        projectBall(into: x)
        return UnsafePointer(x)
    }

    public func update(round t: Int, gradient g: UnsafePointer<Double>) {
        unconstrainedStep(g)
        projectBall(into: xHat)
        // r = g_t − M_t enters U_{t+1}; w = U_t⁻¹ r for Sherman–Morrison.
        var s = 0.0
        for i in 0..<d { let r = g[i] - m[i]; q[i] = r; s += r * r }
        hintError += s
        if weight > 0 { addRankOne(q, squaredNorm: s) }
        if hint == .lastGradient { for i in 0..<d { m[i] = g[i] } }
    }

    /// y = x̂ − U⁻¹ v.
    @inline(__always)
    func unconstrainedStep(_ v: UnsafePointer<Double>) {
        for i in 0..<d {
            let row = Uinv + i * d
            var a0 = 0.0, a1 = 0.0
            var j = 0
            while j + 1 < d { a0 += row[j] * v[j]; a1 += row[j + 1] * v[j + 1]; j += 2 }
            if j < d { a0 += row[j] * v[j] }
            y[i] = xHat[i] - (a0 + a1)
        }
    }

    /// U ← U + c r rᵀ and U⁻¹ ← U⁻¹ − c w wᵀ / (1 + c rᵀw), w = U⁻¹ r (Sherman–Morrison).
    /// The products w_i w_j are symmetric in floating point, so U⁻¹ stays exactly symmetric.
    func addRankOne(_ r: UnsafePointer<Double>, squaredNorm: Double) {
        let c = weight
        var rw = 0.0
        for i in 0..<d {
            let row = Uinv + i * d
            var a = 0.0
            for j in 0..<d { a += row[j] * r[j] }
            w[i] = a
            rw += r[i] * a
        }
        let k = c / (1 + c * rw)
        for i in 0..<d {
            let ci = c * r[i], ki = k * w[i]
            let urow = U + i * d, irow = Uinv + i * d
            for j in 0..<d { urow[j] += ci * r[j]; irow[j] -= ki * w[j] }
        }
        traceU += c * squaredNorm
    }

    /// argmin_{||x|| <= R} ||x − y||_U for the current y, written to `out`.
    func projectBall(into out: UnsafeMutablePointer<Double>) {
        let R = domain.radius
        var yy = 0.0
        for i in 0..<d { yy += y[i] * y[i] }
        if yy <= R * R {
            for i in 0..<d { out[i] = y[i] }
            lastProjectionIterations = 0; lastMultiplier = 0
            return
        }
        lastMultiplier = projectOutside(y, radius: R, into: out)
    }

    /// The U-norm projection of a point y with ||y|| > R: x(ν) = (U + νI)⁻¹ b, b = U y, with
    /// ||x(ν)|| = R. φ(ν) = 1/||x(ν)|| − 1/R is increasing and concave on ν ≥ 0, so Newton's
    /// step ν ← ν + (||x||/||L⁻¹x||)² (||x|| − R)/R (Moré & Sorensen 1983, with LLᵀ = U + νI)
    /// approaches the root monotonically from below; the bracket [lo, hi] guards rounding.
    /// Returns ν.
    func projectOutside(_ y: UnsafePointer<Double>, radius R: Double, into out: UnsafeMutablePointer<Double>) -> Double {
        var bb = 0.0
        for i in 0..<d {
            let row = U + i * d
            var a = 0.0
            for j in 0..<d { a += row[j] * y[j] }
            b[i] = a; bb += a * a
        }
        // At ν = ||b||/R: ||x(ν)|| <= ||b||/(λ_min + ν) < R, so the root lies in [0, hi).
        var lo = 0.0, hi = bb.squareRoot() / R
        var nu = 0.0
        var norm = 0.0
        var iterations = 0
        while iterations < 100 {
            iterations += 1
            guard factor(shift: nu) else { nu = 0.5 * (lo + hi); continue }
            solve(b, into: p)   // p = (U + νI)⁻¹ b
            var pp = 0.0
            for i in 0..<d { pp += p[i] * p[i] }
            norm = pp.squareRoot()
            if norm > R { lo = nu } else { hi = nu }
            if abs(norm - R) <= 1e-14 * R || hi - lo <= 1e-15 * hi { break }
            forwardSubstitute(p, into: q)   // q = L⁻¹ p
            var qq = 0.0
            for i in 0..<d { qq += q[i] * q[i] }
            var next = nu + (pp / qq) * (norm - R) / R
            if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            if next == nu { break }
            nu = next
        }
        lastProjectionIterations = iterations
        // Rounding may leave ||p|| a few ulps above R: scale back onto the sphere.
        let k = norm > R ? R / norm : 1
        for i in 0..<d { out[i] = p[i] * k }
        return nu
    }

    /// Cholesky factor of U + shift·I into `chol` (lower triangle); false if not positive definite.
    func factor(shift: Double) -> Bool {
        for i in 0..<d {
            let li = chol + i * d, ui = U + i * d
            for j in 0...i {
                let lj = chol + j * d
                var s = ui[j] + (i == j ? shift : 0)
                for k in 0..<j { s -= li[k] * lj[k] }
                if i == j {
                    guard s > 0 else { return false }
                    li[i] = s.squareRoot()
                } else {
                    li[j] = s / lj[j]
                }
            }
        }
        return true
    }

    /// out = L⁻¹ v.
    func forwardSubstitute(_ v: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        for i in 0..<d {
            let li = chol + i * d
            var s = v[i]
            for k in 0..<i { s -= li[k] * out[k] }
            out[i] = s / li[i]
        }
    }

    /// out = (LLᵀ)⁻¹ v.
    func solve(_ v: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        forwardSubstitute(v, into: out)
        var i = d - 1
        while i >= 0 {
            var s = out[i]
            for k in (i + 1)..<max(d, i + 1) { s -= chol[k * d + i] * out[k] }
            out[i] = s / chol[i * d + i]
            i -= 1
        }
    }

    /// β = ½·min{1/(4GD), α} (specs-a §2), 0 when the losses are not exp-concave (α = 0).
    public static func defaultBeta(_ c: LossConstants) -> Double {
        let curvature = c.G > 0 && c.D > 0 ? 1 / (4 * c.G * c.D) : .infinity
        let b = 0.5 * min(curvature, c.alpha)
        return b.isFinite && b > 0 ? b : 0
    }

    public static let entry = LearnerEntry(
        ComponentDecl(.learner, "oomd_expconcave",
                      doc: "optimistic OMD in the U_t-norm for α-exp-concave losses (Chen et al. 2023); hint: zero gives Online Newton Step",
                      params: [
                          .choice("hint", HintKind.allCases.map(\.rawValue), "last_gradient",
                                  "the optimistic hint M_t (zero gives Online Newton Step)"),
                          .double("beta", nil, .nonNegative,
                                  "β of U_t = δI + (β/2)Σ(g−M)(g−M)ᵀ; default ½·min{1/(4GD), α} from the environment"),
                          .double("delta", 1, .positive, "δ of U_1 = δI (the first step is 1/δ)"),
                      ]),
        // It projects in the U_t-norm onto a ball only.
        needs: { _ in [.ballDomain, .expConcave] },
        make: { p, ctx in
            guard ctx.domain.shape == .ball else {
                throw ComponentError("oomd_expconcave needs domain: ball, got \(ctx.domain.shape.rawValue)")
            }
            let beta = p.optionalDouble("beta") ?? defaultBeta(ctx.constants)
            guard beta > 0 || p.optionalDouble("beta") != nil else {
                throw ComponentError("oomd_expconcave needs exp-concave losses (α > 0); the environment reports α = \(ctx.constants.alpha)")
            }
            return ExpConcaveOptimisticOMD(domain: ctx.domain, beta: beta, delta: p.double("delta"),
                                           hint: HintKind(rawValue: p.string("hint"))!)
        })
}
