import ExprunCore
import Foundation

/// A loss of the margin z = a . x against the target y: least squares, logistic, hinge.
/// Conformers are empty structs whose static methods inline into the kernels.
public protocol MarginLoss {
    /// loss(z, y)
    static func value(_ z: Double, _ y: Double) -> Double
    /// d loss / d z (a subgradient where loss is not differentiable).
    static func derivative(_ z: Double, _ y: Double) -> Double
    /// Both at once: the minibatch loop's call (a loss may share work, e.g. one exp).
    static func valueAndDerivative(_ z: Double, _ y: Double) -> (value: Double, derivative: Double)
}

extension MarginLoss {
    @inlinable @inline(__always)
    public static func valueAndDerivative(_ z: Double, _ y: Double) -> (value: Double, derivative: Double) {
        (value(z, y), derivative(z, y))
    }
}

/// The parts shared by every model: declared parameters and checks of the data against a task.
enum ModelSupport {
    static let datasetParam = ParamDecl.reference("dataset", .dataset, "the data set the model fits (its training split)")
    static let l2Param = ParamDecl.double("l2", 0, .nonNegative, "ridge penalty: the objective adds (l2/2)||x||^2")

    /// Stable cache key: the kind and every non-reference parameter, sorted by name
    /// (the runner adds the data set's own key).
    static func cacheKey(kind: String, params: Params, referenceNames: Set<String> = ["dataset"]) -> String {
        let parts = params.values.keys.sorted().filter { !referenceNames.contains($0) }
            .map { "\($0)=\(params.values[$0]!.canonical)" }
        return kind + "(" + parts.joined(separator: ",") + ")"
    }

    /// Throws unless every target of the split is -1 or +1.
    static func requireSignLabels(_ targets: [Double], kind: String, split: String) throws {
        if let bad = targets.firstIndex(where: { $0 != 1 && $0 != -1 }) {
            throw ComponentError("\(kind): \(split) label \(targets[bad]) at row \(bad) is not -1 or +1")
        }
    }

    /// Throws unless every target of the split is an integer in 0..<classes.
    static func requireClassLabels(_ targets: [Double], classes: Int, kind: String, split: String) throws {
        if let bad = targets.firstIndex(where: { !($0 >= 0 && $0 < Double(classes) && $0 == $0.rounded()) }) {
            throw ComponentError("\(kind): \(split) label \(targets[bad]) at row \(bad) is not a class in 0..<\(classes)")
        }
    }

    static func requireFinite(_ split: DataSplit, kind: String, name: String) throws {
        if split.count == 0 && name == "training" { throw ComponentError("\(kind): the training split is empty") }
        if let bad = split.targets.firstIndex(where: { !$0.isFinite }) {
            throw ComponentError("\(kind): \(name) target at row \(bad) is not finite")
        }
    }
}

/// The machinery of a linear model with a margin loss: minibatch and full-batch oracles,
/// test metrics and accuracy. Generic over the loss, and always used through a concrete
/// wrapper class, so every method is specialised for one loss.
final class MarginCore<Loss: MarginLoss> {
    let train: FeatureStorage
    let trainY: [Double]
    let test: FeatureStorage?
    let testY: [Double]
    let l2: Double
    let dimension: Int
    let n: Int
    /// Whether targets are -1/+1 labels (accuracy is defined).
    let classifies: Bool
    /// Per-row scratch for full-batch passes (margins, then loss derivatives), sized for the
    /// larger split: allocated once so evaluations allocate nothing.
    let scratch: UnsafeMutablePointer<Double>

    init(dataset: Dataset, l2: Double, classifies: Bool) {
        train = FeatureStorage(dataset.train.features)
        trainY = dataset.train.targets
        test = dataset.test.map { FeatureStorage($0.features) }
        testY = dataset.test?.targets ?? []
        self.l2 = l2
        dimension = dataset.train.dimension
        n = dataset.train.count
        self.classifies = classifies
        let size = max(n, testY.count, 1)
        scratch = .allocate(capacity: size)
        scratch.initialize(repeating: 0, count: size)
    }
    deinit { scratch.deallocate() }

    /// Writes l2 * x into g (overwriting it) and returns (l2/2)||x||^2.
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
        let inv = 1 / Double(b)
        var loss = 0.0
        trainY.withUnsafeBufferPointer { yb in
            let y = yb.baseAddress!
            if b <= n {
                // All margins first, then all updates: the independent row loads of the dot
                // products overlap (rows are random, mostly cache misses), and each row is
                // still in cache for its axpy. Same operations in the same order as the
                // interleaved loop below, so the results are bit-identical.
                var k = 0
                for i in rows { scratch[k] = a.dot(i, x); k += 1 }
                k = 0
                for i in rows {
                    let (value, dz) = Loss.valueAndDerivative(scratch[k], y[i])
                    loss += value
                    if dz != 0 { a.axpy(i, dz * inv, g) }
                    k += 1
                }
            } else {
                for i in rows {
                    let (value, dz) = Loss.valueAndDerivative(a.dot(i, x), y[i])
                    loss += value
                    if dz != 0 { a.axpy(i, dz * inv, g) }
                }
            }
        }
        return loss * inv + reg
    }

    func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                              gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let xp = x.baseAddress!, gp = gradient.baseAddress!
        switch train {
        case .dense(let m): return m.withRows { batchKernel($0, xp, rows, gp) }
        case .sparse(let m): return m.withRows { batchKernel($0, xp, rows, gp) }
        }
    }

    /// The minibatch objective alone: the margins and losses of `batchKernel`, in its order.
    @inline(__always)
    func batchValueKernel<R: RowAccess>(_ a: R, _ x: UnsafePointer<Double>, _ rows: UnsafeBufferPointer<Int>) -> Double {
        let reg = l2 == 0 ? 0 : 0.5 * l2 * Kernels.dot(x, x, dimension)
        let b = rows.count
        if b == 0 { return reg }
        var loss = 0.0
        trainY.withUnsafeBufferPointer { y in
            for i in rows { loss += Loss.value(a.dot(i, x), y[i]) }
        }
        return loss * (1 / Double(b)) + reg
    }

    func batchLoss(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>) -> Double {
        let xp = x.baseAddress!
        switch train {
        case .dense(let m): return m.withRows { batchValueKernel($0, xp, rows) }
        case .sparse(let m): return m.withRows { batchValueKernel($0, xp, rows) }
        }
    }

    /// Full objective; when `gradient` is given, its gradient is written there.
    func full(_ x: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?) -> Double {
        guard n > 0 else { return 0 }
        train.margins(x, scratch)
        var loss = 0.0
        let inv = 1 / Double(n)
        trainY.withUnsafeBufferPointer { y in
            for i in 0..<n {
                let z = scratch[i]
                loss += Loss.value(z, y[i])
                if gradient != nil { scratch[i] = Loss.derivative(z, y[i]) * inv }
            }
        }
        var reg = 0.0
        if let g = gradient {
            reg = startWithRegulariser(x, g)
            train.addTransposeTimes(scratch, g)
        } else if l2 != 0 {
            reg = 0.5 * l2 * Kernels.dot(x, x, dimension)
        }
        return loss * inv + reg
    }

    /// Mean loss (no regulariser) and the fraction of rows with y * z > 0 over one split.
    /// A zero margin counts as a miss, so the all-zeros model scores 0 rather than a guess.
    func meanLossAndAccuracy(_ a: FeatureStorage, _ targets: [Double], _ x: UnsafePointer<Double>)
        -> (loss: Double, accuracy: Double) {
        let m = targets.count
        guard m > 0 else { return (0, 0) }
        a.margins(x, scratch)
        var loss = 0.0
        var correct = 0
        for i in 0..<m {
            let z = scratch[i], y = targets[i]
            loss += Loss.value(z, y)
            if y * z > 0 { correct += 1 }
        }
        return (loss / Double(m), Double(correct) / Double(m))
    }

    func testMetrics(_ x: UnsafePointer<Double>) -> (loss: Double, accuracy: Double?)? {
        guard let test else { return nil }
        let r = meanLossAndAccuracy(test, testY, x)
        return (r.loss, classifies ? r.accuracy : nil)
    }

    func trainAccuracy(_ x: UnsafePointer<Double>) -> Double? {
        classifies ? meanLossAndAccuracy(train, trainY, x).accuracy : nil
    }
}

/// A linear model whose Objective requirements all forward to its `MarginCore` (least squares,
/// logistic, hinge): the forwarding is written once here, and each model keeps only what
/// differs (its checks, its f* solver). The conformances are concrete, so the calls are
/// specialised per model: no generic dispatch in the minibatch loop.
protocol MarginObjective: Objective {
    associatedtype Loss: MarginLoss
    var core: MarginCore<Loss> { get }
}

extension MarginObjective {
    public var dimension: Int { core.dimension }
    public var layout: [ParamBlock] { [ParamBlock(name: "w", offset: 0, rows: core.dimension, cols: 1)] }
    public var sampleCount: Int { core.n }
    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { x.update(repeating: 0) }
    public func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                     gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        core.batchLossAndGradient(x, rows: rows, gradient: gradient)
    }
    public func batchLoss(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
        core.batchLoss(x, rows: rows)
    }
    public func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        core.full(x.baseAddress!, gradient: gradient.baseAddress!)
    }
    public func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double { core.full(x.baseAddress!, gradient: nil) }
    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? {
        core.testMetrics(x.baseAddress!)
    }
    public func trainAccuracy(_ x: UnsafeBufferPointer<Double>) -> Double? { core.trainAccuracy(x.baseAddress!) }

    // The target space (TargetModel, for SSO) of least squares and logistic regression: one
    // target per example, the prediction or the logit.
    public var targetDimension: Int { 1 }
    public var ridge: Double { core.l2 }
    public func targets(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                        into f: UnsafeMutableBufferPointer<Double>) {
        core.targets(x.baseAddress!, rows, f.baseAddress!)
    }
    public func targetLossGradient(_ f: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                   into g: UnsafeMutableBufferPointer<Double>) -> Double {
        core.targetLossGradient(f.baseAddress!, rows, g.baseAddress!)
    }
    public func pullback(_ v: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                         into grad: UnsafeMutableBufferPointer<Double>) {
        core.pullback(v.baseAddress!, rows, grad.baseAddress!)
    }
    public func pushforward(_ u: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                            into out: UnsafeMutableBufferPointer<Double>) {
        core.targets(u.baseAddress!, rows, out.baseAddress!)
    }
}
