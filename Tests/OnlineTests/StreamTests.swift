import ExprunTestSupport
import Foundation
import Testing
import ExprunCore
@testable import ExprunOnline
@testable import ProblemOnline

struct StreamTests {
    let rows: [[Double]] = [[1, 0.5, -1], [0.2, -1.5, 0.3], [-0.7, 0.1, 2], [1.2, 1.1, 0], [0, -0.4, -0.9], [0.6, 0.6, 0.6], [-1, 2, 0.5]]
    let labels: [Double] = [1, -1, 1, 1, -1, -1, 1]

    var dataset: Dataset {
        Dataset(train: DataSplit(features: .dense(DenseMatrix(rows: 7, cols: 3, values: rows.flatMap { $0 })), targets: labels),
                task: .binary)
    }

    /// File-order replay with OGD at the fixed step D/(G√T), re-implemented independently in
    /// numpy: the loss sequences agree to 1e-12 (T = 20 wraps around the 7 rows).
    @Test(arguments: ["logistic", "hinge", "squared"])
    func fileOrderReplayMatchesNumpy(loss: String) throws {
        let T = 20
        let envP = params(.environment, "stream", ["dataset": .string("d"), "loss": .string(loss), "radius": .double(1.5)])
        let env = try makeEnv(envP, horizon: T, dataset: dataset)
        let learner = try makeLearner(params(.learner, "ogd", ["step": .string("fixed")]), env, horizon: T)
        let ours = play(env, learner, rounds: T).losses
        let A = "[" + rows.map { "[" + $0.map { String($0) }.joined(separator: ",") + "]" }.joined(separator: ",") + "]"
        let script = """
        import numpy as np
        A = np.array(\(A)); y = np.array(\(labels)); T = \(T); R = 1.5; loss = "\(loss)"
        G = np.sqrt((A**2).sum(1).max())
        if loss == "squared": G = G * (R*G + np.abs(y).max())
        eta = 2*R/(G*np.sqrt(T)); x = np.zeros(3); out = []
        for t in range(T):
            a, b = A[t % 7], y[t % 7]; z = a @ x
            if loss == "logistic": v, s = np.logaddexp(0, -b*z), -b/(1+np.exp(b*z))
            elif loss == "hinge": v, s = max(0, 1-b*z), (-b if 1-b*z > 0 else 0)
            else: v, s = 0.5*(z-b)**2, z-b
            out.append(v); x = x - eta*s*a
            n = np.linalg.norm(x)
            if n > R: x = x*R/n
        print(" ".join(repr(float(v)) for v in out))
        """
        let reference = try python(script).split(separator: " ").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
        #expect(reference.count == T)
        for t in 0..<T { #expect(abs(ours[t] - reference[t]) < 1e-12) }
    }

    /// The comparator of a replayed stream against scipy (rows weighted by how often they were played).
    @Test(arguments: ["logistic", "squared", "hinge"])
    func streamComparatorMatchesScipy(loss: String) throws {
        let T = 17
        let envP = params(.environment, "stream", ["dataset": .string("d"), "loss": .string(loss), "radius": .double(0.8),
                                                    "order": .string("shuffled")])
        let env = try makeEnv(envP, seed: 3, horizon: T, dataset: dataset)
        _ = play(env, try makeLearner(params(.learner, "oomd"), env, horizon: T), rounds: T)
        let counts = (env as! StreamEnvironment).counts
        let best = env.bestFixedLoss()
        let A = "[" + rows.map { "[" + $0.map { String($0) }.joined(separator: ",") + "]" }.joined(separator: ",") + "]"
        let script = """
        import numpy as np
        from scipy.optimize import minimize
        A = np.array(\(A)); y = np.array(\(labels)); w = np.array(\(counts)); R = 0.8; loss = "\(loss)"
        def f(x):
            z = A @ x
            if loss == "logistic": v = np.logaddexp(0, -y*z)
            elif loss == "hinge": v = np.maximum(0, 1 - y*z)
            else: v = 0.5*(z-y)**2
            return float(w @ v)
        best = min(f(minimize(f, s, method="SLSQP", constraints=[{"type":"ineq","fun":lambda x: R*R - x@x}],
                              options={"ftol":1e-15,"maxiter":2000}).x) for s in [np.zeros(3), np.ones(3)*0.3, -np.ones(3)*0.3])
        print(repr(best))
        """
        let reference = Double(try python(script).trimmingCharacters(in: .whitespacesAndNewlines))!
        // value - F* <= gap (certified) and F* <= reference (scipy's point is feasible).
        #expect(best.value <= reference + best.gap + 1e-9)
        #expect(best.value >= reference - 1e-6)
        #expect(best.gap < (loss == "hinge" ? 1e-4 : 1e-6))
        #expect(counts.reduce(0, +) == T)
    }
}
