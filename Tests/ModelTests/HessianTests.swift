import ExprunTestSupport
import ExprunCore
import ExprunModels
import Foundation
import Testing

/// Array form of the Hessian-vector products.
extension HessianObjective {
    func hvp(_ x: [Double], _ v: [Double], rows: [Int]? = nil) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xb in
            v.withUnsafeBufferPointer { vb in
                out.withUnsafeMutableBufferPointer { ob in
                    if let rows {
                        rows.withUnsafeBufferPointer { batchHessianVectorProduct(xb, rows: $0, vector: vb, into: ob) }
                    } else {
                        fullHessianVectorProduct(xb, vector: vb, into: ob)
                    }
                }
            }
        }
        return out
    }
}

/// Central differences of the gradient along v: (∇f(x + εv) - ∇f(x - εv)) / 2ε.
func finiteDifferenceHVP(_ x: [Double], _ v: [Double], h: Double = 1e-5, _ gradient: ([Double]) -> [Double]) -> [Double] {
    let plus = gradient(zip(x, v).map { $0 + h * $1 }), minus = gradient(zip(x, v).map { $0 - h * $1 })
    return zip(plus, minus).map { ($0 - $1) / (2 * h) }
}

/// Builds every catalogue model on the first of these data sets it accepts (regression,
/// binary, multiclass, dense then sparse; a data-free model on `Dataset.none`).
func everyCatalogueModel() -> [(kind: String, provides: Bool, model: any Objective, data: Dataset)] {
    let candidates: [Dataset] = [Task.regression, .binary, .multiclass(classes: 3)].flatMap { t in
        [false, true].map { TestData.dataset(task: t, n: 30, d: 4, nTest: 8, sparse: $0, seed: 13) }
    } + [Dataset.none]
    return modelCatalogue.filter { buildsFromDefaults($0.decl) }.compactMap { entry in
        let provides = entry.decl.provides(Params(kind: entry.decl.kind, values: [:])).contains(.hessianVectorProduct)
        for data in candidates {
            let values: [String: Any] = entry.decl.params.contains { $0.name == "dataset" } ? ["dataset": "data"] : [:]
            guard let params = try? resolve(entry.decl, values), let model = try? entry.make(params, data) else { continue }
            return (entry.decl.kind, provides, model, data)
        }
        return nil
    }
}

@Test("every model that declares Hessian-vector products has them, and they match finite differences of its gradients")
func everyDeclaredHVPMatchesFiniteDifferences() throws {
    let models = everyCatalogueModel()
    #expect(models.count == modelCatalogue.filter { buildsFromDefaults($0.decl) }.count,
            "every catalogue model builds on one of the test data sets")
    #expect(models.filter(\.provides).count >= 8)
    for (kind, provides, model, data) in models {
        #expect((model is any HessianObjective) == provides, "\(kind): the declaration and the type agree")
        guard let h = model as? any HessianObjective else { continue }
        var rng = RNG(seed: 21, purpose: "hvp-test")
        var x = [Double](repeating: 0, count: model.dimension)
        x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
        x = x.map { $0 + 0.3 * rng.normal() }
        let v = (0..<model.dimension).map { _ in rng.normal() }
        let exact = h.hvp(x, v)
        let fd = finiteDifferenceHVP(x, v) { model.full($0).g }
        #expect(relativeError(exact, fd) < 1e-5, "\(kind): full \(relativeError(exact, fd))")
        #expect(norm(exact) > 1e-3, "\(kind): a zero product would make the check vacuous")
        let rows = model.sampleCount > 1 ? [2, 5, 5, 0].map { $0 % model.sampleCount } : [0]
        let exactBatch = h.hvp(x, v, rows: rows)
        let fdBatch = finiteDifferenceHVP(x, v) { model.batch($0, rows).g }
        #expect(relativeError(exactBatch, fdBatch) < 1e-5, "\(kind): batch \(relativeError(exactBatch, fdBatch))")
        // A second call gives the same product (buffers are overwritten, not accumulated).
        #expect(h.hvp(x, v) == exact, "\(kind)")
        _ = data
    }
}

@Test("the mlp's R-operator matches finite differences for every activation and loss, across chunks",
      arguments: ["relu", "tanh", "gelu"], ["softmax", "squared"])
func mlpHVPMatchesFiniteDifferences(activation: String, loss: String) throws {
    for task in mlpTasks {
        if task == .regression && loss == "softmax" { continue }
        for (sparse, l2) in [(false, 0.1), (true, 0.0)] {
            let data = TestData.dataset(task: task, n: 30, d: 5, nTest: 10, sparse: sparse, seed: 11)
            let model = try makeMLP(data, hidden: [4, 3], activation: activation, loss: loss, l2: l2)
            let x = mlpTestPoint(model)
            var rng = RNG(seed: 4, purpose: "mlp-hvp")
            let v = (0..<model.dimension).map { _ in rng.normal() }
            let label = "\(activation) \(loss) \(task) sparse=\(sparse)"
            let exact = model.hvp(x, v)
            let fd = finiteDifferenceHVP(x, v, h: 1e-6) { model.full($0).g }
            #expect(relativeError(exact, fd) < 1e-5, "\(label): full \(relativeError(exact, fd))")
            let rows = [3, 7, 7, 0, 12, 29]
            let batch = model.hvp(x, v, rows: rows)
            let fdb = finiteDifferenceHVP(x, v, h: 1e-6) { model.batch($0, rows).g }
            #expect(relativeError(batch, fdb) < 1e-5, "\(label): batch \(relativeError(batch, fdb))")
        }
    }
    // Three chunks (2100 rows): the full product equals the product over a batch of every row.
    let big = TestData.dataset(task: .multiclass(classes: 3), n: 2100, d: 3, nTest: 5, sparse: false, seed: 2)
    let model = try makeMLP(big, hidden: [3], activation: activation, loss: loss, l2: 0.05)
    let x = mlpTestPoint(model)
    let v = (0..<model.dimension).map { Double($0 % 5) - 2 }
    #expect(relativeError(model.hvp(x, v), model.hvp(x, v, rows: Array(0..<2100))) < 1e-12)
}

@Test("least squares and logistic Hessian-vector products equal their closed-form Hessians")
func linearModelHessiansInClosedForm() throws {
    for (kind, task) in [("least_squares", Task.regression), ("logistic", .binary)] {
        for sparse in [false, true] {
            let data = TestData.dataset(task: task, sparse: sparse)
            let model = try makeModel(kind, data, l2: 0.2) as! any HessianObjective
            let rows = TestData.denseRows(data.train.features), d = model.dimension, n = rows.count
            let x = (0..<d).map { 0.2 * Double($0) - 0.3 }
            // H = (1/n) Σ w_i a_i a_iᵀ + l2 I, w_i = 1 (least squares) or s_i (1 - s_i).
            var hessian = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
            for a in rows {
                let z = zip(a, x).reduce(0) { $0 + $1.0 * $1.1 }
                let s = 1 / (1 + exp(-z))
                let w = kind == "least_squares" ? 1 : s * (1 - s)
                for j in 0..<d { for k in 0..<d { hessian[j][k] += w * a[j] * a[k] / Double(n) } }
            }
            for j in 0..<d { hessian[j][j] += 0.2 }
            for j in 0..<d {
                let e = (0..<d).map { $0 == j ? 1.0 : 0 }
                #expect(relativeError(model.hvp(x, e), hessian[j]) < 1e-13, "\(kind) sparse=\(sparse) column \(j)")
            }
        }
    }
}

@Test("diagonal linear network: exact trace is Σ m_j (u_j² + v_j²), 2 Σ m_j β_j at u = v; GD keeps u = v")
func diagonalNetworkTraceIdentity() throws {
    let data = TestData.dataset(task: .regression, n: 30, d: 6, nTest: 5, sparse: false, seed: 3)
    let entry = DiagonalLinearNetwork.entry
    let model = try entry.make(try resolve(entry.decl, ["dataset": "data", "init_scale": 0.7]), data) as! DiagonalLinearNetwork
    let d = 6, rows = TestData.denseRows(data.train.features)
    let m = (0..<d).map { j in rows.reduce(0) { $0 + $1[j] * $1[j] } / Double(rows.count) }
    var x = [Double](repeating: 0, count: 2 * d)
    x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
    #expect(x == [Double](repeating: 0.7, count: 2 * d))
    // A few gradient steps: u = v stays exact (the updates of u and v are the same numbers).
    for _ in 0..<20 { let g = model.full(x).g; x = zip(x, g).map { $0 - 0.05 * $1 } }
    #expect(Array(x[0..<d]) == Array(x[d...]))
    func exactTrace(_ x: [Double]) -> Double {
        (0..<(2 * d)).reduce(0) { acc, j in acc + model.hvp(x, (0..<(2 * d)).map { $0 == j ? 1 : 0 })[j] }
    }
    let beta = (0..<d).map { x[$0] * x[d + $0] }
    #expect(relativeError(exactTrace(x), 2 * zip(m, beta).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-12)
    // Off u = v the identity is Σ m_j (u_j² + v_j²).
    let y = x.enumerated().map { $0.element + 0.1 * Double($0.offset % 3) }
    let expected = (0..<d).reduce(0.0) { $0 + m[$1] * (y[$1] * y[$1] + y[d + $1] * y[d + $1]) }
    #expect(relativeError(exactTrace(y), expected) < 1e-12)
}

@Test("test functions' Hessians match finite differences, shifted and rotated")
func testFunctionHessiansRotated() throws {
    for entry in modelCatalogue where !entry.decl.params.contains(where: { $0.name == "dataset" }) {
        guard entry.decl.provides(Params(kind: entry.decl.kind, values: [:])).contains(.hessianVectorProduct) else { continue }
        var values: [String: Any] = ["rotate": true, "rotation_seed": 3, "shift": [0.3]]
        if entry.decl.params.contains(where: { $0.name == "dim" }) { values["dim"] = 5 }
        let model = try entry.make(try resolve(entry.decl, values), Dataset.none)
        let h = try #require(model as? any HessianObjective)
        var rng = RNG(seed: 6, purpose: "test-function-hvp")
        let x = (0..<model.dimension).map { _ in 0.8 * rng.normal() + 0.5 }
        let v = (0..<model.dimension).map { _ in rng.normal() }
        let fd = finiteDifferenceHVP(x, v, h: 1e-6) { model.full($0).g }
        #expect(relativeError(h.hvp(x, v), fd) < 1e-6, "\(entry.decl.kind): \(relativeError(h.hvp(x, v), fd))")
    }
}
