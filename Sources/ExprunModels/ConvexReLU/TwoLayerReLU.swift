import COpenBLAS
import ExprunCore
import Foundation

/// `relu2`: a two-layer ReLU network without output bias, f(a) = sum_j (a^T u_j)_+ alpha_j
/// (a with a ones column appended when `bias`), trained on the squared loss with weight decay
/// on both layers (specs-b section 12):
///
///     f(x) = (1/(2n)) sum_i (f(a_i) - y_i)^2 + (beta/2) sum_j (||u_j||^2 + alpha_j^2).
///
/// It carries the convex program of the same data (`ConvexReLUProgram`: `patterns` sampled
/// activation patterns from `pattern_seed`), so the same model is trained non-convexly by any
/// gradient optimizer (hand-written gradient, BLAS) and solved globally by `convex_admm` and
/// `convex_fista`, which write the network they recover into the same parameter vector: every
/// run reports the objective of an actual network. f* (`suboptimality`) is the optimum of the
/// sampled convex program, found by ADMM to `optimum_tol` (the global optimum over all widths
/// when the patterns are complete; a network using patterns outside the sample can go below it).
///
/// Layout: "hidden.weight" (m x p, row j = u_j), "output.weight" (1 x m). `width: 0` gives
/// m = 2P, room for every neuron the constrained program can recover. Targets: real values,
/// or -1/+1 labels fitted as reals (accuracy is then the sign's). Buffers for max(n, n_test)
/// rows are allocated at construction; no call allocates.
public final class TwoLayerReLUObjective: Objective {
    public static let kind = "relu2"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "two-layer ReLU network (squared loss, weight decay beta/2 on both layers) with its convex program over sampled activation patterns (Pilanci & Ergen; Bai et al.)",
        params: [
            ModelSupport.datasetParam,
            .int("width", 0, .nonNegative, "hidden neurons m (0: 2P, every neuron the convex program can recover)"),
            .double("beta", 1e-4, .nonNegative, "weight decay beta: the convex program's group-lasso weight (mean-loss scale: the papers' beta / n)"),
            .int("patterns", 400, .atLeastOne, "sampled pattern generators h_i ~ N(0, I) (deduplicated)"),
            .int("pattern_seed", 0, .nonNegative, "seed of the pattern generators (fixed across run seeds)"),
            .bool("bias", true, "append a ones column to the features (a bias per neuron)"),
            .int("init_seed", 0, .nonNegative, "seed of the initial weights: u_j ~ N(0, 2/p), alpha_j ~ N(0, 1/m)"),
            .int("optimum_iterations", 20000, .atLeastOne, "ADMM iterations at most for f*"),
            .double("optimum_tol", 1e-9, .positive, "ADMM residual tolerance for f*"),
        ])

    public let program: ConvexReLUProgram
    public let width: Int
    let p: Int
    let n: Int
    let testCount: Int
    let beta: Double
    let classifies: Bool
    let initSeed: UInt64
    let optimumIterations: Int
    let optimumTol: Double
    public let dimension: Int
    public let layout: [ParamBlock]
    public let cacheKey: String
    /// Training and test rows with the ones column (row-major), targets.
    let trainX: [Double], trainY: [Double], testX: [Double], testY: [Double]
    /// Rows x m scratch: pre-activations, then the backpropagated signal.
    let hidden: UnsafeMutablePointer<Double>
    let gathered: UnsafeMutablePointer<Double>
    let residual: UnsafeMutablePointer<Double>
    let targets: UnsafeMutablePointer<Double>
    private let all: [UnsafeMutablePointer<Double>]

    public init(params: Params, dataset: Dataset) throws {
        let kind = Self.kind
        switch dataset.task {
        case .regression: classifies = false
        case .binary: classifies = true
        case .multiclass: throw ComponentError("\(kind): a scalar-output network needs real targets or -1/+1 labels, not classes")
        }
        n = dataset.train.count
        guard n > 0 else { throw ComponentError("\(kind): the training split is empty") }
        let bias = params.bool("bias")
        let d = dataset.train.dimension
        let p = d + (bias ? 1 : 0)
        self.p = p
        guard p > 0 else { throw ComponentError("\(kind): no features") }
        func rows(_ split: DataSplit) -> [Double] {
            let dense: [Double]
            switch split.features {
            case .dense(let m): dense = m.values
            case .sparse(let m):
                var v = [Double](repeating: 0, count: m.rows * m.cols)
                for i in 0..<m.rows { for q in m.rowStart[i]..<m.rowStart[i + 1] { v[i * m.cols + Int(m.columns[q])] = m.values[q] } }
                dense = v
            }
            var out = [Double](repeating: 1, count: split.count * p)
            for r in 0..<split.count { for j in 0..<d { out[r * p + j] = dense[r * d + j] } }
            return out
        }
        try ModelSupport.requireFinite(dataset.train, kind: kind, name: "training")
        trainX = rows(dataset.train); trainY = dataset.train.targets
        testX = dataset.test.map(rows) ?? []; testY = dataset.test?.targets ?? []
        testCount = testY.count
        beta = params.double("beta")
        program = try ConvexReLUProgram(x: trainX, n: n, p: p, y: trainY, beta: beta, samples: params.int("patterns"),
                                        seed: UInt64(params.int("pattern_seed")))
        let requested = params.int("width")
        width = requested == 0 ? max(1, 2 * program.patterns) : requested
        let (cells, overflow) = max(n, testCount).multipliedReportingOverflow(by: width)
        guard !overflow, cells <= 1 << 26, width * p <= 1 << 26 else {
            throw ComponentError("\(kind): \(max(n, testCount)) rows x \(width) neurons is too large (at most 2^26 cells)")
        }
        dimension = width * p + width
        layout = [ParamBlock(name: "hidden.weight", offset: 0, rows: width, cols: p),
                  ParamBlock(name: "output.weight", offset: width * p, rows: 1, cols: width)]
        initSeed = UInt64(params.int("init_seed"))
        optimumIterations = params.int("optimum_iterations"); optimumTol = params.double("optimum_tol")
        // f* depends on the data and the program only, not on the width or the start.
        var programParams = params
        for key in ["width", "init_seed"] { programParams.values.removeValue(forKey: key) }
        cacheKey = ModelSupport.cacheKey(kind: kind, params: programParams)
        let rowsMax = max(n, testCount)
        hidden = Kernels.zeroedBuffer(rowsMax * width); gathered = Kernels.zeroedBuffer(rowsMax * p); residual = Kernels.zeroedBuffer(rowsMax); targets = Kernels.zeroedBuffer(rowsMax)
        all = [hidden, gathered, residual, targets]
    }
    deinit { for b in all { b.deallocate() } }

    public var sampleCount: Int { n }

    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) {
        var rng = RNG(seed: initSeed, purpose: "init:relu2(width=\(width),p=\(p))")
        let su = (2 / Double(p)).squareRoot(), sa = (1 / Double(width)).squareRoot()
        for i in 0..<(width * p) { x[i] = su * rng.normal() }
        for j in 0..<width { x[width * p + j] = sa * rng.normal() }
    }

    /// Sum over m rows (in `gathered`, targets in `targets`) of (1/2)(f(a) - y)^2; with g,
    /// adds scale times its gradient to g. Leaves f(a) - y in `residual`.
    func pass(_ w: UnsafePointer<Double>, rows m: Int, gradient g: UnsafeMutablePointer<Double>?, scale: Double) -> Double {
        let alpha = w + width * p
        // Z = A U^T (m x width).
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(width), Int32(p), 1, gathered, Int32(p), w, Int32(p),
                    0, hidden, Int32(width))
        var total = 0.0
        for r in 0..<m {
            let z = hidden + r * width
            var out = 0.0
            for j in 0..<width where z[j] > 0 { out += z[j] * alpha[j] }
            let e = out - targets[r]
            residual[r] = e
            total += 0.5 * e * e
        }
        guard let g else { return total }
        // d alpha_j += scale sum_r e_r (z_rj)_+;  then Z <- (e alpha^T) ⊙ 1[Z > 0], dU += scale Z^T A.
        for r in 0..<m {
            let z = hidden + r * width, e = residual[r]
            for j in 0..<width {
                if z[j] > 0 { g[width * p + j] += scale * e * z[j]; z[j] = e * alpha[j] } else { z[j] = 0 }
            }
        }
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(width), Int32(p), Int32(m), scale, hidden, Int32(width),
                    gathered, Int32(p), 1, g, Int32(p))
        return total
    }

    func load(_ x: [Double], _ y: [Double], rows: UnsafeBufferPointer<Int>?) -> Int {
        if let rows {
            for (k, r) in rows.enumerated() {
                x.withUnsafeBufferPointer { (gathered + k * p).update(from: $0.baseAddress! + r * p, count: p) }
                targets[k] = y[r]
            }
            return rows.count
        }
        x.withUnsafeBufferPointer { gathered.update(from: $0.baseAddress!, count: x.count) }
        y.withUnsafeBufferPointer { targets.update(from: $0.baseAddress!, count: y.count) }
        return y.count
    }

    func regulariser(_ w: UnsafePointer<Double>, _ g: UnsafeMutablePointer<Double>?) -> Double {
        if let g { Kernels.scaleCopy(beta, w, g, dimension) }
        return 0.5 * beta * Kernels.dot(w, w, dimension)
    }

    public func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                     gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let reg = regulariser(x.baseAddress!, gradient.baseAddress!)
        let m = load(trainX, trainY, rows: rows)
        guard m > 0 else { return reg }
        return pass(x.baseAddress!, rows: m, gradient: gradient.baseAddress!, scale: 1 / Double(m)) / Double(m) + reg
    }

    public func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let reg = regulariser(x.baseAddress!, gradient.baseAddress!)
        let m = load(trainX, trainY, rows: nil)
        return pass(x.baseAddress!, rows: m, gradient: gradient.baseAddress!, scale: 1 / Double(m)) / Double(m) + reg
    }

    public func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double {
        let m = load(trainX, trainY, rows: nil)
        return pass(x.baseAddress!, rows: m, gradient: nil, scale: 0) / Double(m) + regulariser(x.baseAddress!, nil)
    }

    /// Fraction of rows whose output has the label's sign (after a `pass`).
    func signAccuracy(_ m: Int) -> Double {
        var hits = 0
        for r in 0..<m where (residual[r] + targets[r] >= 0) == (targets[r] > 0) { hits += 1 }
        return Double(hits) / Double(m)
    }

    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? {
        guard testCount > 0 else { return nil }
        let m = load(testX, testY, rows: nil)
        let loss = pass(x.baseAddress!, rows: m, gradient: nil, scale: 0) / Double(m)
        return (loss, classifies ? signAccuracy(m) : nil)
    }

    public func trainAccuracy(_ x: UnsafeBufferPointer<Double>) -> Double? {
        guard classifies else { return nil }
        let m = load(trainX, trainY, rows: nil)
        _ = pass(x.baseAddress!, rows: m, gradient: nil, scale: 0)
        return signAccuracy(m)
    }

    /// The sampled convex program's optimum: ADMM (rho = 0.1, gamma = 1) to `optimum_tol`, then the
    /// objective of the network recovered from z (an attained value, so no run's gap is
    /// negative through solver error beyond the tolerance).
    public func computeOptimalValue() -> Double? {
        let admm = ConvexReLUADMM(program: program, rho: 0.1, gamma: 1, tol: optimumTol)
        for _ in 0..<optimumIterations where !admm.converged { admm.iterate() }
        let m = max(width, 2 * program.patterns)
        var net = [Double](repeating: 0, count: m * p + m)
        net.withUnsafeMutableBufferPointer { admm.writeNetwork(into: $0.baseAddress!, width: m) }
        return networkObjective(net, width: m)
    }

    /// The objective of a network of any width m (u: m x p, then alpha: m) on the training data.
    public func networkObjective(_ net: [Double], width m: Int) -> Double {
        var total = 0.0, reg = 0.0
        for r in 0..<n {
            var out = 0.0
            for j in 0..<m {
                var z = 0.0
                for i in 0..<p { z += trainX[r * p + i] * net[j * p + i] }
                if z > 0 { out += z * net[m * p + j] }
            }
            total += 0.5 * (out - trainY[r]) * (out - trainY[r])
        }
        for v in net { reg += v * v }
        return total / Double(n) + 0.5 * beta * reg
    }
}

extension TwoLayerReLUObjective {
    /// Catalogue entry for `relu2`.
    public static let entry = ModelEntry(TwoLayerReLUObjective.decl, provides: [.gradient, .convexReLUProgram, .hessianVectorProduct]) { params, dataset in
        try TwoLayerReLUObjective(params: params, dataset: dataset)
    }
}
