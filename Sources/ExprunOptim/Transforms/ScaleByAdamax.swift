import ExprunCore
import Foundation

/// torch Adamax (Kingma & Ba 2015, sec. 7.1): m = lerp(m, g, 1-b1), r = max(b2 r, |g| + eps)
/// (eps inside the max), u = (m / (1-b1^t)) / r. State 2d.
public final class ScaleByAdamax: GradientTransform {
    public let beta1: Double, beta2: Double, eps: Double
    let m: UnsafeMutableBufferPointer<Double>, r: UnsafeMutableBufferPointer<Double>
    public init(count: Int, beta1: Double, beta2: Double, eps: Double) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        m = zeroState(count); r = zeroState(count)
    }
    deinit { m.deallocate(); r.deallocate() }
    public var stateSize: Int { m.count + r.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let bc1 = 1 - pow(beta1, Double(context.count)), a1 = 1 - beta1, b2 = beta2, e = eps
        for i in 0..<u.count {
            let g = u[i]
            m[i] += a1 * (g - m[i])
            r[i] = max(b2 * r[i], abs(g) + e)
            u[i] = (m[i] / bc1) / r[i]
        }
    }
}
