import ExprunCore
import Foundation

/// Gaussian features x ~ N(0, Sigma) with a prescribed spectrum: the eigenvalues of Sigma are
/// log-evenly spaced from 1 down to 1/condition, so cond(Sigma) = condition exactly, and its
/// eigenvectors are either a Haar-random orthonormal basis or the coordinate axes.
struct GaussianDesign {
    let dim: Int
    /// lambda_j = condition^(-j/(dim-1)), j = 0..<dim (descending; 1 when dim == 1).
    let eigenvalues: [Double]
    /// Eigenvectors as rows (row j belongs to eigenvalue j), dim x dim; nil for the axes.
    let eigenvectors: [Double]?

    init(dim: Int, condition: Double, randomBasis: Bool, rng: inout RNG) {
        self.dim = dim
        eigenvalues = (0..<dim).map { j in dim == 1 ? 1 : pow(condition, -Double(j) / Double(dim - 1)) }
        eigenvectors = randomBasis ? randomOrthonormalRows(count: dim, dim: dim, rng: &rng) : nil
    }

    /// n draws, row-major n x dim: x = sum_j sqrt(lambda_j) z_j v_j with z ~ N(0, I).
    ///
    /// This is the serial start of a sweep (every run waits for its data set), so the basis
    /// transform runs on all cores and in AVX: the normals are drawn in order (one stream),
    /// then blocks of rows are transformed concurrently. Each entry is still the sum over j in
    /// ascending order of multiply-then-add terms (VectorKernels.axpy), so the data are
    /// bit-identical to the serial loop's on any machine and for any number of threads.
    func sample(rows n: Int, rng: inout RNG) -> [Double] {
        let d = dim
        var x = [Double](repeating: 0, count: n * d)
        let roots = eigenvalues.map { $0.squareRoot() }
        // Rows are made in blocks: each eigenvector is loaded once per block rather than once
        // per row, so the basis (dim^2 doubles, beyond cache for large dim) is streamed n/block
        // times, not n times. Normals are drawn a chunk of blocks at a time, which bounds the
        // extra memory to chunk * dim doubles.
        let block = 32, chunk = 64 * block
        var t = [Double](repeating: 0, count: min(chunk, n) * d)
        x.withUnsafeMutableBufferPointer { xb in
            t.withUnsafeMutableBufferPointer { tb in
                let ts = RowBuffer(pointer: tb.baseAddress!)
                var first = 0
                while first < n {
                    let rows = min(chunk, n - first)
                    for b in 0..<rows {
                        for j in 0..<d { tb[b * d + j] = roots[j] * rng.normal() }
                    }
                    let out = xb.baseAddress! + first * d
                    if let v = eigenvectors {
                        let outs = RowBuffer(pointer: out)
                        v.withUnsafeBufferPointer { vb in
                            let vs = RowBuffer(pointer: UnsafeMutablePointer(mutating: vb.baseAddress!))
                            let blocks = (rows + block - 1) / block
                            DispatchQueue.concurrentPerform(iterations: blocks) { k in
                                let lo = k * block, hi = min(rows, lo + block)
                                for j in 0..<d {
                                    let vj = UnsafePointer(vs.pointer + j * d)
                                    for b in lo..<hi {
                                        // x_b += t_bj v_j: a contiguous axpy with no reduction chain.
                                        VectorKernels.axpy(ts.pointer[b * d + j], vj, outs.pointer + b * d, d)
                                    }
                                }
                            }
                        }
                    } else {
                        out.update(from: tb.baseAddress!, count: rows * d)
                    }
                    first += rows
                }
            }
        }
        return x
    }

    /// Sigma^power v, through the eigendecomposition.
    func covariancePower(_ power: Double, times v: [Double]) -> [Double] {
        let scales = eigenvalues.map { pow($0, power) }
        guard let vectors = eigenvectors else { return (0..<dim).map { scales[$0] * v[$0] } }
        var out = [Double](repeating: 0, count: dim)
        for j in 0..<dim {
            var c = 0.0
            for k in 0..<dim { c += vectors[j * dim + k] * v[k] }
            c *= scales[j]
            for k in 0..<dim { out[k] += c * vectors[j * dim + k] }
        }
        return out
    }
}

/// A buffer the concurrent blocks of `GaussianDesign.sample` share: each block writes only its
/// own rows, and reads rows nobody writes.
private struct RowBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
}

/// `count` orthonormal vectors of length `dim` (count <= dim) as rows: Gram-Schmidt (applied
/// twice, which keeps them orthonormal to rounding) on Gaussian vectors. Gram-Schmidt of a
/// Gaussian matrix is its QR factor with positive diagonal of R, which is Haar distributed
/// (Mezzadri 2007, "How to generate random matrices from the classical compact groups").
func randomOrthonormalRows(count: Int, dim: Int, rng: inout RNG) -> [Double] {
    precondition(count <= dim)
    var q = [Double](repeating: 0, count: count * dim)
    for i in 0..<(count * dim) { q[i] = rng.normal() }
    q.withUnsafeMutableBufferPointer { qb in
        let base = qb.baseAddress!
        for j in 0..<count {
            let vj = base + j * dim
            for _ in 0..<2 {
                for i in 0..<j {
                    let vi = base + i * dim
                    var c = 0.0
                    for k in 0..<dim { c += vi[k] * vj[k] }
                    for k in 0..<dim { vj[k] -= c * vi[k] }
                }
            }
            var norm = 0.0
            for k in 0..<dim { norm += vj[k] * vj[k] }
            let inv = 1 / norm.squareRoot()
            for k in 0..<dim { vj[k] *= inv }
        }
    }
    return q
}

/// A Gaussian vector scaled to unit length: a uniform direction.
func randomUnitVector(dim: Int, rng: inout RNG) -> [Double] {
    var v = (0..<dim).map { _ in rng.normal() }
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    for k in 0..<dim { v[k] /= norm }
    return v
}

/// Rejects generated sizes that could not fit in memory, before allocating.
func checkGeneratedSize(_ n: Int, _ dim: Int, kind: String) throws {
    let (cells, overflow) = n.multipliedReportingOverflow(by: dim)
    if overflow || cells > 1 << 31 {
        throw ComponentError("\(kind): n * dim = \(n) * \(dim) values is too large to generate (limit 2^31)")
    }
}
