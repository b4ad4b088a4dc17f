import ExprunCore

/// FRUGAL (Zmushko, Beznosikov, Takac, Horvath 2024; specs-b.md section 1): the gradient of
/// each matrix ("projectable") block is split into a state-full subspace S, updated by Adam
/// (torch arithmetic) with a local step counter, and the residual, updated by a state-free rule
/// (signSGD, SGD or nothing). S is re-chosen at every 0-based step t with t mod update_gap == 0.
///
/// Subspaces (density rho):
/// - `blocks`: round(rho * #matrix blocks) whole blocks are state-full (order random, a
///   cyclic window moving ascending / descending over the layout, or `mirror`: pairs i and
///   P-1-i from both ends, the window moving inwards over the first P/2 blocks);
/// - `columns` / `rows` / `entries`: floor(rho * N) random columns / rows / entries
///   (proj = gather, back = scatter);
/// - `svd`: the top r = round(rho * side) singular vectors of G on the smaller side (right,
///   P = V_r, if m >= n), proj(G) = G P (left: U_r^T G), back by P^T (left: U_r).
/// Update (directions; the chain multiplies by -lr and applies decoupled decay to everything):
/// u = proj_lr_scale * back(AdamStep(proj G)) + proj_lr_scale * inactive_lr_scale * rule(G - back(proj G)).
/// On a change of S the state is reset (m = v = 0, local step 0; the code default), kept
/// numerically, or projected: state <- proj_new(back_old(state)) (|.| for v), which for
/// coordinates keeps the moments of surviving coordinates and zeroes the new ones [UNVERIFIED
/// as the paper's rule]; in `blocks` mode keep/project keep the state of blocks that stay active.
/// Non-matrix blocks use Adam with the global step (the paper's "regular" parameters).
///
/// State: the Adam moments of the state-full coordinates (2 |S| per matrix block), plus the
/// projector (side x r) in `svd` mode, plus 2 per coordinate of the non-matrix blocks.
public final class ScaleByFrugal: GradientTransform {
    public enum Projection: String, CaseIterable, Sendable { case blocks, columns, rows, entries, svd }
    public enum InactiveRule: String, CaseIterable, Sendable {
        case signSGD = "sign_sgd", sgd, no
    }
    public enum StateHandling: String, CaseIterable, Sendable { case reset, keep, project }
    public enum BlockOrder: String, CaseIterable, Sendable { case random, ascending, descending, mirror }

    public let projection: Projection, density: Double, updateGap: Int
    public let rule: InactiveRule, stateHandling: StateHandling, order: BlockOrder
    public let projLRScale: Double, inactiveLRScale: Double
    let beta1: Double, beta2: Double, eps: Double

    final class Layer {
        let block: ParamBlock
        /// Sorted flat indices of the state-full coordinates (coordinate modes).
        var indices: [Int] = []
        var adam: ScaleByAdam?
        var steps = 0
        var active = false
        let gathered: UnsafeMutableBufferPointer<Double>
        // svd mode
        let projection: SideProjection?, svd: ThinSVD?
        let low: UnsafeMutableBufferPointer<Double>, fullA: UnsafeMutableBufferPointer<Double>,
            fullB: UnsafeMutableBufferPointer<Double>
        init(_ block: ParamBlock, mode: Projection, density: Double, adam: () -> (Int) -> ScaleByAdam) {
            self.block = block
            let m = block.rows, n = block.cols
            var stateCount = 0
            switch mode {
            case .blocks: stateCount = 0
            case .columns: stateCount = m * Int(Double(n) * density)
            case .rows: stateCount = n * Int(Double(m) * density)
            case .entries: stateCount = Int(Double(m * n) * density)
            case .svd: stateCount = 0
            }
            gathered = zeroState(stateCount)
            if mode == .svd {
                let left = m < n
                let r = Dense.roundHalfEven(Double(min(m, n)) * density)
                let p = SideProjection(rows: m, cols: n, rank: r, left: left)
                projection = p; svd = ThinSVD(rows: m, cols: n)
                low = zeroState(p.projectedCount); fullA = zeroState(m * n); fullB = zeroState(m * n)
                self.adam = adam()(p.projectedCount)
            } else {
                projection = nil; svd = nil
                low = zeroState(0); fullA = zeroState(0); fullB = zeroState(0)
                if mode != .blocks { self.adam = adam()(stateCount) }
            }
        }
        deinit { gathered.deallocate(); low.deallocate(); fullA.deallocate(); fullB.deallocate() }
    }
    let layers: [Layer]
    let vectors: VectorBlockAdam
    var rng: RNG
    var windowStart = 0
    /// Number of subspace selections made so far.
    public private(set) var switches = 0

    public init(layout: [ParamBlock], projection: Projection, density: Double, updateGap: Int,
                rule: InactiveRule = .signSGD, stateHandling: StateHandling = .reset, order: BlockOrder = .random,
                projLRScale: Double = 1, inactiveLRScale: Double = 1, beta1: Double, beta2: Double, eps: Double,
                seed: UInt64) {
        self.projection = projection; self.density = density; self.updateGap = updateGap; self.rule = rule
        self.stateHandling = stateHandling; self.order = order
        self.projLRScale = projLRScale; self.inactiveLRScale = inactiveLRScale
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        let make = { { (count: Int) in ScaleByAdam(count: count, beta1: beta1, beta2: beta2, eps: eps) } }
        layers = layout.filter(\.isMatrix).map { Layer($0, mode: projection, density: density, adam: make) }
        vectors = VectorBlockAdam(layout.filter { !$0.isMatrix }, beta1: beta1, beta2: beta2, eps: eps)
        rng = RNG(seed: seed, purpose: "frugal:subspace")
    }

    public var stateSize: Int {
        vectors.stateSize + layers.reduce(0) { $0 + ($1.adam?.stateSize ?? 0) + ($1.projection?.basis.count ?? 0) }
    }

    /// Fraction of the matrix-block coordinates that are state-full right now.
    public var stateFullFraction: Double {
        let total = layers.reduce(0) { $0 + $1.block.count }
        guard total > 0 else { return 0 }
        let full = layers.reduce(0) { acc, l in
            switch projection {
            case .blocks: return acc + (l.active ? l.block.count : 0)
            case .svd: return acc + l.projection!.r * (l.projection!.left ? l.block.cols : l.block.rows)
            default: return acc + l.indices.count
            }
        }
        return Double(full) / Double(total)
    }

    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        vectors.apply(u, context: context)
        let base = u.baseAddress!
        if context.t % updateGap == 0 { refresh(base); switches += 1 }
        let sR = projLRScale * inactiveLRScale
        for layer in layers {
            let g = base + layer.block.offset, count = layer.block.count
            switch projection {
            case .blocks:
                if layer.active, let adam = layer.adam {
                    layer.steps += 1
                    adam.step(UnsafeMutableBufferPointer(start: g, count: count), count: layer.steps)
                    if projLRScale != 1 { for i in 0..<count { g[i] *= projLRScale } }
                } else {
                    inactive(g, count, sR)
                }
            case .columns, .rows, .entries:
                let s = layer.gathered.baseAddress!
                layer.indices.withUnsafeBufferPointer { idx in
                    for (c, i) in idx.enumerated() { s[c] = g[i] }
                }
                inactive(g, count, sR)
                if let adam = layer.adam, !layer.indices.isEmpty {
                    layer.steps += 1
                    adam.step(layer.gathered, count: layer.steps)
                    layer.indices.withUnsafeBufferPointer { idx in
                        for (c, i) in idx.enumerated() { g[i] = s[c] * projLRScale }
                    }
                }
            case .svd:
                let p = layer.projection!, low = layer.low.baseAddress!, full = layer.fullA.baseAddress!
                p.project(g, into: low)
                p.back(low, into: full)
                for i in 0..<count { g[i] -= full[i] }
                inactive(g, count, sR)
                if p.r > 0 {
                    layer.steps += 1
                    layer.adam!.step(layer.low, count: layer.steps)
                    p.back(low, into: g, alpha: projLRScale, beta: 1)
                }
            }
        }
    }

    /// The state-free rule on the residual, in place: sign (sign(0) = 0), identity or zero.
    @inline(__always) func inactive(_ g: UnsafeMutablePointer<Double>, _ count: Int, _ s: Double) {
        switch rule {
        case .signSGD: for i in 0..<count { g[i] = signum(g[i]) * s }
        case .sgd: for i in 0..<count { g[i] *= s }
        case .no: for i in 0..<count { g[i] = 0 }
        }
    }

    /// k distinct draws from 0..<n (partial Fisher-Yates), sorted.
    func sample(_ k: Int, of n: Int) -> [Int] {
        var pool = Array(0..<n)
        for i in 0..<k { pool.swapAt(i, i + rng.below(n - i)) }
        return pool[0..<k].sorted()
    }

    /// Chooses the new state-full subspace of every matrix block and handles the state.
    func refresh(_ base: UnsafeMutablePointer<Double>) {
        switch projection {
        case .blocks: refreshBlocks()
        case .columns, .rows, .entries:
            for layer in layers {
                let m = layer.block.rows, n = layer.block.cols
                let new: [Int]
                switch projection {
                case .columns:
                    let cols = sample(Int(Double(n) * density), of: n)
                    new = (0..<m).flatMap { i in cols.map { i * n + $0 } }
                case .rows:
                    let rows = sample(Int(Double(m) * density), of: m)
                    new = rows.flatMap { i in (0..<n).map { i * n + $0 } }
                default:
                    new = sample(Int(Double(m * n) * density), of: m * n)
                }
                if let adam = layer.adam {
                    switch stateHandling {
                    case .reset: adam.reset(); layer.steps = 0
                    case .keep: break
                    case .project: carryMoments(adam, from: layer.indices, to: new)
                    }
                }
                layer.indices = new
            }
        case .svd:
            for layer in layers {
                let p = layer.projection!, adam = layer.adam!
                let g = UnsafePointer(base + layer.block.offset)
                let project = stateHandling == .project && switches > 0
                if project {
                    p.back(adam.m.baseAddress!, into: layer.fullA.baseAddress!)
                    p.back(adam.v.baseAddress!, into: layer.fullB.baseAddress!)
                }
                if p.r > 0 { layer.svd!.topVectors(of: g, left: p.left, r: p.r, into: p.basis.baseAddress!) }
                switch stateHandling {
                case .reset: adam.reset(); layer.steps = 0
                case .keep: break
                case .project:
                    if project {
                        p.project(layer.fullA.baseAddress!, into: adam.m.baseAddress!)
                        p.project(layer.fullB.baseAddress!, into: adam.v.baseAddress!)
                        for i in 0..<adam.v.count { adam.v[i] = abs(adam.v[i]) }
                    }
                }
            }
        }
    }

    /// Moments of coordinates in both sorted lists move to their new positions; the rest are 0.
    func carryMoments(_ adam: ScaleByAdam, from old: [Int], to new: [Int]) {
        let oldM = Array(adam.m), oldV = Array(adam.v)
        adam.reset()
        var a = 0
        for (b, index) in new.enumerated() {
            while a < old.count && old[a] < index { a += 1 }
            if a < old.count && old[a] == index { adam.m[b] = oldM[a]; adam.v[b] = oldV[a] }
        }
    }

    func refreshBlocks() {
        let total = layers.count
        guard total > 0 else { return }
        let activeCount = min(total, Dense.roundHalfEven(density * Double(total)))
        var chosen = Set<Int>()
        switch order {
        case .random: chosen = Set(sample(activeCount, of: total))
        case .ascending:
            for i in 0..<activeCount { chosen.insert((windowStart + i) % total) }
            windowStart = (windowStart + activeCount) % total
        case .descending:
            for i in 0..<activeCount { chosen.insert(((total - 1 - windowStart - i) % total + total) % total) }
            windowStart = (windowStart + activeCount) % total
        case .mirror:
            // The official BlockOptimizer: k/2 indices idx from the window start, each with its
            // mirror image; idx runs mod P/2, so with P odd the middle block is never active.
            // The preset refuses an odd k (the official code asserts it even).
            let half = total / 2
            guard half > 0 else { break }
            for idx in windowStart..<(windowStart + activeCount / 2) {
                chosen.insert(idx % half)
                chosen.insert(total - 1 - idx % half)
            }
            windowStart += activeCount / 2
            if windowStart >= half { windowStart -= half }
        }
        for (i, layer) in layers.enumerated() {
            let nowActive = chosen.contains(i)
            if nowActive && (!layer.active || stateHandling == .reset) {
                layer.adam = ScaleByAdam(count: layer.block.count, beta1: beta1, beta2: beta2, eps: eps)
                layer.steps = 0
            } else if !nowActive {
                layer.adam = nil; layer.steps = 0
            }
            layer.active = nowActive
        }
    }
}
