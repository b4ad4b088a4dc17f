import ExprunCore
import Foundation

/// AdaBound (Luo et al. 2019) with pytorch_optimizer's arithmetic, divided by the lr (the
/// following ScaleByLearningRate multiplies it back; every term is proportional to lr):
/// eta = sqrt(1-b2^t)/(1-b1^t) / (sqrt(v + 1e-15) + eps), clamped elementwise to
/// [f (1 - 1/(gamma t + 1)), f (1 + 1/(gamma t))] with f = final_lr / base_lr (the reference's
/// final_lr * lr / base_lr over lr), and u = eta * m (m not bias-corrected otherwise).
/// ams_bound (AMSBound) uses vmax = max(vmax, v) in place of v. State 2d (3d ams_bound).
public final class ScaleByAdaBound: GradientTransform {
    public let beta1: Double, beta2: Double, eps: Double, finalRatio: Double, gamma: Double
    let m: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>
    let vmax: UnsafeMutableBufferPointer<Double>?
    public init(count: Int, beta1: Double, beta2: Double, eps: Double, finalLR: Double, baseLR: Double, gamma: Double,
                amsBound: Bool = false) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.gamma = gamma
        finalRatio = baseLR > 0 ? finalLR / baseLR : 0
        m = zeroState(count); v = zeroState(count); vmax = amsBound ? zeroState(count) : nil
    }
    deinit { m.deallocate(); v.deallocate(); vmax?.deallocate() }
    public var stateSize: Int { m.count + v.count + (vmax?.count ?? 0) }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let k = Double(context.count)
        let c = (1 - pow(beta2, k)).squareRoot() / (1 - pow(beta1, k))
        let lower = finalRatio * (1 - 1 / (gamma * k + 1)), upper = finalRatio * (1 + 1 / (gamma * k))
        let a1 = 1 - beta1, a2 = 1 - beta2, b2 = beta2, e = eps
        for i in 0..<u.count {
            let g = u[i]
            m[i] += a1 * (g - m[i])
            v[i] = b2 * v[i] + a2 * g * g
            var second = v[i]
            if let vm = vmax { vm[i] = max(vm[i], second); second = vm[i] }
            let eta = min(max(c / ((second + 1e-15).squareRoot() + e), lower), upper)
            u[i] = eta * m[i]
        }
    }
}
