import ExprunCore
import Foundation

/// A test function with its Hessian in closed form: ∇²F(z) v, written by hand per function.
/// Its `TestFunctionObjective` has Hessian-vector products ∇²f(x) v = Rᵀ ∇²F(z) R v and its
/// catalogue entry provides `.hessianVectorProduct`.
public protocol SmoothTestFunction: TestFunction {
    /// out = ∇²F(z) v.
    func hessianTimes(_ z: UnsafePointer<Double>, _ d: Int, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>)
}

extension TestFunctionObjective: HessianObjective where F: SmoothTestFunction {
    func hessianTimes(_ x: UnsafePointer<Double>, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        let d = dimension
        for j in 0..<d { gz[j] = x[j] - shift[j] }
        guard let r = rotation else { function.hessianTimes(gz, d, v, out); return }
        r.withUnsafeBufferPointer { rb in
            for i in 0..<d {
                z[i] = VectorKernels.dot(rb.baseAddress! + i * d, gz, d)
                hessianDirection[i] = VectorKernels.dot(rb.baseAddress! + i * d, v, d)
            }
            function.hessianTimes(z, d, hessianDirection, gz)
            for j in 0..<d { out[j] = 0 }
            for i in 0..<d { VectorKernels.axpy(gz[i], rb.baseAddress! + i * d, out, d) }
        }
    }
    /// A deterministic objective: every minibatch is the whole function.
    public func batchHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                          vector v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        hessianTimes(x.baseAddress!, v.baseAddress!, out.baseAddress!)
    }
    public func fullHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, vector v: UnsafeBufferPointer<Double>,
                                         into out: UnsafeMutableBufferPointer<Double>) {
        hessianTimes(x.baseAddress!, v.baseAddress!, out.baseAddress!)
    }
}

/// The catalogue entry of a test function with a Hessian: gradient and Hessian-vector products.
public func testFunctionEntry<F: SmoothTestFunction>(_ type: F.Type) -> ModelEntry {
    ModelEntry(ComponentDecl(.model, F.kind, doc: F.doc, params: TestFunctionParams.params(F.self)),
               provides: [.gradient, .hessianVectorProduct]) { params, _ in
        try TestFunctionObjective<F>(params: params)
    }
}

extension Rastrigin: SmoothTestFunction {
    /// Diagonal: 2 + a (2π)² cos(2π z_i).
    public func hessianTimes(_ z: UnsafePointer<Double>, _ d: Int, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        let w = 2 * Double.pi
        for i in 0..<d { out[i] = (2 + a * w * w * cos(w * z[i])) * v[i] }
    }
}

extension StyblinskiTang: SmoothTestFunction {
    /// Diagonal: 6 z_i² - 16.
    public func hessianTimes(_ z: UnsafePointer<Double>, _ d: Int, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        for i in 0..<d { out[i] = (6 * z[i] * z[i] - 16) * v[i] }
    }
}

extension IllConditionedQuadratic: SmoothTestFunction {
    /// Diagonal: the curvatures κ^{i/(d-1)}.
    public func hessianTimes(_ z: UnsafePointer<Double>, _ d: Int, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        for i in 0..<d { out[i] = curvatures[i] * v[i] }
    }
}

extension Rosenbrock: SmoothTestFunction {
    /// Tridiagonal: each link i contributes (1200 z_i² - 400 z_{i+1} + 2) at (i, i), 200 at
    /// (i+1, i+1) and -400 z_i at (i, i+1) and (i+1, i).
    public func hessianTimes(_ z: UnsafePointer<Double>, _ d: Int, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        for i in 0..<d { out[i] = 0 }
        var i = 0
        while i + 1 < d {
            let off = -400 * z[i]
            out[i] += (1200 * z[i] * z[i] - 400 * z[i + 1] + 2) * v[i] + off * v[i + 1]
            out[i + 1] += off * v[i] + 200 * v[i + 1]
            i += 1
        }
    }
}

extension Beale: SmoothTestFunction {
    /// Σ_k 2 (∇t_k ∇t_kᵀ + t_k ∇²t_k) for t_k = c_k - x + x y^k (k = 1, 2, 3):
    /// ∇t_k = (y^k - 1, k x y^{k-1}), ∇²t_k = [[0, k y^{k-1}], [k y^{k-1}, k (k-1) x y^{k-2}]].
    public func hessianTimes(_ z: UnsafePointer<Double>, _ d: Int, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        let x = z[0], y = z[1]
        var hxx = 0.0, hxy = 0.0, hyy = 0.0
        for (k, c) in [(1.0, 1.5), (2.0, 2.25), (3.0, 2.625)] {
            let t = c - x + x * pow(y, k)
            let gx = pow(y, k) - 1, gy = k * x * pow(y, k - 1)
            let sxy = k * pow(y, k - 1), syy = k == 1 ? 0 : k * (k - 1) * x * pow(y, k - 2)
            hxx += 2 * gx * gx
            hxy += 2 * (gx * gy + t * sxy)
            hyy += 2 * (gy * gy + t * syy)
        }
        out[0] = hxx * v[0] + hxy * v[1]
        out[1] = hxy * v[0] + hyy * v[1]
    }
}

extension Ackley: SmoothTestFunction {
    /// With r = sqrt(mean z²), e1 = exp(-b r) and e2 = exp(mean cos c z): the first term gives
    /// k1 v - a b e1 (1/(d² r³) + b/(d² r²)) (z . v) z with k1 = a b e1 / (d r), the second
    /// e2 c² cos(c z_i) v_i / d - e2 (s . v) s_i with s_i = c sin(c z_i) / d. At z = 0, where
    /// the first term is not differentiable, its part is taken as 0 (as the gradient's).
    public func hessianTimes(_ z: UnsafePointer<Double>, _ d: Int, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        var sq = 0.0, cs = 0.0, zv = 0.0, sv = 0.0
        let n = Double(d)
        for i in 0..<d {
            sq += z[i] * z[i]; cs += cos(c * z[i]); zv += z[i] * v[i]
            sv += c * sin(c * z[i]) / n * v[i]
        }
        let r = (sq / n).squareRoot()
        let e1 = exp(-b * r), e2 = exp(cs / n)
        let k1 = r > 0 ? a * b * e1 / (n * r) : 0
        let k2 = r > 0 ? a * b * e1 * (1 / (n * n * r * r * r) + b / (n * n * r * r)) * zv : 0
        for i in 0..<d {
            let s = c * sin(c * z[i]) / n
            out[i] = k1 * v[i] - k2 * z[i] + e2 * c * c * cos(c * z[i]) / n * v[i] - e2 * sv * s
        }
    }
}
