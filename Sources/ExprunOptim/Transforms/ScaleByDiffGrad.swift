import ExprunCore
import Foundation

/// diffGrad (Dubey et al. 2019): Adam moments, the friction xi = sigmoid(|g_prev - g|) with
/// g_prev = 0 before step 1, and u = sqrt(1-b2^t)/(1-b1^t) * xi m / (sqrt(v + sqrtEps) + eps)
/// (eps on the uncorrected root, bias correction folded into the step size). sqrtEps is 0 in the
/// official diffGrad_v2.py and 1e-15 in pytorch_optimizer. `legacyAlias` reproduces the original repo's
/// diffGrad.py, which stored g_prev by reference: xi = sigmoid(|g_1|) on step 1, then 0.5.
/// State 3d (m, v, previous gradient).
public final class ScaleByDiffGrad: GradientTransform {
    public let beta1: Double, beta2: Double, eps: Double, legacyAlias: Bool, sqrtEps: Double
    let m: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>
    let previous: UnsafeMutableBufferPointer<Double>
    var steps = 0
    public init(count: Int, beta1: Double, beta2: Double, eps: Double, legacyAlias: Bool = false, sqrtEps: Double = 0) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.legacyAlias = legacyAlias; self.sqrtEps = sqrtEps
        m = zeroState(count); v = zeroState(count); previous = zeroState(count)
    }
    deinit { m.deallocate(); v.deallocate(); previous.deallocate() }
    public var stateSize: Int { m.count + v.count + previous.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let k = Double(context.count)
        let c = (1 - pow(beta2, k)).squareRoot() / (1 - pow(beta1, k))
        let a1 = 1 - beta1, a2 = 1 - beta2, b2 = beta2, e = eps, inner = sqrtEps
        let aliased = legacyAlias && steps > 0
        steps += 1
        for i in 0..<u.count {
            let g = u[i]
            m[i] += a1 * (g - m[i])
            v[i] = b2 * v[i] + a2 * g * g
            let xi = aliased ? 0.5 : 1 / (1 + exp(-abs(previous[i] - g)))
            previous[i] = g
            u[i] = c * xi * m[i] / ((v[i] + inner).squareRoot() + e)
        }
    }
}
