import COpenBLAS
import ExprunCore
import Foundation

/// FISTA (Beck & Teboulle 2009) on the unconstrained gated program (specs-b section 12): one
/// group per pattern, no cone constraints,
///
///     min (1/(2n)) || sum_i D_i X u_i - y ||^2 + beta sum_i ||u_i||,
///
/// step 1/L with L = ||F_1||_2^2 / n (F_1 = [D_1 X ... D_P X]; its top eigenvalue is that of
/// the n x n matrix F_1 F_1^T = (X X^T) ⊙ (D D^T), found by power iteration to a relative change
/// of 1e-13, then raised by 1e-9 relative so the step never exceeds 1/L), the smooth
/// gradient F_1^T (F_1 u - y) / n and the group soft-threshold at beta/L as prox.
///
/// The solution is a gated-ReLU model f(a) = sum_i 1[h_i^T a >= 0] a^T u_i, a ReLU network only
/// where the cone constraints happen to hold; `ConeDecomposition` turns it into one with the
/// same predictions on the training rows (Mishkin, Sahiner & Pilanci 2022).
public final class ConvexReLUFISTA {
    public let program: ConvexReLUProgram
    public let lipschitz: Double
    let k: Int, p: Int, n: Int
    /// P x p: the iterate u_k, the extrapolated point y_k, the previous iterate, the gradient.
    let u, point, previous, gradient: UnsafeMutablePointer<Double>
    private var momentum = 1.0
    public private(set) var iterations = 0
    private let all: [UnsafeMutablePointer<Double>]

    public init(program: ConvexReLUProgram) {
        self.program = program
        n = program.n; p = program.p; k = program.patterns
        u = Kernels.zeroedBuffer(k * p); point = Kernels.zeroedBuffer(k * p); previous = Kernels.zeroedBuffer(k * p); gradient = Kernels.zeroedBuffer(k * p)
        all = [u, point, previous, gradient]
        lipschitz = Self.topEigenvalue(program) / Double(program.n) * (1 + 1e-9)
    }
    deinit { for b in all { b.deallocate() } }

    /// The largest eigenvalue of (X X^T) ⊙ (D D^T) (n x n, PSD) by power iteration from the ones vector.
    static func topEigenvalue(_ program: ConvexReLUProgram) -> Double {
        let n = program.n, p = program.p, c = program.columns, k = program.patterns
        var m = [Double](repeating: 0, count: n * n), dd = [Double](repeating: 0, count: n * n)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(p), 1, program.x, Int32(p), program.x, Int32(p),
                    0, &m, Int32(n))
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(k), 1, program.fmask, Int32(c),
                    program.fmask, Int32(c), 0, &dd, Int32(n))
        for i in 0..<(n * n) { m[i] *= dd[i] }
        var v = [Double](repeating: 1 / Double(n).squareRoot(), count: n), w = [Double](repeating: 0, count: n)
        var value = 0.0
        for _ in 0..<10_000 {
            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(n), 1, m, Int32(n), v, 1, 0, &w, 1)
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return 0 }
            for i in 0..<n { v[i] = w[i] / norm }
            if abs(norm - value) <= 1e-13 * norm { value = norm; break }
            value = norm
        }
        return value
    }

    /// One FISTA step.
    public func iterate() {
        let kp = k * p
        guard lipschitz > 0 else { return }
        // Gradient at the extrapolated point: F_1^T (F_1 y - y_data) / n.
        _ = program.objective(point, groups: k)
        program.transposeProduct(program.fmask, vector: program.residual, matrix: nil, groups: k, alpha: 1 / Double(n),
                                 into: gradient, accumulate: false)
        previous.update(from: u, count: kp)
        for i in 0..<kp { u[i] = point[i] - gradient[i] / lipschitz }
        ConvexReLUProgram.groupSoftThreshold(u, groups: k, width: p, threshold: program.beta / lipschitz)
        let next = (1 + (1 + 4 * momentum * momentum).squareRoot()) / 2
        let w = (momentum - 1) / next
        for i in 0..<kp { point[i] = u[i] + w * (u[i] - previous[i]) }
        momentum = next
        iterations += 1
    }

    public var activeGroups: Int {
        (0..<k).reduce(0) { $0 + (Kernels.dot(u + $1 * p, u + $1 * p, p) > 0 ? 1 : 0) }
    }

    /// The gated objective at u_k.
    public var objective: Double { program.objective(u, groups: k) }
}
