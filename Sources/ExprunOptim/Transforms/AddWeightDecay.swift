import ExprunCore

/// Coupled (L2) weight decay: u += wd * x, i.e. the gradient of (wd/2)||x||^2 is added
/// before any moment is taken (torch `weight_decay` in SGD/Adam/Adagrad/RMSprop...).
public final class AddWeightDecay: GradientTransform {
    public let weightDecay: Double
    public init(_ weightDecay: Double) { self.weightDecay = weightDecay }
    public var stateSize: Int { 0 }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let wd = weightDecay
        for i in 0..<u.count { u[i] += wd * params[i] }
    }
}
