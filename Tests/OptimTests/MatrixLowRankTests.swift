import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

/// A first gradient whose SVD basis on the smaller side is the canonical basis (distinct
/// singular values), followed by Gaussian gradients.
private func canonicalFirstGradients(_ layout: [ParamBlock], steps: Int) -> [[Double]] {
    var grads = gradientSequence(steps: steps, dimension: layout.map { $0.offset + $0.count }.max()!)
    for b in layout where b.isMatrix {
        for i in 0..<b.count { grads[0][b.offset + i] = 0 }
        for d in 0..<min(b.rows, b.cols) { grads[0][b.offset + d * b.cols + d] = Double(d + 1) * (d % 2 == 0 ? 1 : -1) }
    }
    return grads
}

@Test func galoreAtFullRankIsAdam() throws {
    // r = min(rows, cols): the projector is square orthonormal (P P^T = I), so nothing is lost.
    // Adam is not rotation-equivariant, so it equals plain Adam when P is a signed permutation:
    // here P comes from a first gradient with a canonical singular basis and is kept
    // (update_gap > steps). Adam's elementwise rule commutes with signed permutations.
    for layout in [matrixTestLayout, wideTestLayout] {
        let grads = canonicalFirstGradients(layout, steps: 10)
        let d = grads[0].count
        let x = (0..<d).map { cos(Double($0)) }
        let adam = trajectory(try matrixOptimizer("adamw", ["lr": 0.01, "weight_decay": 0.1], layout: layout), x0: x, gradients: grads)
        let galore = trajectory(try matrixOptimizer("galore", ["lr": 0.01, "weight_decay": 0.1, "rank": 6, "scale": 1.0,
                                                                "update_gap": 100], layout: layout), x0: x, gradients: grads)
        for t in 0..<10 { #expect(maxAbsDiff(galore[t], adam[t]) < 1e-10, "step \(t)") }
    }
}

@Test func galoreMatchesNumpyReference() throws {
    // Rank 2, refresh every 3 steps: an independent numpy re-implementation. Moments are kept
    // across refreshes, so the singular-vector sign convention matters (largest component > 0).
    let layout = wideTestLayout
    let grads = gradientSequence(steps: 7, dimension: 52, seed: 4)
    let x = (0..<52).map { cos(Double($0)) }
    let path = trajectory(try matrixOptimizer("galore", ["lr": 0.02, "rank": 2, "update_gap": 3, "scale": 0.25,
                                                         "weight_decay": 0.1], layout: layout), x0: x, gradients: grads)
    let ref = try matrixPython("""
        G = \(npMatrix(grads.flatMap { $0 }, rows: 7, cols: 52))
        x = np.array(\(x)); lr, wd, b1, b2, eps = 0.02, 0.1, 0.9, 0.999, 1e-8
        def adam(st, g, t):
            st['m'] = st['m'] + (1 - b1) * (g - st['m']); st['v'] = b2 * st['v'] + (1 - b2) * g * g
            return (st['m'] / (1 - b1 ** t)) / (np.sqrt(st['v']) / np.sqrt(1 - b2 ** t) + eps)
        blocks = [(0, 4, 6), (24, 5, 5)]
        st = {}
        for t in range(7):
            g = G[t]; u = np.zeros(52)
            for (o, m, n) in blocks:
                W = g[o:o + m * n].reshape(m, n)
                if t % 3 == 0:
                    U, s, Vt = np.linalg.svd(W)
                    P = U[:, :2] if m < n else Vt[:2, :].T
                    P = P * np.sign(P[np.argmax(np.abs(P), axis=0), range(2)])   # largest component positive
                    st[o, 'P'] = P
                P = st[o, 'P']
                R = P.T @ W if m < n else W @ P
                s_ = st.setdefault(o, {'m': np.zeros_like(R), 'v': np.zeros_like(R)})
                A = adam(s_, R, t + 1)
                u[o:o + m * n] = (0.25 * (P @ A if m < n else A @ P.T)).ravel()
            s_ = st.setdefault('b', {'m': np.zeros(3), 'v': np.zeros(3)})
            u[49:] = adam(s_, g[49:], t + 1)
            x = x - lr * u - lr * wd * x
        print(*x)
        """)
    #expect(maxAbsDiff(path.last!, ref) < 1e-10)
}

@Test func dctAdamWithIdentityBasisAtFullRankIsAdam() throws {
    // Q = I and r = full: the selection permutes coordinates (by score), Adam is elementwise,
    // and the moments follow their indices when rotate_subspace is on: plain Adam.
    for layout in [matrixTestLayout, wideTestLayout] {
        let d = layout.map { $0.offset + $0.count }.max()!
        let grads = gradientSequence(steps: 10, dimension: d, seed: 8)
        let x = (0..<d).map { cos(Double($0)) }
        let adam = trajectory(try matrixOptimizer("adamw", ["lr": 0.01, "weight_decay": 0.1], layout: layout), x0: x, gradients: grads)
        let dct = trajectory(try matrixOptimizer("dct_adamw", ["lr": 0.01, "weight_decay": 0.1, "rank": 6, "basis": "identity",
                                                               "rotate_subspace": true], layout: layout), x0: x, gradients: grads)
        for t in 0..<10 { #expect(maxAbsDiff(dct[t], adam[t]) < 1e-12, "step \(t)") }
    }
}

@Test func dctAdamMatchesNumpyReference() throws {
    // DCT basis from scipy, l1 scores, r = 2, refresh at t = 1 and t mod 2 == 0 (1-based), moments kept.
    let layout = wideTestLayout
    let grads = gradientSequence(steps: 6, dimension: 52, seed: 6)
    let x = (0..<52).map { cos(Double($0)) }
    // Q is written from the spec's formula (no scipy): Q[a, b] = sqrt(2/N) c_a cos(pi a (2b+1)/(2N)),
    // basis vectors Q[:, j] by default; dct_atoms uses Q^T.
    for (rotate, basis) in [(false, "dct"), (true, "dct"), (false, "dct_atoms")] {
        let path = trajectory(try matrixOptimizer("dct_adamw", ["lr": 0.02, "rank": 2, "update_gap": 2, "rotate_subspace": rotate,
                                                                "basis": basis], layout: layout), x0: x, gradients: grads)
        let ref = try matrixPython("""
            G = \(npMatrix(grads.flatMap { $0 }, rows: 6, cols: 52))
            x = np.array(\(x)); lr, b1, b2, eps, r, rotate = 0.02, 0.9, 0.999, 1e-8, 2, \(rotate ? "True" : "False")
            def adam(st, g, t):
                st['m'] = st['m'] + (1 - b1) * (g - st['m']); st['v'] = b2 * st['v'] + (1 - b2) * g * g
                return (st['m'] / (1 - b1 ** t)) / (np.sqrt(st['v']) / np.sqrt(1 - b2 ** t) + eps)
            st = {}
            for t in range(1, 7):
                g = G[t - 1]; u = np.zeros(52)
                for (o, m, n) in [(0, 4, 6), (24, 5, 5)]:
                    W = g[o:o + m * n].reshape(m, n); left = m < n
                    W2 = W.T if left else W            # left case = right case on W^T
                    k = W2.shape[1]
                    Q = np.array([[np.sqrt(2 / k) * (1 / np.sqrt(2) if a == 0 else 1) * np.cos(np.pi * a * (2 * b + 1) / (2 * k))
                                   for b in range(k)] for a in range(k)])
                    if \(basis == "dct_atoms" ? "True" : "False"): Q = Q.T
                    s_ = st.setdefault(o, {'m': np.zeros((W2.shape[0], r)), 'v': np.zeros((W2.shape[0], r)), 'I': None})
                    if t == 1 or t % 2 == 0:
                        S = W2 @ Q; score = np.abs(S).sum(0)
                        I = sorted(range(k), key=lambda j: (-score[j], j))[:r]
                        if rotate and s_['I'] is not None:
                            R = Q[:, s_['I']].T @ Q[:, I]; R = np.round(R)
                            s_['m'] = s_['m'] @ R; s_['v'] = np.abs(s_['v'] @ R)
                        s_['I'] = I
                    Qr = Q[:, s_['I']]
                    A = adam(s_, W2 @ Qr, t)
                    B = A @ Qr.T
                    u[o:o + m * n] = (B.T if left else B).ravel()
                s_ = st.setdefault('b', {'m': np.zeros(3), 'v': np.zeros(3)})
                u[49:] = adam(s_, g[49:], t)
                x = x - lr * u
            print(*x)
            """)
        #expect(maxAbsDiff(path.last!, ref) < 1e-10, "rotate \(rotate), basis \(basis)")
    }
}

@Test func dctSelectionIsTheBestSubsetAndExactOnAnAtom() {
    // l2 scores: the chosen r columns maximize ||G Q_S||_F over all C(8, 3) subsets (brute force).
    let m = 10, n = 8, r = 3
    let block = ParamBlock(name: "W", offset: 0, rows: m, cols: n)
    let g = gradientSequence(steps: 1, dimension: m * n, seed: 12)[0]
    let t = ScaleByDCTAdam(layout: [block], rank: r, updateGap: 1, l2Scores: true, beta1: 0.9, beta2: 0.999, eps: 1e-8)
    var u = g
    u.withUnsafeMutableBufferPointer { t.apply($0, params: noParams, context: StepContext(t: 0, lr: 1, layout: [block])) }
    // The default basis, written from the spec's formula: column j is (c_a cos(pi a (2j+1)/(2n)))_a.
    let q = (0..<(n * n)).map { i -> Double in
        let a = i / n, b = i % n
        return (2 / Double(n)).squareRoot() * (a == 0 ? 1 / 2.0.squareRoot() : 1) * cos(Double.pi * Double(a * (2 * b + 1)) / Double(2 * n))
    }
    let s = matmul(g, q, m, n, n)
    let energy = (0..<n).map { j in (0..<m).map { s[$0 * n + j] * s[$0 * n + j] }.reduce(0, +) }
    var best = -1.0, bestSet: Set<Int> = []
    for a in 0..<n { for b in (a + 1)..<n { for c in (b + 1)..<n {
        let e = energy[a] + energy[b] + energy[c]
        if e > best { best = e; bestSet = [a, b, c] }
    } } }
    #expect(Set(t.selectedIndices[0]) == bestSet)
    // G = a q_j^T: the top-1 index is j and the projection loses nothing.
    let j = 5
    let a = (0..<m).map { Double($0) - 3.5 }
    let atom = (0..<(m * n)).map { a[$0 / n] * q[($0 % n) * n + j] }
    let one = ScaleByDCTAdam(layout: [block], rank: 1, updateGap: 1, errorFeedback: true, beta1: 0.9, beta2: 0.999, eps: 1e-8)
    var v = atom
    v.withUnsafeMutableBufferPointer { one.apply($0, params: noParams, context: StepContext(t: 0, lr: 1, layout: [block])) }
    #expect(one.selectedIndices == [[j]])
    #expect(one.layers[0].error!.map(abs).max()! < 1e-13)   // E = G - back(proj(G)) = 0
}

@Test func dctAtFullRankIsLossless() {
    // r = full: Q_I is square orthonormal, so back(proj(G)) = G (the error-feedback residual is 0).
    for (m, n) in [(6, 4), (4, 6)] {
        let block = ParamBlock(name: "W", offset: 0, rows: m, cols: n)
        let t = ScaleByDCTAdam(layout: [block], rank: 4, updateGap: 1, errorFeedback: true, beta1: 0.9, beta2: 0.999, eps: 1e-8)
        var u = gradientSequence(steps: 1, dimension: m * n)[0]
        u.withUnsafeMutableBufferPointer { t.apply($0, params: noParams, context: StepContext(t: 0, lr: 1, layout: [block])) }
        #expect(t.layers[0].error!.map(abs).max()! < 1e-14)
    }
}

@Test func lowRankStateSizesAreDocumented() throws {
    // wideTestLayout: 4x6 (left, other side 6), 5x5 (right, other side 5), 3-vector (Adam 6).
    let r = 2
    #expect(try matrixOptimizer("galore", ["rank": r], layout: wideTestLayout).stateSize
            == 2 * (r * 6 + 5 * r) + (4 * r + 5 * r) + 6)          // moments + projectors + vector Adam
    #expect(try matrixOptimizer("galore", ["rank": 100], layout: wideTestLayout).stateSize
            == 2 * (4 * 6 + 5 * 5) + (4 * 4 + 5 * 5) + 6)         // rank clamped to min(rows, cols)
    #expect(try matrixOptimizer("dct_adamw", ["rank": r], layout: wideTestLayout).stateSize
            == 2 * (r * 6 + 5 * r) + 2 * r + 6)                    // moments + indices (basis shared)
    #expect(try matrixOptimizer("dct_adamw", ["rank": r, "error_feedback": true], layout: wideTestLayout).stateSize
            == 2 * (r * 6 + 5 * r) + 2 * r + 24 + 25 + 6)
    #expect(try matrixOptimizer("dct_adamw", ["rank": r, "max_shape": 6], layout: wideTestLayout).stateSize
            == 2 * 24 + 2 * (5 * r) + r + 6)                       // the 4x6 block falls back to Adam
    #expect(try matrixOptimizer("swan", [:], layout: wideTestLayout).stateSize == 6)
}
