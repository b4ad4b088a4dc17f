import ExprunCore
import Foundation

/// torch NAdam (Dozat 2016) with the momentum schedule mu_t = b1 (1 - 0.5 * 0.96^(t psi)):
/// u = (1-mu_t)/(1-P_t) g/d + mu_{t+1}/(1-P_t mu_{t+1}) m/d with P_t = prod_{i<=t} mu_i,
/// d = sqrt(v/(1-b2^t)) + eps; m is not bias-corrected. Fused because both the raw gradient
/// and the moment enter the step with different weights. State 2d (+ the scalar P_t).
public final class ScaleByNAdam: GradientTransform {
    public let beta1: Double, beta2: Double, eps: Double, momentumDecay: Double
    let m: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>
    var muProduct = 1.0
    public init(count: Int, beta1: Double, beta2: Double, eps: Double, momentumDecay: Double) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.momentumDecay = momentumDecay
        m = zeroState(count); v = zeroState(count)
    }
    deinit { m.deallocate(); v.deallocate() }
    public var stateSize: Int { m.count + v.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let k = Double(context.count)
        let bc2 = 1 - pow(beta2, k)
        let mu = beta1 * (1 - 0.5 * pow(0.96, k * momentumDecay))
        let muNext = beta1 * (1 - 0.5 * pow(0.96, (k + 1) * momentumDecay))
        muProduct *= mu
        let cg = (1 - mu) / (1 - muProduct), cm = muNext / (1 - muProduct * muNext)
        let a1 = 1 - beta1, a2 = 1 - beta2, b2 = beta2, e = eps
        for i in 0..<u.count {
            let g = u[i]
            m[i] += a1 * (g - m[i])
            v[i] = b2 * v[i] + a2 * g * g
            let d = (v[i] / bc2).squareRoot() + e
            u[i] = cg * g / d + cm * m[i] / d
        }
    }
}
