import ExprunCore

/// u = sign(u) elementwise with sign(0) = 0 (signSGD, Bernstein et al. 2018).
public final class ScaleBySign: GradientTransform {
    public init() {}
    public var stateSize: Int { 0 }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        for i in 0..<u.count { u[i] = signum(u[i]) }
    }
}
