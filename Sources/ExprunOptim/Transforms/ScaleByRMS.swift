import ExprunCore

/// torch RMSprop's preconditioner (Hinton's lecture 6e): v = alpha v + (1-alpha) g^2 from 0,
/// no bias correction; centered (Graves 2013) subtracts the squared running mean of g.
/// u = g / (sqrt(v [- gbar^2]) + eps). State d (2d centered). torch's momentum is a following
/// `TraceMomentum` (buf = mu buf + u).
public final class ScaleByRMS: GradientTransform {
    public let alpha: Double, eps: Double
    let v: UnsafeMutableBufferPointer<Double>
    let mean: UnsafeMutableBufferPointer<Double>?
    public init(count: Int, alpha: Double, eps: Double, centered: Bool) {
        self.alpha = alpha; self.eps = eps
        v = zeroState(count); mean = centered ? zeroState(count) : nil
    }
    deinit { v.deallocate(); mean?.deallocate() }
    public var stateSize: Int { v.count + (mean?.count ?? 0) }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let a = alpha, c = 1 - alpha, e = eps
        for i in 0..<u.count {
            let g = u[i]
            v[i] = a * v[i] + c * g * g
            var second = v[i]
            if let gm = mean {
                gm[i] += c * (g - gm[i])
                second -= gm[i] * gm[i]
            }
            u[i] = g / (second.squareRoot() + e)
        }
    }
}
