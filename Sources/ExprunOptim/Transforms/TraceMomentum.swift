import ExprunCore

/// Heavy-ball momentum with torch SGD semantics: on the first step b = u (no dampening), then
/// b = mu b + (1 - dampening) u; the output is b, or u + mu b with Nesterov. The lr is applied
/// later (torch's p -= lr * b, not "v = mu v + lr g"). With dampening 0 this is also torch
/// RMSprop's momentum buffer (b = mu b + u from b = 0). A schedule that cycles momentum
/// (onecycle) sets mu each step through `StepContext.momentum`, as torch writes group['momentum'].
public final class TraceMomentum: GradientTransform {
    public let momentum: Double, dampening: Double, nesterov: Bool
    let buffer: UnsafeMutableBufferPointer<Double>
    var started = false

    public init(count: Int, momentum: Double, dampening: Double = 0, nesterov: Bool = false) {
        self.momentum = momentum; self.dampening = dampening; self.nesterov = nesterov
        buffer = zeroState(count)
    }
    deinit { buffer.deallocate() }
    public var stateSize: Int { buffer.count }

    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let mu = context.momentum ?? momentum, keep = 1 - dampening, b = buffer
        if !started {
            for i in 0..<u.count { b[i] = u[i] }
            started = true
        } else {
            for i in 0..<u.count { b[i] = mu * b[i] + keep * u[i] }
        }
        if nesterov {
            for i in 0..<u.count { u[i] += mu * b[i] }
        } else {
            for i in 0..<u.count { u[i] = b[i] }
        }
    }
}
