import ExprunCore
import Foundation

/// u /= 1 - beta^t: a first-moment bias correction applied as a step size (LAMB).
public final class ScaleByBiasCorrection: GradientTransform {
    public let beta: Double
    public init(beta: Double) { self.beta = beta }
    public var stateSize: Int { 0 }
    public func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        let c = 1 / (1 - pow(beta, Double(context.count)))
        for i in 0..<u.count { u[i] *= c }
    }
}
