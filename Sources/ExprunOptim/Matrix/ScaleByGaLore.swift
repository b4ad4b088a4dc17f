import ExprunCore

/// GaLore-style low-rank Adam (Zhao et al. 2024; specs-b.md section 2, "GaLore for comparison").
/// Per m x n matrix block, every `updateGap` steps (0-based t mod gap == 0, as GaLore's
/// `iter % update_proj_gap == 0`) the projector is the top-r singular vectors of the current
/// gradient on the smaller side (right, P = V_r, if m >= n; left, P = U_r, otherwise).
/// R = proj(G) (r-dim), Adam (torch arithmetic, global step counter) on R, and the update is
/// scale * back(AdamStep(R)). The moments are kept as they are when the projector changes
/// (GaLore's behaviour). Non-matrix blocks use plain Adam.
///
/// State: per matrix block 2 r (max side) moments + the projector (side x r); vectors 2 count.
public final class ScaleByGaLore: GradientTransform {
    public let updateGap: Int, scale: Double
    final class Layer {
        let block: ParamBlock
        let projection: SideProjection
        let svd: ThinSVD
        let adam: ScaleByAdam
        let low: UnsafeMutableBufferPointer<Double>
        init(_ block: ParamBlock, rank: Int, beta1: Double, beta2: Double, eps: Double) {
            self.block = block
            let r = min(rank, block.rows, block.cols)
            projection = SideProjection(rows: block.rows, cols: block.cols, rank: r, left: block.rows < block.cols)
            svd = ThinSVD(rows: block.rows, cols: block.cols)
            adam = ScaleByAdam(count: projection.projectedCount, beta1: beta1, beta2: beta2, eps: eps)
            low = zeroState(projection.projectedCount)
        }
        deinit { low.deallocate() }
    }
    let layers: [Layer]
    let vectors: VectorBlockAdam

    public init(layout: [ParamBlock], rank: Int, updateGap: Int, scale: Double, beta1: Double, beta2: Double, eps: Double) {
        self.updateGap = updateGap; self.scale = scale
        layers = layout.filter(\.isMatrix).map { Layer($0, rank: rank, beta1: beta1, beta2: beta2, eps: eps) }
        vectors = VectorBlockAdam(layout.filter { !$0.isMatrix }, beta1: beta1, beta2: beta2, eps: eps)
    }

    public var stateSize: Int {
        vectors.stateSize + layers.reduce(0) { $0 + $1.adam.stateSize + $1.projection.basis.count }
    }

    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        vectors.apply(u, context: context)
        let refresh = context.t % updateGap == 0
        for layer in layers {
            let g = u.baseAddress! + layer.block.offset
            let proj = layer.projection
            if refresh {
                layer.svd.topVectors(of: g, left: proj.left, r: proj.r, into: proj.basis.baseAddress!)
            }
            proj.project(g, into: layer.low.baseAddress!)
            layer.adam.step(layer.low, count: context.count)
            proj.back(layer.low.baseAddress!, into: g, alpha: scale)
        }
    }
}
