import ExprunTestSupport
import ExprunCatalogue
import ExprunConfig
import ExprunCore
import ExprunModels
import ExprunOptim
import ExprunRunner
import ProblemStochastic
import ExprunSpec
import Foundation
import Testing

// SSO (Lavington et al. 2023) against independent references: SGD, closed forms, the
// majorization inequality, and a direct re-implementation of the Armijo inner loop.

/// Builds a config's runs (the real catalogue: data, models, optimizers).
private func ssoRuns(_ yaml: String) throws -> [RunSpec] {
    let tree = try ConfigLoader.parse(yaml, file: "sso.yaml")
    return try ExperimentBuilder.build(tree: tree, configPath: "sso.yaml", dataDirectory: "/nonexistent-data").runs
}

private func runOne(_ spec: RunSpec) throws -> RunRecord {
    try StochasticDriver.run(spec, control: RunControl(), factory: .catalogue)
}

private func ssoConfig(model: String, optimizers: String, batch: String = "16", steps: Int = 60,
                       metrics: String = "[train_loss, batch_loss, grad_evals, expensive_grad_evals, inner_steps, surrogate_before, surrogate_after, mm_violations, wall_time]") -> String {
    """
    name: sso_test
    seeds: 1
    run: {steps: \(steps), batch_size: \(batch), log: {every: 5}, metrics: \(metrics)}
    datasets:
      cls: {kind: synthetic_classification, n: 300, dim: 8, separation: 2.0, label_noise: 0.05, test_fraction: 0.2}
      multi: {kind: synthetic_classification, n: 300, dim: 6, classes: 3, separation: 2.0, test_fraction: 0.2}
      reg: {kind: synthetic_regression, n: 300, dim: 8, noise: 0.5, test_fraction: 0.2}
    models:
      least_squares: {kind: least_squares, dataset: reg, l2: 0.05}
      logistic: {kind: logistic, dataset: cls, l2: 0.01}
      softmax: {kind: softmax, dataset: multi, l2: 0.01}
      hinge: {kind: hinge, dataset: cls, l2: 0.01}
    optimizers:
    \(optimizers)
    sweep:
      model: [\(model)]
    """
}

private func dataAndModel(_ kind: String, l2: Double, n: Int = 120, dim: Int = 6) throws -> (Dataset, any TargetModel) {
    let dataKind = kind == "least_squares" ? "synthetic_regression" : "synthetic_classification"
    let dataEntry = try #require(Catalogue.dataset(dataKind))
    var given: [String: Any] = ["n": n, "dim": dim, "test_fraction": 0.0]
    if kind == "softmax" { given["classes"] = 3 }
    let data = try dataEntry.make(try resolve(dataEntry.decl, given), DatasetContext(seed: 4, baseDirectory: "", dataDirectory: ""))
    let modelEntry = try #require(Catalogue.model(kind))
    let model = try modelEntry.make(try resolve(modelEntry.decl, ["dataset": "d", "l2": l2]), data)
    return (data, try #require(model as? any TargetModel))
}

private func makeSSO(_ params: [String: Value], dimension: Int) throws -> SSO {
    let ctx = OptimizerContext(dimension: dimension, layout: [], schedule: ConstantSchedule(base: 1), seed: 0)
    return try #require(try SSO.entry.make(try resolve(SSO.entry.decl, params), ctx) as? SSO)
}

/// Q_t(v) evaluated directly from the model's target calls (the definition, not SSO's code).
private func surrogateDirect(_ model: any TargetModel, at v: [Double], from xt: [Double], rows: [Int], eta: Double) -> Double {
    let ft = model.targetsOf(xt, rows)
    let (lossT, g) = model.targetGradient(ft, rows)
    let f = model.targetsOf(v, rows)
    var s = 0.0
    for j in f.indices { let dlt = f[j] - ft[j]; s += g[j] * dlt + dlt * dlt / (2 * eta) }
    return lossT + s / Double(rows.count) + 0.5 * model.ridge * v.reduce(0) { $0 + $1 * $1 }
}

private func batchObjective(_ model: any TargetModel, _ x: [Double], _ rows: [Int]) -> Double {
    let (l, _) = model.targetGradient(model.targetsOf(x, rows), rows)
    return l + 0.5 * model.ridge * x.reduce(0) { $0 + $1 * $1 }
}

private func ssoStep(_ sso: SSO, _ model: any TargetModel, _ x: inout [Double], _ rows: [Int], t: Int = 0) -> TargetStepReport {
    x.withUnsafeMutableBufferPointer { xb in rows.withUnsafeBufferPointer { sso.step(xb, rows: $0, model: model, t: t) } }
}

private func randomPoint(_ d: Int, seed: UInt64, scale: Double = 0.5) -> [Double] {
    var rng = RNG(seed: seed, purpose: "sso-test-point")
    return (0..<d).map { _ in scale * rng.normal() }
}

/// Solves the dense system A x = b (row-major A, n x n) by Gaussian elimination with partial pivoting.
private func solve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
    var m = a, r = b
    for c in 0..<n {
        let p = (c..<n).max { abs(m[$0 * n + c]) < abs(m[$1 * n + c]) }!
        if p != c { for j in 0..<n { m.swapAt(c * n + j, p * n + j) }; r.swapAt(c, p) }
        for i in (c + 1)..<n {
            let f = m[i * n + c] / m[c * n + c]
            if f == 0 { continue }
            for j in c..<n { m[i * n + j] -= f * m[c * n + j] }
            r[i] -= f * r[c]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for i in stride(from: n - 1, through: 0, by: -1) {
        var s = r[i]
        for j in (i + 1)..<n { s -= m[i * n + j] * x[j] }
        x[i] = s / m[i * n + i]
    }
    return x
}

private func denseRows(_ data: Dataset) -> [[Double]] {
    guard case .dense(let m) = data.train.features else { return [] }
    return (0..<m.rows).map { Array(m.values[($0 * m.cols)..<(($0 + 1) * m.cols)]) }
}

@Suite struct SSOTests {
    /// The exact correspondence proved: grad Q_t(x_t) = (1/b) sum_i J_i^T g_i + l2 x_t, which is
    /// the minibatch gradient, so SSO with m = 1, inner gd and inner_lr = alpha makes the step
    /// x_{t+1} = x_t - alpha grad f_S(x_t) of SGD with lr alpha on the same batch, for ANY eta.
    /// Through the whole driver (same minibatches), every recorded train_loss agrees to 1e-12.
    @Test(arguments: ["least_squares", "logistic", "softmax"])
    func oneInnerGDStepIsSGD(model: String) throws {
        let alpha = 0.3
        let runs = try ssoRuns(ssoConfig(model: model, optimizers: """
              sgd: {kind: sgd, lr: \(alpha)}
              sso: {kind: sso, lr: 7.5, inner_steps: 1, inner: gd, inner_lr: \(alpha), inner_tol: 0}
            """).replacingOccurrences(of: "model: [\(model)]", with: "model: [\(model)]\n  optimizer: [sgd, sso]"))
        #expect(runs.count == 2)
        let sgd = try runOne(runs[0]), sso = try runOne(runs[1])
        #expect(sgd.status == .completed && sso.status == .completed)
        let a = try #require(series(sgd, "train_loss")), b = try #require(series(sso, "train_loss"))
        #expect(a.count == 13)
        for (u, v) in zip(a, b) { #expect(abs(u - v) <= 1e-12 * max(1, abs(u)), "\(model): \(u) vs \(v)") }
        // Both make one expensive call per example per step; SSO's grad_evals count pullbacks.
        #expect(series(sgd, "expensive_grad_evals") == series(sso, "expensive_grad_evals"))
        #expect(series(sso, "expensive_grad_evals")?.last == 960)
        #expect(series(sso, "grad_evals")?.last == 960)
        #expect(series(sso, "inner_steps")?.last == 60)
        #expect(series(sgd, "inner_steps")?.allSatisfy(\.isNaN) == true)
        #expect(series(sgd, "surrogate_after")?.allSatisfy(\.isNaN) == true)
        let wall = try #require(series(sso, "wall_time"))
        #expect(zip(wall, wall.dropFirst()).allSatisfy { $0 <= $1 } && wall.last! > 0)
    }

    /// Least squares, exact inner solve (cg), full batch, l2 = 0, eta = 1: z = f - (f - y) = y,
    /// so x_1 = argmin ||A x - y||, the least-squares solution, from any x_0 (the paper's test b).
    /// Minibatch b > d, l2 > 0, eta = 0.4: x_1 = (A_S^T A_S / (eta b) + l2 I)^{-1} A_S^T z / (eta b)
    /// with z = A_S x_0 - eta (A_S x_0 - y_S): the closed form, by an independent dense solve.
    @Test func exactInnerSolveIsTheClosedForm() throws {
        for (l2, eta, rows) in [(0.0, 1.0, Array(0..<120)), (0.2, 0.4, [5, 9, 9, 30, 31, 44, 60, 61, 77, 80, 99, 100, 118])] {
            let (data, model) = try dataAndModel("least_squares", l2: l2)
            let d = model.dimension, a = denseRows(data), y = data.train.targets
            let sso = try makeSSO(["lr": .double(eta), "inner": .string("cg"), "inner_steps": .int(4 * d),
                                   "inner_tol": .double(1e-14)], dimension: d)
            var x = randomPoint(d, seed: 9, scale: 2)
            let x0 = x
            _ = ssoStep(sso, model, &x, rows)
            let b = Double(rows.count)
            var h = [Double](repeating: 0, count: d * d), rhs = [Double](repeating: 0, count: d)
            for i in rows {
                let fi = zip(a[i], x0).reduce(0) { $0 + $1.0 * $1.1 }
                let zi = fi - eta * (fi - y[i])
                for p in 0..<d {
                    rhs[p] += a[i][p] * zi / (eta * b)
                    for q in 0..<d { h[p * d + q] += a[i][p] * a[i][q] / (eta * b) }
                }
            }
            for p in 0..<d { h[p * d + p] += l2 }
            let expected = solve(h, rhs, d)
            let err = zip(x, expected).map { abs($0 - $1) }.max()!
            #expect(err < 1e-9 * max(1, expected.map(abs).max()!), "l2=\(l2) eta=\(eta): error \(err)")
            if l2 == 0 {
                // The least-squares solution: the full gradient vanishes there.
                let g = model.full(x).g
                #expect(norm(g) < 1e-9)
            }
        }
    }

    /// Full batch, eta <= 1/beta: L(x_t) + q_t(x) >= L(x) at random x, with equality at x_t (the
    /// paper's test d); with eta = 8/beta the inequality fails somewhere (the test can fail).
    @Test(arguments: ["least_squares", "logistic", "softmax"])
    func surrogateMajorizesTheLoss(kind: String) throws {
        let (_, model) = try dataAndModel(kind, l2: 0.05)
        let d = model.dimension, rows = Array(0..<model.sampleCount)
        let xt = randomPoint(d, seed: 2)
        let beta = model.targetSmoothness
        let lossT = batchObjective(model, xt, rows)
        #expect(abs(surrogateDirect(model, at: xt, from: xt, rows: rows, eta: 1 / beta) - lossT) <= 1e-13 * max(1, lossT))
        for eta in [1 / beta, 0.5 / beta] {
            for s in 0..<100 {
                let x = zip(xt, randomPoint(d, seed: UInt64(100 + s), scale: s % 2 == 0 ? 0.3 : 3)).map { $0 + $1 }
                let q = surrogateDirect(model, at: x, from: xt, rows: rows, eta: eta)
                let l = batchObjective(model, x, rows)
                #expect(q >= l - 1e-12 * max(1, abs(l)), "\(kind) eta=\(eta): Q \(q) < L \(l)")
            }
        }
        var violated = false
        for s in 0..<100 {
            let x = zip(xt, randomPoint(d, seed: UInt64(300 + s), scale: 3)).map { $0 + $1 }
            if surrogateDirect(model, at: x, from: xt, rows: rows, eta: 8 / beta) < batchObjective(model, x, rows) { violated = true }
        }
        #expect(violated, "\(kind): eta = 8/beta should not majorize")
        // What SSO reports is this surrogate: before = the objective at x_t, after = Q_t(x_{t+1}).
        let sso = try makeSSO(["lr": .double(1 / beta), "inner": .string("armijo"), "inner_steps": .int(5)], dimension: d)
        var x = xt
        let report = ssoStep(sso, model, &x, rows)
        #expect(abs(report.surrogateBefore - lossT) <= 1e-12 * max(1, lossT))
        let direct = surrogateDirect(model, at: x, from: xt, rows: rows, eta: 1 / beta)
        #expect(abs(report.surrogateAfter - direct) <= 1e-10 * max(1, abs(direct)))
        #expect(report.surrogateAfter <= report.surrogateBefore)
        #expect(batchObjective(model, x, rows) <= report.surrogateAfter + 1e-12)
    }

    /// The inner Armijo loop re-implemented from the spec with Q evaluated directly at every
    /// trial point (SSO uses the exact quadratic along d instead): same iterates.
    @Test(arguments: ["logistic", "softmax", "least_squares"])
    func armijoInnerLoopMatchesADirectReimplementation(kind: String) throws {
        let (_, model) = try dataAndModel(kind, l2: 0.02)
        let d = model.dimension, n = model.sampleCount
        let rows = [3, 7, 7, 20, 41, 50, 51, 88, 90, 101]
        let eta = 2.0, m = 6, c = 0.1
        let sso = try makeSSO(["lr": .double(eta), "inner": .string("armijo"), "inner_steps": .int(m)], dimension: d)
        let xt = randomPoint(d, seed: 21)
        var x = xt
        let report = ssoStep(sso, model, &x, rows)

        // Reference: finite-difference-free gradient of Q from the definition via the chain rule.
        func gradQ(_ v: [Double]) -> [Double] {
            let ft = model.targetsOf(xt, rows), g = model.targetGradient(ft, rows).g, f = model.targetsOf(v, rows)
            let w = (0..<f.count).map { g[$0] + (f[$0] - ft[$0]) / eta }
            return zip(model.pull(w, rows), v).map { $0 + model.ridge * $1 }
        }
        var v = xt, sPrev = 10.0, steps = 0
        for _ in 0..<m {
            let dir = gradQ(v)
            let dd = dir.reduce(0) { $0 + $1 * $1 }
            if dd.squareRoot() <= 1e-6 { break }
            var s = sPrev * exp2(Double(rows.count) / Double(n)), tries = 0
            let q0 = surrogateDirect(model, at: v, from: xt, rows: rows, eta: eta)
            while surrogateDirect(model, at: zip(v, dir).map { $0 - s * $1 }, from: xt, rows: rows, eta: eta) > q0 - c * s * dd,
                  tries < 100, s >= 1e-6 {
                s *= 0.9; tries += 1
            }
            v = zip(v, dir).map { $0 - s * $1 }
            sPrev = s
            steps += 1
        }
        #expect(report.innerSteps == steps)
        #expect(relativeError(x, v) < 1e-10, "\(kind)")
        #expect(report.surrogateAfter < report.surrogateBefore)
    }

    /// Full-batch MM with logistic loss, eta = 4 = 1/beta (the paper's test c): the training loss
    /// never increases and no violation is flagged; a model that overstates its smoothness
    /// (claims beta 100x smaller, so eta = 400 passes as MM) trips the flag.
    @Test func fullBatchMMDecreasesMonotonically() throws {
        let runs = try ssoRuns(ssoConfig(model: "logistic", optimizers: """
              sso: {kind: sso, lr: 4, inner_steps: 5, inner: armijo}
            """, batch: "full", steps: 40))
        let r = try runOne(runs[0])
        let loss = try #require(series(r, "train_loss"))
        #expect(zip(loss, loss.dropFirst()).allSatisfy { $1 <= $0 + 1e-14 })
        #expect(loss.last! < loss.first! - 0.1)
        #expect(series(r, "mm_violations")?.last == 0)
        #expect(r.attributes.contains { $0.0 == "mm_violations" && $0.1 == .int(0) })

        let (_, honest) = try dataAndModel("logistic", l2: 0)
        let liar = Overstated(honest)
        let sso = try makeSSO(["lr": .double(400), "inner": .string("armijo"), "inner_steps": .int(20)], dimension: liar.dimension)
        var x = [Double](repeating: 0, count: liar.dimension)
        let rows = Array(0..<liar.sampleCount)
        var last = TargetStepReport(batchLoss: 0, innerSteps: 0, pullbacks: 0, surrogateBefore: 0, surrogateAfter: 0, mmViolations: 0)
        for t in 0..<10 { last = ssoStep(sso, liar, &x, rows, t: t) }
        #expect(last.mmViolations > 0)
    }

    /// A model without a target space is refused: by the Spec before anything runs, and by the
    /// runner if a spec gets there anyway.
    @Test func hingeWithSSOIsRefused() throws {
        let yaml = ssoConfig(model: "hinge", optimizers: "  sso: {kind: sso}")
        #expect(throws: DiagnosticList.self) { try ssoRuns(yaml) }
        do {
            _ = try ssoRuns(yaml)
        } catch let list as DiagnosticList {
            #expect(list.items.contains { $0.message.contains("needs a model with a target space") })
        }
        // The runner's own check: a spec built for logistic, switched to hinge.
        var spec = try ssoRuns(ssoConfig(model: "logistic", optimizers: "  sso: {kind: sso}"))[0]
        let m = try #require(spec.components.firstIndex { $0.role == "model" })
        spec.components[m].instance.params.kind = "hinge"
        #expect(throws: ComponentError.self) { try runOne(spec) }
    }

    /// Metric bookkeeping: m inner gd steps per outer step, b expensive evaluations per step,
    /// b (m) pullbacks per step.
    @Test func innerStepAndEvaluationCounts() throws {
        let runs = try ssoRuns(ssoConfig(model: "softmax", optimizers: """
              sso: {kind: sso, lr: 1, inner_steps: 4, inner: gd, inner_lr: 0.2, inner_tol: 0}
            """, batch: "10", steps: 30))
        let r = try runOne(runs[0])
        #expect(series(r, "inner_steps")?.last == 120)
        #expect(series(r, "expensive_grad_evals")?.last == 300)
        #expect(series(r, "grad_evals")?.last == 1200)
        // Not checked on minibatches: NaN at every log point, and no run attribute.
        #expect(series(r, "mm_violations")?.allSatisfy(\.isNaN) == true)
        #expect(!r.attributes.contains { $0.0 == "mm_violations" })
        let before = try #require(series(r, "surrogate_before")), batch = try #require(series(r, "batch_loss"))
        #expect(before[0].isNaN)
        for (u, v) in zip(before.dropFirst(), batch.dropFirst()) { #expect(abs(u - v) <= 1e-12 * max(1, abs(v))) }
    }

    /// Armijo's backtracks and accepted step against a case solved by hand: least squares on
    /// one example (feature 1, target 1, no ridge), eta = 1, m = 2, from x_0 = 0. The surrogate
    /// is Q(v) = L + (v - 0)(-1) + v^2/2, exactly quadratic along d = Q'(v) with curvature 1/2,
    /// so Armijo (c = 0.1) accepts s iff s/2 <= 0.9, i.e. s <= 1.8.
    /// - Inner step 1: s starts at 10 * 2^(b/n) = 20; 20 * 0.9^k <= 1.8 first at k = 23.
    /// - Inner step 2: s starts at 2 * 20 * 0.9^23 = 3.545...; first at k = 7.
    /// So 30 backtracks, accepted step 40 * 0.9^30, two inner steps.
    @Test func armijoCountersMatchAHandSolvedCase() throws {
        let data = Dataset(train: DataSplit(features: .dense(DenseMatrix(rows: 1, cols: 1, values: [1])), targets: [1]),
                           task: .regression)
        let entry = try #require(Catalogue.model("least_squares"))
        let model = try #require(try entry.make(try resolve(entry.decl, ["dataset": "d", "l2": 0.0]), data) as? any TargetModel)
        #expect(model.dimension == 1 && model.targetSmoothness == 1)
        let sso = try makeSSO(["lr": .double(1), "inner": .string("armijo"), "inner_steps": .int(2), "inner_tol": .double(0)],
                              dimension: 1)
        func counter(_ name: String) throws -> Double { sso.counter(try #require(sso.counterIndex(name))) }
        #expect(try counter("accepted_inner_lr").isNaN && counter("inner_steps") == 0)
        var x = [0.0]
        _ = ssoStep(sso, model, &x, [0])
        #expect(try counter("inner_steps") == 2)
        #expect(try counter("armijo_backtracks") == 30)
        let accepted = (0..<30).reduce(40.0) { s, _ in s * 0.9 }   // 40 * 0.9^30
        #expect(try abs(counter("accepted_inner_lr") - accepted) <= 1e-12 * accepted)
        // x_1 = s1 - s2 (s1 - 1) with s1 = 20 * 0.9^23, s2 = the accepted step.
        let s1 = (0..<23).reduce(20.0) { s, _ in s * 0.9 }   // 20 * 0.9^23
        #expect(abs(x[0] - (s1 - accepted * (s1 - 1))) <= 1e-12)
        // Full batch was not declared (the context's default): mm_violations reads NaN.
        #expect(try counter("mm_violations").isNaN)
    }

    /// Through a run: inner gd accepts inner_lr and makes no backtracks (NaN); SGD keeps no
    /// SSO counter (NaN).
    @Test func counterMetricsThroughARun() throws {
        let runs = try ssoRuns(ssoConfig(model: "logistic", optimizers: """
              gd: {kind: sso, lr: 1, inner_steps: 3, inner: gd, inner_lr: 0.25, inner_tol: 0}
              ls: {kind: sso, lr: 1, inner_steps: 3, inner: armijo, inner_tol: 0}
              sgd: {kind: sgd, lr: 0.1}
            """, steps: 20, metrics: "[train_loss, armijo_backtracks, accepted_inner_lr, inner_steps]")
            .replacingOccurrences(of: "model: [logistic]", with: "model: [logistic]\n  optimizer: [gd, ls, sgd]"))
        #expect(runs.count == 3)
        func run(_ name: String) throws -> RunRecord {
            try runOne(try #require(runs.first { $0.component("optimizer")?.name == name }))
        }
        let gd = try run("gd"), ls = try run("ls"), sgd = try run("sgd")
        #expect(series(gd, "accepted_inner_lr")?.dropFirst().allSatisfy { $0 == 0.25 } == true)
        #expect(series(gd, "armijo_backtracks")?.allSatisfy(\.isNaN) == true)
        #expect(series(ls, "armijo_backtracks")?.first == 0)
        #expect(series(ls, "accepted_inner_lr")?.dropFirst().allSatisfy { $0 > 0 && $0 <= 20 } == true)
        #expect(series(ls, "inner_steps")?.last == 60)
        for m in ["armijo_backtracks", "accepted_inner_lr", "inner_steps"] {
            #expect(series(sgd, m)?.allSatisfy(\.isNaN) == true, "\(m)")
        }
    }
}

/// A logistic model that claims a 100x smaller target smoothness than it has.
final class Overstated: TargetModel {
    let base: any TargetModel
    init(_ base: any TargetModel) { self.base = base }
    var targetDimension: Int { base.targetDimension }
    var targetSmoothness: Double { base.targetSmoothness / 100 }
    var ridge: Double { base.ridge }
    func targets(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>, into f: UnsafeMutableBufferPointer<Double>) {
        base.targets(x, rows: rows, into: f)
    }
    func targetLossGradient(_ f: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>, into g: UnsafeMutableBufferPointer<Double>) -> Double {
        base.targetLossGradient(f, rows: rows, into: g)
    }
    func pullback(_ v: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>, into grad: UnsafeMutableBufferPointer<Double>) {
        base.pullback(v, rows: rows, into: grad)
    }
    func pushforward(_ u: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>, into out: UnsafeMutableBufferPointer<Double>) {
        base.pushforward(u, rows: rows, into: out)
    }
    var dimension: Int { base.dimension }
    var layout: [ParamBlock] { base.layout }
    var sampleCount: Int { base.sampleCount }
    func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { base.initialPoint(x) }
    func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                              gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        base.batchLossAndGradient(x, rows: rows, gradient: gradient)
    }
    func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        base.fullLossAndGradient(x, gradient: gradient)
    }
    func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double { base.fullLoss(x) }
    func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? { base.testMetrics(x) }
    var cacheKey: String { "overstated" }
    func computeOptimalValue() -> Double? { nil }
}

