import ExprunCore
import Foundation

/// SWAN (Ma, Gong, Scetbon, Meeds 2024): a stateless preconditioner for matrix blocks.
/// Per m x n gradient G (specs-b.md section 3):
/// 1. GradNorm: each row standardized across the input dimension, (G_ij - mu_i) / (s_i + eps);
/// 2. GradWhitening: P = (Gt Gt^T)^(-1/2) Gt (Gt (Gt^T Gt)^(-1/2) when m > n), the inverse root
///    of the smaller Gram matrix A by coupled Newton-Schulz iterations on A / ||A||_F (the
///    paper's normalization), run until the relative change of Y falls to `nsTolerance` (at most
///    `nsSteps`; tolerance 0 runs exactly nsSteps, the fixed-K form). A fixed K = 10 is 12-24%
///    off the exact factor on 64x64 and 128x128 gradients (GradNorm makes square Gt singular,
///    and NS needs ~log_2.25(1/lambda_min) steps); the check stops after 13-21 there, within 1e-11;
/// 3. rescale to unit RMS: dW = sqrt(mn) P / ||P||_F (times `scale`, 1 by default).
/// The output is the descent direction; the chain multiplies by -lr. Non-matrix blocks use
/// Adam (our reading of "SWAN on the Linear layers" [UNVERIFIED]); state = their 2 moments only.
public final class ScaleBySwan: GradientTransform {
    public let nsSteps: Int, nsTolerance: Double, eps: Double, gradNorm: Bool, whitening: Bool, scale: Double
    let matrices: [ParamBlock]
    let vectors: VectorBlockAdam
    // Scratch sized for the largest matrix block (no allocation per step).
    let gram: UnsafeMutableBufferPointer<Double>, whitened: UnsafeMutableBufferPointer<Double>
    let newtonSchulz: NewtonSchulzInverseRoot

    public init(layout: [ParamBlock], nsSteps: Int, nsTolerance: Double = 1e-10, eps: Double, gradNorm: Bool = true,
                whitening: Bool = true, scale: Double = 1, beta1: Double, beta2: Double, adamEps: Double) {
        self.nsSteps = nsSteps; self.nsTolerance = nsTolerance; self.eps = eps; self.gradNorm = gradNorm; self.whitening = whitening
        self.scale = scale
        matrices = layout.filter(\.isMatrix)
        vectors = VectorBlockAdam(layout.filter { !$0.isMatrix }, beta1: beta1, beta2: beta2, eps: adamEps)
        let side = matrices.map { min($0.rows, $0.cols) }.max() ?? 0
        gram = zeroState(side * side)
        whitened = zeroState(matrices.map(\.count).max() ?? 0)
        newtonSchulz = NewtonSchulzInverseRoot(maxSize: side)
    }
    deinit { gram.deallocate(); whitened.deallocate() }

    /// Only the Adam moments of the non-matrix blocks: matrix blocks hold no state.
    public var stateSize: Int { vectors.stateSize }

    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        vectors.apply(u, context: context)
        for block in matrices { update(u.baseAddress! + block.offset, rows: block.rows, cols: block.cols) }
    }

    /// Replaces the m x n gradient at `g` by SWAN's unit-RMS direction (in place).
    func update(_ g: UnsafeMutablePointer<Double>, rows m: Int, cols n: Int) {
        if gradNorm { Self.standardizeRows(g, rows: m, cols: n, eps: eps) }
        if whitening {
            guard whiten(g, rows: m, cols: n, into: whitened.baseAddress!) else {
                for i in 0..<(m * n) { g[i] = 0 }
                return
            }
            g.update(from: whitened.baseAddress!, count: m * n)
            // Tall blocks: GradNorm centres every row, so Gt 1 = 0 and Gt^T Gt is singular along 1.
            // Coupled NS multiplies that null direction by 1.5 per iteration, which turns rounding
            // (1e-16) into a row-constant offset of P (1e-8 at K = 30). The exact factor's rows lie in
            // range(Gt^T), orthogonal to 1, so re-centring the rows removes only that artefact.
            if gradNorm && m > n {
                for i in 0..<m {
                    let row = g + i * n
                    var mean = 0.0
                    for j in 0..<n { mean += row[j] }
                    mean /= Double(n)
                    for j in 0..<n { row[j] -= mean }
                }
            }
        }
        let norm = norm2(g, m * n)
        let factor = norm > 0 ? scale * Double(m * n).squareRoot() / norm : 0
        for i in 0..<(m * n) { g[i] *= factor }
    }

    /// GradNorm: row i becomes (G_i - mu_i) / (s_i + eps), mu and s the mean and the population
    /// standard deviation over the n entries of the row.
    static func standardizeRows(_ g: UnsafeMutablePointer<Double>, rows m: Int, cols n: Int, eps: Double) {
        for i in 0..<m {
            let row = g + i * n
            var mean = 0.0
            for j in 0..<n { mean += row[j] }
            mean /= Double(n)
            var ss = 0.0
            for j in 0..<n { let d = row[j] - mean; ss += d * d }
            let inv = 1 / ((ss / Double(n)).squareRoot() + eps)
            for j in 0..<n { row[j] = (row[j] - mean) * inv }
        }
    }

    /// out = Z_K G (m <= n) or G Z_K (m > n), Z_K ~ (A/||A||_F)^(-1/2) with A the smaller Gram
    /// matrix. The scalar ||A||_F^(-1/2) is dropped (the unit-RMS rescale removes it).
    /// Returns false when A = 0 (a zero gradient), leaving `out` unspecified.
    func whiten(_ g: UnsafePointer<Double>, rows m: Int, cols n: Int, into out: UnsafeMutablePointer<Double>) -> Bool {
        let k = min(m, n)
        if m <= n {
            Dense.gemm(false, true, m: m, n: m, k: n, g, lda: n, g, ldb: n, gram.baseAddress!, ldc: m)
        } else {
            Dense.gemm(true, false, m: n, n: n, k: m, g, lda: n, g, ldb: n, gram.baseAddress!, ldc: n)
        }
        guard let z = newtonSchulz.run(UnsafePointer(gram.baseAddress!), size: k, steps: nsSteps,
                                              tolerance: nsTolerance) else { return false }
        if m <= n {
            Dense.gemm(false, false, m: m, n: n, k: m, z, lda: m, g, ldb: n, out, ldc: n)
        } else {
            Dense.gemm(false, false, m: m, n: n, k: n, g, lda: n, z, ldb: n, out, ldc: n)
        }
        return true
    }
}

/// Coupled Newton-Schulz iteration for the inverse square root of a symmetric positive
/// (semi)definite k x k matrix A (Higham 2008, eq. 6.35; specs-b.md section 3):
/// Y_0 = A/||A||_F, Z_0 = I; T = 3I - Z Y; Y <- Y T / 2; Z <- T Z / 2; Z -> (A/||A||_F)^(-1/2).
/// Converges for eigenvalues of A/||A||_F in (0, 1], which the Frobenius scaling guarantees.
final class NewtonSchulzInverseRoot {
    let y: UnsafeMutableBufferPointer<Double>, z: UnsafeMutableBufferPointer<Double>
    let t: UnsafeMutableBufferPointer<Double>, tmp: UnsafeMutableBufferPointer<Double>
    init(maxSize k: Int) { y = zeroState(k * k); z = zeroState(k * k); t = zeroState(k * k); tmp = zeroState(k * k) }
    deinit { y.deallocate(); z.deallocate(); t.deallocate(); tmp.deallocate() }

    /// Frobenius norm of the last input A, and the iterations the last call ran.
    private(set) var lastNorm = 0.0
    private(set) var lastIterations = 0

    /// Iterates on A (k x k, row-major) until ||Y_k - Y_(k-1)||_F <= tolerance ||Y_k||_F or
    /// `steps` iterations (tolerance 0: exactly `steps`); returns Z (valid until the next call),
    /// or nil if A = 0. Y converges quadratically near the end, so a change of 1e-10 leaves an
    /// error far below it; Y stays bounded even when A is singular (unlike Z Y - I).
    func run(_ a: UnsafePointer<Double>, size k: Int, steps: Int, tolerance: Double = 0) -> UnsafePointer<Double>? {
        let kk = k * k
        let norm = norm2(a, kk)
        lastNorm = norm
        guard norm > 0, norm.isFinite else { return nil }
        let yp = y.baseAddress!, zp = z.baseAddress!, tp = t.baseAddress!, wp = tmp.baseAddress!
        for i in 0..<kk { yp[i] = a[i] / norm; zp[i] = 0 }
        for i in 0..<k { zp[i * k + i] = 1 }
        lastIterations = 0
        for _ in 0..<steps {
            lastIterations += 1
            // T = 3I - Z Y
            Dense.gemm(false, false, m: k, n: k, k: k, alpha: -1, zp, lda: k, yp, ldb: k, tp, ldc: k)
            for i in 0..<k { tp[i * k + i] += 3 }
            // Y <- Y T / 2
            Dense.gemm(false, false, m: k, n: k, k: k, alpha: 0.5, yp, lda: k, tp, ldb: k, wp, ldc: k)
            var change = 0.0, size = 0.0
            if tolerance > 0 {
                for i in 0..<kk { let d = wp[i] - yp[i]; change += d * d; size += wp[i] * wp[i] }
            }
            yp.update(from: wp, count: kk)
            // Z <- T Z / 2
            Dense.gemm(false, false, m: k, n: k, k: k, alpha: 0.5, tp, lda: k, zp, ldb: k, wp, ldc: k)
            zp.update(from: wp, count: kk)
            if tolerance > 0 && change <= tolerance * tolerance * size { break }
        }
        return UnsafePointer(zp)
    }
}
