import ExprunCore

/// Exponential moving average: b = decay b + (1 - decay) u from b = 0, output b (no bias
/// correction). Signum's momentum (pytorch_optimizer SignSGD), unlike torch SGD's buffer.
public final class ScaleByEMA: GradientTransform {
    public let decay: Double
    let buffer: UnsafeMutableBufferPointer<Double>
    public init(count: Int, decay: Double) { self.decay = decay; buffer = zeroState(count) }
    deinit { buffer.deallocate() }
    public var stateSize: Int { buffer.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let d = decay, b = buffer
        for i in 0..<u.count {
            b[i] = d * b[i] + (1 - d) * u[i]
            u[i] = b[i]
        }
    }
}
