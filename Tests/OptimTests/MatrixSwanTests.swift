import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

@Test func swanGradNormStandardizesRows() {
    var g = gradientSequence(steps: 1, dimension: 24)[0].map { 3 * $0 + 1 }
    g.withUnsafeMutableBufferPointer { ScaleBySwan.standardizeRows($0.baseAddress!, rows: 4, cols: 6, eps: 1e-8) }
    for i in 0..<4 {
        let row = g[(i * 6)..<(i * 6 + 6)]
        let mean = row.reduce(0, +) / 6
        let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
        #expect(abs(mean) < 1e-14)
        #expect(abs(variance - 1) < 1e-7)
    }
}

/// SWAN's matrix update (before -lr) for one gradient.
private func swanDirection(_ g: [Double], rows: Int, cols: Int, steps: Int = 30) -> [Double] {
    let swan = ScaleBySwan(layout: [ParamBlock(name: "W", offset: 0, rows: rows, cols: cols)], nsSteps: steps, eps: 1e-8,
                           beta1: 0.9, beta2: 0.999, adamEps: 1e-8)
    var u = g
    u.withUnsafeMutableBufferPointer { swan.apply($0, params: noParams, context: StepContext(t: 0, lr: 1, layout: [])) }
    return u
}

@Test func swanMatchesNumpyReferenceAndIsInvariant() throws {
    for (m, n) in [(4, 7), (7, 4)] {
        let g = gradientSequence(steps: 1, dimension: m * n, seed: 5)[0]
        let u = swanDirection(g, rows: m, cols: n)
        // Independent reference: GradNorm, exact polar factor by SVD (the partial isometry on the
        // range: NS leaves null directions at zero), unit-RMS rescale.
        let ref = try matrixPython("""
            G = \(npMatrix(g, rows: m, cols: n))
            Gt = (G - G.mean(1, keepdims=True)) / (G.std(1, keepdims=True) + 1e-8)
            U, s, Vt = np.linalg.svd(Gt, full_matrices=False)
            keep = s > 1e-10 * s[0]   # tall blocks: GradNorm makes Gt 1 = 0, so Gt^T Gt is singular
            P = U[:, keep] @ Vt[keep, :]
            print(*(np.sqrt(P.size) * P / np.linalg.norm(P)).ravel())
            """)
        #expect(maxAbsDiff(u, ref) < 1e-8, "\(m)x\(n)")
        #expect(maxAbsDiff(swanDirection(g, rows: m, cols: n, steps: 40), ref) < 1e-8, "\(m)x\(n) K=40")
        // Unit RMS.
        #expect(abs(u.map { $0 * $0 }.reduce(0, +) / Double(m * n) - 1) < 1e-12)
        // Invariant to a positive per-row scale and a per-row offset of G.
        var h = g
        for i in 0..<m { for j in 0..<n { h[i * n + j] = g[i * n + j] * Double(i + 1) * 0.7 + Double(i) - 2 } }
        #expect(maxAbsDiff(swanDirection(h, rows: m, cols: n), u) < 1e-6)
    }
}

@Test func swanKeepsOrthogonalStandardizedRows() {
    // Rows already standardized and mutually orthogonal: whitening is the identity up to a scalar,
    // and the unit-RMS rescale removes that scalar.
    let n = 8
    let q = Dense.dctAtoms(n)
    // Rows 1...3 of Q^T are orthonormal DCT atoms with zero mean; scale them to unit variance.
    var g = [Double](repeating: 0, count: 3 * n)
    for i in 0..<3 { for j in 0..<n { g[i * n + j] = q[j * n + (i + 1)] * Double(n).squareRoot() } }
    #expect(maxAbsDiff(swanDirection(g, rows: 3, cols: n), g) < 1e-7)
}

/// numpy's exact SWAN direction of each m x n gradient: GradNorm, the polar factor by SVD (the
/// partial isometry on the range), unit-RMS rescale. Returns the concatenated directions.
private func exactSwanDirections(_ gs: [[Double]], rows m: Int, cols n: Int) throws -> [Double] {
    try matrixPython("""
        out = []
        for g in [\(gs.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ","))]:
            G = np.array(g).reshape(\(m), \(n))
            Gt = (G - G.mean(1, keepdims=True)) / (G.std(1, keepdims=True) + 1e-8)
            U, s, Vt = np.linalg.svd(Gt, full_matrices=False)
            keep = s > 1e-10 * s[0]
            P = U[:, keep] @ Vt[keep, :]
            out.extend((np.sqrt(P.size) * P / np.linalg.norm(P)).ravel())
        print(*out)
        """)
}

/// An MLP-like weight gradient at batch 64: (1/64) sum_b delta_b h_b^T with ReLU activations h.
private func mlpGradient(rows m: Int, cols n: Int, seed: UInt64) -> [Double] {
    var rng = RNG(seed: seed, purpose: "swan-mlp-gradient")
    let deltas = (0..<(64 * m)).map { _ in rng.normal() }, h = (0..<(64 * n)).map { _ in max(0, rng.normal()) }
    return matmul(deltas, h, m, 64, n, transA: true).map { $0 / 64 }
}

@Test func swanDefaultWhiteningIsExactOnTheShippedShapes() throws {
    // Every weight shape of configs/optimizers_mlp.yaml (digits 64-64-64-10, teacher 16-64-64-4,
    // both orientations) plus a Gaussian 128 x 128: the preset at its defaults (lr 1, one step
    // from 0, so x_1 = -dW) is within 1e-8 (relative Frobenius) of the exact whitened direction.
    // A fixed K = 10 misses the square ones by 12-24%.
    let shapes = [(64, 64), (10, 64), (64, 10), (64, 16), (16, 64), (4, 64), (64, 4), (128, 128)]
    for (i, (m, n)) in shapes.enumerated() {
        let g = m == 128 ? gradientSequence(steps: 1, dimension: m * n, seed: 3)[0] : mlpGradient(rows: m, cols: n, seed: UInt64(i))
        let layout = [ParamBlock(name: "W", offset: 0, rows: m, cols: n)]
        let x1 = trajectory(try matrixOptimizer("swan", ["lr": 1.0], layout: layout), x0: [Double](repeating: 0, count: m * n),
                            gradients: [g])[0]
        let exact = try exactSwanDirections([g], rows: m, cols: n)
        let err = zip(x1, exact).map { ($0 + $1) * ($0 + $1) }.reduce(0, +).squareRoot()
            / exact.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(err < 1e-8, "\(m)x\(n): relative error \(err)")
    }
    // The fixed-K form (ns_tolerance 0, ns_steps 10) really is far off on the square block.
    let g = mlpGradient(rows: 64, cols: 64, seed: 0)
    let fixed = ScaleBySwan(layout: [ParamBlock(name: "W", offset: 0, rows: 64, cols: 64)], nsSteps: 10, nsTolerance: 0,
                            eps: 1e-8, beta1: 0.9, beta2: 0.999, adamEps: 1e-8)
    var u = g
    u.withUnsafeMutableBufferPointer { fixed.apply($0, params: noParams, context: StepContext(t: 0, lr: 1, layout: [])) }
    let exact = try exactSwanDirections([g], rows: 64, cols: 64)
    #expect(maxAbsDiff(u, exact) > 1e-2)
}

@Test func swanPresetIsStatelessOnMatricesAndAdamOnVectors() throws {
    let opt = try matrixOptimizer("swan", ["lr": 0.01, "weight_decay": 0.1])
    #expect(opt.stateSize == 2 * 4)   // the bias's Adam moments only
    let grads = gradientSequence(steps: 5, dimension: 28)
    let x0 = (0..<28).map { Double($0) / 28 }
    let path = trajectory(opt, x0: x0, gradients: grads)
    // Matrix part: x_{t+1} = x_t (1 - lr wd) - lr * SWAN(G_t), each step on its own (stateless),
    // SWAN(G_t) the exact direction from numpy.
    let directions = try exactSwanDirections(grads.map { Array($0[0..<24]) }, rows: 6, cols: 4)
    var x = Array(x0[0..<24])
    for t in 0..<grads.count {
        let d = Array(directions[(24 * t)..<(24 * t + 24)])
        x = (0..<24).map { x[$0] - 0.01 * d[$0] - 0.01 * 0.1 * x[$0] }
    }
    #expect(maxAbsDiff(Array(path.last![0..<24]), x) < 1e-10)
    // Vector part: torch AdamW with the same lr and decay.
    let adamw = try matrixOptimizer("adamw", ["lr": 0.01, "weight_decay": 0.1])
    #expect(maxAbsDiff(Array(path.last![24...]), Array(trajectory(adamw, x0: x0, gradients: grads).last![24...])) == 0)
}
