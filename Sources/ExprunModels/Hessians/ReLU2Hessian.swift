import ExprunCore

/// The exact Hessian-vector product of `relu2` (TwoLayerReLU.swift) by the R-operator, where
/// the network is twice differentiable (ReLU'' = 0 off the kinks). With z_rj = a_r . u_j,
/// e_r = sum_j (z_rj)_+ alpha_j - y_r and a direction (du, dalpha):
///
///     dz_rj = a_r . du_j,   de_r = sum_{j: z_rj > 0} (dz_rj alpha_j + z_rj dalpha_j),
///     (Hv)_alpha_j = (1/m) sum_{r: z_rj > 0} (de_r z_rj + e_r dz_rj) + beta dalpha_j,
///     (Hv)_u_j     = (1/m) sum_{r: z_rj > 0} (de_r alpha_j + e_r dalpha_j) a_r + beta du_j.
///
/// Plain loops, O(m width p) per product: relu2 serves small convex-program problems.
extension TwoLayerReLUObjective: HessianObjective {
    func hessianVectorProduct(_ w: UnsafePointer<Double>, rows m: Int, _ v: UnsafePointer<Double>,
                              _ out: UnsafeMutablePointer<Double>) {
        for i in 0..<dimension { out[i] = beta * v[i] }
        guard m > 0 else { return }
        _ = pass(w, rows: m, gradient: nil, scale: 0)   // hidden = Z (m x width), residual = e
        let alpha = w + width * p, dAlpha = v + width * p, outAlpha = out + width * p
        let s = 1 / Double(m)
        for r in 0..<m {
            let a = gathered + r * p, z = hidden + r * width, e = residual[r]
            var de = 0.0
            for j in 0..<width where z[j] > 0 { de += Kernels.dot(a, v + j * p, p) * alpha[j] + z[j] * dAlpha[j] }
            for j in 0..<width where z[j] > 0 {
                outAlpha[j] += s * (de * z[j] + e * Kernels.dot(a, v + j * p, p))
                let c = s * (de * alpha[j] + e * dAlpha[j])
                let row = out + j * p
                for k in 0..<p { row[k] += c * a[k] }
            }
        }
    }

    public func batchHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                          vector v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        let m = load(trainX, trainY, rows: rows)
        hessianVectorProduct(x.baseAddress!, rows: m, v.baseAddress!, out.baseAddress!)
    }

    public func fullHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, vector v: UnsafeBufferPointer<Double>,
                                         into out: UnsafeMutableBufferPointer<Double>) {
        let m = load(trainX, trainY, rows: nil)
        hessianVectorProduct(x.baseAddress!, rows: m, v.baseAddress!, out.baseAddress!)
    }
}
