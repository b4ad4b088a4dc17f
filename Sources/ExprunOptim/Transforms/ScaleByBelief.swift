import ExprunCore
import Foundation

/// AdaBelief (Zhuang et al. 2020). m = lerp(m, g, 1-b1); s = b2 s + (1-b2)(g - m)^2 with the
/// NEW m, and eps is added into s in place every step (all versions of the official code do
/// this outside the AMS branch of v0.0.5).
/// Plain: u = (m/(1-b1^t)) / (sqrt(s)/sqrt(1-b2^t) + eps).
/// `convention` picks whose arithmetic the variants follow:
/// - official (adabelief-pytorch 0.2.0): ams_bound keeps smax = max(smax, s) (eps already in s);
///   rectified (threshold rho_t >= 5 inclusive): u = r_t/(1-b1^t) m/(sqrt(s) + eps) with r_t
///   including sqrt(1-b2^t) and s, NOT smax, in the denominator; below the threshold
///   u = m/(1-b1^t) if degenerated_to_sgd, else no update.
/// - pytorch_optimizer (4.1): as official, but the rectified branch divides by sqrt(smax) + eps.
/// - v0.0.5 (adabelief-pytorch 0.0.5): ams_bound takes smax = max(smax, s) over s WITHOUT eps and
///   then adds eps into smax; rectified when rho_t > 4 with r_t lacking sqrt(1-b2^t) and the
///   plain (bias-corrected) denominator; below it always u = m (no 1/(1-b1^t), no option).
/// State 2d (3d with ams_bound).
public final class ScaleByBelief: GradientTransform {
    public enum Convention: String, Sendable, CaseIterable {
        case official, pytorchOptimizer = "pytorch_optimizer", v005 = "v0.0.5"
    }
    public let beta1: Double, beta2: Double, eps: Double, rectify: Bool, degeneratedToSGD: Bool
    public let convention: Convention
    let m: UnsafeMutableBufferPointer<Double>, s: UnsafeMutableBufferPointer<Double>
    let smax: UnsafeMutableBufferPointer<Double>?

    public init(count: Int, beta1: Double, beta2: Double, eps: Double, rectify: Bool, degeneratedToSGD: Bool,
                amsBound: Bool, convention: Convention = .official) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.rectify = rectify; self.degeneratedToSGD = degeneratedToSGD; self.convention = convention
        m = zeroState(count); s = zeroState(count); smax = amsBound ? zeroState(count) : nil
    }
    deinit { m.deallocate(); s.deallocate(); smax?.deallocate() }

    /// The options shared by the `adabelief` preset and the `scale_by_belief` transform.
    static let options: [ParamDecl] = [
        .bool("rectify", true, "RAdam-style rectification (official 0.2.0 default true; pytorch_optimizer's false)."),
        .bool("degenerated_to_sgd", true, "With rectify, take SGD-with-momentum steps below the threshold."),
        .bool("ams_bound", false, "Use the running max of s (AMSGrad-style; the official code's `amsgrad`)."),
        .choice("convention", Convention.allCases.map(\.rawValue), Convention.official.rawValue,
                "Whose arithmetic: official (adabelief-pytorch 0.2.0), pytorch_optimizer (4.1: rectified branch divides by the running max), v0.0.5 (adabelief-pytorch 0.0.5)."),
    ]
    static func make(_ p: Params, count: Int) -> ScaleByBelief {
        ScaleByBelief(count: count, beta1: p.double("beta1"), beta2: p.double("beta2"), eps: p.double("eps"),
                      rectify: p.bool("rectify"), degeneratedToSGD: p.bool("degenerated_to_sgd"),
                      amsBound: p.bool("ams_bound"), convention: Convention(rawValue: p.string("convention")) ?? .official)
    }
    public var stateSize: Int { m.count + s.count + (smax?.count ?? 0) }

    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let k = Double(context.count)
        let b2t = pow(beta2, k), bc1 = 1 - pow(beta1, k), bc2 = 1 - b2t
        let a1 = 1 - beta1, a2 = 1 - beta2, b2 = beta2, e = eps
        let old = convention == .v005
        // Moments first: they do not depend on which branch the step takes.
        for i in 0..<u.count {
            let g = u[i]
            m[i] += a1 * (g - m[i])
            let r = g - m[i]
            s[i] = b2 * s[i] + a2 * r * r
            if let sm = smax {
                if old { sm[i] = max(sm[i], s[i]) + e } else { s[i] += e; sm[i] = max(sm[i], s[i]) }
            } else {
                s[i] += e
            }
        }
        let second = smax ?? s
        let bc2Root = bc2.squareRoot()
        if !rectify {
            for i in 0..<u.count { u[i] = (m[i] / bc1) / (second[i].squareRoot() / bc2Root + e) }
            return
        }
        let rhoInf = 2 / (1 - beta2) - 1
        let rho = rhoInf - 2 * k * b2t / bc2
        if old {
            if rho > 4 {
                let c = ((rho - 4) * (rho - 2) * rhoInf / (rhoInf - 4) / (rhoInf - 2) / rho).squareRoot() / bc1
                for i in 0..<u.count { u[i] = c * m[i] / (second[i].squareRoot() / bc2Root + e) }
            } else {
                for i in 0..<u.count { u[i] = m[i] }
            }
            return
        }
        if rho >= 5 {
            let rt = (bc2 * (rho - 4) / (rhoInf - 4) * (rho - 2) / rho * rhoInf / (rhoInf - 2)).squareRoot()
            let c = rt / bc1
            let denominator = convention == .pytorchOptimizer ? second : s
            for i in 0..<u.count { u[i] = c * m[i] / (denominator[i].squareRoot() + e) }
        } else if degeneratedToSGD {
            for i in 0..<u.count { u[i] = m[i] / bc1 }
        } else {
            for i in 0..<u.count { u[i] = 0 }
        }
    }
}
