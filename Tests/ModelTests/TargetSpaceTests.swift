import ExprunTestSupport
import ExprunCore
import ExprunModels
import Testing

/// The models that offer a target space, as built (not a list of names).
let targetKinds = modelKinds.filter { kind in
    (try? makeModel(kind, TestData.dataset(task: task(for: kind), sparse: false), l2: 0.1)) is any TargetModel
}
/// A batch with a repeated row (the sampler draws with replacement).
let targetTestRows = [3, 17, 0, 17, 29, 8, 39]

@Test("the three linear models have a target space, hinge has none", arguments: modelKinds)
func targetSpaceConformance(kind: String) throws {
    let data = TestData.dataset(task: task(for: kind), sparse: false)
    let model = try makeModel(kind, data, l2: 0.1)
    #expect((model is any TargetModel) == (kind != "hinge"))
    // The declaration says so too (the Spec pairs target-space optimizers from it).
    let entry = try #require(modelCatalogue.first { $0.decl.kind == kind })
    #expect(entry.decl.provides(Params(kind: kind, values: [:])).contains(.targetSpace) == (kind != "hinge"))
}

@Test("target-space loss gradient matches finite differences of the per-example loss", arguments: targetKinds, [false, true])
func targetGradientMatchesFiniteDifferences(kind: String, sparse: Bool) throws {
    let data = TestData.dataset(task: task(for: kind), sparse: sparse)
    let model = try #require(try makeModel(kind, data, l2: 0.3) as? any TargetModel)
    let x = testPoint(model, data)
    let rows = targetTestRows, b = Double(rows.count), k = model.targetDimension
    let f = model.targetsOf(x, rows)
    let (loss, g) = model.targetGradient(f, rows)
    // The batch loss without regulariser: the model's own oracle minus (l2/2)||x||^2.
    let batchObjective = model.batch(x, rows).f
    #expect(relativeError(loss + 0.15 * x.reduce(0) { $0 + $1 * $1 }, batchObjective) < 1e-13)
    // Mean loss as a function of f: its FD gradient is g / b (g is per example).
    let fd = finiteDifferenceGradient(f, h: 1e-5) { model.targetGradient($0, rows).loss }
    #expect(relativeError(g.map { $0 / b }, fd) < 1e-7, "\(kind) sparse=\(sparse)")
    #expect(g.count == rows.count * k)
}

@Test("pullback of the target gradient is the minibatch gradient; pushforward is the directional derivative of the targets",
      arguments: targetKinds, [false, true])
func pullbackAndPushforward(kind: String, sparse: Bool) throws {
    let data = TestData.dataset(task: task(for: kind), sparse: sparse)
    let l2 = 0.3
    let model = try #require(try makeModel(kind, data, l2: l2) as? any TargetModel)
    #expect(model.ridge == l2)
    let x = testPoint(model, data)
    let rows = targetTestRows
    let g = model.targetGradient(model.targetsOf(x, rows), rows).g
    // Chain rule: grad L_S = (1/b) sum J_i^T g_i; plus l2 x it is the model's minibatch gradient.
    let pulled = zip(model.pull(g, rows), x).map { $0 + l2 * $1 }
    #expect(relativeError(pulled, model.batch(x, rows).g) < 1e-13)
    // Pushforward = d/dh targets(x + h u) by central differences (exact for linear targets).
    var rng = RNG(seed: 11, purpose: "direction")
    let u = (0..<model.dimension).map { _ in rng.normal() }
    let h = 1e-4
    let fp = model.targetsOf(zip(x, u).map { $0 + h * $1 }, rows)
    let fm = model.targetsOf(zip(x, u).map { $0 - h * $1 }, rows)
    let fd = zip(fp, fm).map { ($0 - $1) / (2 * h) }
    #expect(relativeError(model.push(u, rows), fd) < 1e-8)
    // Adjoint: <J u, v> / b = <u, pullback(v)>, and pullback is the FD gradient of
    // u -> <targets(u), v> / b.
    let v = (0..<(rows.count * model.targetDimension)).map { _ in rng.normal() }
    let lhs = zip(model.push(u, rows), v).reduce(0) { $0 + $1.0 * $1.1 } / Double(rows.count)
    let rhs = zip(u, model.pull(v, rows)).reduce(0) { $0 + $1.0 * $1.1 }
    #expect(relativeError(lhs, rhs) < 1e-12)
    let fdPull = finiteDifferenceGradient(x) { p in
        zip(model.targetsOf(p, rows), v).reduce(0) { $0 + $1.0 * $1.1 } / Double(rows.count)
    }
    #expect(relativeError(model.pull(v, rows), fdPull) < 1e-7)
}

@Test("target smoothness bounds the loss curvature in target space", arguments: targetKinds)
func targetSmoothnessBoundsCurvature(kind: String) throws {
    // beta is the sup over f of the largest eigenvalue of the target Hessian: check it by
    // finite differences of the target gradient at random targets, and that it is attained
    // (within 2%) somewhere: beta is neither wrong nor loose.
    let data = TestData.dataset(task: task(for: kind), sparse: false)
    let model = try #require(try makeModel(kind, data, l2: 0) as? any TargetModel)
    let k = model.targetDimension, rows = [5]
    var rng = RNG(seed: 5, purpose: "curvature")
    var largest = 0.0
    for trial in 0..<400 {
        var f = (0..<k).map { _ in trial % 2 == 0 ? 0.3 * rng.normal() : 3 * rng.normal() }
        var u = (0..<k).map { _ in rng.normal() }
        if trial == 0 {
            // Where the bound is attained: f = 0 (squared, logistic); for softmax two classes
            // at probability 1/2 each, moved against each other.
            f = (0..<k).map { $0 < 2 ? 0 : -40 }
            u = (0..<k).map { $0 == 0 ? 1 : ($0 == 1 ? -1 : 0) }
        }
        let nu = norm(u)
        u = u.map { $0 / nu }
        let h = 1e-5
        let gp = model.targetGradient(zip(f, u).map { $0 + h * $1 }, rows).g
        let gm = model.targetGradient(zip(f, u).map { $0 - h * $1 }, rows).g
        let curvature = zip(zip(gp, gm).map { ($0 - $1) / (2 * h) }, u).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(curvature <= model.targetSmoothness * (1 + 1e-6))
        largest = max(largest, curvature)
    }
    #expect(largest >= 0.98 * model.targetSmoothness, "\(kind): largest curvature \(largest)")
}
