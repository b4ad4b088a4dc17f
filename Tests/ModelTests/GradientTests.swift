import ExprunTestSupport
import ExprunCore
import ExprunModels
import Testing

/// The task each model kind is exercised on.
func task(for kind: String) -> Task {
    switch kind {
    case "least_squares": return .regression
    case "softmax": return .multiclass(classes: 3)
    default: return .binary
    }
}

/// A point with every margin at least `gap` away from the hinge kink y z = 1 (FD would
/// straddle it otherwise); other models take the first candidate.
func testPoint(_ model: any Objective, _ data: Dataset, hingeGap: Double = 1e-3) -> [Double] {
    var rng = RNG(seed: 3, purpose: "test-point")
    let rows = TestData.denseRows(data.train.features)
    while true {
        let x = (0..<model.dimension).map { _ in 0.7 * rng.normal() }
        guard model is HingeObjective else { return x }
        let clear = zip(rows, data.train.targets).allSatisfy { r, y in
            abs(1 - y * zip(r, x).reduce(0) { $0 + $1.0 * $1.1 }) > hingeGap
        }
        if clear { return x }
    }
}

let modelKinds = ["least_squares", "logistic", "softmax", "hinge"]

@Test("full gradient matches central finite differences", arguments: modelKinds, [false, true])
func fullGradientMatchesFiniteDifferences(kind: String, sparse: Bool) throws {
    for l2 in [0.0, 0.3] {
        let data = TestData.dataset(task: task(for: kind), sparse: sparse)
        let model = try makeModel(kind, data, l2: l2)
        let x = testPoint(model, data)
        let (f, g) = model.full(x)
        let fd = finiteDifferenceGradient(x) { model.loss($0) }
        #expect(relativeError(g, fd) < 1e-6, "\(kind) sparse=\(sparse) l2=\(l2)")
        #expect(relativeError(f, model.loss(x)) < 1e-14)
        #expect(norm(g) > 1e-3, "a zero gradient would make the check vacuous")
    }
}

@Test("minibatch gradient matches finite differences of the minibatch loss", arguments: modelKinds, [false, true])
func batchGradientMatchesFiniteDifferences(kind: String, sparse: Bool) throws {
    let rows = [3, 7, 7, 0, 12, 39]   // a repeated row counts twice, as a sampler with replacement draws it
    for l2 in [0.0, 0.3] {
        let data = TestData.dataset(task: task(for: kind), sparse: sparse)
        let model = try makeModel(kind, data, l2: l2)
        let x = testPoint(model, data)
        let (_, g) = model.batch(x, rows)
        let fd = finiteDifferenceGradient(x) { model.batch($0, rows).f }
        #expect(relativeError(g, fd) < 1e-6, "\(kind) sparse=\(sparse) l2=\(l2)")
        // Overwrite, not accumulate: a second call gives the same gradient.
        #expect(model.batch(x, rows).g == g)
    }
}

@Test("a minibatch of every row equals the full objective", arguments: modelKinds, [false, true])
func batchOverAllRowsEqualsFull(kind: String, sparse: Bool) throws {
    let data = TestData.dataset(task: task(for: kind), sparse: sparse)
    let model = try makeModel(kind, data, l2: 0.05)
    let x = testPoint(model, data)
    let all = Array(0..<model.sampleCount)
    let (fb, gb) = model.batch(x, all)
    let (f, g) = model.full(x)
    #expect(relativeError(fb, f) < 1e-13)
    #expect(relativeError(gb, g) < 1e-13)
    // An empty batch leaves only the regulariser.
    let (f0, g0) = model.batch(x, [])
    #expect(abs(f0 - 0.025 * x.reduce(0) { $0 + $1 * $1 }) < 1e-14)
    #expect(relativeError(g0, x.map { 0.05 * $0 }) < 1e-15)
}

@Test("dense and sparse storage give the same numbers", arguments: modelKinds)
func denseAndSparseAgree(kind: String) throws {
    let dense = try makeModel(kind, TestData.dataset(task: task(for: kind), sparse: false), l2: 0.1)
    let sparse = try makeModel(kind, TestData.dataset(task: task(for: kind), sparse: true), l2: 0.1)
    let x = testPoint(dense, TestData.dataset(task: task(for: kind), sparse: false))
    #expect(relativeError(dense.full(x).g, sparse.full(x).g) < 1e-13)
    #expect(relativeError(dense.loss(x), sparse.loss(x)) < 1e-13)
    #expect(relativeError(dense.batch(x, [1, 5, 9]).g, sparse.batch(x, [1, 5, 9]).g) < 1e-13)
    let td = try #require(dense.test(x)), ts = try #require(sparse.test(x))
    #expect(relativeError(td.loss, ts.loss) < 1e-13)
    #expect(td.accuracy == ts.accuracy)
}

/// The losses themselves (not only their gradients) against a numpy re-implementation, on
/// the training split (with regulariser) and the test split (without).
@Test("loss values match numpy", arguments: modelKinds)
func lossValuesMatchNumpy(kind: String) throws {
    let data = TestData.dataset(task: task(for: kind), sparse: true)
    let model = try makeModel(kind, data, l2: 0.2)
    let x = testPoint(model, data)
    let test = try #require(data.test)
    let script = """
    from scipy.special import logsumexp
    def loss(A, y, x):
        A = np.array(A); y = np.array(y); x = np.array(x)
        kind = D["kind"]
        if kind == 0: return np.mean(0.5 * (A @ x - y) ** 2), None
        if kind == 1: return np.mean(np.logaddexp(0, -y * (A @ x))), np.mean(y * (A @ x) > 0)
        if kind == 3: return np.mean(np.maximum(0, 1 - y * (A @ x))), np.mean(y * (A @ x) > 0)
        Z = A @ x.reshape(A.shape[1], -1); yi = y.astype(int)
        return np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), yi]), np.mean(np.argmax(Z, axis=1) == yi)
    f, _ = loss(D["A"], D["y"], D["x"])
    t, acc = loss(D["At"], D["yt"], D["x"])
    out(f + 0.1 * np.dot(D["x"], D["x"]), t, -1.0 if acc is None else acc)
    """
    let out = try Python.run(script, input: [
        "kind": modelKinds.firstIndex(of: kind)!, "x": x,
        "A": TestData.denseRows(data.train.features), "y": data.train.targets,
        "At": TestData.denseRows(test.features), "yt": test.targets,
    ])
    #expect(relativeError(model.loss(x), out[0]) < 1e-13)
    let metrics = try #require(model.test(x))
    #expect(relativeError(metrics.loss, out[1]) < 1e-13)
    #expect(metrics.accuracy == (out[2] < 0 ? nil : out[2]))
}
