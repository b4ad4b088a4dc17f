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

@Test func swanPresetIsStatelessOnMatricesAndAdamOnVectors() throws {
    let opt = try matrixOptimizer("swan", ["lr": 0.01, "weight_decay": 0.1])
    #expect(opt.stateSize == 2 * 4)   // the bias's Adam moments only
    let grads = gradientSequence(steps: 5, dimension: 28)
    let x0 = (0..<28).map { Double($0) / 28 }
    let path = trajectory(opt, x0: x0, gradients: grads)
    // Matrix part: x_{t+1} = x_t (1 - lr wd) - lr * SWAN(G_t) (stateless: each step on its own).
    var x = Array(x0[0..<24])
    for g in grads {
        let d = swanDirection(Array(g[0..<24]), rows: 6, cols: 4, steps: 10)
        x = (0..<24).map { x[$0] - 0.01 * d[$0] - 0.01 * 0.1 * x[$0] }
    }
    #expect(maxAbsDiff(Array(path.last![0..<24]), x) < 1e-14)
    // Vector part: torch AdamW with the same lr and decay.
    let adamw = try matrixOptimizer("adamw", ["lr": 0.01, "weight_decay": 0.1])
    #expect(maxAbsDiff(Array(path.last![24...]), Array(trajectory(adamw, x0: x0, gradients: grads).last![24...])) == 0)
}
