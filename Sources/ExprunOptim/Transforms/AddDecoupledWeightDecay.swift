import ExprunCore

/// Decoupled weight decay (Loshchilov & Hutter, AdamW): x <- x (1 - lr_t wd), written as the
/// increment u -= lr_t wd x added after the descent step's scaling, so it is neither
/// bias-corrected nor preconditioned. With `fixed` (pytorch_optimizer `fixed_decay`) the
/// factor is 1 - wd, independent of the lr.
public final class AddDecoupledWeightDecay: GradientTransform {
    public let weightDecay: Double
    public let fixed: Bool
    public init(_ weightDecay: Double, fixed: Bool = false) { self.weightDecay = weightDecay; self.fixed = fixed }
    public var stateSize: Int { 0 }
    /// The factor the parameters are multiplied by at a step with learning rate `lr`.
    public func factor(lr: Double) -> Double { 1 - (fixed ? weightDecay : lr * weightDecay) }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let c = fixed ? weightDecay : context.lr * weightDecay
        for i in 0..<u.count { u[i] -= c * params[i] }
    }
}
