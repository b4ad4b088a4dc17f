import COpenBLAS
import ExprunCore

// Whole-split products used by full-batch evaluations and the f* solvers. Dense storage goes
// through BLAS (one call per product); sparse storage loops over its stored entries only.
extension FeatureStorage {
    /// out[i] = a_i . x for every row.
    func margins(_ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        switch self {
        case .dense(let m):
            guard m.rows > 0 else { return }
            m.values.withUnsafeBufferPointer { a in
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m.rows), Int32(m.cols), 1, a.baseAddress,
                            Int32(max(m.cols, 1)), x, 1, 0, out, 1)
            }
        case .sparse(let m):
            m.withRows { r in for i in 0..<r.rowCount { out[i] = r.dot(i, x) } }
        }
    }

    /// g += A^T s (s has one entry per row).
    func addTransposeTimes(_ s: UnsafePointer<Double>, _ g: UnsafeMutablePointer<Double>) {
        switch self {
        case .dense(let m):
            guard m.rows > 0 else { return }
            m.values.withUnsafeBufferPointer { a in
                cblas_dgemv(CblasRowMajor, CblasTrans, Int32(m.rows), Int32(m.cols), 1, a.baseAddress,
                            Int32(max(m.cols, 1)), s, 1, 1, g, 1)
            }
        case .sparse(let m):
            m.withRows { r in for i in 0..<r.rowCount where s[i] != 0 { r.axpy(i, s[i], g) } }
        }
    }

    /// Z (rows x k, row-major) = A W, with W cols x k row-major.
    func timesMatrix(_ w: UnsafePointer<Double>, _ k: Int, _ z: UnsafeMutablePointer<Double>) {
        switch self {
        case .dense(let m):
            guard m.rows > 0 else { return }
            m.values.withUnsafeBufferPointer { a in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m.rows), Int32(k), Int32(m.cols), 1,
                            a.baseAddress, Int32(max(m.cols, 1)), w, Int32(k), 0, z, Int32(k))
            }
        case .sparse(let m):
            m.withRows { r in for i in 0..<r.rowCount { r.rowTimesMatrix(i, w, k, z + i * k) } }
        }
    }

    /// G (cols x k) += A^T P, with P rows x k row-major.
    func addTransposeTimesMatrix(_ p: UnsafePointer<Double>, _ k: Int, _ g: UnsafeMutablePointer<Double>) {
        switch self {
        case .dense(let m):
            guard m.rows > 0 else { return }
            m.values.withUnsafeBufferPointer { a in
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m.cols), Int32(k), Int32(m.rows), 1,
                            a.baseAddress, Int32(max(m.cols, 1)), p, Int32(k), 1, g, Int32(k))
            }
        case .sparse(let m):
            m.withRows { r in for i in 0..<r.rowCount { r.outerAccumulate(i, p + i * k, k, g) } }
        }
    }

    /// Upper triangle of H (cols x cols) += sum_i weight_i a_i a_i^T; weights nil means all equal
    /// to `scale`, otherwise weight_i = scale * weights[i].
    func addGramUpper(scale: Double, weights: UnsafePointer<Double>?, _ h: UnsafeMutablePointer<Double>) {
        switch self {
        case .dense(let m):
            guard m.rows > 0 else { return }
            if weights == nil {
                m.values.withUnsafeBufferPointer { a in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(m.cols), Int32(m.rows), scale,
                                a.baseAddress, Int32(max(m.cols, 1)), 1, h, Int32(max(m.cols, 1)))
                }
            } else {
                m.withRows { r in for i in 0..<r.rowCount { r.rankOneUpper(i, scale * weights![i], h) } }
            }
        case .sparse(let m):
            m.withRows { r in for i in 0..<r.rowCount { r.rankOneUpper(i, scale * (weights?[i] ?? 1), h) } }
        }
    }

    /// ||a_i||^2 for every row.
    func rowNormsSquared(_ out: UnsafeMutablePointer<Double>) {
        switch self {
        case .dense(let m): m.withRows { r in for i in 0..<r.rowCount { out[i] = r.normSquared(i) } }
        case .sparse(let m): m.withRows { r in for i in 0..<r.rowCount { out[i] = r.normSquared(i) } }
        }
    }
}
