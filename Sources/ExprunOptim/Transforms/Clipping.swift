import ExprunCore

/// u_i = clamp(u_i, -limit, limit).
public final class ClipByValue: GradientTransform {
    public let limit: Double
    public init(_ limit: Double) { self.limit = limit }
    public var stateSize: Int { 0 }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let c = limit
        for i in 0..<u.count { u[i] = min(max(u[i], -c), c) }
    }
}

/// Rescales each block of the layout (each tensor) to norm at most `maxNorm`.
public final class ClipByBlockNorm: GradientTransform {
    public let maxNorm: Double
    public init(_ maxNorm: Double) { self.maxNorm = maxNorm }
    public var stateSize: Int { 0 }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        guard let base = u.baseAddress else { return }
        for block in context.blocks(count: u.count) {
            let p = base + block.offset, n = block.count
            let norm = norm2(p, n)
            if norm > maxNorm {
                let s = maxNorm / norm
                for i in 0..<n { p[i] *= s }
            }
        }
    }
}

/// Rescales the whole update to global norm at most `maxNorm` (optax clip_by_global_norm,
/// torch clip_grad_norm_).
public final class ClipByGlobalNorm: GradientTransform {
    public let maxNorm: Double
    public init(_ maxNorm: Double) { self.maxNorm = maxNorm }
    public var stateSize: Int { 0 }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        guard let base = u.baseAddress else { return }
        let norm = norm2(base, u.count)
        if norm > maxNorm {
            let s = maxNorm / norm
            for i in 0..<u.count { u[i] *= s }
        }
    }
}
