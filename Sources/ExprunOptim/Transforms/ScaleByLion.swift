import ExprunCore

/// Lion (Chen et al. 2023, "Symbolic discovery of optimization algorithms"):
/// u = sign(b1 m + (1-b1) g) with the OLD m, then m = b2 m + (1-b2) g; sign(0) = 0. State d.
public final class ScaleByLion: GradientTransform {
    public let beta1: Double, beta2: Double
    let m: UnsafeMutableBufferPointer<Double>
    public init(count: Int, beta1: Double, beta2: Double) {
        self.beta1 = beta1; self.beta2 = beta2; m = zeroState(count)
    }
    deinit { m.deallocate() }
    public var stateSize: Int { m.count }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let a1 = 1 - beta1, a2 = 1 - beta2
        for i in 0..<u.count {
            let g = u[i]
            u[i] = signum(m[i] + a1 * (g - m[i]))
            m[i] += a2 * (g - m[i])
        }
    }
}
