import COpenBLAS
import ExprunCore
import Foundation

/// A fully connected network (multilayer perceptron) with hand-written backpropagation:
/// widths d -> h_1 -> ... -> h_L -> K, hidden layers z = W h + b followed by an activation,
/// a linear output layer, and
///
///     f(x) = (1/n) sum_i loss(out(a_i), y_i) + (l2/2)||x||^2
///
/// over the whole flat parameter vector x (weights and biases, as torch's weight_decay).
///
/// Losses: `softmax` is cross-entropy on the K logits (labels 0..K-1; binary -1/+1 data is
/// two classes, -1 -> 0, +1 -> 1). `squared` is (1/2)||out - t||^2 with t the real target
/// (regression, K = 1) or the one-hot vector of the class (classification, K = classes; binary
/// data gives K = 2). Accuracy is the argmax of the outputs (ties to the lower class).
///
/// Layout: blocks "layer1.weight" (h_1 x d, row-major, torch's out x in), "layer1.bias"
/// (h_1 x 1), ..., "layer<L+1>.weight" (K x h_L), "layer<L+1>.bias". Initial weights are drawn
/// from `init` (he N(0, 2/fan_in), xavier N(0, 2/(fan_in + fan_out)), lecun N(0, 1/fan_in)),
/// biases are 0, from RNG(seed: init_seed, purpose: "init:" + architecture): a model parameter
/// rather than the run's seed, so every optimizer and every run seed of a sweep starts from
/// the same weights (sweep `init_seed` to vary them). The architecture key holds the layer
/// widths and `init` only, so sweeping l2, the loss or the activation keeps the same start.
///
/// Every pass works on chunks of at most `chunkRows` rows through preallocated buffers
/// (gathered input rows, pre-activations, activations, two ping-pong delta buffers): products
/// are BLAS dgemm calls, and no step allocates. A minibatch larger than a chunk is processed
/// chunk by chunk, its gradient accumulated. Non-convex: f* is not computed.
public final class MLPObjective: LayerwiseTargetModel {
    public static let kind = "mlp"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "multilayer perceptron (hidden widths, relu/tanh/gelu, softmax or squared loss), backpropagation with BLAS; non-convex, no f*",
        params: [
            ModelSupport.datasetParam,
            .ints("hidden", [128], .atLeastOne, "widths of the hidden layers, input side first ([] is a linear model with bias)"),
            .choice("activation", Activation.allCases.map(\.rawValue), "relu", "activation of every hidden layer (gelu is the exact erf form)"),
            .choice("loss", ["softmax", "squared"], "softmax",
                    "softmax: cross-entropy on class logits; squared: (1/2)||out - t||^2 with t the target or the one-hot class"),
            ModelSupport.l2Param,
            .choice("init", ["he", "xavier", "lecun"], "he",
                    "initial weights N(0, s^2): he s^2 = 2/fan_in, xavier 2/(fan_in + fan_out), lecun 1/fan_in; biases 0"),
            .int("init_seed", 0, .nonNegative, "seed of the initial weights (fixed across run seeds so every run of a sweep starts alike)"),
        ])

    /// Rows per chunk at most; fewer when the input is so wide a chunk would pass 2^22 values.
    public static let maxChunkRows = 1024

    enum Loss { case softmax, squared }

    let train: FeatureStorage
    let test: FeatureStorage?
    let n: Int
    let testCount: Int
    /// Training and test targets: class indices (as Double) for classification, values for regression.
    let trainY: UnsafeMutablePointer<Double>
    let testY: UnsafeMutablePointer<Double>
    let classifies: Bool
    let loss: Loss
    let activation: Activation
    let l2: Double
    /// Layer widths [d, h_1, ..., h_L, K].
    public let widths: [Int]
    let weightOffset: [Int]
    let biasOffset: [Int]
    public let dimension: Int
    public let layout: [ParamBlock]
    let initScheme: String
    let initSeed: UInt64
    let initPurpose: String
    public let cacheKey: String

    let chunkRows: Int
    /// chunkRows x d: minibatch rows gathered (dense copies, or sparse rows scattered).
    let input: UnsafeMutablePointer<Double>
    /// Per layer (L + 1 of them): chunkRows x width pre-activations (the output layer's hold
    /// the outputs, then the output deltas).
    let pre: [UnsafeMutablePointer<Double>]
    /// Per hidden layer: chunkRows x width activations.
    let post: [UnsafeMutablePointer<Double>]
    /// Two chunkRows x max-hidden-width buffers for the deltas of hidden layers.
    let deltaA: UnsafeMutablePointer<Double>
    let deltaB: UnsafeMutablePointer<Double>
    /// chunkRows ones: bias gradients are delta^T 1 (one dgemv).
    let ones: UnsafeMutablePointer<Double>
    /// Everything allocated, for deinit.
    private var allocations: [UnsafeMutablePointer<Double>] = []
    /// The buffers of layer-local training (tpSGD, DRTP), allocated when such a method binds.
    var local: MLPLocalBuffers?
    /// The R-operator's buffers (MLPHessian.swift), made on the first Hessian-vector product.
    var hessianBuffers: MLPHessianBuffers?

    public init(params: Params, dataset: Dataset) throws {
        let kind = Self.kind
        let lossName = params.string("loss")
        loss = lossName == "softmax" ? .softmax : .squared
        guard let act = Activation(rawValue: params.string("activation")) else {
            throw ComponentError("\(kind): unknown activation \(params.string("activation"))")
        }
        activation = act
        let hidden = params.ints("hidden")
        if let bad = hidden.first(where: { $0 < 1 }) {
            throw ComponentError("\(kind): hidden width \(bad) is not a positive integer")
        }
        if dataset.train.count == 0 { throw ComponentError("\(kind): the training split is empty") }
        let d = dataset.train.dimension
        if d == 0 { throw ComponentError("\(kind): the data set has no features") }

        // Outputs and targets per task.
        let outputs: Int
        func classTargets(_ split: DataSplit, _ name: String, classes: Int, binary: Bool) throws -> [Double] {
            if binary {
                try ModelSupport.requireSignLabels(split.targets, kind: kind, split: name)
                return split.targets.map { $0 > 0 ? 1 : 0 }
            }
            try ModelSupport.requireClassLabels(split.targets, classes: classes, kind: kind, split: name)
            return split.targets
        }
        let trainTargets: [Double], testTargets: [Double]
        switch dataset.task {
        case .regression:
            guard loss == .squared else {
                throw ComponentError("\(kind): the data set has real-valued targets; the softmax loss needs class labels "
                                     + "(use loss: squared for regression)")
            }
            try ModelSupport.requireFinite(dataset.train, kind: kind, name: "training")
            if let t = dataset.test { try ModelSupport.requireFinite(t, kind: kind, name: "test") }
            outputs = 1
            classifies = false
            trainTargets = dataset.train.targets
            testTargets = dataset.test?.targets ?? []
        case .binary:
            outputs = 2
            classifies = true
            trainTargets = try classTargets(dataset.train, "training", classes: 2, binary: true)
            testTargets = try dataset.test.map { try classTargets($0, "test", classes: 2, binary: true) } ?? []
        case .multiclass(let c):
            guard c >= 2 else { throw ComponentError("\(kind): a multiclass data set needs at least 2 classes, not \(c)") }
            outputs = c
            classifies = true
            trainTargets = try classTargets(dataset.train, "training", classes: c, binary: false)
            testTargets = try dataset.test.map { try classTargets($0, "test", classes: c, binary: false) } ?? []
        }

        train = FeatureStorage(dataset.train.features)
        test = dataset.test.map { FeatureStorage($0.features) }
        if let t = test, t.cols != d {
            throw ComponentError("\(kind): the test split has \(t.cols) features, the training split \(d)")
        }
        n = dataset.train.count
        testCount = testTargets.count
        l2 = params.double("l2")

        widths = [d] + hidden + [outputs]
        var blocks: [ParamBlock] = [], wOff: [Int] = [], bOff: [Int] = []
        var offset = 0
        for l in 0..<(widths.count - 1) {
            let fanIn = widths[l], fanOut = widths[l + 1]
            let (cells, overflow) = fanIn.multipliedReportingOverflow(by: fanOut)
            if overflow || cells > 1 << 31 { throw ComponentError("\(kind): layer \(l + 1) has too many weights") }
            wOff.append(offset)
            blocks.append(ParamBlock(name: "layer\(l + 1).weight", offset: offset, rows: fanOut, cols: fanIn))
            offset += cells
            bOff.append(offset)
            blocks.append(ParamBlock(name: "layer\(l + 1).bias", offset: offset, rows: fanOut, cols: 1))
            offset += fanOut
        }
        weightOffset = wOff; biasOffset = bOff
        dimension = offset
        layout = blocks
        initScheme = params.string("init")
        initSeed = UInt64(params.int("init_seed"))
        initPurpose = "init:mlp(widths=[" + widths.map(String.init).joined(separator: ",") + "],init=\(initScheme))"
        cacheKey = ModelSupport.cacheKey(kind: kind, params: params)

        // Buffers for one chunk: the widest layer bounds the chunk so no buffer passes 2^22 values.
        let widest = widths.max()!
        chunkRows = max(1, min(Self.maxChunkRows, max(n, testCount), (1 << 22) / widest))
        func buffer(_ count: Int) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            return p
        }
        var all: [UnsafeMutablePointer<Double>] = []
        func owned(_ count: Int) -> UnsafeMutablePointer<Double> { let p = buffer(count); all.append(p); return p }
        let rowsPerChunk = chunkRows, layerWidths = widths
        input = owned(rowsPerChunk * d)
        pre = (1..<layerWidths.count).map { owned(rowsPerChunk * layerWidths[$0]) }
        post = (1..<(layerWidths.count - 1)).map { owned(rowsPerChunk * layerWidths[$0]) }
        let widestHidden = hidden.max() ?? 1
        deltaA = owned(chunkRows * widestHidden)
        deltaB = owned(chunkRows * widestHidden)
        ones = owned(chunkRows)
        ones.update(repeating: 1, count: chunkRows)
        trainY = owned(n)
        trainY.update(from: trainTargets, count: n)
        testY = owned(testCount)
        if testCount > 0 { testY.update(from: testTargets, count: testCount) }
        allocations = all
    }
    deinit { for p in allocations { p.deallocate() } }

    public var sampleCount: Int { n }
    /// Number of outputs K (classes, or 1 for regression).
    public var outputs: Int { widths[widths.count - 1] }
    var layerCount: Int { widths.count - 1 }

    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) {
        x.update(repeating: 0)
        let root = RNG(seed: initSeed, purpose: initPurpose)
        for l in 0..<layerCount {
            let fanIn = Double(widths[l]), fanOut = Double(widths[l + 1])
            let variance: Double
            switch initScheme {
            case "xavier": variance = 2 / (fanIn + fanOut)
            case "lecun": variance = 1 / fanIn
            default: variance = 2 / fanIn
            }
            let std = variance.squareRoot()
            // One stream per layer: adding a layer leaves the others' draws unchanged.
            var rng = root.split("layer\(l + 1)")
            let w = x.baseAddress! + weightOffset[l]
            for j in 0..<(widths[l] * widths[l + 1]) { w[j] = std * rng.normal() }
        }
    }

    // MARK: Objective

    public func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                     gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let w = x.baseAddress!, g = gradient.baseAddress!
        let reg = startWithRegulariser(w, g)
        let b = rows.count
        guard b > 0 else {
            if l2 == 0 { gradient.update(repeating: 0) }
            return reg
        }
        let inv = 1 / Double(b)
        var correct = 0
        let sum = pass(train, trainY, rows: rows.baseAddress!, count: b, w, gradient: g, scale: inv, correct: &correct)
        return sum * inv + reg
    }

    public func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let w = x.baseAddress!, g = gradient.baseAddress!
        let reg = startWithRegulariser(w, g)
        let inv = 1 / Double(n)
        var correct = 0
        return pass(train, trainY, rows: nil, count: n, w, gradient: g, scale: inv, correct: &correct) * inv + reg
    }

    public func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double {
        let w = x.baseAddress!
        var correct = 0
        return pass(train, trainY, rows: nil, count: n, w, gradient: nil, scale: 0, correct: &correct) / Double(n)
            + startWithRegulariser(w, nil)
    }

    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? {
        guard let test, testCount > 0 else { return nil }
        var correct = 0
        let sum = pass(test, testY, rows: nil, count: testCount, x.baseAddress!, gradient: nil, scale: 0, correct: &correct)
        return (sum / Double(testCount), classifies ? Double(correct) / Double(testCount) : nil)
    }

    public func trainAccuracy(_ x: UnsafeBufferPointer<Double>) -> Double? {
        guard classifies else { return nil }
        var correct = 0
        _ = pass(train, trainY, rows: nil, count: n, x.baseAddress!, gradient: nil, scale: 0, correct: &correct)
        return Double(correct) / Double(n)
    }

    /// nil: the objective is non-convex, its minimum cannot be certified.
    public func computeOptimalValue() -> Double? { nil }
}

extension MLPObjective {
    /// Catalogue entry for `mlp`.
    public static let entry = ModelEntry(MLPObjective.decl, provides: [.gradient, .layerwiseTargets, .hessianVectorProduct]) { params, dataset in
        try MLPObjective(params: params, dataset: dataset)
    }
}
