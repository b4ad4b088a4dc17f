import COpenBLAS
import ExprunCore
import Foundation

/// Small dense linear algebra for the matrix-aware optimizers (row-major Float64 throughout).
/// Products go through OpenBLAS dgemm; the thin SVD through LAPACK dgesvd (bundled in OpenBLAS).
enum Dense {
    /// C = alpha op(A) op(B) + beta C with row-major A, B, C; op(A) is m x k, op(B) is k x n.
    @inline(__always)
    static func gemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, alpha: Double = 1,
                     _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int,
                     beta: Double = 0, _ c: UnsafeMutablePointer<Double>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // dgemm with k = 0 only scales C; keep that explicit (beta is 0 or 1 here).
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The orthonormal DCT-II matrix of size N with the cosine atoms as COLUMNS, row-major:
    /// C[b, k] = sqrt(2/N) c_k cos(pi k (2b+1) / (2N)), c_0 = 1/sqrt(2), c_k = 1 otherwise.
    /// So G C applies scipy.fft.dct(., norm="ortho") to every row of G, and
    /// C = scipy.fft.dct(eye(N), norm="ortho", axis=0)^T.
    static func dctAtoms(_ n: Int) -> [Double] {
        var q = [Double](repeating: 0, count: n * n)
        let scale = (2.0 / Double(n)).squareRoot()
        for b in 0..<n {
            for k in 0..<n {
                let c = k == 0 ? 1 / 2.0.squareRoot() : 1.0
                q[b * n + k] = scale * c * cos(Double.pi * Double(k) * Double(2 * b + 1) / Double(2 * n))
            }
        }
        return q
    }

    /// Orthonormal n x n matrix from Householder QR of a standard normal matrix (columns of Q),
    /// with the signs fixed so that R has a positive diagonal (Haar distributed).
    static func randomOrthogonal(_ n: Int, rng: inout RNG) -> [Double] {
        var a = (0..<(n * n)).map { _ in rng.normal() }
        var q = [Double](repeating: 0, count: n * n)
        for i in 0..<n { q[i * n + i] = 1 }
        // Householder QR of a (in place), accumulating Q = H_0 H_1 ... H_{n-1} applied to I.
        var vs: [[Double]] = []
        var diagSigns = [Double](repeating: 1, count: n)
        for j in 0..<n {
            var v = [Double](repeating: 0, count: n)
            var norm = 0.0
            for i in j..<n { norm += a[i * n + j] * a[i * n + j] }
            norm = norm.squareRoot()
            let alpha = a[j * n + j] >= 0 ? -norm : norm
            for i in j..<n { v[i] = a[i * n + j] }
            v[j] -= alpha
            let vn = v.reduce(0) { $0 + $1 * $1 }
            if vn > 0 {
                for c in j..<n {
                    var d = 0.0
                    for i in j..<n { d += v[i] * a[i * n + c] }
                    let f = 2 * d / vn
                    for i in j..<n { a[i * n + c] -= f * v[i] }
                }
            }
            diagSigns[j] = a[j * n + j] >= 0 ? 1 : -1
            vs.append(v)
        }
        // Q = H_0 ... H_{n-1}: apply the reflectors to I from the last to the first.
        for j in stride(from: n - 1, through: 0, by: -1) {
            let v = vs[j]
            let vn = v.reduce(0) { $0 + $1 * $1 }
            guard vn > 0 else { continue }
            for c in 0..<n {
                var d = 0.0
                for i in j..<n { d += v[i] * q[i * n + c] }
                let f = 2 * d / vn
                for i in j..<n { q[i * n + c] -= f * v[i] }
            }
        }
        for i in 0..<n { for c in 0..<n { q[i * n + c] *= diagSigns[c] } }
        return q
    }

    /// Python's round() (half to even), used where the reference code rounds a count.
    static func roundHalfEven(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }
}

/// Thin SVD of a fixed m x n row-major shape by LAPACK dgesvd, with preallocated workspace.
/// LAPACK is column-major, so it factors G^T (n x m): its left vectors are G's right vectors.
final class ThinSVD {
    let rows: Int, cols: Int, k: Int
    private let a: UnsafeMutableBufferPointer<Double>, s: UnsafeMutableBufferPointer<Double>
    private let u: UnsafeMutableBufferPointer<Double>, vt: UnsafeMutableBufferPointer<Double>
    private var work: UnsafeMutableBufferPointer<Double>

    init(rows: Int, cols: Int) {
        self.rows = rows; self.cols = cols; k = min(rows, cols)
        a = zeroState(rows * cols); s = zeroState(k); u = zeroState(cols * k); vt = zeroState(k * rows)
        // Workspace query (lwork = -1).
        var m = Int32(cols), n = Int32(rows), lda = Int32(cols), ldu = Int32(cols), ldvt = Int32(k)
        var lwork: Int32 = -1, info: Int32 = 0, query = 0.0
        dgesvd_("S", "S", &m, &n, a.baseAddress, &lda, s.baseAddress, u.baseAddress, &ldu, vt.baseAddress, &ldvt,
                &query, &lwork, &info, 1, 1)
        work = zeroState(max(1, Int(query)))
    }
    deinit { a.deallocate(); s.deallocate(); u.deallocate(); vt.deallocate(); work.deallocate() }

    /// The top-r singular vectors of G on one side, written as the columns of `basis`
    /// (row-major, (rows or cols) x r). Returns false if LAPACK did not converge.
    @discardableResult
    func topVectors(of g: UnsafePointer<Double>, left: Bool, r: Int, into basis: UnsafeMutablePointer<Double>) -> Bool {
        precondition(r <= k)
        a.baseAddress!.update(from: g, count: rows * cols)
        var m = Int32(cols), n = Int32(rows), lda = Int32(cols), ldu = Int32(cols), ldvt = Int32(k)
        var lwork = Int32(work.count), info: Int32 = 0
        dgesvd_("S", "S", &m, &n, a.baseAddress, &lda, s.baseAddress, u.baseAddress, &ldu, vt.baseAddress, &ldvt,
                work.baseAddress, &lwork, &info, 1, 1)
        if left {
            // Left vector i of G = row i of LAPACK's VT (k x rows, column-major: vt[i + a k]).
            for a in 0..<rows { for i in 0..<r { basis[a * r + i] = vt[i + a * k] } }
        } else {
            // Right vector i of G = column i of LAPACK's U (cols x k, column-major: u[b + i cols]).
            for b in 0..<cols { for i in 0..<r { basis[b * r + i] = u[b + i * cols] } }
        }
        // Singular vectors are unique only up to sign, and LAPACK builds differ in the sign they
        // return. Kept moments (GaLore) live in the old basis' signs, so fix the convention: the
        // largest-magnitude component of every vector (the first one on ties) is positive.
        let side = left ? rows : cols
        for i in 0..<r {
            var big = 0.0, sign = 1.0
            for a in 0..<side where abs(basis[a * r + i]) > big { big = abs(basis[a * r + i]); sign = basis[a * r + i] < 0 ? -1 : 1 }
            if sign < 0 { for a in 0..<side { basis[a * r + i] = -basis[a * r + i] } }
        }
        return info == 0
    }

    /// Singular values of the last factorization, descending.
    var singularValues: [Double] { Array(s) }
}

/// A projection of an m x n matrix onto r orthonormal directions on one side (GaLore's
/// `std` projector): right, with B (n x r): proj(G) = G B (m x r), back(X) = X B^T;
/// left, with B (m x r): proj(G) = B^T G (r x n), back(X) = B X.
final class SideProjection {
    let rows: Int, cols: Int, r: Int, left: Bool
    /// The basis B, row-major (side x r).
    let basis: UnsafeMutableBufferPointer<Double>

    init(rows: Int, cols: Int, rank: Int, left: Bool) {
        self.rows = rows; self.cols = cols; r = rank; self.left = left
        basis = zeroState((left ? rows : cols) * rank)
    }
    deinit { basis.deallocate() }

    var side: Int { left ? rows : cols }
    /// Floats of the projected matrix.
    var projectedCount: Int { left ? r * cols : rows * r }

    func project(_ g: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        if left {
            Dense.gemm(true, false, m: r, n: cols, k: rows, UnsafePointer(basis.baseAddress!), lda: r, g, ldb: cols,
                       out, ldc: cols)
        } else {
            Dense.gemm(false, false, m: rows, n: r, k: cols, g, lda: cols, UnsafePointer(basis.baseAddress!), ldb: r,
                       out, ldc: r)
        }
    }

    /// out = alpha back(x) + beta out.
    func back(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, alpha: Double = 1, beta: Double = 0) {
        if left {
            Dense.gemm(false, false, m: rows, n: cols, k: r, alpha: alpha, UnsafePointer(basis.baseAddress!), lda: r,
                       x, ldb: cols, beta: beta, out, ldc: cols)
        } else {
            Dense.gemm(false, true, m: rows, n: cols, k: r, alpha: alpha, x, lda: r, UnsafePointer(basis.baseAddress!),
                       ldb: r, beta: beta, out, ldc: cols)
        }
    }
}

/// Adam (the `ScaleByAdam` transform) on the blocks that are not matrices: the documented
/// fallback of every matrix method for biases and other vectors. The moments use the global
/// step counter; each block's slice of the update is preconditioned in place.
final class VectorBlockAdam {
    let blocks: [(offset: Int, adam: ScaleByAdam)]
    init(_ blocks: [ParamBlock], beta1: Double, beta2: Double, eps: Double) {
        self.blocks = blocks.map { ($0.offset, ScaleByAdam(count: $0.count, beta1: beta1, beta2: beta2, eps: eps)) }
    }
    var stateSize: Int { blocks.reduce(0) { $0 + $1.adam.stateSize } }
    func apply(_ u: UnsafeMutableBufferPointer<Double>, context: StepContext) {
        for (offset, adam) in blocks {
            let slice = UnsafeMutableBufferPointer(rebasing: u[offset..<(offset + adam.m.count)])
            adam.apply(slice, params: noParams, context: context)
        }
    }
}

/// ScaleByAdam never reads the parameters; the inner calls pass this empty view.
var noParams: UnsafeBufferPointer<Double> { UnsafeBufferPointer<Double>(start: nil, count: 0) }

extension ScaleByAdam {
    /// One Adam step on `u` with the 1-based bias-correction counter `count`.
    func step(_ u: UnsafeMutableBufferPointer<Double>, count: Int) {
        apply(u, params: noParams, context: StepContext(t: count - 1, lr: 0, layout: []))
    }
    /// Zeroes both moments (FRUGAL's `reset_statistics`).
    func reset() {
        m.update(repeating: 0); v.update(repeating: 0); vmax?.update(repeating: 0)
    }
}
