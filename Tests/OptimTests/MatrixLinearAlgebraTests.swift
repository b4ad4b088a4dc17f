import ExprunTestSupport
import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

// Shared helpers of the Matrix*Tests files.

/// A 6x4 matrix block followed by a 4-vector (a Linear layer's weight and a bias).
let matrixTestLayout = [ParamBlock(name: "W", offset: 0, rows: 6, cols: 4), ParamBlock(name: "b", offset: 24, rows: 4, cols: 1)]
/// A wide 4x6 matrix, a 5x5 matrix and a 3-vector (left projections, square blocks).
let wideTestLayout = [ParamBlock(name: "A", offset: 0, rows: 4, cols: 6), ParamBlock(name: "B", offset: 24, rows: 5, cols: 5),
                      ParamBlock(name: "c", offset: 49, rows: 3, cols: 1)]

func matrixOptimizer(_ kind: String, _ given: [String: Any] = [:], layout: [ParamBlock] = matrixTestLayout,
                     seed: UInt64 = 7) throws -> any Optimizer {
    let entry = try optimizerEntry(kind)
    let p = try resolve(entry.decl, given)
    let dimension = layout.map { $0.offset + $0.count }.max() ?? 0
    return try entry.makeOptimizer(p, OptimizerContext(dimension: dimension, layout: layout, schedule: ConstantSchedule(base: 0),
                                              seed: seed))
}

/// Gaussian gradients, one vector per step, from a fixed stream.
func gradientSequence(steps: Int, dimension: Int, seed: UInt64 = 1) -> [[Double]] {
    var rng = RNG(seed: seed, purpose: "matrix-tests")
    return (0..<steps).map { _ in (0..<dimension).map { _ in rng.normal() } }
}

/// Runs the optimizer over the given gradients from x0; returns the iterates x_1 ... x_T.
func trajectory(_ opt: any Optimizer, x0: [Double], gradients: [[Double]]) -> [[Double]] {
    var x = x0, out: [[Double]] = []
    for (t, g0) in gradients.enumerated() {
        var g = g0
        x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { opt.step(xb, gradient: $0, t: t) } }
        out.append(x)
    }
    return out
}

func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// The numbers a numpy/scipy script prints (the support runner fails the test on a python error).
func matrixPython(_ script: String) throws -> [Double] {
    try ExprunTestSupport.pythonNumbers("import numpy as np, scipy, scipy.fft, json\n" + script)
}

/// A literal numpy array expression for a row-major matrix.
func npMatrix(_ a: [Double], rows: Int, cols: Int) -> String {
    "np.array(\(a.map { String($0) }), dtype=float).reshape(\(rows), \(cols))"
}

func matmul(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int, transA: Bool = false, transB: Bool = false) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { for l in 0..<k {
        c[i * n + j] += (transA ? a[l * m + i] : a[i * k + l]) * (transB ? b[j * k + l] : b[l * n + j])
    } } }
    return c
}

func identityError(_ a: [Double], _ n: Int) -> Double {
    (0..<(n * n)).map { abs(a[$0] - ($0 / n == $0 % n ? 1 : 0)) }.max()!
}

// MARK: - Linear algebra kernels

@Test func dctBasisIsOrthonormalAndEqualsScipy() throws {
    for n in [1, 2, 5, 8, 13] {
        let q = Dense.dctAtoms(n)
        #expect(identityError(matmul(q, q, n, n, n, transA: true), n) < 1e-12, "Q^T Q, n=\(n)")
        #expect(identityError(matmul(q, q, n, n, n, transB: true), n) < 1e-12, "Q Q^T, n=\(n)")
        let ref = try matrixPython("print(*scipy.fft.dct(np.eye(\(n)), norm='ortho', axis=0).T.ravel())")
        #expect(maxAbsDiff(q, ref) < 1e-14, "n=\(n)")
    }
    // G Q is the row-wise orthonormal DCT-II of G (the FFT route the paper mentions).
    let g = gradientSequence(steps: 1, dimension: 15)[0]
    let gq = matmul(g, Dense.dctAtoms(5), 3, 5, 5)
    let ref = try matrixPython("print(*scipy.fft.dct(\(npMatrix(g, rows: 3, cols: 5)), norm='ortho', axis=1).ravel())")
    #expect(maxAbsDiff(gq, ref) < 1e-13)
}

@Test func randomOrthogonalBasisIsOrthonormal() {
    var rng = RNG(seed: 3, purpose: "q")
    let q = Dense.randomOrthogonal(9, rng: &rng)
    #expect(identityError(matmul(q, q, 9, 9, 9, transA: true), 9) < 1e-12)
    #expect(identityError(q, 9) > 0.1)
}

@Test func thinSVDProjectorsMatchNumpy() throws {
    // The projector P P^T onto the top-r singular vectors is sign-free, so it is compared directly.
    for (m, n, left) in [(7, 5, false), (5, 7, true), (6, 6, false)] {
        let g = gradientSequence(steps: 1, dimension: m * n, seed: UInt64(m * 10 + n))[0]
        let r = 3, side = left ? m : n
        let svd = ThinSVD(rows: m, cols: n)
        var basis = [Double](repeating: 0, count: side * r)
        let ok = g.withUnsafeBufferPointer { gp in
            basis.withUnsafeMutableBufferPointer { svd.topVectors(of: gp.baseAddress!, left: left, r: r, into: $0.baseAddress!) }
        }
        #expect(ok)
        #expect(identityError(matmul(basis, basis, r, side, r, transA: true), r) < 1e-12)
        let projector = matmul(basis, basis, side, r, side, transB: true)
        let pick = left ? "U[:, :\(r)]" : "Vt[:\(r), :].T"
        let ref = try matrixPython("""
            U, s, Vt = np.linalg.svd(\(npMatrix(g, rows: m, cols: n)))
            B = \(pick)
            print(*(B @ B.T).ravel())
            """)
        #expect(maxAbsDiff(projector, ref) < 1e-12, "\(m)x\(n)")
    }
}

@Test func sideProjectionAtFullRankIsLossless() {
    // Full rank: the basis is square orthonormal, so P P^T = I and back(proj(G)) = G.
    for (m, n) in [(6, 4), (4, 6)] {
        let g = gradientSequence(steps: 1, dimension: m * n)[0]
        let left = m < n, k = min(m, n)
        let p = SideProjection(rows: m, cols: n, rank: k, left: left)
        let svd = ThinSVD(rows: m, cols: n)
        var low = [Double](repeating: 0, count: p.projectedCount), back = [Double](repeating: 0, count: m * n)
        g.withUnsafeBufferPointer { gp in
            svd.topVectors(of: gp.baseAddress!, left: left, r: k, into: p.basis.baseAddress!)
            low.withUnsafeMutableBufferPointer { p.project(gp.baseAddress!, into: $0.baseAddress!) }
        }
        low.withUnsafeBufferPointer { lp in back.withUnsafeMutableBufferPointer { p.back(lp.baseAddress!, into: $0.baseAddress!) } }
        #expect(maxAbsDiff(back, g) < 1e-12)
    }
}

@Test func newtonSchulzWhiteningGivesIdentityRowCovariance() throws {
    // A well-conditioned 5x9 matrix: the whitened W = A^(-1/2) G (the dropped scalar restored)
    // satisfies W W^T = I, and equals the exact polar factor computed by eigh in numpy.
    for (m, n) in [(5, 9), (9, 5)] {
        var g = gradientSequence(steps: 1, dimension: m * n, seed: 11)[0]
        for i in 0..<min(m, n) { g[i * n + i] += 4 }   // push the singular values away from 0
        let swan = ScaleBySwan(layout: [ParamBlock(name: "W", offset: 0, rows: m, cols: n)], nsSteps: 40, eps: 1e-8,
                               beta1: 0.9, beta2: 0.999, adamEps: 1e-8)
        var w = [Double](repeating: 0, count: m * n)
        let ok = g.withUnsafeBufferPointer { gp in
            w.withUnsafeMutableBufferPointer { swan.whiten(gp.baseAddress!, rows: m, cols: n, into: $0.baseAddress!) }
        }
        #expect(ok)
        let scale = 1 / swan.newtonSchulz.lastNorm.squareRoot()
        w = w.map { $0 * scale }
        let k = min(m, n)
        let gram = m <= n ? matmul(w, w, m, n, m, transB: true) : matmul(w, w, n, m, n, transA: true)
        #expect(identityError(gram, k) < 1e-6)
        let ref = try matrixPython("""
            G = \(npMatrix(g, rows: m, cols: n))
            U, s, Vt = np.linalg.svd(G, full_matrices=False)
            if G.shape[0] <= G.shape[1]:
                lam, E = np.linalg.eigh(G @ G.T); P = E @ np.diag(lam ** -0.5) @ E.T @ G
            else:
                lam, E = np.linalg.eigh(G.T @ G); P = G @ E @ np.diag(lam ** -0.5) @ E.T
            print(*P.ravel())
            """)
        #expect(maxAbsDiff(w, ref) < 1e-8, "\(m)x\(n)")
    }
}
