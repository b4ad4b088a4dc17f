import ExprunTestSupport
import ExprunCore
import ExprunModels
import Foundation
import Testing

/// Builds an `mlp` through its catalogue entry: declared defaults, then the given values.
func makeMLP(_ data: Dataset, hidden: [Int] = [4, 3], activation: String = "tanh", loss: String = "softmax",
             l2: Double = 0, initScheme: String = "he", initSeed: Int = 0) throws -> MLPObjective {
    var values: [String: Value] = [:]
    for p in MLPObjective.decl.params { if let d = p.defaultValue { values[p.name] = d } }
    values["dataset"] = .string("data")
    values["hidden"] = .list(hidden.map(Value.int))
    values["activation"] = .string(activation)
    values["loss"] = .string(loss)
    values["l2"] = .double(l2)
    values["init"] = .string(initScheme)
    values["init_seed"] = .int(initSeed)
    return try MLPObjective.entry.make(Params(kind: "mlp", values: values), data) as! MLPObjective
}

/// The starting point, scaled up so hidden units sit well away from relu's kink on average and
/// the biases are not all zero (so their gradients are exercised through nonzero paths).
func mlpTestPoint(_ model: MLPObjective, seed: UInt64 = 5) -> [Double] {
    var x = [Double](repeating: 0, count: model.dimension)
    x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
    var rng = RNG(seed: seed, purpose: "mlp-test-point")
    for block in model.layout where block.name.hasSuffix(".bias") {
        for j in 0..<block.count { x[block.offset + j] = 0.3 * rng.normal() }
    }
    return x
}

let mlpTasks: [Task] = [.multiclass(classes: 3), .binary, .regression]

@Test("mlp full and minibatch gradients match central finite differences",
      arguments: ["relu", "tanh", "gelu"], ["softmax", "squared"])
func mlpGradientsMatchFiniteDifferences(activation: String, loss: String) throws {
    for task in mlpTasks {
        if task == .regression && loss == "softmax" { continue }
        // l2 = 0 takes the path where the first chunk overwrites the gradient (which the
        // helpers fill with NaN beforehand).
        for (sparse, l2) in [(false, 0.1), (true, 0.1), (false, 0.0)] {
            let data = TestData.dataset(task: task, n: 30, d: 5, nTest: 10, sparse: sparse, seed: 11)
            let model = try makeMLP(data, hidden: [4, 3], activation: activation, loss: loss, l2: l2)
            let x = mlpTestPoint(model)
            let (f, g) = model.full(x)
            let fd = finiteDifferenceGradient(x, h: 1e-5) { model.loss($0) }
            let label = "\(activation) \(loss) \(task) sparse=\(sparse) l2=\(l2)"
            #expect(relativeError(g, fd) < 1e-6, "\(label): full \(relativeError(g, fd))")
            #expect(relativeError(f, model.loss(x)) < 1e-14, "\(label)")
            #expect(norm(g) > 1e-3, "a zero gradient would make the check vacuous")

            let rows = [3, 7, 7, 0, 12, 29]
            let (_, gb) = model.batch(x, rows)
            let fdb = finiteDifferenceGradient(x, h: 1e-5) { model.batch($0, rows).f }
            #expect(relativeError(gb, fdb) < 1e-6, "\(label): batch \(relativeError(gb, fdb))")
            // Overwrite, not accumulate: a second call gives the same gradient.
            #expect(model.batch(x, rows).g == gb)
            #expect(model.batch(x, []).g == [Double](repeating: 0, count: x.count).enumerated().map { l2 * x[$0.offset] })
        }
    }
}

@Test("a minibatch of every row equals the full objective; chunked passes agree with finite differences")
func mlpBatchOfAllRowsEqualsFull() throws {
    // 2100 rows: three chunks of at most 1024 (the last one short), dense and sparse.
    for sparse in [false, true] {
        let data = TestData.dataset(task: .multiclass(classes: 3), n: 2100, d: 3, nTest: 5, sparse: sparse, seed: 2)
        let model = try makeMLP(data, hidden: [3], activation: "gelu", loss: "softmax", l2: 0.05)
        let x = mlpTestPoint(model)
        let (f, g) = model.full(x)
        let (fb, gb) = model.batch(x, Array(0..<2100))
        #expect(relativeError(f, fb) < 1e-13)
        #expect(relativeError(g, gb) < 1e-13)
        let fd = finiteDifferenceGradient(x, h: 1e-5) { model.loss($0) }
        #expect(relativeError(g, fd) < 1e-6)
        // A shuffled minibatch of every row: the same mean up to rounding.
        var rng = RNG(seed: 1, purpose: "perm")
        var perm = Array(0..<2100)
        perm.withUnsafeMutableBufferPointer { rng.shuffle($0) }
        let (fp, gp) = model.batch(x, perm)
        #expect(relativeError(f, fp) < 1e-12)
        #expect(relativeError(g, gp) < 1e-10)
    }
}

@Test("loss, test loss and accuracies agree with a numpy forward pass",
      arguments: ["relu", "tanh", "gelu"], ["softmax", "squared"])
func mlpForwardMatchesNumpy(activation: String, loss: String) throws {
    for task in mlpTasks {
        if task == .regression && loss == "softmax" { continue }
        let data = TestData.dataset(task: task, n: 40, d: 5, nTest: 15, sparse: false, seed: 4)
        let model = try makeMLP(data, hidden: [6, 4], activation: activation, loss: loss, l2: 0.2)
        let x = mlpTestPoint(model, seed: 9)
        let taskName = task == .regression ? "regression" : task == .binary ? "binary" : "multiclass"
        let script = """
        D["activation"], D["loss"], D["task"] = "\(activation)", "\(loss)", "\(taskName)"
        from scipy.special import erf, logsumexp
        x = np.array(D["x"]); widths = [int(v) for v in D["widths"]]
        act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
               "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2)))}[D["activation"]]
        def forward(A):
            h, o = np.array(A), 0
            for l in range(len(widths) - 1):
                W = x[o:o + widths[l] * widths[l + 1]].reshape(widths[l + 1], widths[l]); o += W.size
                b = x[o:o + widths[l + 1]]; o += widths[l + 1]
                h = h @ W.T + b
                if l < len(widths) - 2: h = act(h)
            return h
        def metrics(A, y):
            z = forward(A)
            if D["task"] == "regression":
                return (0.5 * (z[:, 0] - y) ** 2).mean(), -1.0
            c = (y > 0).astype(int) if D["task"] == "binary" else y.astype(int)
            acc = (z.argmax(axis=1) == c).mean()
            if D["loss"] == "softmax":
                return (logsumexp(z, axis=1) - z[np.arange(len(c)), c]).mean(), acc
            t = np.eye(z.shape[1])[c]
            return (0.5 * ((z - t) ** 2).sum(axis=1)).mean(), acc
        tr, tr_acc = metrics(D["train"], np.array(D["ytrain"]))
        te, te_acc = metrics(D["test"], np.array(D["ytest"]))
        out(tr + 0.5 * D["l2"] * x @ x, tr_acc, te, te_acc)
        """
        let r = try Python.run(script, input: [
            "x": x, "widths": model.widths.map(Double.init), "l2": 0.2,
            "train": TestData.denseRows(data.train.features), "ytrain": data.train.targets,
            "test": TestData.denseRows(data.test!.features), "ytest": data.test!.targets,
        ])
        let label = "\(activation) \(loss) \(taskName)"
        #expect(relativeError(model.loss(x), r[0]) < 1e-12, "\(label)")
        let t = try #require(model.test(x))
        #expect(relativeError(t.loss, r[2]) < 1e-12, "\(label)")
        if task == .regression {
            #expect(model.accuracy(x) == nil && t.accuracy == nil)
        } else {
            #expect(model.accuracy(x) == r[1], "\(label)")
            #expect(t.accuracy == r[3], "\(label)")
        }
    }
}

@Test("layout: named blocks in one flat vector, torch's out x in weights")
func mlpLayout() throws {
    let data = TestData.dataset(task: .multiclass(classes: 3), sparse: false)
    let model = try makeMLP(data, hidden: [7, 6])
    #expect(model.layout == [
        ParamBlock(name: "layer1.weight", offset: 0, rows: 7, cols: 5),
        ParamBlock(name: "layer1.bias", offset: 35, rows: 7, cols: 1),
        ParamBlock(name: "layer2.weight", offset: 42, rows: 6, cols: 7),
        ParamBlock(name: "layer2.bias", offset: 84, rows: 6, cols: 1),
        ParamBlock(name: "layer3.weight", offset: 90, rows: 3, cols: 6),
        ParamBlock(name: "layer3.bias", offset: 108, rows: 3, cols: 1),
    ])
    #expect(model.dimension == 111 && model.sampleCount == 40)
    #expect(model.computeOptimalValue() == nil)
    // No hidden layer: a linear softmax model with a bias.
    let linear = try makeMLP(data, hidden: [])
    #expect(linear.layout.map(\.name) == ["layer1.weight", "layer1.bias"] && linear.dimension == 18)
    // Binary data gives two outputs, regression one.
    #expect(try makeMLP(TestData.dataset(task: .binary, sparse: false), hidden: [2]).outputs == 2)
    #expect(try makeMLP(TestData.dataset(task: .regression, sparse: false), hidden: [2], loss: "squared").outputs == 1)
}

@Test("initial weights: deterministic, keyed by init_seed and architecture, scaled by the scheme")
func mlpInitialisation() throws {
    let data = TestData.dataset(task: .multiclass(classes: 3), n: 40, d: 64, nTest: 5, sparse: false)
    func start(_ m: MLPObjective) -> [Double] {
        var x = [Double](repeating: .nan, count: m.dimension)
        x.withUnsafeMutableBufferPointer { m.initialPoint($0) }
        return x
    }
    let a = start(try makeMLP(data, hidden: [256, 128]))
    #expect(a == start(try makeMLP(data, hidden: [256, 128])))
    // The same start whatever the l2, loss or activation: sweeps over those compare alike.
    #expect(a == start(try makeMLP(data, hidden: [256, 128], activation: "relu", loss: "squared", l2: 0.5)))
    #expect(a != start(try makeMLP(data, hidden: [256, 128], initSeed: 1)))
    let model = try makeMLP(data, hidden: [256, 128])
    for (scheme, variance) in [("he", { (i: Double, _: Double) in 2 / i }),
                               ("xavier", { (i: Double, o: Double) in 2 / (i + o) }),
                               ("lecun", { (i: Double, _: Double) in 1 / i })] {
        let x = start(try makeMLP(data, hidden: [256, 128], initScheme: scheme))
        for block in model.layout {
            let v = Array(x[block.offset..<(block.offset + block.count)])
            if block.name.hasSuffix(".bias") {
                #expect(v.allSatisfy { $0 == 0 })
                continue
            }
            let mean = v.reduce(0, +) / Double(v.count)
            let sampleVariance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)
            let expected = variance(Double(block.cols), Double(block.rows))
            // 384 draws or more: the sample variance is within 15% of the truth (> 4 sigma).
            #expect(abs(sampleVariance / expected - 1) < 0.15, "\(scheme) \(block.name)")
            #expect(abs(mean) < 4 * (expected / Double(v.count)).squareRoot(), "\(scheme) \(block.name)")
        }
    }
}

@Test("bad data is a ComponentError, not a crash")
func mlpRejectsBadData() throws {
    let regression = TestData.dataset(task: .regression, sparse: false)
    #expect(throws: ComponentError.self) { try makeMLP(regression, loss: "softmax") }
    var bad = TestData.dataset(task: .multiclass(classes: 3), sparse: false)
    bad.train.targets[4] = 3
    #expect(throws: ComponentError.self) { try makeMLP(bad) }
    var badBinary = TestData.dataset(task: .binary, sparse: false)
    badBinary.train.targets[0] = 0
    #expect(throws: ComponentError.self) { try makeMLP(badBinary) }
}

@Test("gradient descent on the mlp fits a nonlinear problem a linear model cannot")
func mlpLearnsXor() throws {
    // XOR of the signs of two coordinates: no linear classifier beats about 50%.
    var rng = RNG(seed: 8, purpose: "xor")
    var rows: [[Double]] = [], y: [Double] = []
    for _ in 0..<200 {
        let a = rng.normal(), b = rng.normal()
        rows.append([a, b]); y.append(a * b > 0 ? 1 : -1)
    }
    let data = Dataset(train: DataSplit(features: TestData.dense(rows, cols: 2), targets: y), task: .binary)
    let model = try makeMLP(data, hidden: [16], activation: "tanh", loss: "softmax")
    var x = [Double](repeating: 0, count: model.dimension)
    x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
    let before = model.accuracy(x)!
    for _ in 0..<3000 {
        let (_, g) = model.full(x)
        for j in 0..<x.count { x[j] -= 0.5 * g[j] }
    }
    #expect(before < 0.8)
    #expect(model.accuracy(x)! > 0.95)
}
