import ExprunCore

/// The diagonal linear network of the stability experiment (Wu & Su 2023, specs-a section 5):
/// f(θ; a) = Σ_j u_j v_j a_j with θ = (u, v), the effective linear predictor β = u ⊙ v, and
///
///     L(θ) = (1/n) Σ_i (1/2)(f(θ; a_i) - y_i)^2 + (l2/2)||θ||^2.
///
/// Gradients and Hessian-vector products are written by hand: with r_i = f_i - y_i,
/// ∇_u L = v ⊙ s0 and ∇_v L = u ⊙ s0 for s0 = (1/n) Σ r_i a_i; along (p, q) the per-example
/// Jacobian gives J_i(p, q) = a_i . (v ⊙ p + u ⊙ q), so H(p, q) = (v ⊙ s1 + q ⊙ s0, u ⊙ s1 + p ⊙ s0)
/// with s1 = (1/n) Σ J_i a_i. Its trace is Σ_j m_j (u_j² + v_j²), m_j = (1/n) Σ_i a_ij²
/// (the r-terms are off the diagonal), 2 Σ_j m_j β_j when u = v: the weighted ℓ1 norm
/// SGD's stability bounds. Gradient steps keep u = v from the start u = v = init_scale.
public final class DiagonalLinearNetwork: DenseRegressionNetwork {
    public static let kind = "diagonal_linear_network"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "diagonal linear network f = Σ u_j v_j a_j with squared loss (Wu & Su's stability model), u = v = init_scale at start; gradients and Hessian-vector products by hand",
        params: [ModelSupport.datasetParam,
                 .double("init_scale", 1, .positive, "every coordinate of u and v at the start"),
                 ModelSupport.l2Param])

    let data: DenseRegressionData
    let d: Int
    let l2: Double
    let initScale: Double
    public let cacheKey: String
    /// d-sized scratch: β (or the Jacobian direction), s0, s1.
    let beta: UnsafeMutablePointer<Double>
    let s0: UnsafeMutablePointer<Double>
    let s1: UnsafeMutablePointer<Double>

    public init(params: Params, dataset: Dataset) throws {
        data = try DenseRegressionData(dataset, kind: Self.kind)
        d = data.dimension
        guard d > 0 else { throw ComponentError("\(Self.kind): the data set has no features") }
        l2 = params.double("l2"); initScale = params.double("init_scale")
        cacheKey = ModelSupport.cacheKey(kind: Self.kind, params: params)
        beta = .allocate(capacity: d); s0 = .allocate(capacity: d); s1 = .allocate(capacity: d)
        beta.initialize(repeating: 0, count: d); s0.initialize(repeating: 0, count: d); s1.initialize(repeating: 0, count: d)
    }
    deinit { beta.deallocate(); s0.deallocate(); s1.deallocate() }

    public var dimension: Int { 2 * d }
    public var layout: [ParamBlock] {
        [ParamBlock(name: "u", offset: 0, rows: d, cols: 1), ParamBlock(name: "v", offset: d, rows: d, cols: 1)]
    }
    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { x.update(repeating: initScale) }

    /// Mean loss over the rows (0..<count when rows is nil) of a split; with `gradient`, also
    /// its gradient plus the regulariser's.
    func evaluate(_ x: UnsafePointer<Double>, _ xs: [Double], _ ys: [Double], rows: UnsafeBufferPointer<Int>?,
                  gradient: UnsafeMutablePointer<Double>?) -> Double {
        let count = rows?.count ?? ys.count
        let u = x, v = x + d
        for j in 0..<d { beta[j] = u[j] * v[j]; s0[j] = 0 }
        var total = 0.0
        let inv = count > 0 ? 1 / Double(count) : 0
        xs.withUnsafeBufferPointer { xb in
            for k in 0..<count {
                let i = rows?[k] ?? k
                let a = xb.baseAddress! + i * d
                let r = VectorKernels.dot(a, beta, d) - ys[i]
                total += 0.5 * r * r
                if gradient != nil { VectorKernels.axpy(r * inv, a, s0, d) }
            }
        }
        var reg = 0.0
        if l2 != 0 { reg = 0.5 * l2 * VectorKernels.dot(x, x, 2 * d) }
        if let g = gradient {
            for j in 0..<d {
                g[j] = v[j] * s0[j] + l2 * u[j]
                g[d + j] = u[j] * s0[j] + l2 * v[j]
            }
        }
        return total * inv + reg
    }

    /// out = H(x) p for the mean loss over the rows (all training rows when nil).
    func hessianTimes(_ x: UnsafePointer<Double>, rows: UnsafeBufferPointer<Int>?, _ p: UnsafePointer<Double>,
                      _ out: UnsafeMutablePointer<Double>) {
        let count = rows?.count ?? data.n
        let u = x, v = x + d, pu = p, pv = p + d
        // beta holds β, s1's slot first holds the Jacobian direction c = v ⊙ p_u + u ⊙ p_v.
        for j in 0..<d { beta[j] = u[j] * v[j]; s0[j] = 0; out[j] = v[j] * pu[j] + u[j] * pv[j] }
        for j in 0..<d { s1[j] = 0 }
        let inv = count > 0 ? 1 / Double(count) : 0
        data.trainX.withUnsafeBufferPointer { xb in
            for k in 0..<count {
                let i = rows?[k] ?? k
                let a = xb.baseAddress! + i * d
                let r = VectorKernels.dot(a, beta, d) - data.trainY[i]
                let jd = VectorKernels.dot(a, out, d)
                VectorKernels.axpy(r * inv, a, s0, d)
                VectorKernels.axpy(jd * inv, a, s1, d)
            }
        }
        for j in 0..<d {
            let hu = v[j] * s1[j] + pv[j] * s0[j] + l2 * pu[j]
            let hv = u[j] * s1[j] + pu[j] * s0[j] + l2 * pv[j]
            out[j] = hu; out[d + j] = hv
        }
    }

    /// Mean (1/2)(f - y)^2 on the test split (no regulariser).
    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? {
        guard data.testCount > 0 else { return nil }
        let withRidge = evaluate(x.baseAddress!, data.testX, data.testY, rows: nil, gradient: nil)
        return (withRidge - (l2 == 0 ? 0 : 0.5 * l2 * VectorKernels.dot(x.baseAddress!, x.baseAddress!, 2 * d)), nil)
    }

    public static let entry = ModelEntry(decl, provides: [.gradient, .hessianVectorProduct]) { params, dataset in
        try DiagonalLinearNetwork(params: params, dataset: dataset)
    }
}
