import ExprunCore
import Foundation

/// Multinomial logistic (softmax) regression with a dim x K weight matrix W (one row-major
/// block "W"): f(W) = (1/n) sum_i [logsumexp(a_i W) - (a_i W)_{y_i}] + (l2/2)||W||_F^2.
/// Binary data (-1/+1) is fitted as two classes, -1 -> 0 and +1 -> 1.
public final class SoftmaxObjective: Objective {
    public static let kind = "softmax"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "multinomial logistic regression (labels 0..K-1, or -1/+1 as two classes); f* by L-BFGS to ||grad||^2/(2 l2) <= 1e-10 (needs l2 > 0)",
        params: [ModelSupport.datasetParam, ModelSupport.l2Param])

    let train: FeatureStorage
    let test: FeatureStorage?
    /// Class indices of the training and test rows.
    let trainLabels: [Int32]
    let testLabels: [Int32]
    let l2: Double
    let features: Int
    public let classes: Int
    let n: Int
    /// K-sized scratch for the minibatch oracle.
    let scores: UnsafeMutablePointer<Double>
    /// K-sized scratch for Hessian-vector products (the scores' directional derivative).
    let directionScores: UnsafeMutablePointer<Double>
    /// rows x K scratch for full-batch passes, sized for the larger split.
    let fullScores: UnsafeMutablePointer<Double>
    let fullScoresCount: Int
    public let cacheKey: String

    public init(params: Params, dataset: Dataset) throws {
        let kind = Self.kind
        func labels(_ split: DataSplit, _ name: String, classes: Int, binary: Bool) throws -> [Int32] {
            if binary {
                try ModelSupport.requireSignLabels(split.targets, kind: kind, split: name)
                return split.targets.map { $0 > 0 ? 1 : 0 }
            }
            try ModelSupport.requireClassLabels(split.targets, classes: classes, kind: kind, split: name)
            return split.targets.map { Int32($0) }
        }
        let k: Int, binary: Bool
        switch dataset.task {
        case .regression:
            throw ComponentError("\(kind): the data set has real-valued targets; softmax needs class labels "
                                 + "(use least_squares for regression)")
        case .binary: k = 2; binary = true
        case .multiclass(let c):
            guard c >= 2 else { throw ComponentError("\(kind): a multiclass data set needs at least 2 classes, not \(c)") }
            k = c; binary = false
        }
        if dataset.train.count == 0 { throw ComponentError("\(kind): the training split is empty") }
        trainLabels = try labels(dataset.train, "training", classes: k, binary: binary)
        testLabels = try dataset.test.map { try labels($0, "test", classes: k, binary: binary) } ?? []
        train = FeatureStorage(dataset.train.features)
        test = dataset.test.map { FeatureStorage($0.features) }
        l2 = params.double("l2")
        features = dataset.train.dimension
        classes = k
        n = dataset.train.count
        scores = .allocate(capacity: k)
        scores.initialize(repeating: 0, count: k)
        directionScores = .allocate(capacity: k)
        directionScores.initialize(repeating: 0, count: k)
        fullScoresCount = max(n, testLabels.count, 1) * k
        fullScores = .allocate(capacity: fullScoresCount)
        fullScores.initialize(repeating: 0, count: fullScoresCount)
        cacheKey = ModelSupport.cacheKey(kind: kind, params: params)
    }
    deinit {
        scores.deallocate()
        directionScores.deallocate()
        fullScores.deallocate()
    }

    public var dimension: Int { features * classes }
    public var layout: [ParamBlock] { [ParamBlock(name: "W", offset: 0, rows: features, cols: classes)] }
    public var sampleCount: Int { n }
    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { x.update(repeating: 0) }

    /// Turns scores z (length K) into softmax probabilities in place and returns logsumexp(z),
    /// shifted by the maximum so no exponential overflows.
    @inline(__always)
    static func softmaxInPlace(_ z: UnsafeMutablePointer<Double>, _ k: Int) -> Double {
        var m = z[0]
        for c in 1..<k where z[c] > m { m = z[c] }
        var sum = 0.0
        for c in 0..<k {
            let e = exp(z[c] - m)
            z[c] = e
            sum += e
        }
        let inv = 1 / sum
        for c in 0..<k { z[c] *= inv }
        return m + log(sum)
    }

    /// Writes l2 * W into g and returns (l2/2)||W||^2.
    @inline(__always)
    func startWithRegulariser(_ x: UnsafePointer<Double>, _ g: UnsafeMutablePointer<Double>) -> Double {
        Kernels.startWithRidge(l2, x, g, dimension)
    }

    @inline(__always)
    func batchKernel<R: RowAccess>(_ a: R, _ x: UnsafePointer<Double>, _ rows: UnsafeBufferPointer<Int>,
                                   _ g: UnsafeMutablePointer<Double>) -> Double {
        let reg = startWithRegulariser(x, g)
        let b = rows.count
        if b == 0 { return reg }
        let k = classes, z = scores
        let inv = 1 / Double(b)
        var loss = 0.0
        trainLabels.withUnsafeBufferPointer { labels in
            for i in rows {
                a.rowTimesMatrix(i, x, k, z)
                let yi = Int(labels[i])
                let target = z[yi]
                let lse = Self.softmaxInPlace(z, k)
                loss += lse - target
                // d loss / d z = p - e_y; the gradient row j gets a_ij (p - e_y) / b.
                z[yi] -= 1
                for c in 0..<k { z[c] *= inv }
                a.outerAccumulate(i, z, k, g)
            }
        }
        return loss * inv + reg
    }

    public func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                     gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let xp = x.baseAddress!, gp = gradient.baseAddress!
        switch train {
        case .dense(let m): return m.withRows { batchKernel($0, xp, rows, gp) }
        case .sparse(let m): return m.withRows { batchKernel($0, xp, rows, gp) }
        }
    }

    /// The minibatch objective alone: `batchKernel`'s scores and log-sum-exps, in its order.
    @inline(__always)
    func batchValueKernel<R: RowAccess>(_ a: R, _ x: UnsafePointer<Double>, _ rows: UnsafeBufferPointer<Int>) -> Double {
        let reg = l2 == 0 ? 0 : 0.5 * l2 * Kernels.dot(x, x, dimension)
        let b = rows.count
        if b == 0 { return reg }
        let k = classes, z = scores
        var loss = 0.0
        trainLabels.withUnsafeBufferPointer { labels in
            for i in rows {
                a.rowTimesMatrix(i, x, k, z)
                let target = z[Int(labels[i])]
                loss += Self.softmaxInPlace(z, k) - target
            }
        }
        return loss * (1 / Double(b)) + reg
    }

    public func batchLoss(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
        let xp = x.baseAddress!
        switch train {
        case .dense(let m): return m.withRows { batchValueKernel($0, xp, rows) }
        case .sparse(let m): return m.withRows { batchValueKernel($0, xp, rows) }
        }
    }

    /// Full objective; the gradient is written when given.
    func full(_ x: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?) -> Double {
        let k = classes, z = fullScores
        train.timesMatrix(x, k, z)
        let inv = 1 / Double(n)
        var loss = 0.0
        trainLabels.withUnsafeBufferPointer { labels in
            for i in 0..<n {
                let zi = z + i * k, yi = Int(labels[i])
                let target = zi[yi]
                loss += Self.softmaxInPlace(zi, k) - target
                if gradient != nil {
                    zi[yi] -= 1
                    for c in 0..<k { zi[c] *= inv }
                }
            }
        }
        var reg = 0.0
        if let g = gradient {
            reg = startWithRegulariser(x, g)
            train.addTransposeTimesMatrix(z, k, g)
        } else if l2 != 0 {
            reg = 0.5 * l2 * Kernels.dot(x, x, dimension)
        }
        return loss * inv + reg
    }

    public func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        full(x.baseAddress!, gradient: gradient.baseAddress!)
    }
    public func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double { full(x.baseAddress!, gradient: nil) }

    /// Mean loss (no regulariser) and argmax accuracy over one split (ties go to the lower
    /// class index, as numpy's argmax does).
    func meanLossAndAccuracy(_ a: FeatureStorage, _ labels: [Int32], _ x: UnsafePointer<Double>)
        -> (loss: Double, accuracy: Double) {
        let m = labels.count, k = classes, z = fullScores
        guard m > 0 else { return (0, 0) }
        a.timesMatrix(x, k, z)
        var loss = 0.0
        var correct = 0
        for i in 0..<m {
            let zi = z + i * k, yi = Int(labels[i])
            var best = 0
            for c in 1..<k where zi[c] > zi[best] { best = c }
            if best == yi { correct += 1 }
            let target = zi[yi]
            loss += Self.softmaxInPlace(zi, k) - target
        }
        return (loss / Double(m), Double(correct) / Double(m))
    }

    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? {
        guard let test else { return nil }
        let r = meanLossAndAccuracy(test, testLabels, x.baseAddress!)
        return (r.loss, r.accuracy)
    }
    public func trainAccuracy(_ x: UnsafeBufferPointer<Double>) -> Double? {
        meanLossAndAccuracy(train, trainLabels, x.baseAddress!).accuracy
    }

    /// f* by L-BFGS, certified by ||grad||^2 / (2 l2) <= 1e-10; nil when l2 == 0 (the
    /// objective is then invariant to adding one vector to every column and need not attain
    /// its infimum).
    public func computeOptimalValue() -> Double? {
        guard l2 > 0 else { return nil }
        return OptimalValueSolvers.lbfgs(dimension, mu: l2, x0: [Double](repeating: 0, count: dimension),
                                         fg: { x, g in self.full(x, gradient: g) })
    }
}

extension SoftmaxObjective {
    /// Catalogue entry for `softmax`.
    public static let entry = ModelEntry(SoftmaxObjective.decl, provides: [.gradient, .targetSpace, .hessianVectorProduct]) { params, dataset in
        try SoftmaxObjective(params: params, dataset: dataset)
    }
}
