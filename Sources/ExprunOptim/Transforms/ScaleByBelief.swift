import ExprunCore
import Foundation

/// AdaBelief (Zhuang et al. 2020) with pytorch_optimizer's arithmetic: m = lerp(m, g, 1-b1);
/// s = b2 s + (1-b2)(g - m)^2 + eps with the NEW m and eps stored into s every step.
/// Plain: u = (m/(1-b1^t)) / (sqrt(s)/sqrt(1-b2^t) + eps).
/// Rectified (RAdam-style, threshold rho_t >= 5 inclusive):
///   u = r_t/(1-b1^t) * m/(sqrt(s) + eps), r_t including sqrt(1-b2^t);
///   below the threshold u = m/(1-b1^t) if degenerated_to_sgd, else no update (u = 0).
/// ams_bound uses smax = max(smax, s) (eps already inside) in the denominator.
/// State 2d (3d with ams_bound).
public final class ScaleByBelief: GradientTransform {
    public let beta1: Double, beta2: Double, eps: Double, rectify: Bool, degeneratedToSGD: Bool
    let m: UnsafeMutableBufferPointer<Double>, s: UnsafeMutableBufferPointer<Double>
    let smax: UnsafeMutableBufferPointer<Double>?

    public init(count: Int, beta1: Double, beta2: Double, eps: Double, rectify: Bool, degeneratedToSGD: Bool,
                amsBound: Bool) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.rectify = rectify; self.degeneratedToSGD = degeneratedToSGD
        m = zeroState(count); s = zeroState(count); smax = amsBound ? zeroState(count) : nil
    }
    deinit { m.deallocate(); s.deallocate(); smax?.deallocate() }
    public var stateSize: Int { m.count + s.count + (smax?.count ?? 0) }

    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let k = Double(context.count)
        let b2t = pow(beta2, k), bc1 = 1 - pow(beta1, k), bc2 = 1 - b2t
        let a1 = 1 - beta1, a2 = 1 - beta2, b2 = beta2, e = eps
        // Moments first: they do not depend on which branch the step takes.
        for i in 0..<u.count {
            let g = u[i]
            m[i] += a1 * (g - m[i])
            let r = g - m[i]
            s[i] = b2 * s[i] + a2 * r * r + e
            if let sm = smax { sm[i] = max(sm[i], s[i]) }
        }
        let second = smax ?? s
        if !rectify {
            let bc2Root = bc2.squareRoot()
            for i in 0..<u.count { u[i] = (m[i] / bc1) / (second[i].squareRoot() / bc2Root + e) }
            return
        }
        let rhoInf = 2 / (1 - beta2) - 1
        let rho = rhoInf - 2 * k * b2t / bc2
        if rho >= 5 {
            let rt = (bc2 * (rho - 4) / (rhoInf - 4) * (rho - 2) / rho * rhoInf / (rhoInf - 2)).squareRoot()
            let c = rt / bc1
            for i in 0..<u.count { u[i] = c * m[i] / (second[i].squareRoot() + e) }
        } else if degeneratedToSGD {
            for i in 0..<u.count { u[i] = m[i] / bc1 }
        } else {
            for i in 0..<u.count { u[i] = 0 }
        }
    }
}
