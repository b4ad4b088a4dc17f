import ExprunCore

/// LAMB's inner Adam direction as pytorch_optimizer computes it (You et al. 2020):
/// m = b1 m + c g with c = 1-b1 (grad_averaging) or 1, v = b2 v + (1-b2) g^2,
/// u = m / (sqrt(v) + eps) with NO bias correction (b1's correction comes later, as a step
/// size, after the trust ratio). State 2d.
public final class ScaleByLambMoments: GradientTransform {
    public let beta1: Double, beta2: Double, eps: Double, gradAveraging: Bool
    let m: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>
    public init(count: Int, beta1: Double, beta2: Double, eps: Double, gradAveraging: Bool = true) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.gradAveraging = gradAveraging
        m = zeroState(count); v = zeroState(count)
    }
    deinit { m.deallocate(); v.deallocate() }
    public var stateSize: Int { m.count + v.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let b1 = beta1, c1 = gradAveraging ? 1 - beta1 : 1, b2 = beta2, c2 = 1 - beta2, e = eps
        for i in 0..<u.count {
            let g = u[i]
            m[i] = b1 * m[i] + c1 * g
            v[i] = b2 * v[i] + c2 * g * g
            u[i] = m[i] / (v[i].squareRoot() + e)
        }
    }
}
