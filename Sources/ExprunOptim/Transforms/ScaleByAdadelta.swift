import ExprunCore

/// torch Adadelta (Zeiler 2012): v = rho v + (1-rho) g^2; delta = sqrt(a + eps)/sqrt(v + eps) g
/// (eps inside both roots); a = rho a + (1-rho) delta^2; u = delta. State 2d.
public final class ScaleByAdadelta: GradientTransform {
    public let rho: Double, eps: Double
    let v: UnsafeMutableBufferPointer<Double>, acc: UnsafeMutableBufferPointer<Double>
    public init(count: Int, rho: Double, eps: Double) {
        self.rho = rho; self.eps = eps
        v = zeroState(count); acc = zeroState(count)
    }
    deinit { v.deallocate(); acc.deallocate() }
    public var stateSize: Int { v.count + acc.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let r = rho, c = 1 - rho, e = eps
        for i in 0..<u.count {
            let g = u[i]
            v[i] = r * v[i] + c * g * g
            let delta = (acc[i] + e).squareRoot() / (v[i] + e).squareRoot() * g
            acc[i] = r * acc[i] + c * delta * delta
            u[i] = delta
        }
    }
}
