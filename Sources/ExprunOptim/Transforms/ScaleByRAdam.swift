import ExprunCore
import Foundation

/// torch RAdam (Liu et al. 2020): rho_inf = 2/(1-b2) - 1, rho_t = rho_inf - 2t b2^t/(1-b2^t).
/// When rho_t > 5 (strict), u = m/(1-b1^t) * r_t * sqrt(1-b2^t)/(sqrt(v) + eps) with
/// r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t)); otherwise the
/// un-preconditioned u = m/(1-b1^t). State 2d.
public final class ScaleByRAdam: GradientTransform {
    public let beta1: Double, beta2: Double, eps: Double
    let m: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>
    public init(count: Int, beta1: Double, beta2: Double, eps: Double) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        m = zeroState(count); v = zeroState(count)
    }
    deinit { m.deallocate(); v.deallocate() }
    public var stateSize: Int { m.count + v.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let k = Double(context.count)
        let b2t = pow(beta2, k), bc1 = 1 - pow(beta1, k), bc2 = 1 - b2t
        let rhoInf = 2 / (1 - beta2) - 1
        let rho = rhoInf - 2 * k * b2t / bc2
        let a1 = 1 - beta1, a2 = 1 - beta2, b2 = beta2, e = eps
        let rectified = rho > 5
        let rect = rectified ? ((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho)).squareRoot() : 0
        let bc2Root = bc2.squareRoot()
        for i in 0..<u.count {
            let g = u[i]
            m[i] += a1 * (g - m[i])
            v[i] = b2 * v[i] + a2 * g * g
            let mHat = m[i] / bc1
            u[i] = rectified ? mHat * (bc2Root / (v[i].squareRoot() + e)) * rect : mHat
        }
    }
}
