import ExprunCore
import Foundation

/// An elementwise activation of a hidden layer, applied over whole row-major buffers: the
/// model switches on the case once per layer pass, never per element.
public enum Activation: String, Sendable, CaseIterable {
    /// max(z, 0); derivative 1 where z > 0, else 0 (the subgradient 0 at the kink, as torch).
    case relu
    /// tanh(z); derivative 1 - tanh(z)^2.
    case tanh
    /// Exact GELU z Phi(z) = z (1 + erf(z / sqrt 2)) / 2, torch's default (approximate="none");
    /// derivative Phi(z) + z phi(z).
    case gelu

    static let inverseSqrt2 = 1 / 2.0.squareRoot()
    static let inverseSqrt2Pi = 1 / (2 * Double.pi).squareRoot()

    /// The activation at one point (reference form; the buffer loops below inline the same).
    public func value(_ z: Double) -> Double {
        switch self {
        case .relu: return z > 0 ? z : 0
        case .tanh: return Foundation.tanh(z)
        case .gelu: return 0.5 * z * (1 + erf(z * Activation.inverseSqrt2))
        }
    }

    /// Adds the bias b (length `width`) to every row of `pre` (rows x width, row-major) in
    /// place, and writes the activation of the result into `post`.
    func forward(_ pre: UnsafeMutablePointer<Double>, _ post: UnsafeMutablePointer<Double>,
                 bias b: UnsafePointer<Double>, rows: Int, width: Int) {
        switch self {
        case .relu:
            for r in 0..<rows {
                let z = pre + r * width, h = post + r * width
                for j in 0..<width {
                    let v = z[j] + b[j]
                    z[j] = v
                    h[j] = v > 0 ? v : 0
                }
            }
        case .tanh:
            for r in 0..<rows {
                let z = pre + r * width, h = post + r * width
                for j in 0..<width {
                    let v = z[j] + b[j]
                    z[j] = v
                    h[j] = Foundation.tanh(v)
                }
            }
        case .gelu:
            let c = Activation.inverseSqrt2
            for r in 0..<rows {
                let z = pre + r * width, h = post + r * width
                for j in 0..<width {
                    let v = z[j] + b[j]
                    z[j] = v
                    h[j] = 0.5 * v * (1 + erf(v * c))
                }
            }
        }
    }

    /// Multiplies the back-propagated gradient `delta` (with respect to the activation's
    /// output) by the activation's derivative, elementwise over `count` entries, turning it
    /// into the gradient with respect to the pre-activation. relu and tanh read the derivative
    /// off the output `post`; gelu needs the input `pre`.
    func backward(_ delta: UnsafeMutablePointer<Double>, pre: UnsafePointer<Double>, post: UnsafePointer<Double>,
                  count: Int) {
        switch self {
        case .relu:
            for j in 0..<count { delta[j] = post[j] > 0 ? delta[j] : 0 }
        case .tanh:
            for j in 0..<count {
                let h = post[j]
                delta[j] *= 1 - h * h
            }
        case .gelu:
            let c = Activation.inverseSqrt2, d = Activation.inverseSqrt2Pi
            for j in 0..<count {
                let z = pre[j]
                delta[j] *= 0.5 * (1 + erf(z * c)) + z * d * exp(-0.5 * z * z)
            }
        }
    }
}
