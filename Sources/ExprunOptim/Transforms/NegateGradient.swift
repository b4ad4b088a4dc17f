import ExprunCore

/// u = -u. Placed first it turns a minimizer into a maximizer (torch `maximize=True`, which
/// negates the gradient before weight decay and moments).
public final class NegateGradient: GradientTransform {
    public init() {}
    public var stateSize: Int { 0 }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        for i in 0..<u.count { u[i] = -u[i] }
    }
}
