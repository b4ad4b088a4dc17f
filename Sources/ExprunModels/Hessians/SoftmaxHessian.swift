import ExprunCore

/// Hessian-vector products of multinomial logistic regression: with z = a W, p = softmax(z)
/// and the direction V, the scores move by dz = a V and the Hessian of the loss in z is
/// diag(p) - p pᵀ, so H V = (1/b) Σ_i a_iᵀ (p ⊙ dz - p (pᵀ dz)) + l2 V.
extension SoftmaxObjective: HessianObjective {
    func hessianKernel<R: RowAccess, S: Sequence<Int>>(_ a: R, _ x: UnsafePointer<Double>, rows: S, count: Int,
                                                        _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        for j in 0..<dimension { out[j] = l2 * v[j] }
        guard count > 0 else { return }
        let k = classes, p = scores, dz = directionScores
        let inv = 1 / Double(count)
        for i in rows {
            a.rowTimesMatrix(i, x, k, p)
            _ = Self.softmaxInPlace(p, k)
            a.rowTimesMatrix(i, v, k, dz)
            var mean = 0.0
            for c in 0..<k { mean += p[c] * dz[c] }
            for c in 0..<k { dz[c] = p[c] * (dz[c] - mean) * inv }
            a.outerAccumulate(i, dz, k, out)
        }
    }

    func hessianVectorProduct(_ x: UnsafePointer<Double>, rows: UnsafeBufferPointer<Int>?, _ v: UnsafePointer<Double>,
                              _ out: UnsafeMutablePointer<Double>) {
        switch train {
        case .dense(let m):
            m.withRows { r in
                if let rows { hessianKernel(r, x, rows: rows, count: rows.count, v, out) }
                else { hessianKernel(r, x, rows: 0..<n, count: n, v, out) }
            }
        case .sparse(let m):
            m.withRows { r in
                if let rows { hessianKernel(r, x, rows: rows, count: rows.count, v, out) }
                else { hessianKernel(r, x, rows: 0..<n, count: n, v, out) }
            }
        }
    }

    public func batchHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                          vector v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        hessianVectorProduct(x.baseAddress!, rows: rows, v.baseAddress!, out.baseAddress!)
    }
    public func fullHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, vector v: UnsafeBufferPointer<Double>,
                                         into out: UnsafeMutableBufferPointer<Double>) {
        hessianVectorProduct(x.baseAddress!, rows: nil, v.baseAddress!, out.baseAddress!)
    }
}
