import ExprunCore

/// LAMB's layer-wise trust ratio, per block of the layout (per tensor): u *= min(||x||, clamp)
/// / (||u|| + eps), or 1 when either norm is 0. When a decoupled decay follows in the chain,
/// the reference measures ||x|| AFTER decaying x, so the norm is scaled by that step's decay
/// factor (|1 - lr wd|, or |1 - wd| when fixed).
public final class ScaleByTrustRatio: GradientTransform {
    public let clamp: Double, eps: Double
    public let decay: AddDecoupledWeightDecay?
    public init(clamp: Double = 10, eps: Double, decay: AddDecoupledWeightDecay? = nil) {
        self.clamp = clamp; self.eps = eps; self.decay = decay
    }
    public var stateSize: Int { 0 }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        guard let ub = u.baseAddress, let pb = params.baseAddress else { return }
        let scale = abs(decay?.factor(lr: context.lr) ?? 1)
        for block in context.blocks(count: u.count) {
            let n = block.count
            let weightNorm = min(norm2(pb + block.offset, n) * scale, clamp)
            let updateNorm = norm2(ub + block.offset, n)
            guard weightNorm != 0, updateNorm != 0 else { continue }
            let trust = weightNorm / (updateNorm + eps)
            let p = ub + block.offset
            for i in 0..<n { p[i] *= trust }
        }
    }
}
