import ExprunCore

/// SVD-free low-rank Adam with a fixed orthonormal basis (Modoranu, Safaryan, Schultheis,
/// Alistarh 2025, "DCT-AdamW"; specs-b.md section 2). Per m x n matrix block the projection is
/// on the smaller side (right, Q in R^{n x n}, if m >= n; left, Q in R^{m x m}, otherwise).
/// At 1-based step t == 1 or t mod update_gap == 0: S = G Q (left: Q^T G), score every column
/// (left: row) of S by its l1 (default) or l2 norm, keep the r best indices I (descending
/// score, ties to the lower index, as torch.topk), and reuse g = S[:, I]; otherwise g = G Q_I.
/// Adam (torch arithmetic, global step counter) on g, back-projected by Q_I^T (left: Q_I).
/// Options: rotate the moments onto the new indices on a refresh (m <- m R, v <- |v R| with
/// R = Q_prev^T Q_new, which for an orthonormal Q keeps the moments of surviving indices, in
/// their new positions, and zeroes the others: that is how it is computed here), and error
/// feedback (G <- G + E; E <- G - back(proj(G))). Non-matrix blocks, and matrix blocks with a
/// dimension >= max_shape, use plain Adam.
///
/// State per projected block: 2 r * (other side) moments + the r selected indices (+ m n for the
/// error-feedback buffer). The basis Q is not counted: it is a fixed function of the size,
/// shared by every block of that size (and recomputable), as the paper argues.
public final class ScaleByDCTAdam: GradientTransform {
    /// Which orthonormal basis supplies the candidate directions.
    public enum Basis: String, CaseIterable, Sendable {
        /// The spec's (and the official code's default) Q[a, b] = sqrt(2/N) c_a cos(pi a (2b+1)/(2N))
        /// with the columns Q[:, j] as basis vectors: Q = scipy.fft.dct(eye(N), norm="ortho", axis=0).
        case dct
        /// The transpose (cosine atoms as columns, the official code's non-default path):
        /// G Q = scipy.fft.dct(G, norm="ortho", axis=1).
        case dctAtoms = "dct_atoms"
        /// Q = I: the selection keeps the r largest-norm columns (rows) of G.
        case identity
        /// A fixed Haar-random orthogonal Q per size (the paper's "random basis" control).
        case random
    }
    public let rank: Int, updateGap: Int, l2Scores: Bool, rotate: Bool, errorFeedback: Bool, basis: Basis

    final class Layer {
        let block: ParamBlock
        let projection: SideProjection
        let q: [Double]
        let adam: ScaleByAdam
        let low: UnsafeMutableBufferPointer<Double>, saved: UnsafeMutableBufferPointer<Double>
        let error: UnsafeMutableBufferPointer<Double>?
        var selected: [Int], previous: [Int], scores: [Double]
        var hasSelection = false
        init(_ block: ParamBlock, rank: Int, q: [Double], ef: Bool, beta1: Double, beta2: Double, eps: Double) {
            self.block = block; self.q = q
            let left = block.rows < block.cols
            let r = min(rank, block.rows, block.cols)
            projection = SideProjection(rows: block.rows, cols: block.cols, rank: r, left: left)
            adam = ScaleByAdam(count: projection.projectedCount, beta1: beta1, beta2: beta2, eps: eps)
            low = zeroState(projection.projectedCount); saved = zeroState(2 * projection.projectedCount)
            error = ef ? zeroState(block.count) : nil
            selected = [Int](repeating: 0, count: r); previous = selected
            scores = [Double](repeating: 0, count: r)
        }
        deinit { low.deallocate(); saved.deallocate(); error?.deallocate() }
    }
    let layers: [Layer]
    let vectors: VectorBlockAdam
    /// m x n scratch for S (one per transform, sized for the largest block).
    let spectrum: UnsafeMutableBufferPointer<Double>

    public init(layout: [ParamBlock], rank: Int, updateGap: Int, l2Scores: Bool = false, rotate: Bool = false,
                errorFeedback: Bool = false, basis: Basis = .dct, maxShape: Int? = nil, seed: UInt64 = 0,
                beta1: Double, beta2: Double, eps: Double) {
        self.rank = rank; self.updateGap = updateGap; self.l2Scores = l2Scores; self.rotate = rotate
        self.errorFeedback = errorFeedback; self.basis = basis
        func projected(_ b: ParamBlock) -> Bool { b.isMatrix && max(b.rows, b.cols) < (maxShape ?? Int.max) }
        var bases: [Int: [Double]] = [:]
        func basisOf(_ k: Int) -> [Double] {
            if let q = bases[k] { return q }
            let q: [Double]
            switch basis {
            case .dctAtoms: q = Dense.dctAtoms(k)
            case .dct:
                let c = Dense.dctAtoms(k)
                q = (0..<(k * k)).map { c[($0 % k) * k + $0 / k] }
            case .identity: q = (0..<(k * k)).map { $0 / k == $0 % k ? 1 : 0 }
            case .random:
                var rng = RNG(seed: seed, purpose: "dct_adamw:random_basis:\(k)")
                q = Dense.randomOrthogonal(k, rng: &rng)
            }
            bases[k] = q
            return q
        }
        layers = layout.filter(projected).map {
            Layer($0, rank: rank, q: basisOf(min($0.rows, $0.cols)), ef: errorFeedback, beta1: beta1, beta2: beta2, eps: eps)
        }
        vectors = VectorBlockAdam(layout.filter { !projected($0) }, beta1: beta1, beta2: beta2, eps: eps)
        spectrum = zeroState(layers.map(\.block.count).max() ?? 0)
    }
    deinit { spectrum.deallocate() }

    public var stateSize: Int {
        vectors.stateSize + layers.reduce(0) { $0 + $1.adam.stateSize + $1.selected.count + ($1.error?.count ?? 0) }
    }

    /// The selected basis indices of each projected matrix block (descending score).
    public var selectedIndices: [[Int]] { layers.map(\.selected) }

    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        vectors.apply(u, context: context)
        let refresh = context.count == 1 || context.count % updateGap == 0
        for layer in layers {
            let g = u.baseAddress! + layer.block.offset
            let count = layer.block.count
            if let e = layer.error { for i in 0..<count { g[i] += e[i] } }
            if refresh { select(layer, g) } else { layer.projection.project(g, into: layer.low.baseAddress!) }
            if let e = layer.error {
                // E = G - back(g): what the projection dropped this step.
                layer.projection.back(layer.low.baseAddress!, into: e.baseAddress!, alpha: -1)
                for i in 0..<count { e[i] += g[i] }
            }
            layer.adam.step(layer.low, count: context.count)
            layer.projection.back(layer.low.baseAddress!, into: g)
        }
    }

    /// Scores the basis directions on G, picks the top r, fills the projector and `low` = S[:, I].
    func select(_ layer: Layer, _ g: UnsafeMutablePointer<Double>) {
        let proj = layer.projection
        let m = proj.rows, n = proj.cols, k = proj.side, r = proj.r
        let s = spectrum.baseAddress!
        layer.q.withUnsafeBufferPointer { qb in
            let q = qb.baseAddress!
            if proj.left {
                Dense.gemm(true, false, m: k, n: n, k: m, q, lda: k, g, ldb: n, s, ldc: n)   // S = Q^T G (k x n)
            } else {
                Dense.gemm(false, false, m: m, n: k, k: n, g, lda: n, q, ldb: k, s, ldc: k)  // S = G Q (m x k)
            }
        }
        // Top-r by insertion into a descending list; strict '>' keeps the lower index on ties.
        swap(&layer.previous, &layer.selected)
        var filled = 0
        let other = proj.left ? n : m
        for j in 0..<k {
            var score = 0.0
            for i in 0..<other {
                let x = proj.left ? s[j * n + i] : s[i * k + j]
                score += l2Scores ? x * x : abs(x)
            }
            if filled == r && !(score > layer.scores[r - 1]) { continue }
            var pos = filled == r ? r - 1 : filled
            if filled < r { filled += 1 }
            while pos > 0 && score > layer.scores[pos - 1] {
                layer.scores[pos] = layer.scores[pos - 1]; layer.selected[pos] = layer.selected[pos - 1]; pos -= 1
            }
            layer.scores[pos] = score; layer.selected[pos] = j
        }
        if rotate && layer.hasSelection { rotateMoments(layer) }
        layer.hasSelection = true
        // Projector columns Q[:, I] and the reused projection S[:, I] (left: S[I, :]).
        let b = proj.basis.baseAddress!, low = layer.low.baseAddress!
        for a in 0..<k { for c in 0..<r { b[a * r + c] = layer.q[a * k + layer.selected[c]] } }
        if proj.left {
            for c in 0..<r { (low + c * n).update(from: s + layer.selected[c] * n, count: n) }
        } else {
            for i in 0..<m { for c in 0..<r { low[i * r + c] = s[i * k + layer.selected[c]] } }
        }
    }

    /// m <- m R, v <- |v R| with R = Q_prev^T Q_new = the 0/1 matrix matching equal indices.
    func rotateMoments(_ layer: Layer) {
        let proj = layer.projection
        let r = proj.r, other = proj.left ? proj.cols : proj.rows, size = proj.projectedCount
        let saved = layer.saved.baseAddress!
        saved.update(from: layer.adam.m.baseAddress!, count: size)
        (saved + size).update(from: layer.adam.v.baseAddress!, count: size)
        layer.adam.reset()
        for c in 0..<r {
            guard let a = layer.previous.firstIndex(of: layer.selected[c]) else { continue }
            for i in 0..<other {
                let from = proj.left ? a * other + i : i * r + a
                let to = proj.left ? c * other + i : i * r + c
                layer.adam.m[to] = saved[from]; layer.adam.v[to] = saved[size + from]
            }
        }
    }
}
