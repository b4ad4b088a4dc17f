import Foundation

/// Eigendecomposition of a symmetric n x n matrix by cyclic Jacobi rotations: A = B diag(λ) Bᵀ.
/// Deterministic (fixed sweep order), accurate to rounding for the small, dense covariance
/// matrices of CMA-ES; O(n³) per sweep, run every few generations only.
public enum SymmetricEigen {
    /// `a` (row-major, destroyed) -> eigenvalues into `values`, eigenvectors into the columns of `vectors`.
    public static func decompose(_ a: UnsafeMutablePointer<Double>, _ n: Int,
                                 values: UnsafeMutablePointer<Double>, vectors: UnsafeMutablePointer<Double>) {
        for i in 0..<(n * n) { vectors[i] = 0 }
        for i in 0..<n { vectors[i * n + i] = 1 }
        var scale = 0.0
        for i in 0..<(n * n) { scale += a[i] * a[i] }
        let tolerance = 1e-30 * max(scale, .leastNormalMagnitude)
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += a[p * n + q] * a[p * n + q] } }
            if off <= tolerance { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if apq == 0 { continue }
                    let app = a[p * n + p], aqq = a[q * n + q]
                    let theta = (aqq - app) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    // A <- Jᵀ A J on rows and columns p, q.
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = vectors[k * n + p], vkq = vectors[k * n + q]
                        vectors[k * n + p] = c * vkp - s * vkq
                        vectors[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        for i in 0..<n { values[i] = a[i * n + i] }
    }
}
