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
    func sample(rows n: Int, rng: inout RNG) -> [Double] {
        let d = dim
        var x = [Double](repeating: 0, count: n * d)
        let roots = eigenvalues.map { $0.squareRoot() }
        // Rows are made in blocks: each eigenvector is loaded once per block rather than once
        // per row, so the basis (dim^2 doubles, beyond cache for large dim) is streamed n/block
        // times, not n times. Each entry still sums over j in ascending order.
        let block = 32
        var t = [Double](repeating: 0, count: block * d)
        x.withUnsafeMutableBufferPointer { xb in
            t.withUnsafeMutableBufferPointer { tb in
                var first = 0
                while first < n {
                    let rows = min(block, n - first)
                    for b in 0..<rows {
                        for j in 0..<d { tb[b * d + j] = roots[j] * rng.normal() }
                    }
                    let out = xb.baseAddress! + first * d
                    if let v = eigenvectors {
                        v.withUnsafeBufferPointer { vb in
                            for j in 0..<d {
                                let vj = vb.baseAddress! + j * d
                                for b in 0..<rows {
                                    // x_b += t_bj v_j: a contiguous axpy with no reduction chain.
                                    let tbj = tb[b * d + j], row = out + b * d
                                    for k in 0..<d { row[k] += tbj * vj[k] }
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
