import COpenBLAS
import ExprunCore
import Foundation

/// ADMM on the constrained convex program (Bai, Gautam, Sojoudi 2022, Algorithm 3.1's
/// splitting; specs-b section 12): with u the stacked groups, z a group-sparse copy of u,
/// s >= 0 a slack for G u and scaled duals lambda, nu,
///
///     1. u <- M^-1 (F^T y / (n rho) + (z - lambda) + G^T (s - nu)),   M = I + F^T F / (n rho) + G^T G
///     2. z_j <- max(0, 1 - beta / (rho ||u_j + lambda_j||)) (u_j + lambda_j)
///     3. s <- max(0, G u + nu)
///     4. lambda <- lambda + gamma (u - z);  nu <- nu + gamma (G u - s)
///
/// (the 1/n of exprun's mean loss sits with F^T F and F^T y). G^T G is block diagonal with
/// blocks X^T X (since (2D - I)^2 = I), so M = A + F^T F / (n rho) with A = I (x) (I + X^T X),
/// and the u-step is one Woodbury solve: u = A^-1 b - A^-1 F^T S^-1 F A^-1 b with
/// S = n rho I + F A^-1 F^T = n rho I + K ⊙ (F F^T), K = X (I + X^T X)^-1 X^T: one n x n
/// Cholesky factor precomputed, so an iteration costs O(n P p) (the papers' "quadratic in n
/// after precomputation"). Residuals: primal ||u - z|| and ||G u - s||, dual
/// rho ||(z - z_prev) + G^T (s - s_prev)||; it stops when all three are below `tol`, and the
/// solution reported is z (exactly group-sparse).
public final class ConvexReLUADMM {
    public let program: ConvexReLUProgram
    public let rho: Double, gamma: Double, tol: Double
    let k: Int, p: Int, n: Int
    /// 2P x p: u, z, lambda, the right-hand side / scratch, and z before the step.
    let u, z, lambda, rhs, zPrev, fty: UnsafeMutablePointer<Double>
    /// n x 2P: s, nu, G u, s before the step.
    let s, nu, gu, sPrev: UnsafeMutablePointer<Double>
    /// (I + X^T X)^-1 (p x p), the Cholesky factor of S (n x n), and an n-vector.
    let aInverse, sFactor, t: UnsafeMutablePointer<Double>
    private let all: [UnsafeMutablePointer<Double>]
    public private(set) var iterations = 0
    public private(set) var primalResidual = Double.infinity, slackResidual = Double.infinity, dualResidual = Double.infinity
    public var converged: Bool { primalResidual < tol && slackResidual < tol && dualResidual < tol }

    public init(program: ConvexReLUProgram, rho: Double, gamma: Double, tol: Double) {
        self.program = program; self.rho = rho; self.gamma = gamma; self.tol = tol
        n = program.n; p = program.p; k = program.columns
        func buffer(_ c: Int) -> UnsafeMutablePointer<Double> {
            let b = UnsafeMutablePointer<Double>.allocate(capacity: max(c, 1)); b.initialize(repeating: 0, count: max(c, 1)); return b
        }
        u = buffer(k * p); z = buffer(k * p); lambda = buffer(k * p); rhs = buffer(k * p); zPrev = buffer(k * p); fty = buffer(k * p)
        s = buffer(n * k); nu = buffer(n * k); gu = buffer(n * k); sPrev = buffer(n * k)
        aInverse = buffer(p * p); sFactor = buffer(n * n); t = buffer(n)
        all = [u, z, lambda, rhs, zPrev, fty, s, nu, gu, sPrev, aInverse, sFactor, t]
        let x = program.x
        // A-block inverse: (I + X^T X)^-1 by Cholesky, column by column.
        let a = buffer(p * p), e = buffer(p), col = buffer(p)
        defer { a.deallocate(); e.deallocate(); col.deallocate() }
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(p), Int32(p), Int32(n), 1, x, Int32(p), x, Int32(p), 0, a, Int32(p))
        for i in 0..<p { a[i * p + i] += 1 }
        OptimalValueSolvers.choleskyUpper(a, p)
        for i in 0..<p {
            e.update(repeating: 0, count: p); e[i] = 1
            OptimalValueSolvers.choleskySolve(a, p, e, col)
            for j in 0..<p { aInverse[j * p + i] = col[j] }
        }
        // S = n rho I + K ⊙ (F F^T), K = X A^-1 X^T; F F^T[r, q] = sum_j fmask[r, j] fmask[q, j].
        let xa = buffer(n * p), kk = buffer(n * n), ff = buffer(n * n)
        defer { xa.deallocate(); kk.deallocate(); ff.deallocate() }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(p), Int32(p), 1, x, Int32(p), aInverse, Int32(p), 0, xa, Int32(p))
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(p), 1, xa, Int32(p), x, Int32(p), 0, kk, Int32(n))
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(k), 1, program.fmask, Int32(k),
                    program.fmask, Int32(k), 0, ff, Int32(n))
        for i in 0..<(n * n) { sFactor[i] = kk[i] * ff[i] }
        for r in 0..<n { sFactor[r * n + r] += Double(n) * rho }
        OptimalValueSolvers.choleskyUpper(sFactor, n)
        // F^T y / (n rho).
        program.transposeProduct(program.fmask, vector: program.y, matrix: nil, groups: k, alpha: 1 / (Double(n) * rho),
                                 into: fty, accumulate: false)
    }
    deinit { for b in all { b.deallocate() } }

    /// u <- M^-1 rhs (rhs is overwritten).
    private func solveM() {
        // a = A^-1 rhs, group by group (rows of rhs times the symmetric A^-1).
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(k), Int32(p), Int32(p), 1, rhs, Int32(p), aInverse, Int32(p),
                    0, u, Int32(p))
        // t = S^-1 F a.
        program.products(u, groups: k)
        program.predictFromProducts(groups: k, into: program.residual)
        OptimalValueSolvers.choleskySolve(sFactor, n, program.residual, t)
        // u = a - A^-1 F^T t.
        program.transposeProduct(program.fmask, vector: t, matrix: nil, groups: k, alpha: 1, into: rhs, accumulate: false)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(k), Int32(p), Int32(p), -1, rhs, Int32(p), aInverse, Int32(p),
                    1, u, Int32(p))
    }

    /// One ADMM iteration (nothing once converged).
    public func iterate() {
        if converged { return }
        let kp = k * p, nk = n * k
        // 1. rhs = F^T y/(n rho) + (z - lambda) + G^T (s - nu).
        for i in 0..<nk { gu[i] = s[i] - nu[i] }
        program.transposeProduct(program.gsign, vector: nil, matrix: gu, groups: k, alpha: 1, into: rhs, accumulate: false)
        for i in 0..<kp { rhs[i] += fty[i] + z[i] - lambda[i] }
        solveM()
        // 2. z = group soft-threshold of u + lambda at beta / rho.
        zPrev.update(from: z, count: kp)
        for i in 0..<kp { z[i] = u[i] + lambda[i] }
        ConvexReLUProgram.groupSoftThreshold(z, groups: k, width: p, threshold: program.beta / rho)
        // 3. s = max(0, G u + nu), with G u = gsign ⊙ (X u^T).
        program.products(u, groups: k)
        sPrev.update(from: s, count: nk)
        for i in 0..<nk { gu[i] = program.gsign[i] * program.xu[i]; s[i] = max(0, gu[i] + nu[i]) }
        // 4. Duals, and the residuals.
        var primal = 0.0, slack = 0.0
        for i in 0..<kp { let r = u[i] - z[i]; lambda[i] += gamma * r; primal += r * r }
        for i in 0..<nk { let r = gu[i] - s[i]; nu[i] += gamma * r; slack += r * r }
        // Dual residual rho ||dz + G^T ds||: G^T ds into rhs.
        for i in 0..<nk { sPrev[i] = s[i] - sPrev[i] }
        program.transposeProduct(program.gsign, vector: nil, matrix: sPrev, groups: k, alpha: 1, into: rhs, accumulate: false)
        var dual = 0.0
        for i in 0..<kp { let d = (z[i] - zPrev[i]) + rhs[i]; dual += d * d }
        primalResidual = primal.squareRoot(); slackResidual = slack.squareRoot(); dualResidual = rho * dual.squareRoot()
        iterations += 1
    }

    /// Nonzero groups of z.
    public var activeGroups: Int {
        (0..<k).reduce(0) { $0 + (Kernels.dot(z + $1 * p, z + $1 * p, p) > 0 ? 1 : 0) }
    }

    /// The recovered network of z in a relu2 parameter vector of width m >= 2P.
    public func writeNetwork(into net: UnsafeMutablePointer<Double>, width m: Int) {
        let half = program.patterns
        program.recoverNetwork(z, groups: k, signs: { j in (1, j < half ? 1 : -1) }, into: net, width: m)
    }

    /// The convex objective at z and z's largest cone violation.
    public func objectiveAndViolation() -> (objective: Double, violation: Double) {
        let f = program.objective(z, groups: k)
        return (f, program.coneViolationFromProducts(groups: k))
    }
}
