import ExprunTestSupport
import ExprunCore
import ExprunModels
import Testing

/// scipy's L-BFGS-B at tight tolerance on the same smooth objective (written independently in
/// numpy with its analytic gradient); prints f*.
let scipySmoothMinimum = """
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax
A = np.array(D["A"]); y = np.array(D["y"]); l2 = D["l2"]; n, d = A.shape; K = int(D["K"])
def fg(w):
    if K == 0:
        z = A @ w
        s = -y / (1 + np.exp(y * z))
        return np.mean(np.logaddexp(0, -y * z)) + 0.5 * l2 * w @ w, A.T @ s / n + l2 * w
    W = w.reshape(d, K); Z = A @ W; yi = y.astype(int)
    P = softmax(Z, axis=1); P[np.arange(n), yi] -= 1
    f = np.mean(logsumexp(Z, axis=1) - Z[np.arange(n), yi]) + 0.5 * l2 * np.sum(W * W)
    return f, (A.T @ P / n + l2 * W).ravel()
dim = d if K == 0 else d * K
r = minimize(fg, np.zeros(dim), jac=True, method="L-BFGS-B",
             options=dict(maxiter=100000, maxfun=100000, ftol=1e-16, gtol=1e-13, maxcor=30))
out(r.fun)
"""

@Test("logistic f* agrees with scipy L-BFGS-B", arguments: [false, true], [false, true])
func logisticOptimumMatchesScipy(sparse: Bool, lbfgsPath: Bool) throws {
    // The L-BFGS path is taken above the Newton dimension limit: exercise it with a wide problem.
    let d = lbfgsPath ? LogisticObjective.newtonMaxDimension + 20 : 6
    let data = TestData.dataset(task: .binary, n: lbfgsPath ? 60 : 50, d: d, sparse: sparse, seed: 11)
    let model = try makeModel("logistic", data, l2: 0.01)
    let fStar = try #require(model.computeOptimalValue())
    let ref = try Python.run(scipySmoothMinimum, input: [
        "A": TestData.denseRows(data.train.features), "y": data.train.targets, "l2": 0.01, "K": 0,
    ])[0]
    #expect(relativeError(fStar, ref) < 1e-8, "\(fStar) vs scipy \(ref)")
    #expect(fStar <= ref + 1e-10, "certified to 1e-10 and scipy's value is an upper bound on f*")
    #expect(fStar < model.loss([Double](repeating: 0, count: d)))
}

@Test("softmax f* agrees with scipy L-BFGS-B", arguments: [false, true])
func softmaxOptimumMatchesScipy(sparse: Bool) throws {
    let data = TestData.dataset(task: .multiclass(classes: 4), n: 60, d: 5, sparse: sparse, seed: 12)
    let model = try makeModel("softmax", data, l2: 0.02)
    let fStar = try #require(model.computeOptimalValue())
    let ref = try Python.run(scipySmoothMinimum, input: [
        "A": TestData.denseRows(data.train.features), "y": data.train.targets, "l2": 0.02, "K": 4,
    ])[0]
    #expect(relativeError(fStar, ref) < 1e-8, "\(fStar) vs scipy \(ref)")
    #expect(fStar <= ref + 1e-10)
}

@Test("softmax on binary data equals logistic with half the weights' difference")
func softmaxOnBinaryData() throws {
    // Two-class softmax with W = [-w/2, w/2] is logistic with w; at the optimum the columns are
    // opposite (the l2 term), so f*_softmax(l2) = f*_logistic(l2 / 2).
    let data = TestData.dataset(task: .binary, n: 50, d: 4, sparse: false, seed: 5)
    let soft = try makeModel("softmax", data, l2: 0.04)
    let logistic = try makeModel("logistic", data, l2: 0.02)
    #expect(soft.dimension == 8 && soft.layout == [ParamBlock(name: "W", offset: 0, rows: 4, cols: 2)])
    let a = try #require(soft.computeOptimalValue()), b = try #require(logistic.computeOptimalValue())
    #expect(relativeError(a, b) < 1e-9)
}

/// numpy closed form for ridge/least squares via lstsq on the stacked system
/// [A / sqrt(n); sqrt(l2) I] x = [y / sqrt(n); 0]; prints f at that x.
let numpyLeastSquares = """
A = np.array(D["A"]); y = np.array(D["y"]); l2 = D["l2"]; n, d = A.shape
M = np.vstack([A / np.sqrt(n), np.sqrt(l2) * np.eye(d)])
x = np.linalg.lstsq(M, np.concatenate([y / np.sqrt(n), np.zeros(d)]), rcond=None)[0]
out(0.5 * np.mean((A @ x - y) ** 2) + 0.5 * l2 * x @ x)
"""

@Test("least-squares f* agrees with numpy lstsq", arguments: [false, true], [0.0, 0.05])
func leastSquaresOptimumMatchesLstsq(sparse: Bool, l2: Double) throws {
    for (n, d) in [(40, 6), (12, 20)] {   // full column rank, and rank-deficient (n < d)
        let data = TestData.dataset(task: .regression, n: n, d: d, sparse: sparse, seed: 13)
        let model = try makeModel("least_squares", data, l2: l2)
        let fStar = try #require(model.computeOptimalValue())
        let ref = try Python.run(numpyLeastSquares, input: [
            "A": TestData.denseRows(data.train.features), "y": data.train.targets, "l2": l2,
        ])[0]
        if l2 == 0 && n < d {
            // Interpolation: f* is zero up to rounding in both (f(0) is of order 1).
            #expect(abs(fStar - ref) < 1e-12 && ref < 1e-20, "\(fStar) vs numpy \(ref)")
        } else {
            #expect(relativeError(fStar, ref) < 1e-8, "n=\(n) d=\(d): \(fStar) vs numpy \(ref)")
        }
    }
}

@Test("least squares on binary labels regresses on -1/+1 and reports sign accuracy")
func leastSquaresOnBinaryLabels() throws {
    let data = TestData.dataset(task: .binary, n: 40, d: 5, sparse: false, seed: 21)
    let model = try makeModel("least_squares", data, l2: 0.01)
    let fStar = try #require(model.computeOptimalValue())
    let ref = try Python.run(numpyLeastSquares, input: [
        "A": TestData.denseRows(data.train.features), "y": data.train.targets, "l2": 0.01,
    ])[0]
    #expect(relativeError(fStar, ref) < 1e-8)
    #expect(model.accuracy([1, 0, 0, 0, 0]) != nil)
}

@Test("least-squares f* by conjugate gradient above the Cholesky limit")
func leastSquaresConjugateGradientPath() throws {
    // n << d, sparse: the kernel form x = A^T (A A^T + n l2 I)^{-1} y is an independent check.
    let d = LeastSquaresObjective.choleskyMaxDimension + 100, n = 30
    var rng = RNG(seed: 4, purpose: "cg")
    let rows = (0..<n).map { _ in (0..<d).map { _ in rng.uniform() < 0.99 ? 0 : rng.normal() } }
    let y = (0..<n).map { _ in rng.normal() }
    let data = Dataset(train: DataSplit(features: TestData.sparse(rows, cols: d), targets: y), task: .regression)
    let l2 = 0.01
    let model = try makeModel("least_squares", data, l2: l2)
    let fStar = try #require(model.computeOptimalValue())
    let ref = try Python.run("""
    A = np.array(D["A"]); y = np.array(D["y"]); l2 = D["l2"]; n, d = A.shape
    x = A.T @ np.linalg.solve(A @ A.T + n * l2 * np.eye(n), y)
    out(0.5 * np.mean((A @ x - y) ** 2) + 0.5 * l2 * x @ x)
    """, input: ["A": rows, "y": y, "l2": l2])[0]
    #expect(relativeError(fStar, ref) < 1e-8, "\(fStar) vs numpy \(ref)")
    // Without a ridge term nothing certifies the CG answer there.
    #expect(try makeModel("least_squares", data, l2: 0).computeOptimalValue() == nil)
}

@Test("SDCA certifies the hinge f* by a duality gap below 1e-10, matching a scipy QP", arguments: [false, true])
func hingeOptimumBySDCA(sparse: Bool) throws {
    let data = TestData.dataset(task: .binary, n: 40, d: 5, sparse: sparse, seed: 17)
    let l2 = 0.05
    let model = try #require(try makeModel("hinge", data, l2: l2) as? HingeObjective)
    let solution = try #require(model.solveDual())
    #expect(solution.gap <= 1e-10 && solution.gap >= -1e-13, "gap \(solution.gap)")
    // The certificate is real: P at the returned weights and D at the duals bracket f*.
    #expect(relativeError(model.loss(solution.weights), solution.primal) < 1e-14)
    let fStar = try #require(model.computeOptimalValue())
    // The primal as a QP: min (1/n) sum xi + (l2/2)||w||^2, xi >= 0, xi_i >= 1 - y_i a_i . w.
    let ref = try Python.run("""
    from scipy.optimize import minimize
    A = np.array(D["A"]); y = np.array(D["y"]); l2 = D["l2"]; n, d = A.shape
    f = lambda v: v[d:].mean() + 0.5 * l2 * v[:d] @ v[:d]
    jac = lambda v: np.concatenate([l2 * v[:d], np.full(n, 1.0 / n)])
    G = np.hstack([y[:, None] * A, np.eye(n)])   # y_i a_i . w + xi_i - 1 >= 0
    cons = [dict(type="ineq", fun=lambda v: G @ v - 1, jac=lambda v: G)]
    v0 = np.concatenate([np.zeros(d), np.ones(n)])
    r = minimize(f, v0, jac=jac, constraints=cons, bounds=[(None, None)] * d + [(0, None)] * n,
                 method="SLSQP", options=dict(maxiter=2000, ftol=1e-14))
    out(r.fun)
    """, input: ["A": TestData.denseRows(data.train.features), "y": data.train.targets, "l2": l2])[0]
    #expect(relativeError(fStar, ref) < 1e-6, "\(fStar) vs scipy \(ref)")
    #expect(solution.dual <= ref + 1e-9, "weak duality: D <= f*")
}

@Test("f* is nil without a ridge term where nothing certifies it", arguments: ["logistic", "softmax", "hinge"])
func optimalValueNeedsRidge(kind: String) throws {
    let model = try makeModel(kind, TestData.dataset(task: task(for: kind), sparse: false), l2: 0)
    #expect(model.computeOptimalValue() == nil)
}

@Test("f* is a lower bound of the objective near its minimiser", arguments: modelKinds)
func optimalValueIsBelowTheObjective(kind: String) throws {
    // Full-batch gradient descent from zero must approach f* from above and never go below it.
    let data = TestData.dataset(task: task(for: kind), sparse: true)
    let model = try makeModel(kind, data, l2: 0.1)
    let fStar = try #require(model.computeOptimalValue())
    var x = [Double](repeating: 0, count: model.dimension)
    var last = 0.0
    for t in 0..<3000 {
        let (f, g) = model.full(x)
        #expect(f >= fStar - 1e-10)
        last = f
        // Step 1/sqrt(t+1) also converges for the non-smooth hinge.
        let lr = kind == "hinge" ? 0.5 / Double(t + 1).squareRoot() : 0.5
        for j in x.indices { x[j] -= lr * g[j] }
    }
    #expect(last - fStar < (kind == "hinge" ? 5e-2 : 1e-8), "\(kind): \(last) vs f* \(fStar)")
}
