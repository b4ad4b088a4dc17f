import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

private let steps = 12
private let x0 = (0..<58).map { sin(Double($0)) }

@Test func frugalAtDensityOneIsAdamW() throws {
    // Every coordinate-type subspace at rho = 1 holds the whole block: AdamW bit for bit
    // (Adam is elementwise, so the gather order does not matter). update_gap > steps: one reset at t = 0.
    for layout in [matrixTestLayout, wideTestLayout] {
        let dimension = layout.map { $0.offset + $0.count }.max()!
        let grads = gradientSequence(steps: steps, dimension: dimension)
        let x = Array(x0[0..<dimension])
        let reference = trajectory(try matrixOptimizer("adamw", ["lr": 0.01, "weight_decay": 0.05], layout: layout),
                                   x0: x, gradients: grads)
        for projection in ["columns", "rows", "entries", "blocks"] {
            let frugal = try matrixOptimizer("frugal", ["lr": 0.01, "weight_decay": 0.05, "density": 1.0,
                                                        "update_gap": 1000, "projection": projection], layout: layout)
            #expect(trajectory(frugal, x0: x, gradients: grads) == reference, "\(projection)")
        }
    }
}

@Test func frugalAtDensityZeroIsSignSGDOnMatrices() throws {
    let layout = wideTestLayout
    let grads = gradientSequence(steps: steps, dimension: 52)
    let x = Array(x0[0..<52])
    let sign = trajectory(try matrixOptimizer("signsgd", ["lr": 0.01, "weight_decay": 0.05, "momentum": 0.0], layout: layout),
                          x0: x, gradients: grads)
    let adamw = trajectory(try matrixOptimizer("adamw", ["lr": 0.01, "weight_decay": 0.05], layout: layout),
                           x0: x, gradients: grads)
    for projection in ["columns", "rows", "entries", "blocks", "svd"] {
        let frugal = try matrixOptimizer("frugal", ["lr": 0.01, "weight_decay": 0.05, "density": 0.0, "update_gap": 5,
                                                    "projection": projection], layout: layout)
        let path = trajectory(frugal, x0: x, gradients: grads)
        for t in 0..<steps {
            #expect(Array(path[t][0..<49]) == Array(sign[t][0..<49]), "\(projection) matrices, step \(t)")
            #expect(Array(path[t][49...]) == Array(adamw[t][49...]), "\(projection) vector, step \(t)")
        }
        #expect(frugal.stateSize == 2 * 3, "\(projection)")
    }
    // With the sgd rule (and inactive_lr_scale) it is plain SGD on the matrices.
    let sgd = trajectory(try matrixOptimizer("sgd", ["lr": 0.001], layout: layout), x0: x, gradients: grads)
    let frugal = trajectory(try matrixOptimizer("frugal", ["lr": 0.01, "density": 0.0, "inactive_update_rule": "sgd",
                                                           "inactive_lr_scale": 0.1, "projection": "columns"], layout: layout),
                            x0: x, gradients: grads)
    #expect(maxAbsDiff(Array(frugal.last![0..<49]), Array(sgd.last![0..<49])) < 1e-15)
}

@Test func frugalSplitsTheGradientExactly() throws {
    // With the sgd rule and unit scales, the first update is Adam's on S (g / (|g| + eps) at
    // step 1) and the raw gradient on the complement: the split covers every coordinate once.
    let layout = matrixTestLayout
    let grads = gradientSequence(steps: 1, dimension: 28)
    for projection in ["columns", "rows", "entries"] {
        let t = ScaleByFrugal(layout: layout, projection: ScaleByFrugal.Projection(rawValue: projection)!, density: 0.5,
                              updateGap: 10, rule: .sgd, beta1: 0.9, beta2: 0.999, eps: 1e-8, seed: 3)
        var u = grads[0]
        u.withUnsafeMutableBufferPointer { t.apply($0, params: noParams, context: StepContext(t: 0, lr: 1, layout: layout)) }
        let s = Set(t.layers[0].indices)
        #expect(!s.isEmpty && s.count < 24)
        for i in 0..<24 {
            // First Adam step: m/(1-b1) / (sqrt(v/(1-b2)) + eps) = g/(|g| + eps) on S; g elsewhere.
            let g = grads[0][i]
            let expected = s.contains(i) ? g / (abs(g) + 1e-8) : g
            #expect(abs(u[i] - expected) < 1e-12, "\(projection) \(i)")
        }
        // Counts: columns floor(4/2) = 2 columns of 6; rows 3 of 6; entries 12 of 24.
        #expect(s.count == 12)
        #expect(t.stateSize == 2 * 12 + 2 * 4)
    }
}

@Test func frugalSVDSplitIsExact() {
    // back(proj(G)) + g_R == G and proj(g_R) ~ 0 for the SVD projector.
    for (m, n) in [(6, 4), (4, 6)] {
        let g = gradientSequence(steps: 1, dimension: m * n, seed: 9)[0]
        let p = SideProjection(rows: m, cols: n, rank: 2, left: m < n)
        let svd = ThinSVD(rows: m, cols: n)
        var low = [Double](repeating: 0, count: p.projectedCount), back = [Double](repeating: 0, count: m * n)
        g.withUnsafeBufferPointer { svd.topVectors(of: $0.baseAddress!, left: m < n, r: 2, into: p.basis.baseAddress!) }
        g.withUnsafeBufferPointer { gp in low.withUnsafeMutableBufferPointer { p.project(gp.baseAddress!, into: $0.baseAddress!) } }
        low.withUnsafeBufferPointer { lp in back.withUnsafeMutableBufferPointer { p.back(lp.baseAddress!, into: $0.baseAddress!) } }
        let residual = zip(g, back).map { $0 - $1 }
        #expect(maxAbsDiff(zip(back, residual).map { $0 + $1 }, g) < 1e-14)
        var again = low
        residual.withUnsafeBufferPointer { rp in again.withUnsafeMutableBufferPointer { p.project(rp.baseAddress!, into: $0.baseAddress!) } }
        #expect(again.map(abs).max()! < 1e-12)
    }
}

@Test func frugalStateSizesAreTheStateFullPart() throws {
    // 4x6 (24), 5x5 (25) matrices and a 3-vector (Adam: 6 floats).
    let table: [([String: Any], Int)] = [
        (["projection": "columns", "density": 0.5], 2 * (4 * 3 + 5 * 2) + 6),       // floor(6/2)=3, floor(5/2)=2 columns
        (["projection": "rows", "density": 0.5], 2 * (2 * 6 + 2 * 5) + 6),          // floor(4/2)=2, floor(5/2)=2 rows
        (["projection": "entries", "density": 0.25], 2 * (6 + 6) + 6),              // floor(24/4)=6, floor(25/4)=6
        (["projection": "svd", "density": 0.5], 2 * (2 * 6 + 5 * 2) + 4 * 2 + 5 * 2 + 6),  // r = 2 (left), 2 (right) + projectors
        (["projection": "blocks", "density": 0.5], -1),                            // round(0.5 * 2) = 1 active block
    ]
    for (given, expected) in table {
        let opt = try matrixOptimizer("frugal", given, layout: wideTestLayout)
        _ = trajectory(opt, x0: Array(x0[0..<52]), gradients: gradientSequence(steps: 1, dimension: 52))
        if expected >= 0 {
            #expect(opt.stateSize == expected, "\(given)")
        } else {
            #expect(opt.stateSize == 2 * 24 + 6 || opt.stateSize == 2 * 25 + 6, "\(given)")
        }
    }
}

@Test func frugalBlockOrderAndStateHandling() throws {
    // Ascending window over three 2x2 matrices with one active block: 0, 1, 2, 0, ...
    let layout = (0..<3).map { ParamBlock(name: "W\($0)", offset: 4 * $0, rows: 2, cols: 2) }
    let t = ScaleByFrugal(layout: layout, projection: .blocks, density: 0.34, updateGap: 2, order: .ascending,
                          beta1: 0.9, beta2: 0.999, eps: 1e-8, seed: 1)
    var active: [Int] = []
    for step in 0..<8 {
        var u = [Double](repeating: 1, count: 12)
        u.withUnsafeMutableBufferPointer { t.apply($0, params: noParams, context: StepContext(t: step, lr: 1, layout: layout)) }
        active.append(t.layers.firstIndex { $0.active }!)
        #expect(t.stateSize == 2 * 4)
    }
    #expect(active == [0, 0, 1, 1, 2, 2, 0, 0])
    // Projected state for coordinates keeps surviving moments and zeroes new ones.
    let frugal = ScaleByFrugal(layout: matrixTestLayout, projection: .entries, density: 0.5, updateGap: 1,
                               beta1: 0.9, beta2: 0.999, eps: 1e-8, seed: 1)
    let adam = ScaleByAdam(count: 3, beta1: 0.9, beta2: 0.999, eps: 1e-8)
    for i in 0..<3 { adam.m[i] = Double(i + 1); adam.v[i] = Double(10 * (i + 1)) }
    frugal.carryMoments(adam, from: [2, 5, 9], to: [1, 5, 9])
    #expect(Array(adam.m) == [0, 2, 3] && Array(adam.v) == [0, 20, 30])
}

/// The official BlockOptimizer's `mirror` order (fzmushko/FRUGAL, proj_optimizer_templates.py):
/// k/2 window indices idx, each active with its mirror P-1-idx, idx taken mod P/2 and the
/// window start moving by k/2 mod P/2. The expected sets are that rule traced by hand.
@Test(arguments: [
    (6, 2.0 / 6, [[0, 5], [1, 4], [2, 3], [0, 5], [1, 4]]),
    (7, 4.0 / 7, [[0, 1, 5, 6], [0, 2, 4, 6], [1, 2, 4, 5], [0, 1, 5, 6]]),   // the middle block 3 never
    (8, 0.5, [[0, 1, 6, 7], [2, 3, 4, 5], [0, 1, 6, 7]]),
])
func frugalMirrorOrderFollowsTheOfficialCode(blocks: Int, density: Double, expected: [[Int]]) throws {
    let layout = (0..<blocks).map { ParamBlock(name: "W\($0)", offset: 4 * $0, rows: 2, cols: 2) }
    let t = ScaleByFrugal(layout: layout, projection: .blocks, density: density, updateGap: 1, order: .mirror,
                          beta1: 0.9, beta2: 0.999, eps: 1e-8, seed: 1)
    var seen: [[Int]] = []
    for step in 0..<expected.count {
        var u = [Double](repeating: 1, count: 4 * blocks)
        u.withUnsafeMutableBufferPointer { t.apply($0, params: noParams, context: StepContext(t: step, lr: 1, layout: layout)) }
        seen.append(t.layers.indices.filter { t.layers[$0].active })
    }
    #expect(seen == expected)
}

@Test func frugalMirrorOrderRefusesAnOddNumberOfActiveBlocks() throws {
    // Three matrix blocks at density 0.34: round(1.02) = 1 active block, which cannot be paired.
    let layout = (0..<3).map { ParamBlock(name: "W\($0)", offset: 4 * $0, rows: 2, cols: 2) }
    #expect(throws: ComponentError.self) {
        _ = try matrixOptimizer("frugal", ["block_order": "mirror", "density": 0.34], layout: layout)
    }
    _ = try matrixOptimizer("frugal", ["block_order": "mirror", "density": 0.67], layout: layout)   // 2 active
}
