import ExprunCore

/// u = -lr_t * u: the closing stage of a descent chain; lr_t is the schedule's value.
public final class ScaleByLearningRate: GradientTransform {
    public init() {}
    public var stateSize: Int { 0 }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let s = -context.lr
        for i in 0..<u.count { u[i] *= s }
    }
}
