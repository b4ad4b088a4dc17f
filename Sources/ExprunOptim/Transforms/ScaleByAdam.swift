import ExprunCore
import Foundation

/// Adam's preconditioning (Kingma & Ba 2015) with torch's arithmetic: m = lerp(m, g, 1-b1),
/// v = b2 v + (1-b2) g^2, u = (m/(1-b1^t)) / (sqrt(v)/sqrt(1-b2^t) + eps): eps is added AFTER
/// bias-correcting the root. AMSGrad keeps vmax = max(vmax, v) of the uncorrected v and uses it
/// in place of v. State 2d (3d with AMSGrad).
public final class ScaleByAdam: GradientTransform {
    public let beta1: Double, beta2: Double, eps: Double, amsgrad: Bool
    let m: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>
    let vmax: UnsafeMutableBufferPointer<Double>?

    public init(count: Int, beta1: Double, beta2: Double, eps: Double, amsgrad: Bool = false) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.amsgrad = amsgrad
        m = zeroState(count); v = zeroState(count); vmax = amsgrad ? zeroState(count) : nil
    }
    deinit { m.deallocate(); v.deallocate(); vmax?.deallocate() }
    public var stateSize: Int { m.count + v.count + (vmax?.count ?? 0) }

    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let k = Double(context.count)
        // A schedule cycling beta1 (onecycle) sets it per step, bias correction included, as
        // torch reads betas[0] from the param group at every step.
        let beta1 = context.momentum ?? self.beta1
        // Reciprocals hoisted out of the loop: one division per coordinate instead of three.
        let invBC1 = 1 / (1 - pow(beta1, k)), invBC2Root = 1 / (1 - pow(beta2, k)).squareRoot()
        let a1 = 1 - beta1, a2 = 1 - beta2, b2 = beta2, e = eps
        for i in 0..<u.count {
            let g = u[i]
            m[i] += a1 * (g - m[i])
            v[i] = b2 * v[i] + a2 * g * g
            var second = v[i]
            if let vm = vmax { vm[i] = max(vm[i], second); second = vm[i] }
            u[i] = (m[i] * invBC1) / (second.squareRoot() * invBC2Root + e)
        }
    }
}
