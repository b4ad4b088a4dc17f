import ExprunCore

/// torch Adagrad (Duchi et al. 2011): s += g^2 from s_0 = initial_accumulator_value,
/// u = g / (sqrt(s) + eps) / (1 + (t-1) lr_decay) with t counted from 1 (no decay on step 1).
/// State d.
public final class ScaleByAdagrad: GradientTransform {
    public let lrDecay: Double, eps: Double
    let sum: UnsafeMutableBufferPointer<Double>
    public init(count: Int, lrDecay: Double, initialAccumulator: Double, eps: Double) {
        self.lrDecay = lrDecay; self.eps = eps
        sum = zeroState(count, value: initialAccumulator)
    }
    deinit { sum.deallocate() }
    public var stateSize: Int { sum.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let decay = 1 / (1 + Double(context.t) * lrDecay), e = eps
        for i in 0..<u.count {
            let g = u[i]
            sum[i] += g * g
            u[i] = decay * g / (sum[i].squareRoot() + e)
        }
    }
}
