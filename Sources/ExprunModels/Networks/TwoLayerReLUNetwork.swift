import ExprunCore

/// The two-layer ReLU network of the stability experiment (Wu & Su 2023, specs-a section 5):
/// f(θ; a) = Σ_k c_k relu(w_k . a) with θ = (W, c) (W is width x d, no biases), and
///
///     L(θ) = (1/n) Σ_i (1/2)(f(θ; a_i) - y_i)^2 + (l2/2)||θ||^2.
///
/// By hand, with z = W a, h = relu(z), 1_k = [z_k > 0] and r = f - y: ∇_c = r h,
/// ∇_{w_k} = r c_k 1_k a. Along (U, s) the Jacobian gives J = s . h + Σ_k c_k 1_k (u_k . a), and
/// the second derivatives of f are ∂²f/∂c_k∂w_k = 1_k a (relu'' = 0 off the kinks), so
/// H(U, s)_c = J h + r 1 ⊙ (U a) and H(U, s)_{w_k} = (J c_k 1_k + r s_k 1_k) a, averaged over
/// the rows. Start: w_k ~ N(0, init_scale² I/d), c_k ~ N(0, init_scale²/width) from
/// RNG(init_seed), the same for every run seed.
public final class TwoLayerReLUNetwork: DenseRegressionNetwork {
    public static let kind = "two_layer_relu"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "two-layer ReLU network f = Σ c_k relu(w_k.a), no biases, squared loss (Wu & Su's stability model); gradients and Hessian-vector products by hand",
        params: [ModelSupport.datasetParam,
                 .int("width", 20, ValueRange(min: 1, max: 100_000), "hidden units"),
                 .double("init_scale", 1, .positive, "start: w_k ~ N(0, s²I/d), c_k ~ N(0, s²/width)"),
                 .int("init_seed", 0, .nonNegative, "seed of the start (fixed across run seeds)"),
                 ModelSupport.l2Param])

    let data: DenseRegressionData
    let d: Int
    let width: Int
    let l2: Double
    let initScale: Double
    let initSeed: UInt64
    public let cacheKey: String
    /// width-sized scratch: pre-activations and U a.
    let z: UnsafeMutablePointer<Double>
    let uz: UnsafeMutablePointer<Double>

    public init(params: Params, dataset: Dataset) throws {
        data = try DenseRegressionData(dataset, kind: Self.kind)
        d = data.dimension
        guard d > 0 else { throw ComponentError("\(Self.kind): the data set has no features") }
        width = params.int("width")
        if let problem = MemoryBudget.vectorProblem(count: width * d + width, what: "\(Self.kind) with width \(width)") {
            throw ComponentError(problem)
        }
        l2 = params.double("l2"); initScale = params.double("init_scale")
        initSeed = UInt64(params.int("init_seed"))
        cacheKey = ModelSupport.cacheKey(kind: Self.kind, params: params)
        z = .allocate(capacity: width); uz = .allocate(capacity: width)
        z.initialize(repeating: 0, count: width); uz.initialize(repeating: 0, count: width)
    }
    deinit { z.deallocate(); uz.deallocate() }

    public var dimension: Int { width * d + width }
    public var layout: [ParamBlock] {
        [ParamBlock(name: "W", offset: 0, rows: width, cols: d), ParamBlock(name: "c", offset: width * d, rows: width, cols: 1)]
    }

    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) {
        var rng = RNG(seed: initSeed, purpose: "init:two_layer_relu(width=\(width),d=\(d))")
        let sw = initScale / Double(d).squareRoot(), sc = initScale / Double(width).squareRoot()
        for j in 0..<(width * d) { x[j] = sw * rng.normal() }
        for k in 0..<width { x[width * d + k] = sc * rng.normal() }
    }

    /// f(a) for the row at `a`; leaves W a in z.
    @inline(__always)
    func output(_ x: UnsafePointer<Double>, _ a: UnsafePointer<Double>) -> Double {
        let c = x + width * d
        var f = 0.0
        for k in 0..<width {
            let zk = VectorKernels.dot(x + k * d, a, d)
            z[k] = zk
            if zk > 0 { f += c[k] * zk }
        }
        return f
    }

    func evaluate(_ x: UnsafePointer<Double>, _ xs: [Double], _ ys: [Double], rows: UnsafeBufferPointer<Int>?,
                  gradient g: UnsafeMutablePointer<Double>?) -> Double {
        let count = rows?.count ?? ys.count
        let inv = count > 0 ? 1 / Double(count) : 0
        let c = x + width * d
        if let g { for j in 0..<dimension { g[j] = l2 * x[j] } }
        var total = 0.0
        xs.withUnsafeBufferPointer { xb in
            for k in 0..<count {
                let i = rows?[k] ?? k
                let a = xb.baseAddress! + i * d
                let r = output(x, a) - ys[i]
                total += 0.5 * r * r
                guard let g else { continue }
                let gc = g + width * d
                for u in 0..<width where z[u] > 0 {
                    gc[u] += r * z[u] * inv
                    VectorKernels.axpy(r * c[u] * inv, a, g + u * d, d)
                }
            }
        }
        let reg = l2 == 0 ? 0 : 0.5 * l2 * VectorKernels.dot(x, x, dimension)
        return total * inv + reg
    }

    func hessianTimes(_ x: UnsafePointer<Double>, rows: UnsafeBufferPointer<Int>?, _ p: UnsafePointer<Double>,
                      _ out: UnsafeMutablePointer<Double>) {
        let count = rows?.count ?? data.n
        let inv = count > 0 ? 1 / Double(count) : 0
        let c = x + width * d, s = p + width * d, outC = out + width * d
        for j in 0..<dimension { out[j] = l2 * p[j] }
        data.trainX.withUnsafeBufferPointer { xb in
            for k in 0..<count {
                let i = rows?[k] ?? k
                let a = xb.baseAddress! + i * d
                let r = output(x, a) - data.trainY[i]
                var jd = 0.0
                for u in 0..<width where z[u] > 0 {
                    uz[u] = VectorKernels.dot(p + u * d, a, d)
                    jd += s[u] * z[u] + c[u] * uz[u]
                }
                for u in 0..<width where z[u] > 0 {
                    outC[u] += (jd * z[u] + r * uz[u]) * inv
                    VectorKernels.axpy((jd * c[u] + r * s[u]) * inv, a, out + u * d, d)
                }
            }
        }
    }

    /// Mean (1/2)(f - y)^2 on the test split (no regulariser).
    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? {
        guard data.testCount > 0 else { return nil }
        var total = 0.0
        data.testX.withUnsafeBufferPointer { xb in
            for i in 0..<data.testCount {
                let r = output(x.baseAddress!, xb.baseAddress! + i * d) - data.testY[i]
                total += 0.5 * r * r
            }
        }
        return (total / Double(data.testCount), nil)
    }

    public static let entry = ModelEntry(decl, provides: [.gradient, .hessianVectorProduct]) { params, dataset in
        try TwoLayerReLUNetwork(params: params, dataset: dataset)
    }
}
