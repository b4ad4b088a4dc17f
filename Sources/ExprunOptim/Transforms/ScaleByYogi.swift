import ExprunCore
import Foundation

/// Yogi (Zaheer et al. 2018) with pytorch_optimizer's arithmetic: m and v start at
/// initial_accumulator (not 0) yet are bias-corrected by 1-b^t; m = lerp(m, g, 1-b1);
/// v = v - (1-b2) sign(v - g^2) g^2 with sign(0) = 0; u = (m/(1-b1^t)) / (sqrt(v)/sqrt(1-b2^t) + eps).
/// State 2d.
public final class ScaleByYogi: GradientTransform {
    public let beta1: Double, beta2: Double, eps: Double
    let m: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>
    public init(count: Int, beta1: Double, beta2: Double, eps: Double, initialAccumulator: Double) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        m = zeroState(count, value: initialAccumulator); v = zeroState(count, value: initialAccumulator)
    }
    deinit { m.deallocate(); v.deallocate() }
    public var stateSize: Int { m.count + v.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let k = Double(context.count)
        let bc1 = 1 - pow(beta1, k), bc2Root = (1 - pow(beta2, k)).squareRoot()
        let a1 = 1 - beta1, a2 = 1 - beta2, e = eps
        for i in 0..<u.count {
            let g = u[i], g2 = g * g
            m[i] += a1 * (g - m[i])
            v[i] -= a2 * signum(v[i] - g2) * g2
            u[i] = (m[i] / bc1) / (v[i].squareRoot() / bc2Root + e)
        }
    }
}
