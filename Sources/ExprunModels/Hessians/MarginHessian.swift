import ExprunCore

/// A margin loss with a second derivative in z everywhere: its linear model has the Hessian
/// (1/b) Σ_i loss''(a_i . x, y_i) a_i a_iᵀ + l2 I, applied here without forming it.
/// (Hinge and absolute loss have none: their models do not provide Hessian-vector products.)
public protocol SmoothMarginLoss: MarginLoss {
    /// d² loss / d z².
    static func secondDerivative(_ z: Double, _ y: Double) -> Double
}

extension SquaredLoss: SmoothMarginLoss {
    @inlinable @inline(__always) public static func secondDerivative(_ z: Double, _ y: Double) -> Double { 1 }
}

extension LogisticLoss: SmoothMarginLoss {
    /// For y = ±1: sigmoid(z) (1 - sigmoid(z)), the same for both labels.
    @inlinable @inline(__always) public static func secondDerivative(_ z: Double, _ y: Double) -> Double {
        let s = Kernels.sigmoid(z)
        return s * (1 - s)
    }
}

extension MarginCore where Loss: SmoothMarginLoss {
    /// out = l2 v + (1/|rows|) Σ_{i in rows} loss''(a_i . x) (a_i . v) a_i.
    func hessianVectorProduct<R: RowAccess, S: Sequence<Int>>(_ a: R, _ x: UnsafePointer<Double>, rows: S, count: Int,
                                                               _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        for j in 0..<dimension { out[j] = l2 * v[j] }
        guard count > 0 else { return }
        let inv = 1 / Double(count)
        trainY.withUnsafeBufferPointer { y in
            for i in rows {
                let curvature = Loss.secondDerivative(a.dot(i, x), y[i])
                let av = a.dot(i, v)
                if curvature != 0 && av != 0 { a.axpy(i, curvature * av * inv, out) }
            }
        }
    }

    func hessianVectorProduct(_ x: UnsafePointer<Double>, rows: UnsafeBufferPointer<Int>?, _ v: UnsafePointer<Double>,
                              _ out: UnsafeMutablePointer<Double>) {
        switch train {
        case .dense(let m):
            m.withRows { r in
                if let rows { hessianVectorProduct(r, x, rows: rows, count: rows.count, v, out) }
                else { hessianVectorProduct(r, x, rows: 0..<n, count: n, v, out) }
            }
        case .sparse(let m):
            m.withRows { r in
                if let rows { hessianVectorProduct(r, x, rows: rows, count: rows.count, v, out) }
                else { hessianVectorProduct(r, x, rows: 0..<n, count: n, v, out) }
            }
        }
    }
}

// The two smooth margin models forward to their core (a constrained extension of the
// internal MarginObjective cannot hold the public witnesses).
extension LeastSquaresObjective: HessianObjective {
    public func batchHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                          vector v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        core.hessianVectorProduct(x.baseAddress!, rows: rows, v.baseAddress!, out.baseAddress!)
    }
    public func fullHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, vector v: UnsafeBufferPointer<Double>,
                                         into out: UnsafeMutableBufferPointer<Double>) {
        core.hessianVectorProduct(x.baseAddress!, rows: nil, v.baseAddress!, out.baseAddress!)
    }
}

extension LogisticObjective: HessianObjective {
    public func batchHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                          vector v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        core.hessianVectorProduct(x.baseAddress!, rows: rows, v.baseAddress!, out.baseAddress!)
    }
    public func fullHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, vector v: UnsafeBufferPointer<Double>,
                                         into out: UnsafeMutableBufferPointer<Double>) {
        core.hessianVectorProduct(x.baseAddress!, rows: nil, v.baseAddress!, out.baseAddress!)
    }
}

extension NoisyQuadraticObjective: HessianObjective {
    /// Every example's Hessian is mu I (the noise term is linear in x).
    public func batchHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                          vector v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        for j in 0..<dimension { out[j] = mu * v[j] }
    }
    public func fullHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, vector v: UnsafeBufferPointer<Double>,
                                         into out: UnsafeMutableBufferPointer<Double>) {
        for j in 0..<dimension { out[j] = mu * v[j] }
    }
}
